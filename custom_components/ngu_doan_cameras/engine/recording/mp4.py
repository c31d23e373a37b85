"""Stream copy into MP4: one file written from a session's packets, without re-encoding.

Segments and clips are *fragmented* MP4 (`empty_moov`: the header is complete before the first
picture; a fragment per key frame, or every `fragment_seconds` for cameras with long GOPs), and
every fragment is handed to the file as soon as the muxer finishes it (`flush_packets`). A process
killed or a power cut mid-file therefore leaves a file that plays up to its last complete fragment;
a write that fails (disk full) is cut back to that fragment at once.

Output streams are copies of the session's live demuxer streams (the only PyAV route that writes
audio headers players accept), so a writer must be *opened* while its session is live; after that
it needs nothing from the session.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from io import FileIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from ..media import MediaKind, MediaPacket, StreamSession  # noqa: TID252 - the readers' packet interface, one level up
from .probe import probe, trim_incomplete

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.stream import Stream

_LOGGER = logging.getLogger(__name__)

FRAGMENTED = "frag_keyframe+empty_moov+default_base_moof+delay_moov"
# What a failing write raises: the OS error itself (through PyAV's file callbacks), or FFmpeg's.
WRITE_ERRORS: tuple[type[Exception], ...] = (OSError, av.error.FFmpegError)


def add_copy_stream(container: OutputContainer, template: Stream) -> Stream:
    """An output stream with `template`'s codec parameters.

    PyAV 13 has `add_stream(template=)`, newer PyAV `add_stream_from_template`.
    """
    from_template = getattr(container, "add_stream_from_template", None)
    stream: Stream = from_template(template) if from_template is not None else container.add_stream(template=template)
    # PyAV opens a codec context for every output stream on the first mux; FFmpeg's automatic
    # threading would start an idle thread per core for each open file (measured: 2 per file here).
    stream.codec_context.thread_count = 1
    if template.codec_context.name == "hevc":
        # Browsers (Safari above all) play H.265 in MP4 only when tagged `hvc1` (FFmpeg writes `hev1`).
        stream.codec_context.codec_tag = "hvc1"
    return stream


def open_mp4(file: FileIO | str, *, fragment_seconds: float | None, comment: Mapping[str, Any]) -> OutputContainer:
    """An MP4 muxer on `file`: fragmented (crash-safe) when `fragment_seconds` is given."""
    # Edit lists (a track starting after 0: audio after the cut, B-frame delay) are in the movie's
    # time scale: the default 1/1000 s would move every track by up to a millisecond; 1/90000 is
    # the video clock itself, so timestamps come back exactly as written.
    options = {"movie_timescale": "90000"}
    if fragment_seconds is not None:
        # `delay_moov`: the header waits for the first fragment so it can carry those edit lists
        # (with an empty header written at once, the muxer would shift each track to start at 0).
        options |= {
            "movflags": FRAGMENTED,
            "frag_duration": str(int(fragment_seconds * 1_000_000)),
            "flush_packets": "1",
        }
    # Exports are plain MP4 (index at the end, which every player and court tool reads).
    container = av.open(file, "w", format="mp4", options=options)
    # The file's own record of what it is (exact start, camera, session): the index is rebuilt from it.
    container.metadata["comment"] = json.dumps(dict(comment), separators=(",", ":"))
    return container


@dataclass(frozen=True, slots=True)
class StreamFacts:
    """What a file records of its session (the session's live streams are not kept past it)."""

    session_id: int
    codec: str
    width: int
    height: int
    audio_codec: str | None

    @classmethod
    def of(cls, session: StreamSession) -> StreamFacts:
        """The facts of `session` as its files record them (audio only when MP4 can carry it)."""
        audio = session.audio_codec if mp4_carries_audio(session) else None
        return cls(session.session_id, session.codec, session.width, session.height, audio)


@cache
def _mp4_codecs() -> frozenset[str]:
    container = av.open(io.BytesIO(), "w", format="mp4")
    try:
        return frozenset(container.supported_codecs)
    finally:
        container.close()


def mp4_carries_audio(session: StreamSession) -> bool:
    """True if the session has audio that MP4 can hold as it is.

    Many cameras send G.711 (pcm_alaw, pcm_mulaw), which MP4 cannot carry; recording never
    re-encodes, so such files are video only (the camera recorder says so once per session).
    """
    return session.audio is not None and session.audio.codec_context.name in _mp4_codecs()


class Mp4Writer:
    """One fragmented MP4 file fed with ordered packets (see timing.PacketOrderer) of one session.

    A write that fails (disk full) leaves the file ending inside a fragment; `close` cuts it back
    to the last complete one (probe.trim_incomplete), which also gives the space back at once.

    Timestamps are moved so the file starts at 0 at its first packet (a video key frame); the index
    keeps where that is in wall time. `write` runs on the reader thread; `close` and `sync` may run
    on the recorder's worker thread once the reader has stopped writing to this file.
    """

    def __init__(
        self,
        path: Path,
        file: FileIO,
        session: StreamSession,
        first: MediaPacket,
        *,
        fragment_seconds: float,
        comment: Mapping[str, Any],
    ) -> None:
        assert first.kind == "video"
        assert first.dts is not None
        self.path = path
        self.stream = StreamFacts.of(session)
        self.start_wall = first.wall
        self.failed = False
        self.packets = 0
        self._file = file
        self._origin = Fraction(first.dts) * first.time_base  # stream seconds of the first packet
        self._video_end = first.dts  # in video ticks
        self._video_base = first.dts
        self._video_seconds_per_tick = float(first.time_base)
        self._flushed = False
        self._kept: float | None = None
        self._bases: dict[MediaKind, int] = {}
        self._container = open_mp4(file, fragment_seconds=fragment_seconds, comment={"start": first.wall, **comment})
        self._streams: dict[MediaKind, Stream] = {"video": add_copy_stream(self._container, session.video)}
        if session.audio is not None and mp4_carries_audio(session):
            self._streams["audio"] = add_copy_stream(self._container, session.audio)

    @property
    def flushed(self) -> bool:
        """True once a fragment (with the file's header) is in the file."""
        if not self._flushed:  # (a system call, until the first fragment is there)
            self._flushed = self._file.tell() > 0
        return self._flushed

    @property
    def origin_seconds(self) -> float:
        """The stream time (seconds) of the file's first packet."""
        return float(self._origin)

    @property
    def duration(self) -> float:
        """Seconds of video written, to the end of the last video packet.

        Once a failed file is closed: to the end of its last complete fragment.
        """
        if self._kept is not None:
            return self._kept
        return (self._video_end - self._video_base) * self._video_seconds_per_tick

    @property
    def end_wall(self) -> float:
        """Wall time of the end of the last video packet."""
        return self.start_wall + self.duration

    def write(self, packet: MediaPacket) -> None:
        """Mux one packet; raises one of WRITE_ERRORS when the file cannot be written (then call `close`)."""
        stream = self._streams.get(packet.kind)
        if stream is None or packet.dts is None or packet.pts is None:
            return
        base = self._bases.get(packet.kind)
        if base is None:
            base = self._bases[packet.kind] = math.ceil(self._origin / packet.time_base)
        if packet.dts < base:  # audio from before the cut belongs to the previous file
            return
        out = av.Packet(packet.data)
        out.dts = packet.dts - base
        out.pts = packet.pts - base
        out.duration = packet.duration
        out.time_base = packet.time_base
        out.is_keyframe = packet.keyframe
        out.stream = stream
        try:
            self._container.mux(out)
        except BaseException:
            self.failed = True
            raise
        self.packets += 1
        if packet.kind == "video":
            self._video_end = packet.dts + packet.duration

    def sync(self) -> None:
        """Push what is written so far to the disk (fsync); a closed file is already synced."""
        try:
            os.fsync(self._file.fileno())
        except (OSError, ValueError):
            _LOGGER.debug("fsync of %s skipped", self.path, exc_info=True)

    def close(self) -> int:
        """Finish the file and return its size (0: nothing playable, and the file is gone).

        Never raises for a storage failure.

        Writes the last fragment, cuts a failed file back to its last complete fragment, and fsyncs
        the file and its folder.
        """
        try:
            self._container.close()
        except WRITE_ERRORS as exc:
            self.failed = True
            _LOGGER.warning("Could not finish %s: %s", self.path.name, exc)
        size = 0
        try:
            size = os.fstat(self._file.fileno()).st_size
            os.fsync(self._file.fileno())
        except OSError as exc:
            _LOGGER.warning("Could not sync %s: %s", self.path.name, exc)
        finally:
            self._file.close()
        if self.failed:  # a write failed: keep what is whole (fragments are written whole, in order)
            size = trim_incomplete(self.path) if size else 0  # failed before its header: nothing
            facts = probe(self.path) if size else None
            self._kept = facts.duration if facts is not None else 0.0
            if not size:
                self.path.unlink(missing_ok=True)
        sync_folder(self.path.parent)
        return size


def sync_folder(folder: Path) -> None:
    """Fsync a folder, so a new file's name survives a power cut (best effort)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        _LOGGER.debug("fsync of folder %s failed", folder, exc_info=True)
    finally:
        os.close(descriptor)

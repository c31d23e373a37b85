"""Continuous recording of one camera: ordered packets in, one MP4 segment a minute out.

A segment starts on a video key frame and is cut at the first key frame `segment_seconds` after its
start, so each segment plays on its own, and the packets of one session go to exactly one segment
each (see timing.py for why the cut is exact). Every session starts a new segment (a new connection
may bring another resolution or codec), and the time between sessions is written down as a gap.

Muxing runs on the reader's thread (a packet copy: cheap); closing, fsyncing and indexing a segment
are queued to the worker. A file that cannot be written (disk full, read-only) ends the segment
where its last fragment ended, opens a gap, and a new segment is tried again `retry_seconds` later;
when FFmpeg refuses the stream rather than the disk failing, at the first key frame STREAM_RETRY_SECONDS
later (nothing is wrong with the disk, and every second counts).
"""

from __future__ import annotations

import logging

from ..media import MediaPacket, StreamSession  # noqa: TID252 - the readers' packet interface, one level up
from .errors import RecordingError
from .mp4 import WRITE_ERRORS, Mp4Writer
from .records import SegmentInfo
from .settings import CameraRecordingSettings, RecorderContext

_LOGGER = logging.getLogger(__name__)

STREAM_RETRY_SECONDS = 2.0

_CUT_TOLERANCE = 1e-3  # seconds: a key frame at 59.9995 s is at 60 s


class Segmenter:
    """The segments of one camera; every method runs on the camera's reader thread (or under its lock)."""

    def __init__(self, camera_id: str, context: RecorderContext, settings: CameraRecordingSettings) -> None:
        self.camera_id = camera_id
        self.settings = settings
        self._context = context
        self._session: StreamSession | None = None
        self._current: Mp4Writer | None = None
        self._seconds_per_tick = 0.0
        self._retry_at = float("-inf")
        self._sync_at = float("inf")
        self._footage_end: float | None = None  # wall time the last segment of this run ended
        self._announced = False  # the current segment is in the index
        self.storage_error: str | None = None
        self.segments = 0  # segments started since this recorder was made

    @property
    def current_path(self) -> str | None:
        """The segment being written, relative to the layout's root."""
        return self._context.layout.relative(self._current.path) if self._current is not None else None

    def session_started(self, session: StreamSession | None) -> None:
        """Packets of `session` follow; the first segment starts at its first key frame.

        None: the session is over, and its streams must not be kept.
        """
        self._session = session

    def packet(self, packet: MediaPacket) -> None:
        """One ordered packet (timing.PacketOrderer's output)."""
        current = self._current
        if packet.kind == "video" and packet.keyframe:
            if current is None:
                if packet.wall >= self._retry_at:
                    current = self._open(packet)
            elif packet.dts * self._seconds_per_tick - current.origin_seconds >= (  # type: ignore[operator]
                self.settings.segment_seconds - _CUT_TOLERANCE
            ):
                self._finish(current)
                current = self._open(packet)
        if current is None:
            return
        try:
            current.write(packet)
        except WRITE_ERRORS as exc:
            self._storage_failed(exc, packet.wall)
            return
        if not self._announced and current.flushed:
            self._announce(current)
        if packet.wall >= self._sync_at:
            self._sync_at = packet.wall + self.settings.sync_seconds
            self._context.worker.submit(current.sync)

    def discontinuity(self) -> None:
        """The stream's clock broke: end the segment here, the next starts at the next key frame."""
        if self._current is not None:
            self._finish(self._current)

    def stop(self, reason: str) -> None:
        """Footage stops: end the segment, and write down a gap starting where it ended.

        `reason` says why: camera_down, mode_events, mode_off, stopped.
        """
        if self._current is not None:
            self._finish(self._current, gap=reason)
        elif self._footage_end is not None:
            self._open_gap(self._footage_end, reason)

    # --- files ---------------------------------------------------------------------------------------

    def _open(self, packet: MediaPacket) -> Mp4Writer | None:
        session = self._session
        assert session is not None  # packets only come within a session
        context = self._context
        try:
            path, file = context.layout.create_media_file("recordings", self.camera_id, packet.wall, context.active)
        except (OSError, RecordingError) as exc:
            self._storage_failed(exc, packet.wall)
            return None
        writer = Mp4Writer(
            path,
            file,
            session,
            packet,
            fragment_seconds=self.settings.fragment_seconds,
            comment={"kind": "segment", "camera": self.camera_id, "session": session.session_id},
        )
        self._current = writer
        self._announced = False
        self._seconds_per_tick = float(packet.time_base)
        self._sync_at = packet.wall + self.settings.sync_seconds
        self._footage_end = None
        self.segments += 1
        return writer

    def _announce(self, writer: Mp4Writer) -> None:
        """The segment's first fragment is on disk: it exists for the index (and ends the gap)."""
        self._announced = True
        context = self._context
        relative = context.layout.relative(writer.path)
        if self.storage_error is not None:
            _LOGGER.info("Camera %s records again (%s)", self.camera_id, relative)
            self.storage_error = None
        info = self._info(writer, relative, "open", 0)
        context.worker.submit(lambda: context.index.upsert_segment(info))

    def _finish(self, writer: Mp4Writer, gap: str | None = None) -> None:
        """Hand `writer` over to the worker: close, fsync, index; then open a gap for `gap`.

        The gap starts where the file really ends: a file cut short by a full disk ends at its
        last complete fragment, not at the last packet it was given.
        """
        self._current = None
        self._footage_end = writer.end_wall
        context = self._context
        relative = context.layout.relative(writer.path)
        camera = self.camera_id

        def close() -> None:
            try:
                size = writer.close()
                if size:
                    state = "truncated" if writer.failed else "complete"
                    context.index.upsert_segment(self._info(writer, relative, state, size))
                else:  # failed before a single fragment: no file, no row
                    context.index.forget_segment(relative)
                # A file that could not be finished (the disk filled up as it closed) ends a
                # stretch of footage too, even when the next file is already recording.
                reason = gap if gap is not None else ("storage_error" if writer.failed else None)
                if reason is not None:
                    context.index.open_gap(camera, writer.end_wall if size else writer.start_wall, reason)
            finally:
                context.active.discard(relative)

        context.worker.submit(close)

    def _info(self, writer: Mp4Writer, relative: str, state: str, size: int) -> SegmentInfo:
        stream = writer.stream
        return SegmentInfo(
            camera=self.camera_id,
            path=relative,
            day=self._context.layout.day_of(writer.start_wall),
            start=writer.start_wall,
            end=writer.end_wall,
            size=size,
            state=state,  # type: ignore[arg-type]
            session=stream.session_id,
            codec=stream.codec,
            width=stream.width,
            height=stream.height,
            audio_codec=stream.audio_codec,
        )

    def _open_gap(self, start: float, reason: str) -> None:
        index = self._context.index
        camera = self.camera_id
        self._context.worker.submit(lambda: index.open_gap(camera, start, reason))
        self._footage_end = None

    def _storage_failed(self, exc: Exception, at: float) -> None:
        writer = self._current
        if writer is not None:
            self._finish(writer, gap="storage_error")
        else:
            self._open_gap(self._footage_end if self._footage_end is not None else at, "storage_error")
        self._footage_end = None
        # An OS error is the disk's (full, read-only, gone); an FFmpeg error that is not one is the muxer
        # refusing this session's stream (seen rarely: "dimensions not set" on a session's first segment).
        retry = self.settings.retry_seconds if isinstance(exc, OSError) else STREAM_RETRY_SECONDS
        self._retry_at = at + retry
        if self.storage_error is None:
            _LOGGER.warning("Camera %s cannot record (%s); trying again in %.0f s", self.camera_id, exc, retry)
        self.storage_error = str(exc) or type(exc).__name__
        self._context.on_storage_error(self.camera_id)

"""Test inputs for recording: clips made with ffmpeg, played into a PacketSink like a camera's reader.

`Feed` opens a file with PyAV and hands its packets to a sink exactly as `engine/reader.py` does for a
live camera: a `StreamSession` (with the demuxer's live streams as mux templates) and owned
`MediaPacket`s whose wall clock is the session's anchor plus the stream's own clock.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from custom_components.ngu_doan_cameras.engine.media import MediaPacket, PacketSink, StreamSession


@dataclass(frozen=True)
class ClipSpec:
    """An ffmpeg test clip."""

    size: str = "640x360"
    fps: int = 15
    gop: int = 15
    seconds: float = 12
    audio: bool = True
    bitrate: str = "600k"
    bframes: int = 2

    @property
    def name(self) -> str:
        audio = "av" if self.audio else "v"
        return f"{audio}_{self.size}_{self.fps}fps_g{self.gop}_{self.seconds:g}s_{self.bitrate}_bf{self.bframes}.mp4"


def make_clip(folder: Path, spec: ClipSpec) -> Path:
    """Encode `spec` with ffmpeg into `folder` (once)."""
    path = folder / spec.name
    if path.exists():
        return path
    command = [
        "ffmpeg",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={spec.size}:rate={spec.fps}",
    ]
    if spec.audio:
        command += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000"]
    command += [
        "-t",
        str(spec.seconds),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        spec.bitrate,
        "-g",
        str(spec.gop),
        "-keyint_min",
        str(spec.gop),
        "-sc_threshold",
        "0",
        "-bf",
        str(spec.bframes),
        "-pix_fmt",
        "yuv420p",
    ]
    if spec.audio:
        command += ["-c:a", "aac", "-b:a", "32k"]
    partial = path.with_suffix(".part.mp4")
    subprocess.run([*command, str(partial)], check=True)
    partial.rename(path)
    return path


class Feed:
    """One session of a file, open: `session` stays valid (live templates) until the context exits."""

    def __init__(self, session: StreamSession, packets: list[MediaPacket]) -> None:
        self.session = session
        self.packets = packets

    def start(self, sink: PacketSink) -> None:
        sink.session_started(self.session)

    def play(self, sink: PacketSink, packets: Sequence[MediaPacket] | None = None) -> None:
        for packet in self.packets if packets is None else packets:
            sink.packet(packet, self.session)

    def end(self, sink: PacketSink) -> None:
        sink.session_ended(self.session)

    def run(self, sink: PacketSink) -> None:
        """The whole session: start, every packet, end."""
        self.start(sink)
        self.play(sink)
        self.end(sink)

    @property
    def video(self) -> list[MediaPacket]:
        return [packet for packet in self.packets if packet.kind == "video"]

    @property
    def audio(self) -> list[MediaPacket]:
        return [packet for packet in self.packets if packet.kind == "audio"]

    def keyframes(self) -> list[MediaPacket]:
        return [packet for packet in self.packets if packet.kind == "video" and packet.keyframe]


@contextmanager
def open_feed(path: Path, *, wall_start: float, session_id: int = 1) -> Iterator[Feed]:
    """Open `path` as a camera session anchored at `wall_start`."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        session = StreamSession(
            session_id=session_id,
            started_wall=wall_start,
            codec=video.codec_context.name,
            width=video.codec_context.width,
            height=video.codec_context.height,
            audio_codec=audio.codec_context.name if audio is not None else None,
            video=video,
            audio=audio,
        )
        packets: list[MediaPacket] = []
        origin: float | None = None
        time_bases: dict[str, Fraction] = {}
        for packet in container.demux():
            if packet.size == 0:
                continue
            kind = packet.stream.type
            assert kind in {"video", "audio"}
            time_base = time_bases.setdefault(kind, packet.time_base)
            stamp = packet.dts if packet.dts is not None else packet.pts
            assert stamp is not None
            seconds = float(stamp * time_base)
            if origin is None:
                origin = seconds
            packets.append(
                MediaPacket(
                    kind=kind,  # type: ignore[arg-type]
                    data=bytes(packet),
                    pts=packet.pts,
                    dts=packet.dts,
                    duration=packet.duration or 0,
                    time_base=time_base,
                    keyframe=packet.is_keyframe,
                    wall=wall_start + seconds - origin,
                )
            )
        yield Feed(session, packets)


def read_packets(path: Path) -> list[tuple[str, int, int, int, bool, bytes]]:
    """(kind, dts, pts, duration, keyframe, data) of every packet of a recorded file, in file order."""
    with av.open(str(path)) as container:
        return [
            (packet.stream.type, packet.dts, packet.pts, packet.duration or 0, packet.is_keyframe, bytes(packet))
            for packet in container.demux()
            if packet.size
        ]


def decode_count(path: Path) -> int:
    """How many video frames decode from `path` before the first error (a player's view)."""
    count = 0
    with av.open(str(path)) as container, contextlib.suppress(av.error.InvalidDataError):
        for _ in container.decode(video=0):
            count += 1
    return count

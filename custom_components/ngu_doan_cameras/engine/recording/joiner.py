"""Joining recorded segments into one MP4 cut to a time range, by stream copy (for exports).

The file starts at the key frame at or before the range's start (a picture can only be decoded from a
key frame) and ends with the last packet before the range's end. Segments of one session follow each
other exactly (segmenter.py), so their packets are laid end to end on one clock; footage after a gap
or with other stream parameters goes into a file of its own (`runs`), never glued over the gap.
Templates for the output streams come from the segment files themselves: no live session is needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from io import FileIO
from pathlib import Path
from typing import TYPE_CHECKING

import av

from .mp4 import add_copy_stream, open_mp4
from .records import CONTINUITY_SECONDS, SegmentInfo

if TYPE_CHECKING:
    from av.container import InputContainer, OutputContainer
    from av.stream import Stream


@dataclass(frozen=True, slots=True)
class JoinedFile:
    """One file of an export: what it covers and what is in it."""

    path: Path
    start: float  # wall time of its first picture (a key frame)
    end: float  # wall time where its last picture ends
    codec: str
    width: int
    height: int
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None


def runs(segments: list[SegmentInfo]) -> list[list[SegmentInfo]]:
    """Split time-ordered segments into runs that can share one file.

    A run is contiguous, of one session, with one set of stream parameters.
    """
    result: list[list[SegmentInfo]] = []
    for segment in segments:
        if result:
            last = result[-1][-1]
            same = (last.session, last.codec, last.width, last.height, last.audio_codec) == (
                segment.session,
                segment.codec,
                segment.width,
                segment.height,
                segment.audio_codec,
            )
            if same and abs(segment.start - last.end) <= CONTINUITY_SECONDS:
                result[-1].append(segment)
                continue
        result.append([segment])
    return result


def _ticks(seconds: float, time_base: Fraction) -> int:
    return round(seconds * time_base.denominator / time_base.numerator)


def _cut_in(path: Path, start_wall: float, start: float) -> int:
    """Video ticks of the last key frame at or before `start` in the segment at `path`.

    The segment starts at `start_wall`, with a key frame at 0.
    """
    chosen = 0
    with av.open(str(path)) as source:
        video = source.streams.video[0]
        assert video.time_base is not None
        for packet in source.demux(video):
            if packet.dts is None:
                continue
            if start_wall + float(packet.dts * video.time_base) > start:
                break
            if packet.is_keyframe:
                chosen = packet.dts
    return chosen


class _Output:
    """The output file being written, opened from the first segment's streams."""

    def __init__(self, file: FileIO, source: InputContainer, comment: dict[str, object]) -> None:
        self.container: OutputContainer = open_mp4(file, fragment_seconds=None, comment=comment)
        video = source.streams.video[0]
        audio = source.streams.audio[0] if source.streams.audio else None
        self.streams: dict[str, Stream] = {"video": add_copy_stream(self.container, video)}
        if audio is not None:
            self.streams["audio"] = add_copy_stream(self.container, audio)
        context = video.codec_context
        self.facts = (context.name, context.width, context.height)
        self.audio = (
            (audio.codec_context.name, audio.codec_context.sample_rate, audio.codec_context.channels)
            if audio is not None
            else (None, None, None)
        )


def join_run(
    run: list[SegmentInfo],
    resolve: Callable[[str], Path],
    out: Path,
    *,
    start: float,
    end: float,
    comment: dict[str, object],
) -> JoinedFile | None:
    """Write the footage of `run` within [start, end) to `out` (created exclusively).

    Returns None when the run has no picture in the range.
    """
    first = run[0]
    cut_ticks = _cut_in(resolve(first.path), first.start, start) if first.start < start else 0
    output: _Output | None = None
    last_end: float | None = None
    cut_wall = first.start
    with FileIO(out, "xb") as file:
        for segment in run:
            with av.open(str(resolve(segment.path))) as source:
                if output is None:
                    output = _Output(file, source, comment)
                    video_base = source.streams.video[0].time_base
                    assert video_base is not None
                    cut_wall = first.start + float(cut_ticks * video_base)
                finished, segment_end = _copy(
                    source,
                    output,
                    offset=segment.start - first.start,
                    cut_ticks=cut_ticks,
                    segment_start=segment.start,
                    end=end,
                )
                last_end = segment_end if segment_end is not None else last_end
            if finished:
                break
        if output is not None:
            output.container.close()
    if output is None or last_end is None:
        out.unlink(missing_ok=True)
        return None
    codec, width, height = output.facts
    return JoinedFile(out, cut_wall, last_end, codec, width, height, *output.audio)


def _copy(
    source: InputContainer, output: _Output, *, offset: float, cut_ticks: int, segment_start: float, end: float
) -> tuple[bool, float | None]:
    """Copy one segment's packets; returns (reached the end of the range, wall end of its last picture)."""
    video_in = source.streams.video[0]
    video_base = video_in.time_base
    assert video_base is not None
    cut_seconds = Fraction(cut_ticks) * video_base
    shifts: dict[int, int] = {}
    last_end: float | None = None
    finished = False
    # The whole segment is read even past `end`: a file stores each fragment's video before its
    # audio, so audio from before `end` can follow video from after it.
    for packet in source.demux():
        if packet.dts is None or packet.pts is None:
            continue  # the demuxer's end-of-stream marker
        stream = packet.stream
        base = packet.time_base
        kind = stream.type
        wall = segment_start + float(packet.dts * base)
        if wall >= end:
            finished = finished or kind == "video"
            continue
        target = output.streams.get(kind)
        if target is None:
            continue
        shift = shifts.get(stream.index)
        if shift is None:
            shift = shifts[stream.index] = _ticks(offset, base) - math.ceil(cut_seconds / base)
        dts = packet.dts + shift
        if dts < 0:
            continue  # before the cut-in key frame
        if kind == "video":
            last_end = segment_start + float((packet.dts + (packet.duration or 0)) * base)
        packet.dts = dts
        packet.pts = packet.pts + shift
        packet.stream = target
        output.container.mux(packet)  # rescales the packet to the output's time base, in place
    return finished, last_end

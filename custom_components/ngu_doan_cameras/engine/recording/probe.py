"""What a recorded file says about itself: used to repair files cut short and to rebuild the index.

A fragmented MP4 is a row of boxes (`ftyp`, `moov`, then `moof` + `mdat` per fragment), each headed by
its size. A file cut short (killed process, power cut, full disk) ends inside a box; walking the
headers finds the last complete fragment, and the file is cut back to it, so every player reads it
to the end without meeting half a picture.
"""

from __future__ import annotations

import json
import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

_LOGGER = logging.getLogger(__name__)

_HEADER = struct.Struct(">I4s")
_LARGE = struct.Struct(">Q")


@dataclass(frozen=True, slots=True)
class FileFacts:
    """A media file's own account of itself."""

    comment: dict[str, Any]  # what the recorder wrote into it: start (exact), camera, session, ...
    duration: float  # seconds of video
    codec: str
    width: int
    height: int
    audio_codec: str | None

    @property
    def start(self) -> float | None:
        """Exact wall-clock start, when the file carries it."""
        value = self.comment.get("start")
        return float(value) if isinstance(value, int | float) else None


def complete_prefix(path: Path) -> int:
    """Bytes of `path` made of complete boxes, ending after a fragment's data.

    Never after a lone `moof`, whose samples would be missing. A file without a complete `moov` (the
    header, written with the first fragment) or without a complete `mdat` holds nothing playable: 0.
    """
    good = 0
    header = data = False
    with path.open("rb") as file:
        size = file.seek(0, 2)
        offset = 0
        while offset + _HEADER.size <= size:
            file.seek(offset)
            box_size, kind = _HEADER.unpack(file.read(_HEADER.size))
            if box_size == 1:
                raw = file.read(_LARGE.size)
                if len(raw) < _LARGE.size:
                    break
                box_size = _LARGE.unpack(raw)[0]
            elif box_size == 0:  # "to the end of the file": complete by definition
                box_size = size - offset
            if box_size < _HEADER.size or offset + box_size > size:
                break
            offset += box_size
            header = header or kind == b"moov"
            data = data or kind == b"mdat"
            if kind != b"moof":
                good = offset
    return good if header and data else 0


def trim_incomplete(path: Path) -> int:
    """Cut `path` back to its complete boxes; returns its size afterwards."""
    size = path.stat().st_size
    good = complete_prefix(path)
    if good < size:
        _LOGGER.info("Cutting %s back to its last complete fragment (%d of %d bytes)", path.name, good, size)
        with path.open("r+b") as file:
            file.truncate(good)
    return good


def probe(path: Path) -> FileFacts | None:
    """Open `path` with FFmpeg and read its streams, duration and comment; None if it is no video."""
    try:
        container = av.open(str(path))
    except (OSError, av.error.FFmpegError) as exc:
        _LOGGER.debug("Cannot read %s: %s", path.name, exc)
        return None
    try:
        if not container.streams.video:
            return None
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = 0.0
        if video.duration is not None and video.time_base is not None:
            duration = float(video.duration * video.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        try:
            comment = json.loads(container.metadata.get("comment", "{}"))
        except ValueError:
            comment = {}
        return FileFacts(
            comment=comment if isinstance(comment, dict) else {},
            duration=duration,
            codec=video.codec_context.name,
            width=video.codec_context.width,
            height=video.codec_context.height,
            audio_codec=audio.codec_context.name if audio is not None else None,
        )
    finally:
        container.close()

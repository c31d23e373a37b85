"""Motion snapshots on disk: the triggering frame as JPEG, the oldest removed past a per-camera limit."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

from av.video.frame import VideoFrame

from .stills import JpegEncoder


def safe_name(name: str) -> str:
    """A folder name from a camera name: ASCII letters, digits and dashes (Vietnamese marks dropped)."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-zA-Z0-9]+", "-", plain).strip("-").lower() or "camera"


def save_snapshot(
    frame: VideoFrame, folder: Path, when: datetime, keep: int, encoder: JpegEncoder | None = None
) -> Path:
    """Write `frame` as `folder/<time>.jpg` and keep only the newest `keep` files. Blocking (disk I/O).

    Raises OSError (disk full, no permission): the caller reports it, it is never swallowed here.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{when.strftime('%Y%m%d-%H%M%S-%f')[:-3]}.jpg"
    data = (encoder or JpegEncoder()).encode(frame)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    temporary.replace(path)  # a reader never sees half a file
    old = sorted(folder.glob("*.jpg"))[:-keep] if keep > 0 else []
    for stale in old:
        stale.unlink(missing_ok=True)
    return path

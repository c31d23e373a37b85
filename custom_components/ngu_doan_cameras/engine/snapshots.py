"""Detection snapshots on disk (motion, fire, flash).

The triggering frame as JPEG; the oldest are removed past a per-camera limit.
"""

from __future__ import annotations

import contextlib
import re
import time
import unicodedata
from datetime import datetime
from pathlib import Path

from av.video.frame import VideoFrame

from .stills import SHARED_ENCODER, JpegEncoder

# A half-written file older than this is left over from a failure (a crash, a power cut): a save in
# progress replaces its own within milliseconds.
STALE_PART_SECONDS = 60.0


def safe_name(name: str) -> str:
    """A folder name from a camera name: ASCII letters, digits and dashes (Vietnamese marks dropped)."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-zA-Z0-9]+", "-", plain).strip("-").lower() or "camera"


def save_snapshot(
    frame: VideoFrame, folder: Path, when: datetime, keep: int, *, encoder: JpegEncoder | None = None, kind: str = ""
) -> Path:
    """Write `frame` as `folder/<time>.jpg` (`<time>-<kind>.jpg`) and keep only the newest `keep` files.

    Blocking (disk I/O).

    Raises OSError (disk full, no permission): the caller reports it, it is never swallowed here. A
    failed write leaves nothing behind (a full disk must not fill up with half pictures).
    """
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(folder)
    suffix = f"-{kind}" if kind else ""
    path = folder / f"{when.strftime('%Y%m%d-%H%M%S-%f')[:-3]}{suffix}.jpg"
    data = (encoder or SHARED_ENCODER).encode(frame)
    temporary = path.with_suffix(".part")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)  # a reader never sees half a file
    except OSError:
        with contextlib.suppress(OSError):  # the write's error is the one to report
            temporary.unlink(missing_ok=True)
        raise
    old = sorted(folder.glob("*.jpg"))[:-keep] if keep > 0 else []
    for stale in old:
        stale.unlink(missing_ok=True)
    return path


def _remove_stale_parts(folder: Path) -> None:
    """Remove half-written snapshots a failure left behind."""
    cutoff = time.time() - STALE_PART_SECONDS
    for part in folder.glob("*.part"):
        with contextlib.suppress(OSError):  # gone already, or not ours to remove: not worth failing for
            if part.stat().st_mtime < cutoff:
                part.unlink()

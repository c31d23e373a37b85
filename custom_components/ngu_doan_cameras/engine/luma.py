"""The detection image: the frame's luma plane, read in place and shrunk to a small grid.

No colour conversion and no full-size copy: rows and columns are picked with a stride straight out
of the decoder's Y plane, then 2x2 averaged (which also halves the sensor noise).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame

DETECTION_WIDTH = 160

type Luma = npt.NDArray[np.float32]


def plane_array(frame: VideoFrame) -> npt.NDArray[np.uint8]:
    """The Y plane as a (height, width) uint8 view, without copying."""
    plane = frame.planes[0]
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
    return rows[: frame.height, : frame.width]


def small_luma(y: npt.NDArray[np.uint8], width: int = DETECTION_WIDTH) -> Luma:
    """Shrink a luma image to about `width` columns (aspect kept), as float32."""
    step = max(1, y.shape[1] // (width * 2))
    picked = y[::step, ::step]
    rows = picked.shape[0] // 2 * 2
    cols = picked.shape[1] // 2 * 2
    picked = picked[:rows, :cols].astype(np.float32)
    return (picked[0::2, 0::2] + picked[1::2, 0::2] + picked[0::2, 1::2] + picked[1::2, 1::2]) * 0.25


def frame_luma(frame: VideoFrame, width: int = DETECTION_WIDTH) -> Luma:
    """Detection image of a decoded frame (any planar YUV format: Y comes first)."""
    return small_luma(plane_array(frame), width)

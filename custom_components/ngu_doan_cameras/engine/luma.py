"""The detection image: the frame's luma plane, read in place and shrunk to a small grid.

No colour conversion and no full-size copy: pixels are picked with a stride straight out of the
decoder's Y plane, each averaged with its right-hand neighbour (cuts sensor noise by a third, and
costs nothing more: the neighbour is in the same cache line; the frame is read once, cold).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.plane import VideoPlane

DETECTION_WIDTH = 128

type Luma = npt.NDArray[np.float32]


def luma_plane(frame: VideoFrame) -> VideoPlane:
    """The frame's Y plane (the first plane of every YUV format).

    Made alone: `frame.planes` makes every plane, after looking the format up, on each call (a few
    times the cost), and the detectors read the Y plane of every frame.
    """
    return VideoPlane(frame, 0)


def plane_array(frame: VideoFrame) -> npt.NDArray[np.uint8]:
    """The Y plane as a (height, width) uint8 view, without copying."""
    plane = luma_plane(frame)
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
    return rows[: frame.height, : frame.width]


def small_luma(y: npt.NDArray[np.uint8], width: int = DETECTION_WIDTH) -> Luma:
    """Shrink a luma image to about `width` columns (aspect kept), as float32."""
    step = max(1, y.shape[1] // width)
    rows = y.shape[0] // step
    cols = (y.shape[1] - 2) // step + 1 if step > 1 else y.shape[1]
    picked = y[: rows * step : step]
    small = picked[:, : cols * step : step].astype(np.float32)
    if step > 1:
        small += picked[:, 1 : 1 + cols * step : step]
        small *= np.float32(0.5)
    return small


def frame_luma(frame: VideoFrame, width: int = DETECTION_WIDTH) -> Luma:
    """Detection image of a decoded frame (any planar YUV format: Y comes first)."""
    return small_luma(plane_array(frame), width)


# A camera in IR mode sends flat chroma: every U and V sample within this of the neutral 128 on average.
GREY_CHROMA = 2.0


def chroma_is_grey(frame: VideoFrame) -> bool:
    """True when the frame has no colour (IR mode at night): its chroma planes are flat at 128.

    Read from a sparse sample of the chroma planes, in place.
    """
    planes = frame.planes
    if len(planes) < 3:
        return True  # a grey format
    spread = 0.0
    for plane in planes[1:3]:
        rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        sample = rows[: plane.height : 8, : plane.width : 8].astype(np.int16)
        sample -= 128
        spread += float(np.abs(sample).mean())
    return spread / 2 < GREY_CHROMA

"""Flashes: a sudden local burst of light that decays within a second (blasts, firecrackers).

A firecracker's pop lasts less than a frame, so every frame is looked at, cheaply: a sparse sample of
the luma plane (about 64 points across), read in place, compared with the previous frame's.

- Onset: a group of points brightens a lot from one frame to the next, in part of the picture only
  (lightning and the camera's own exposure change all of it), where nothing was brightening just
  before (a moving headlight brightens the points ahead of it in every frame).
- Then the burst is watched for about a second, every frame: it is a flash when its light has fallen
  to a third within a second, fading all along (not holding its level), without moving on to the
  points next to it. A torch shone at the lens, a street lamp coming on and a welding seam stay lit;
  a tack weld holds its level and then stops at once; a headlight moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame

from .luma import luma_plane, plane_array

SAMPLES_ACROSS = 64
RISE = 40  # grey levels a point must brighten by, from one frame to the next
MIN_POINTS = 2  # ... at least this many points together
LOCAL = 0.4  # more than this share of the points at once is not local (lightning, exposure)
DECAY_SECONDS = 1.0  # the light must be down to DECAYED of its peak within this
DECAYED = 0.35
FALLING = 0.75  # on average, between its peak and fading, its light is below this share of the peak
PEAK_SECONDS = 0.15  # the peak comes in the first frames (a pop spans two frames at most)
PEAK_RISE = 80  # the brightest point of a burst rises at least this much
NEW_LIGHT = 3  # a burst has this many times the bright pixels the frame before had around it
EDGE = 2  # points from the picture's edge where a burst cannot be told from a light coming into view
FAR = 8  # points around a burst where nothing may brighten just before it or while it fades (a light moving)
BLINDING = 225  # the burst's brightest pixel (luma 16..235): at the sensor's limit


@dataclass(frozen=True, slots=True)
class FlashSettings:
    """Whether flashes are looked for."""

    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Flash:
    """A confirmed flash: where (x, y, width, height in 0..1) and how bright it rose (grey levels)."""

    bbox: tuple[float, float, float, float]
    rise: float
    onset: float  # stream seconds of its first frame


@dataclass(slots=True)
class _Burst:
    """A burst being watched: its points, their level before it, and its light over time."""

    rows: slice
    cols: slice
    before: npt.NDArray[np.int16]
    onset: float
    peak: float
    peak_at: float
    held: float = 0.0  # its light summed over the frames since the peak (before it faded)
    frames: int = 0


def sample_luma(frame: VideoFrame, across: int = SAMPLES_ACROSS) -> npt.NDArray[np.uint8]:
    """A sparse grid of luma points, about `across` columns, read in place (a strided view, no copy)."""
    plane = luma_plane(frame)
    stride = max(1, frame.width // across)
    rows, cols = frame.height // stride, frame.width // stride
    offset = (stride // 2) * plane.line_size + stride // 2
    return np.ndarray((rows, cols), np.uint8, plane, offset, (plane.line_size * stride, stride))


class FlashDetector:
    """Looks at every frame of one camera for flashes."""

    def __init__(self) -> None:
        self._previous: npt.NDArray[np.int16] | None = None  # the previous frame's points (a small copy)
        self._rise: npt.NDArray[np.int16] | None = None  # how the points brightened in the previous frame
        self._burst: _Burst | None = None
        # The previous frame itself (a reference, not a copy): a burst's surroundings are looked at in
        # full only when one may begin.
        self._previous_frame: VideoFrame | None = None

    def reset(self) -> None:
        """Forget the previous frame (a new session, an IR switch, detection turned on)."""
        self._previous = self._rise = None
        self._previous_frame = None
        self._burst = None

    @property
    def watching(self) -> bool:
        """A burst is being watched (the caller may want to know for how long frames matter)."""
        return self._burst is not None

    def process(self, frame: VideoFrame, now: float) -> Flash | None:
        """Look at one frame taken at `now` (seconds); returns a flash once it is confirmed.

        Runs on every frame, so the usual case (nothing brightened a lot) costs four numpy calls: the
        points read (a view, then a small copy), their rise, where it rose most. The rest only where a
        point rose that much.
        """
        # A copy: the previous frame's points are read again next time, and a small copy stays in cache
        # where the previous frame's own pixels would have to come from memory again.
        current = sample_luma(frame).astype(np.int16)
        previous, self._previous = self._previous, current
        previous_frame, self._previous_frame = self._previous_frame, frame
        if previous is None or previous.shape != current.shape:
            self._burst = None
            return None
        rise = current - previous
        was_rise, self._rise = self._rise, rise
        if self._burst is not None:
            return self._watch(self._burst, current, rise, now)
        # The tests, cheapest first (each rules a frame out on its own, so their order changes nothing).
        core = int(rise.argmax())
        if int(rise.flat[core]) < PEAK_RISE:
            return None  # a pop or a blast is blinding where it is; a rain drop by the lamp is not
        core_row, core_col = divmod(core, rise.shape[1])
        if min(core_row, core_col, rise.shape[0] - 1 - core_row, rise.shape[1] - 1 - core_col) < EDGE:
            return None  # at the picture's edge: a light coming into view (a car's lamps) looks the same
        # Around it nothing was brightening in the previous frame (a light moving in would have been):
        # first around its brightest point alone, which rules out most moving lights before the rest.
        if was_rise is not None and np.count_nonzero(
            was_rise[_around(core_row, core_row + 1, core_col, core_col + 1, FAR)] > RISE
        ):
            return None
        rising = rise > RISE
        rows, cols = np.nonzero(rising)
        if rows.size < MIN_POINTS or rows.size > LOCAL * rising.size:
            return None
        top, bottom = int(rows[0]), int(rows[-1]) + 1  # row by row: the first and last are the extremes
        left, right = int(cols.min()), int(cols.max()) + 1
        # ... and nothing around any of its points.
        if was_rise is not None and np.count_nonzero(was_rise[_around(top, bottom, left, right, FAR)] > RISE):
            return None
        if previous_frame is not None and not _new_light(
            previous_frame, frame, _around(top, bottom, left, right), current.shape
        ):
            return None
        region = (slice(top, bottom), slice(left, right))
        peak = float(np.add.reduce(np.maximum(rise[region], 0), axis=None))
        self._burst = _Burst(region[0], region[1], previous[region].copy(), now, peak, now)
        return None

    def _watch(
        self, burst: _Burst, current: npt.NDArray[np.int16], rise: npt.NDArray[np.int16], now: float
    ) -> Flash | None:
        level = float(np.add.reduce(np.maximum(current[burst.rows, burst.cols] - burst.before, 0), axis=None))
        if level > burst.peak:
            if now - burst.onset > PEAK_SECONDS:  # still growing after the first frames: not a burst
                return self._give_up()
            burst.peak, burst.peak_at = level, now
            burst.held = burst.frames = 0
            return None
        around = _around(burst.rows.start, burst.rows.stop, burst.cols.start, burst.cols.stop, FAR)
        if np.count_nonzero(rise[around] > RISE) > np.count_nonzero(rise[burst.rows, burst.cols] > RISE):
            return self._give_up()  # the light went on to points near it: it moves (a headlight, a moth)
        if level <= DECAYED * burst.peak:
            # Faded: a flash if it was fading all along (a weld holds its light, then stops at once).
            if burst.frames and burst.held / burst.frames > FALLING * burst.peak:
                return self._give_up()
            return self._confirm(burst, current)
        burst.held += level
        burst.frames += 1
        if now - burst.peak_at > DECAY_SECONDS:
            return self._give_up()  # still lit: a lamp, a torch, a welding seam
        return None

    def _confirm(self, burst: _Burst, current: npt.NDArray[np.int16]) -> Flash:
        self._burst = None
        rows, cols = current.shape
        points = (burst.rows.stop - burst.rows.start) * (burst.cols.stop - burst.cols.start)
        return Flash(
            bbox=(
                burst.cols.start / cols,
                burst.rows.start / rows,
                (burst.cols.stop - burst.cols.start) / cols,
                (burst.rows.stop - burst.rows.start) / rows,
            ),
            rise=round(burst.peak / max(1, points), 1),
            onset=burst.onset,
        )

    def _give_up(self) -> Flash | None:
        """Not a flash: stop watching (returns nothing to report)."""
        self._burst = None
        return None


def _new_light(before: VideoFrame, now: VideoFrame, area: tuple[slice, slice], grid: tuple[int, ...]) -> bool:
    """The bright pixels around a burst are new: far more of them than in the frame before.

    Between the sparse points a small lamp can move unseen (a motorbike's headlight passing a point
    looks like a pop there); in full, the lamp was already there, as bright, a little way off.
    """
    if before.width != now.width or before.height != now.height:
        return True
    rows, cols = grid
    step_y, step_x = now.height / rows, now.width / cols
    top, bottom = int(area[0].start * step_y), min(now.height, int(area[0].stop * step_y))
    left, right = int(area[1].start * step_x), min(now.width, int(area[1].stop * step_x))
    current = plane_array(now)[top:bottom, left:right]
    earlier = plane_array(before)[top:bottom, left:right]
    brightest = int(current.max())
    if brightest < BLINDING:
        return False  # a pop or a blast blinds the camera where it is; a drop or a moth by the lamp need not
    level = brightest * 4 // 5
    lit_now = int(np.count_nonzero(current >= level))
    lit_before = int(np.count_nonzero(earlier >= level))
    return lit_now >= NEW_LIGHT * lit_before + 4


def _around(top: int, bottom: int, left: int, right: int, ring: int = 2) -> tuple[slice, slice]:
    """The region grown by `ring` points each way."""
    return slice(max(0, top - ring), bottom + ring), slice(max(0, left - ring), right + ring)

"""Tamper: the lens covered or sprayed, the camera turned away.

Video lost is the reader's to say (no frames).

- Covered: the picture loses its detail (mean gradient far below what this camera normally shows)
  or goes almost black and flat, for a few seconds.
- Moved: the coarse structure of the picture stops matching the reference view for a few seconds.
  Structure is compared after normalising brightness and contrast, so dusk and headlights do not
  count; a passing truck does not last long enough.

Day and night are two views: in IR mode the camera sends a grey picture of another kind (leaves
bright, the sky dark, the lamp's light falling off, more noise, less detail). So each mode keeps its
own reference view and usual detail, learned the first time the camera is in that mode; switching
mode never compares one with the other, and a "moved" found in one mode ends when the mode changes.
A tamper state ends as soon as the view matches its reference again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

import numpy as np
import numpy.typing as npt

from .luma import Luma


class TamperKind(StrEnum):
    """Which tampering (translation keys of the tamper sensor's attribute)."""

    COVERED = "covered"
    MOVED = "moved"
    VIDEO_LOST = "video_lost"


@dataclass(frozen=True, slots=True)
class TamperSettings:
    """How long a condition must last, and how different the view must be."""

    covered_seconds: float = 3.0
    moved_seconds: float = 5.0
    moved_correlation: float = 0.5  # below this the view no longer matches the reference
    detail_ratio: float = 0.25  # below this share of the usual detail the lens counts as covered
    learn_seconds: float = 2.0  # the view must be stable this long before it becomes the reference
    interval: float = 0.5  # seconds between checks: tampering is judged over seconds, not frames


# Structure is compared on an 8x-coarser grid: large shapes, no noise.
COARSE = 8
# Against the other mode's usual detail (night pictures have less of it than day ones), a lens counts as
# covered below this share.
OTHER_MODE_DETAIL_RATIO = 0.1
# While learning the reference view, the picture must keep matching its first frame this well.
STABLE_CORRELATION = 0.8


def _coarse(luma: Luma) -> npt.NDArray[np.float32]:
    """The picture's coarse structure: block means, less their smooth trend, normalised.

    The smooth trend (the IR lamp's light falling off from the middle, the sun's gradient over the
    scene) says little about where the camera looks and would make two night views alike: only what
    stands out from its neighbours is compared.
    """
    rows, cols = luma.shape[0] // COARSE * COARSE, luma.shape[1] // COARSE * COARSE
    # Block sums as two 2-D reductions (much cheaper than one 4-D reduction over a tuple of axes).
    strips = np.add.reduce(luma[:rows, :cols].reshape(rows, cols // COARSE, COARSE), axis=2)
    blocks = np.add.reduce(strips.reshape(rows // COARSE, COARSE, cols // COARSE), axis=1)
    # Padded by repeating the edge blocks (np.pad does the same at six times the cost).
    padded = blocks.take(_edge_padded(blocks.shape[0]), axis=0).take(_edge_padded(blocks.shape[1]), axis=1)
    trend = np.zeros_like(blocks)
    for dy in range(3):
        for dx in range(3):
            trend += padded[dy : dy + blocks.shape[0], dx : dx + blocks.shape[1]]
    detail = blocks - trend / np.float32(9.0)
    spread = float(np.sqrt(np.vdot(detail, detail) / detail.size))
    normalised: npt.NDArray[np.float32] = (detail / spread if spread > 1e-3 else detail).astype(np.float32)
    return normalised


@cache
def _edge_padded(length: int) -> npt.NDArray[np.intp]:
    """Indices of `length` items with the first and the last one repeated: -1 and `length` clamped."""
    indices: npt.NDArray[np.intp] = np.clip(np.arange(-1, length + 1), 0, length - 1)
    indices.flags.writeable = False  # shared by every camera
    return indices


def _detail(luma: Luma) -> float:
    """Mean absolute difference between neighbouring pixels, across and down."""
    across = np.abs(luma[:, 1:] - luma[:, :-1])
    down = np.abs(luma[1:, :] - luma[:-1, :])
    detail: float = float(np.add.reduce(across, axis=None)) / across.size
    detail += float(np.add.reduce(down, axis=None)) / down.size
    return detail


@dataclass(slots=True)
class _View:
    """What the camera normally shows in one mode (colour or IR)."""

    reference: npt.NDArray[np.float32] | None = None
    usual_detail: float | None = None
    learning_since: float | None = None
    candidate: npt.NDArray[np.float32] | None = None


@dataclass(slots=True)
class TamperDetector:
    """Watches one camera's detection images for covering and turning away."""

    settings: TamperSettings = field(default_factory=TamperSettings)
    _views: dict[bool, _View] = field(default_factory=lambda: {False: _View(), True: _View()})
    _grey: bool | None = None
    _covered_since: float | None = None
    _moved_since: float | None = None
    _next_check: float | None = None
    state: TamperKind | None = None
    correlation: float = 1.0
    detail: float = 0.0

    def reset(self) -> None:
        """Forget the reference views (e.g. after the camera was reconfigured)."""
        self._views = {False: _View(), True: _View()}
        self._grey = None
        self._next_check = None
        self._covered_since = self._moved_since = None
        self.state = None

    def restart_clock(self) -> None:
        """Times before now no longer compare with times after (the stream's clock was reset)."""
        self._next_check = None
        self._covered_since = self._moved_since = None
        for view in self._views.values():
            if view.reference is None:
                view.candidate = None

    def process(self, luma: Luma, now: float, grey: bool = False) -> TamperKind | None:
        """Judge one detection image taken at `now` (seconds) in colour or IR (`grey`) mode."""
        if self._next_check is not None and now < self._next_check:
            return self.state
        self._next_check = now + self.settings.interval
        if grey != self._grey:
            self._switch_mode(grey)
        view = self._views[grey]
        self.detail = detail = _detail(luma)
        coarse = _coarse(luma)
        dark_and_flat = detail < 1.0 and float(np.add.reduce(luma[::4, ::4], axis=None)) / luma[::4, ::4].size < 10.0
        if view.reference is None:
            # This mode's view is not known yet (a covered lens makes a camera go grey, as at night):
            # only a lens plainly covered, next to what the other mode usually shows, can be judged.
            other = self._views[not grey].usual_detail
            covered = dark_and_flat or (other is not None and detail < OTHER_MODE_DETAIL_RATIO * other)
            self._judge(covered, moved=False, now=now)
            if not covered:
                _learn(view, coarse, detail, now, self.settings.learn_seconds)
            return self.state
        self.correlation = float(np.vdot(coarse, view.reference)) / coarse.size
        covered = dark_and_flat or detail < self.settings.detail_ratio * (view.usual_detail or detail)
        moved = not covered and self.correlation < self.settings.moved_correlation
        self._judge(covered, moved, now)
        if self.state is None and not covered and not moved:
            _follow(view, coarse, detail)
        return self.state

    def _switch_mode(self, grey: bool) -> None:
        """Colour to IR or back: the other mode's view says nothing about this one."""
        first = self._grey is None
        self._grey = grey
        self._moved_since = None
        if not first and self.state is TamperKind.MOVED:
            self.state = None  # judged again against this mode's own view

    def _judge(self, covered: bool, moved: bool, now: float) -> None:
        self._covered_since = (now if self._covered_since is None else self._covered_since) if covered else None
        self._moved_since = (now if self._moved_since is None else self._moved_since) if moved else None
        if self._covered_since is not None and now - self._covered_since >= self.settings.covered_seconds:
            self.state = TamperKind.COVERED
        elif self._moved_since is not None and now - self._moved_since >= self.settings.moved_seconds:
            self.state = TamperKind.MOVED
        elif not covered and not moved:
            self.state = None


def _learn(view: _View, coarse: npt.NDArray[np.float32], detail: float, now: float, learn_seconds: float) -> None:
    """A view that stays the same for `learn_seconds` becomes the mode's reference."""
    candidate = view.candidate
    if candidate is None or float(np.vdot(coarse, candidate)) / coarse.size < STABLE_CORRELATION:
        view.candidate = coarse
        view.learning_since = now
        view.usual_detail = detail
        return
    view.usual_detail = 0.9 * (view.usual_detail or detail) + 0.1 * detail
    if view.learning_since is not None and now - view.learning_since >= learn_seconds:
        view.reference = candidate
        view.candidate = None


def _follow(view: _View, coarse: npt.NDArray[np.float32], detail: float) -> None:
    """Slowly follow a view that matches (shadows move through the day, the IR lamp's light with dust)."""
    assert view.reference is not None
    view.reference += 0.01 * (coarse - view.reference)
    if view.usual_detail is not None:
        view.usual_detail += 0.01 * (detail - view.usual_detail)

"""Tamper: the lens covered or sprayed, the camera turned away.

Video lost is the reader's to say (no frames).

- Covered: the picture loses its detail (mean gradient far below what this camera normally shows)
  or goes almost black and flat, for a few seconds.
- Moved: the coarse structure of the picture stops matching the reference view for a few seconds.
  Structure is compared after normalising brightness and contrast, so dusk, IR switching and
  headlights do not count; a passing truck does not last long enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

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
# While learning the reference view, the picture must keep matching its first frame this well.
STABLE_CORRELATION = 0.8


def _coarse(luma: Luma) -> npt.NDArray[np.float32]:
    rows, cols = luma.shape[0] // COARSE * COARSE, luma.shape[1] // COARSE * COARSE
    # Block sums as two 2-D reductions (much cheaper than one 4-D reduction over a tuple of axes).
    strips = np.add.reduce(luma[:rows, :cols].reshape(rows, cols // COARSE, COARSE), axis=2)
    blocks = np.add.reduce(strips.reshape(rows // COARSE, COARSE, cols // COARSE), axis=1)
    centred = blocks - np.float32(np.add.reduce(blocks, axis=None) / blocks.size)
    spread = float(np.sqrt(np.vdot(centred, centred) / centred.size))
    normalised: npt.NDArray[np.float32] = (centred / spread if spread > 1e-3 else centred).astype(np.float32)
    return normalised


def _detail(luma: Luma) -> float:
    """Mean absolute difference between neighbouring pixels, across and down."""
    across = np.abs(luma[:, 1:] - luma[:, :-1])
    down = np.abs(luma[1:, :] - luma[:-1, :])
    detail: float = float(np.add.reduce(across, axis=None)) / across.size
    detail += float(np.add.reduce(down, axis=None)) / down.size
    return detail


@dataclass(slots=True)
class TamperDetector:
    """Watches one camera's detection images for covering and turning away."""

    settings: TamperSettings = field(default_factory=TamperSettings)
    _reference: npt.NDArray[np.float32] | None = None
    _usual_detail: float | None = None
    _learning_since: float | None = None
    _candidate: npt.NDArray[np.float32] | None = None
    _covered_since: float | None = None
    _moved_since: float | None = None
    _next_check: float | None = None
    state: TamperKind | None = None
    correlation: float = 1.0
    detail: float = 0.0

    def reset(self) -> None:
        """Forget the reference view (e.g. after the camera was reconfigured)."""
        self._reference = None
        self._usual_detail = None
        self._learning_since = None
        self._candidate = None
        self._next_check = None
        self._covered_since = self._moved_since = None
        self.state = None

    def restart_clock(self) -> None:
        """Times before now no longer compare with times after (the stream's clock was reset)."""
        self._next_check = None
        self._covered_since = self._moved_since = None
        if self._reference is None:
            self._candidate = None

    def process(self, luma: Luma, now: float) -> TamperKind | None:
        """Judge one detection image taken at `now` (seconds); returns the current tamper state."""
        if self._next_check is not None and now < self._next_check:
            return self.state
        self._next_check = now + self.settings.interval
        self.detail = detail = _detail(luma)
        coarse = _coarse(luma)
        if self._reference is None:
            self._learn(coarse, detail, now)
            return self.state
        self.correlation = float(np.vdot(coarse, self._reference)) / coarse.size
        covered = detail < self.settings.detail_ratio * (self._usual_detail or detail) or (
            detail < 1.0 and float(np.add.reduce(luma[::4, ::4], axis=None)) / luma[::4, ::4].size < 10.0
        )
        self._covered_since = (now if self._covered_since is None else self._covered_since) if covered else None
        moved = not covered and self.correlation < self.settings.moved_correlation
        self._moved_since = (now if self._moved_since is None else self._moved_since) if moved else None
        if self._covered_since is not None and now - self._covered_since >= self.settings.covered_seconds:
            self.state = TamperKind.COVERED
        elif self._moved_since is not None and now - self._moved_since >= self.settings.moved_seconds:
            self.state = TamperKind.MOVED
        elif not covered and not moved:
            self.state = None
            self._follow(coarse, detail)
        return self.state

    def _learn(self, coarse: npt.NDArray[np.float32], detail: float, now: float) -> None:
        """A view that stays the same for `learn_seconds` becomes the reference."""
        candidate = self._candidate
        if candidate is None or float(np.vdot(coarse, candidate)) / coarse.size < STABLE_CORRELATION:
            self._candidate = coarse
            self._learning_since = now
            self._usual_detail = detail
            return
        self._usual_detail = 0.9 * (self._usual_detail or detail) + 0.1 * detail
        if self._learning_since is not None and now - self._learning_since >= self.settings.learn_seconds:
            self._reference = candidate
            self._candidate = None

    def _follow(self, coarse: npt.NDArray[np.float32], detail: float) -> None:
        """Slowly follow a view that matches (shadows move through the day)."""
        assert self._reference is not None
        self._reference += 0.01 * (coarse - self._reference)
        if self._usual_detail is not None:
            self._usual_detail += 0.01 * (detail - self._usual_detail)

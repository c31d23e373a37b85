"""Motion in zones, against an adaptive background, blind to global lighting changes.

Works on the small luma image (`luma.py`). Per frame: compensate global brightness and gain (dusk,
IR switching, auto exposure), compare with the background, threshold against the measured noise,
keep only changes that have neighbours (2x2 cells), ignore masks, count the rest per zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from .geometry import Polygon, Zone, rasterize
from .luma import Luma

WHOLE_IMAGE = "whole_image"

# Background learning rates per processed frame: the scene adapts in a few seconds, a standing object
# is absorbed in about a minute (so a parked car stops counting as motion).
BACKGROUND_RATE = 0.05
BACKGROUND_RATE_MOVING = 0.003
# More than this share of the picture changing at once is a lighting change or a moved camera, not motion.
GLOBAL_CHANGE = 0.5
# Local light changes: a change counts only next to a step of at least this much in the ratio of the
# picture to the background (an object's outline: 0.3 and more; a headlight's soft edge: about 0.1).
EDGE_STEP = 0.2
RATIO_OFFSET = 8.0  # keeps ratios of very dark pixels from exploding
EDGE_SHARE = 0.3  # an object's change lies mostly on or next to its own edges


@dataclass(frozen=True, slots=True)
class MotionSettings:
    """What counts as motion for one camera."""

    sensitivity: int = 50  # 1 (only big, clear changes) .. 100 (every small change)
    min_area: float = 0.005  # share of the watched area that must move
    zones: tuple[Zone, ...] = ()
    masks: tuple[Polygon, ...] = ()

    @property
    def threshold_factor(self) -> float:
        """How many times the noise level a change must exceed."""
        return 2.0 + (100 - max(1, min(100, self.sensitivity))) * 0.06

    @property
    def threshold_floor(self) -> float:
        """Grey levels a change must exceed even on a noiseless picture."""
        return 3.0 + (100 - max(1, min(100, self.sensitivity))) * 0.12


@dataclass(frozen=True, slots=True)
class MotionResult:
    """What one frame showed."""

    moving: bool
    score: float  # share of the best zone's area that moves (0..1)
    zone: str | None
    bbox: tuple[float, float, float, float] | None  # x, y, width, height in 0..1 image coordinates
    lighting_change: bool = False


NO_MOTION = MotionResult(moving=False, score=0.0, zone=None, bbox=None)


def _box(cells: npt.NDArray[np.bool_]) -> tuple[float, float, float, float]:
    """Bounding box of the set cells, in 0..1 image coordinates (x, y, width, height)."""
    height, width = cells.shape
    columns = np.flatnonzero(cells.any(axis=0))
    rows = np.flatnonzero(cells.any(axis=1))
    left, top = int(columns[0]), int(rows[0])
    return left / width, top / height, (int(columns[-1]) - left + 1) / width, (int(rows[-1]) - top + 1) / height


def _own_edges(now: Luma, background: Luma, noise: float, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """Pixels (on the neighbourhood grid `shape`) next to a sharp step in the picture/background ratio."""
    ratio = (now + np.float32(RATIO_OFFSET)) / (background + np.float32(RATIO_OFFSET))
    across = np.abs(ratio[:, 1:] - ratio[:, :-1])
    down = np.abs(ratio[1:, :] - ratio[:-1, :])
    steps = across[:-1, :] + down[:, :-1]
    # A step must beat what noise alone makes of a ratio at this brightness.
    sample = background[::4, ::4]
    brightness = float(np.add.reduce(sample, axis=None)) / sample.size
    edges = steps > max(EDGE_STEP, 4.0 * noise / (brightness + RATIO_OFFSET))
    # Grow by one pixel each way so an object's whole rim (and small objects entirely) count.
    grown: npt.NDArray[np.bool_] = edges.copy()
    grown[1:, :] |= edges[:-1, :]
    grown[:-1, :] |= edges[1:, :]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    return grown[: shape[0], : shape[1]]


def _mean_spread(luma: Luma) -> tuple[float, float]:
    """Mean and standard deviation, from a 1-in-16 sample (plenty for whole-picture statistics)."""
    sample = luma[::4, ::4]
    mean = float(np.add.reduce(sample, axis=None)) / sample.size
    centred = sample - np.float32(mean)
    return mean, (float(np.vdot(centred, centred)) / sample.size) ** 0.5


@dataclass(slots=True)
class _Grid:
    """Zone and mask cells for one detection image size."""

    zones: list[tuple[str, npt.NDArray[np.bool_], int]]
    watched: npt.NDArray[np.bool_]


@dataclass(slots=True)
class MotionDetector:
    """Keeps the background of one camera and judges each detection image."""

    settings: MotionSettings = field(default_factory=MotionSettings)
    _background: Luma | None = None
    _background_stats: tuple[float, float] = (0.0, 0.0)
    _frames_since_stats: int = 0
    _noise: float = 2.0
    _grid: _Grid | None = None

    def reset(self) -> None:
        """Forget the background (after a reconnect or a settings change)."""
        self._background = None
        self._grid = None

    def update_settings(self, settings: MotionSettings) -> None:
        """New sensitivity, zones or masks; the background is kept."""
        self.settings = settings
        self._grid = None

    def process(self, luma: Luma, *, starting: bool = True) -> MotionResult:
        """Judge one detection image and learn from it.

        `starting`: no motion is going on, so a motion would start here: make sure it is not light,
        and find its box. (While motion goes on, only whether it still goes on matters: cheaper.)
        """
        background = self._background
        if background is None or background.shape != luma.shape:
            self._set_background(luma)
            return NO_MOTION
        grid = self._grid_for(luma.shape)
        # Global brightness and contrast (dusk, IR switching, auto exposure) are not motion: bring the
        # picture to the background's mean and spread before comparing. Statistics come from every
        # other pixel, and the background's are refreshed as it is learned: few, small numpy calls.
        mean_now, spread_now = _mean_spread(luma)
        mean_bg, spread_bg = self._background_stats
        scale = spread_bg / spread_now if spread_now > 1.0 else 1.0
        normalised: Luma = luma * np.float32(scale)
        normalised += np.float32(mean_bg - mean_now * scale)
        diff = np.abs(normalised - background)
        # Noise level of this frame from the median difference (robust to the moving part; a sample of
        # the grid is enough). It rises at once (IR switching on brings noise) and falls back slowly.
        sample = diff[::3, ::3].ravel()
        middle = sample.size // 2
        noise_now = 1.4826 * float(np.partition(sample, middle)[middle])
        self._noise = max(self._noise, noise_now)
        threshold = max(self.settings.threshold_factor * self._noise, self.settings.threshold_floor)
        changed = diff > threshold
        # A pixel counts when at least 3 of its 2x2 neighbourhood changed: isolated noisy pixels do not.
        # (Sliding sums of contiguous slices: two additions, cheaper than any reshape or reduction.)
        as_int = changed.view(np.uint8)
        votes = as_int[:, :-1] + as_int[:, 1:]
        votes = votes[:-1] + votes[1:]
        cells = votes >= 3
        # Judged on the whole picture: a big object filling a small zone is still motion.
        if np.count_nonzero(cells) > GLOBAL_CHANGE * cells.size:
            self._set_background(normalised)  # relearn at once: the picture changed as a whole
            return MotionResult(moving=False, score=0.0, zone=None, bbox=None, lighting_change=True)
        self._learn(normalised, changed, noise_now)
        cells &= grid.watched
        result = self._judge(cells, grid)
        if not result.moving or not starting:
            return result
        # Does the change bring edges of its own? Light (headlights, a cloud's shadow) multiplies what
        # is there, so the ratio of picture to background stays smooth; an object's outline is a sharp
        # step in it. A change mostly without such steps is light: only its few edge pixels are kept.
        edges = _own_edges(normalised, background, self._noise, cells.shape)
        if np.count_nonzero(cells & edges) < EDGE_SHARE * np.count_nonzero(cells):
            cells &= edges
            result = self._judge(cells, grid)
            if not result.moving:
                return result
        return replace(result, bbox=_box(cells))

    def _set_background(self, luma: Luma) -> None:
        self._background = luma.copy()
        self._background_stats = _mean_spread(self._background)
        self._frames_since_stats = 0

    def _learn(self, luma: Luma, changed: npt.NDArray[np.bool_], noise_now: float) -> None:
        background = self._background
        assert background is not None
        # Learn everywhere at the quick rate, then hold back where something moves (so a standing
        # object fades into the background over about a minute, not a second).
        rate = changed.astype(np.float32)
        rate *= np.float32(BACKGROUND_RATE_MOVING - BACKGROUND_RATE)
        rate += np.float32(BACKGROUND_RATE)
        rate *= luma - background
        background += rate
        self._frames_since_stats += 1
        if self._frames_since_stats >= 10:  # the background drifts slowly: its statistics can lag a little
            self._background_stats = _mean_spread(background)
            self._frames_since_stats = 0
        self._noise += 0.05 * (noise_now - self._noise)  # falls back slowly when the picture calms

    def _judge(self, cells: npt.NDArray[np.bool_], grid: _Grid) -> MotionResult:
        best_zone: str | None = None
        best_share = 0.0
        for name, zone_cells, zone_size in grid.zones:
            share = float(np.count_nonzero(cells & zone_cells)) / max(1, zone_size)
            if share > best_share:
                best_zone, best_share = name, share
        if best_share < self.settings.min_area:
            return MotionResult(moving=False, score=best_share, zone=None, bbox=None)
        return MotionResult(moving=True, score=round(best_share, 4), zone=best_zone, bbox=None)

    def _grid_for(self, shape: tuple[int, ...]) -> _Grid:
        height, width = shape[0] - 1, shape[1] - 1  # the neighbourhood grid is one smaller each way
        grid = self._grid
        if grid is not None and grid.watched.shape == (height, width):
            return grid
        masked = rasterize(list(self.settings.masks), width, height)
        zones: list[tuple[str, npt.NDArray[np.bool_], int]] = []
        if self.settings.zones:
            for zone in self.settings.zones:
                cells = rasterize([zone.polygon], width, height) & ~masked
                zones.append((zone.name, cells, int(cells.sum())))
            watched = np.logical_or.reduce([cells for _, cells, _ in zones])
        else:
            watched = ~masked
            zones.append((WHOLE_IMAGE, watched, int(watched.sum())))
        self._grid = _Grid(zones=zones, watched=watched)
        return self._grid

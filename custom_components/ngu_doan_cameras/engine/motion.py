"""Motion in zones: objects that move, found against an adaptive background and followed over frames.

Works on the small luma image (`luma.py`). Per judged frame: compensate global brightness and gain
(dusk, IR switching, auto exposure), compare with the background, keep what exceeds the measured
noise, sum it over blocks of 2x2 cells, group the changed blocks into blobs (`blobs.py`) and follow
the blobs over frames (`tracks.py`).

A track becomes motion when it is an object that moves: seen in several judged frames, at least the
minimum size (in pixels of the stream), moved at least about its own width along a fairly straight
path, and bringing edges of its own (light only multiplies what is there). That is what tells a
person 60 m away (a few dozen pixels, walking a path) from noise, rain, compression artefacts and
moths (here for a frame, darting about, swelling and shrinking), from a swaying tree (it stays where
it is) and from headlights sweeping over houses or a cloud's shadow (no edges of their own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .blobs import Blob, block_sums, find_blobs
from .geometry import Polygon, Zone, rasterize
from .luma import Luma
from .tracks import Track, Tracker

WHOLE_IMAGE = "whole_image"

# Background learning rates per judged frame: the scene adapts in a few seconds, a standing object
# is absorbed in about a minute (so a parked car stops counting as motion).
BACKGROUND_RATE = 0.05
BACKGROUND_RATE_MOVING = 0.003
_LEARNING_RATES = np.array([BACKGROUND_RATE, BACKGROUND_RATE_MOVING], np.float32)  # for unchanged, changed cells
# More than this share of the picture changing at once is a lighting change or a moved camera, not motion.
GLOBAL_CHANGE = 0.5
# A block is part of a blob when its cells' change beyond the threshold adds up to this many thresholds.
BLOCK_EXCESS = 1.0
# What makes a track an object that moves.
MIN_HITS = 5  # judged frames it was seen in (0.8 s at 5 a second)
MIN_SECONDS = 0.6  # from first seen (judging every frame, five frames are too short a time)
MIN_TRAVEL = 1.5  # cells it must have moved, at least
TRAVEL_PER_SIZE = 0.6  # ... and this share of its own size along its path
MIN_STRAIGHTNESS = 0.6  # displacement over path length
MIN_MOVES = 2  # steps that carried it on along its path
MOVING_SHARE = 0.5  # ... and at least this share of its steps
MAX_SURPRISES = 0.34  # steps off its pace, at most this share (none in the first three frames)
MAX_SIZE_CHANGE = 4.0  # from one frame to the next, an object's changed area grows or shrinks less than this
SHARP_STEP = 0.65  # an object's rim: a step between neighbouring cells of this share of its peak difference
SHIFT_EXPLAINS = 0.5  # the background moved by a cell explains the change this much better: it is not an object
# Judged frames after (re)learning the view before anything can count: the background settles.
WARM_UP_FRAMES = 10
# How fast each cell's usual difference follows what it sees (per judged frame: about 10 s).
TYPICAL_RATE = 0.02
INITIAL_TYPICAL = 1.5
# Local light changes: a change counts only next to a step of at least this much in the ratio of the
# picture to the background (an object's outline: 0.3 and more; a headlight's soft edge: about 0.1).
EDGE_STEP = 0.2
RATIO_OFFSET = 8.0  # keeps ratios of very dark pixels from exploding
EDGE_SHARE = 0.3  # an object's change lies mostly on or next to its own edges
# ... or it has a sharp outline somewhere (an object inside the light it brings: its headlight's beam)
STRONG_STEP = 0.6
STRONG_EDGES = 3


@dataclass(frozen=True, slots=True)
class MotionSettings:
    """What counts as motion for one camera."""

    sensitivity: int = 50  # 1 (only big, clear changes) .. 100 (every small change)
    min_size: int = 60  # pixels of the stream that must change (a person 60 m away covers about 200)
    zones: tuple[Zone, ...] = ()
    masks: tuple[Polygon, ...] = ()

    @property
    def threshold_factor(self) -> float:
        """How many times the noise level a change must exceed."""
        return 2.0 + (100 - max(1, min(100, self.sensitivity))) * 0.04

    @property
    def threshold_floor(self) -> float:
        """Grey levels a change must exceed even on a noiseless picture."""
        return 2.0 + (100 - max(1, min(100, self.sensitivity))) * 0.08


@dataclass(frozen=True, slots=True)
class MotionResult:
    """What one frame showed."""

    moving: bool
    score: float  # share of the zone's area that the object covers (0..1)
    zone: str | None
    bbox: tuple[float, float, float, float] | None  # x, y, width, height in 0..1 image coordinates
    lighting_change: bool = False


NO_MOTION = MotionResult(moving=False, score=0.0, zone=None, bbox=None)


def _mean_spread(luma: Luma) -> tuple[float, float]:
    """Mean and standard deviation, from a 1-in-16 sample (plenty for whole-picture statistics)."""
    sample = luma[::4, ::4]
    mean = float(np.add.reduce(sample, axis=None)) / sample.size
    centred = sample - np.float32(mean)
    return mean, (float(np.vdot(centred, centred)) / sample.size) ** 0.5


def _is_light(now: Luma, background: Luma, changed: npt.NDArray[np.bool_]) -> bool:
    """True when a change brings no edges of its own.

    Light (headlights, a cloud's shadow) multiplies what is there, so the ratio of picture to
    background stays smooth; an object's outline is a sharp step in it.
    """
    ratio = (now + np.float32(RATIO_OFFSET)) / (background + np.float32(RATIO_OFFSET))
    steps = np.abs(ratio[:-1, 1:] - ratio[:-1, :-1]) + np.abs(ratio[1:, :-1] - ratio[:-1, :-1])
    brightness = float(np.add.reduce(background, axis=None)) / background.size
    if np.count_nonzero(steps > STRONG_STEP) >= STRONG_EDGES:
        return False  # a sharp outline somewhere in it: an object, in its own light (a motorbike at night)
    edges = steps > max(EDGE_STEP, 8.0 / (brightness + RATIO_OFFSET))  # beyond what noise makes of a ratio
    # Grow by one cell each way so an object's whole rim (and small objects entirely) count.
    grown = edges.copy()
    grown[1:, :] |= edges[:-1, :]
    grown[:-1, :] |= edges[1:, :]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    inside = changed[:-1, :-1]
    return int(np.count_nonzero(inside & grown)) < EDGE_SHARE * max(1, int(np.count_nonzero(inside)))


def _is_soft(now: Luma, background: Luma, changed: npt.NDArray[np.bool_]) -> bool:
    """True for a change without a sharp rim.

    Light added in front of the lens (a moth or a rain drop by the IR lamp, out of focus) fades over
    cells, where an object's outline steps in one.
    """
    difference = now - background
    peak = float(np.max(np.abs(difference[changed]))) if changed.any() else 0.0
    if peak <= 0:
        return True
    steps = max(
        float(np.max(np.abs(np.diff(difference, axis=0)), initial=0.0)),
        float(np.max(np.abs(np.diff(difference, axis=1)), initial=0.0)),
    )
    return steps < SHARP_STEP * peak


def _is_shifted_background(
    now: Luma, background: Luma, changed: npt.NDArray[np.bool_], area: tuple[slice, slice]
) -> bool:
    """True when the change is the background itself moved by a few pixels.

    Leaves swaying, a flag, the camera shaking in the wind: the picture matches the background
    shifted by up to a cell.
    """
    top, bottom, left, right = area[0].start, area[0].stop, area[1].start, area[1].stop
    height, width = background.shape
    if top < 1 or left < 1 or bottom > height - 1 or right > width - 1:
        return False  # at the picture's edge: nothing to shift in
    mask = changed[area]
    if not mask.any():
        return False
    seen = now[area][mask]
    unmoved = float(np.mean(np.abs(seen - background[area][mask])))
    best = unmoved
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
        shifted = background[top + dy : bottom + dy, left + dx : right + dx][mask]
        halfway = (shifted + background[area][mask]) * np.float32(0.5)
        best = min(best, float(np.mean(np.abs(seen - shifted))), float(np.mean(np.abs(seen - halfway))))
    return best < SHIFT_EXPLAINS * unmoved


@dataclass(slots=True)
class _Grid:
    """Zones and masks on the cells of one detection image size."""

    zones: list[tuple[str, npt.NDArray[np.bool_], int]]
    watched: npt.NDArray[np.float32] | None  # 1 where watched, 0 elsewhere; None: everything is


@dataclass(slots=True)
class MotionDetector:
    """Keeps the background and the tracks of one camera and judges each detection image."""

    settings: MotionSettings = field(default_factory=MotionSettings)
    _background: Luma | None = None
    _background_stats: tuple[float, float] = (0.0, 0.0)
    _frames: int = 0  # judged since the view was (re)learned
    _typical: Luma | None = None  # each cell's usual difference from the background
    _threshold: Luma | None = None  # each cell's threshold, from its usual difference
    _grid: _Grid | None = None
    _tracker: Tracker = field(default_factory=Tracker)

    def reset(self) -> None:
        """Forget the background and the tracks (after a reconnect, a settings change, an IR switch)."""
        self._background = None
        self._grid = None
        self._tracker.reset()

    def update_settings(self, settings: MotionSettings) -> None:
        """New sensitivity, size, zones or masks; the background is kept."""
        self.settings = settings
        self._grid = None
        self._threshold = None

    def process(self, luma: Luma, now: float, cell_area: float = 25.0) -> MotionResult:
        """Judge one detection image taken at `now` (seconds) and learn from it.

        `cell_area`: pixels of the stream per cell of the detection image (sizes are in stream pixels).
        """
        background = self._background
        if background is None or background.shape != luma.shape:
            self._set_background(luma)
            return NO_MOTION
        # Global brightness and contrast (dusk, IR switching, auto exposure) are not motion: bring the
        # picture to the background's mean and spread before comparing.
        mean_now, spread_now = _mean_spread(luma)
        mean_bg, spread_bg = self._background_stats
        scale = spread_bg / spread_now if spread_now > 1.0 else 1.0
        normalised: Luma = luma * np.float32(scale)
        normalised += np.float32(mean_bg - mean_now * scale)
        diff = np.abs(normalised - background)
        # Each cell's own threshold: a multiple of how much it usually differs from the background.
        # Sharp edges (sign boards, wires), leaves and the encoder's key frame pulsing differ more than
        # a flat wall: they need more to count, a flat road needs less.
        threshold = self._threshold_map()
        changed = diff > threshold
        # While the view is being learned, each cell's usual difference is still being measured: a noisy
        # night picture differs from a fresh background almost everywhere, and relearning on that would
        # start the learning over and over, never watching at all.
        if self._frames >= WARM_UP_FRAMES and np.count_nonzero(changed) > GLOBAL_CHANGE * changed.size:
            self._set_background(normalised)  # relearn at once: the picture changed as a whole
            self._tracker.reset()
            return MotionResult(moving=False, score=0.0, zone=None, bbox=None, lighting_change=True)
        self._learn(normalised, changed, diff, threshold)
        grid = self._grid_for(luma.shape)
        excess = diff - threshold
        np.maximum(excess, np.float32(0.0), out=excess)
        if grid.watched is not None:
            excess *= grid.watched
        blobs = find_blobs(block_sums(excess), BLOCK_EXCESS * self.settings.threshold_floor)
        moving: Track | None = None
        learning = self._frames < WARM_UP_FRAMES
        for track in self._tracker.update(blobs, now):
            if track.hits >= 2:  # sizes are only looked at for tracks that last
                track.sizes.append(_size(changed, track.blob))
            if not track.confirmed and not track.light and not learning:
                self._judge(track, now, cell_area, (normalised, background, changed))
            if track.confirmed and (moving is None or track.blob.mass > moving.blob.mass):
                moving = track
        if moving is None:
            return NO_MOTION
        return self._result(moving.blob, changed, grid)

    def _judge(
        self,
        track: Track,
        now: float,
        cell_area: float,
        pictures: tuple[Luma, Luma, npt.NDArray[np.bool_]],
    ) -> None:
        """Confirm a track that is an object that moves (or mark it as light, never to be confirmed).

        `pictures`: this frame brought to the background's brightness, the background, what changed.
        """
        normalised, background, changed = pictures
        if track.hits < MIN_HITS or now - track.born < MIN_SECONDS:
            return
        recent = track.sizes[-3:]
        if sorted(recent)[len(recent) // 2] * cell_area < self.settings.min_size:
            return
        # An object keeps its size from frame to frame; a blob that is dissolving, or that joins two
        # unrelated blobs (rain drops, leaves), does not.
        last, before = recent[-1], recent[-2]
        if 2 * last * cell_area < self.settings.min_size or max(last, before) > MAX_SIZE_CHANGE * max(
            1, min(last, before)
        ):
            return
        # A walker moves in most frames; clutter that has sat still for a while and then jumps does not.
        if track.moves < max(MIN_MOVES, MOVING_SHARE * (track.hits - 1)):
            return
        if track.surprises > MAX_SURPRISES * (track.hits - 2):
            return
        blob = track.blob
        travel = track.displacement
        if travel <= 0:
            return
        # Its size along the direction it moves: a walker moves its own width, not its height.
        along = (
            abs(track.x - track.x0) * (blob.right - blob.left) + abs(track.y - track.y0) * (blob.bottom - blob.top)
        ) / travel
        if travel < max(MIN_TRAVEL, TRAVEL_PER_SIZE * along) or track.straightness < MIN_STRAIGHTNESS:
            return
        top, bottom = max(0, blob.top - 1), blob.bottom + 1
        left, right = max(0, blob.left - 1), blob.right + 1
        area = (slice(top, bottom), slice(left, right))
        if (
            _is_light(normalised[area], background[area], changed[area])
            or _is_soft(normalised[area], background[area], changed[area])
            or _is_shifted_background(normalised, background, changed, area)
        ):
            track.light = True  # not an object: never confirmed
            return
        if _shrank_sharply(recent):
            return  # not yet: judged again on the next frame, when its size has held for two steps
        track.confirmed = True

    def _result(self, blob: Blob, changed: npt.NDArray[np.bool_], grid: _Grid) -> MotionResult:
        height, width = changed.shape
        box = changed[blob.top : blob.bottom, blob.left : blob.right]
        row, column = min(height - 1, int(blob.y)), min(width - 1, int(blob.x))
        best: tuple[str, float] | None = None
        for name, cells, size in grid.zones:
            overlap = int(np.count_nonzero(box & cells[blob.top : blob.bottom, blob.left : blob.right]))
            share = overlap / max(1, size)
            if cells[row, column]:  # the zone the object is in
                best = (name, share)
                break
            if overlap and (best is None or share > best[1]):
                best = (name, share)
        zone, score = best if best is not None else (grid.zones[0][0], 0.0)
        return MotionResult(
            moving=True,
            score=round(score, 4),
            zone=zone,
            bbox=(
                blob.left / width,
                blob.top / height,
                (blob.right - blob.left) / width,
                (blob.bottom - blob.top) / height,
            ),
        )

    def _set_background(self, luma: Luma) -> None:
        self._background = luma.copy()
        self._background_stats = _mean_spread(self._background)
        self._frames = 0
        if self._typical is None or self._typical.shape != luma.shape:
            self._typical = np.full(luma.shape, INITIAL_TYPICAL, np.float32)
            self._threshold = None

    def _threshold_map(self) -> Luma:
        """Each cell's threshold (kept between the frames that update the usual differences)."""
        threshold = self._threshold
        if threshold is None:
            typical = self._typical
            assert typical is not None
            threshold = typical * np.float32(self.settings.threshold_factor)
            np.maximum(threshold, np.float32(self.settings.threshold_floor), out=threshold)
            self._threshold = threshold
        return threshold

    def _learn(self, luma: Luma, changed: npt.NDArray[np.bool_], diff: Luma, threshold: Luma) -> None:
        background = self._background
        typical = self._typical
        assert background is not None
        assert typical is not None
        self._frames += 1
        if self._frames < WARM_UP_FRAMES:
            # Learning the view: an average of the frames so far (the first one alone is noisy).
            background += (luma - background) * np.float32(1.0 / (self._frames + 1))
        else:
            # Learn everywhere at the quick rate, then hold back where something moves (so a standing
            # object fades into the background over about a minute, not a second).
            step = luma - background
            step *= _LEARNING_RATES.take(changed.view(np.uint8))  # a lookup: np.where costs several times more
            background += step
        # The usual difference follows what each cell sees; an object passing counts only up to the
        # threshold (it must not teach the road that it is busy). It changes slowly: every other
        # frame is enough (half the cost), at twice the rate.
        if self._frames < WARM_UP_FRAMES or self._frames % 2 == 0:
            seen = np.minimum(diff, threshold)
            seen -= typical
            seen *= np.float32(2 * TYPICAL_RATE if self._frames >= WARM_UP_FRAMES else 0.2)
            typical += seen
            self._threshold = None
        if self._frames % 10 == 0:  # the background drifts slowly: its statistics can lag a little
            self._background_stats = _mean_spread(background)

    def _grid_for(self, shape: tuple[int, ...]) -> _Grid:
        height, width = shape[0], shape[1]
        grid = self._grid
        if grid is not None and grid.zones[0][1].shape == (height, width):
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
        restricted = self.settings.zones or self.settings.masks
        self._grid = _Grid(zones=zones, watched=watched.astype(np.float32) if restricted else None)
        return self._grid


def _shrank_sharply(recent: list[int]) -> bool:
    """True when the changed area shrank to a fraction in the step before the last one.

    (The last step is judged with the sizes above.) An object that comes into view grows, and then
    keeps its size; a moth at the IR lamp, darting towards the lens and away, swells and shrinks.
    """
    return len(recent) >= 3 and recent[-3] > MAX_SIZE_CHANGE * max(1, recent[-2])


def _size(changed: npt.NDArray[np.bool_], blob: Blob) -> int:
    """Changed cells under a blob."""
    return int(np.count_nonzero(changed[blob.top : blob.bottom, blob.left : blob.right]))

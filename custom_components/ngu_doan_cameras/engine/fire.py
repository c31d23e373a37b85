"""Fire: a bright region that stays in place and flickers at flame rates; orange by day, growing at night.

Works on the detection image of judged frames, on blocks of 2x2 cells (about 10x10 pixels of a
640x360 stream). Per block it keeps how much its brightness flickers: the second difference over
three judged frames, which is zero for steady light and for light that changes steadily (a car's
headlights coming closer, dusk falling) and large for flames, whose tongues leap and fall several
times a second. A block that is bright and flickers for most of the last seconds is a fire block;
fire blocks that touch make a region, followed while it lasts.

A region is a fire when it has lasted `confirm_seconds` and:
- in colour (day, dusk): its brightest pixels are flame-coloured (red, orange, yellow: much more red
  than blue), which a welding arc (blue-white), headlights and torches (white) are not;
- in IR mode (grey, no colour to go by): it has also grown to half again its first size, which
  flames do and a welding arc, a torch or a lamp do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame

from .blobs import Blob, block_sums, find_blobs
from .luma import Luma

BRIGHT = 120.0  # mean grey level (0..255) of a block that can be flame
FLICKER = 7.0  # grey levels of second difference (smoothed) that count as flickering
FLICKER_RATE = 0.35  # smoothing of the flicker, per judged frame
# ... and this many times the picture's typical flicker: a noisy night picture (a cheap sensor at high
# gain) flickers everywhere, and flames leap far above that.
NOISE_FACTOR = 4.0
NOISE_EVERY = 10  # judged frames between measurements of the typical flicker (a median is not free)
EVIDENCE_FRAMES = 8  # a block counts as fire after this many more flickering frames than calm ones
MAX_EVIDENCE = 25
_EVIDENCE_STEPS = np.array([-1.0, 1.0], np.float32)  # for a calm block, a burning one
GROWTH = 1.5  # in IR mode a fire must grow to this many times its first size
WINDOW = 2.0  # seconds over which a region's size is averaged (its first seconds, its last ones)
BREAK_SECONDS = 0.7  # a region that stops flickering for longer starts afresh (welding pauses between seams)
KEEP_SECONDS = 30.0
GREY_CONFIRM_FACTOR = 2.0  # in IR mode a region must burn this many times longer before it counts
MIN_BLOCKS = 1
# Flame colour: bright pixels (luma) whose V (red difference) stands well above U (blue difference).
# (Yellow flame: V - U about 110, orange 130, its white-yellow core 35; a cream wall in the sun 35.)
FLAME_LUMA = 160
FLAME_WARMTH = 60
FLAME_SHARE = 0.25  # of the bright pixels
MIN_FLAME_PIXELS = 4


@dataclass(frozen=True, slots=True)
class FireSettings:
    """Whether fire is looked for, and how long a region must burn first."""

    enabled: bool = True
    confirm_seconds: float = 4.0


@dataclass(frozen=True, slots=True)
class Fire:
    """A confirmed fire: where (x, y, width, height in 0..1) and how big (share of the picture)."""

    bbox: tuple[float, float, float, float]
    area: float


@dataclass(slots=True)
class _Region:
    first_seen: float  # since when it has flickered without a break
    blob: Blob
    # Blocks flickering in it, per judged frame: (time, count). Its size over time: did it grow?
    sizes: list[tuple[float, int]]

    def size_between(self, start: float, end: float) -> float:
        """Its mean size (flickering blocks) in a stretch of time."""
        counts = [count for time, count in self.sizes if start <= time <= end]
        return sum(counts) / len(counts) if counts else 0.0


class FireDetector:
    """Watches the judged frames of one camera for flames."""

    def __init__(self, settings: FireSettings | None = None) -> None:
        self.settings = settings or FireSettings()
        self._means: list[npt.NDArray[np.float32]] = []  # block means of the last two judged frames
        self._flicker: npt.NDArray[np.float32] | None = None
        self._evidence: npt.NDArray[np.float32] | None = None
        self._burning: npt.NDArray[np.bool_] | None = None
        self._region: _Region | None = None
        self._judged = 0
        self._noise = 0.0  # the picture's typical flicker (sensor noise)
        self.burning = False

    def reset(self) -> None:
        """Forget what was seen (a new session, an IR switch: light and colour change at once)."""
        self._means = []
        self._flicker = self._evidence = None
        self._burning = None
        self._region = None
        self._judged = 0
        self._noise = 0.0
        self.burning = False

    def process(self, luma: Luma, frame: VideoFrame, now: float, grey: bool) -> Fire | None:
        """Judge one detection image (and its frame, for colour); returns a fire when one is confirmed."""
        # In place where it can be: fewer arrays made and freed on every judged frame.
        means = block_sums(luma)
        means *= np.float32(0.25)
        if len(self._means) < 2 or self._means[0].shape != means.shape:
            self._means = (
                [*self._means[-1:], means] if self._means and self._means[-1].shape == means.shape else [means]
            )
            self._flicker = np.zeros_like(means)
            self._evidence = np.zeros_like(means)
            return None
        older, previous = self._means
        self._means = [previous, means]
        flicker, evidence = self._flicker, self._evidence
        assert flicker is not None
        assert evidence is not None
        second = means - previous
        second -= previous
        second += older
        np.abs(second, out=second)
        second -= flicker
        second *= np.float32(FLICKER_RATE)
        flicker += second
        self._judged += 1
        if self._judged <= NOISE_EVERY or self._judged % NOISE_EVERY == 0:  # every frame while it builds up
            self._noise = float(np.median(flicker))
        # Evidence rises by one in a frame where the block is bright and flickers, falls by one otherwise
        # (kept between 0 and MAX_EVIDENCE).
        self._burning = burning = (flicker > max(FLICKER, NOISE_FACTOR * self._noise)) & (means > BRIGHT)
        evidence += _EVIDENCE_STEPS.take(burning.view(np.uint8))  # a lookup: np.where costs several times more
        np.clip(evidence, np.float32(0.0), np.float32(MAX_EVIDENCE), out=evidence)
        if evidence.max() < EVIDENCE_FRAMES:
            self._region = None
            self.burning = False
            return None
        return self._follow(evidence, luma.shape, frame, now, grey)

    def flickering(self, bbox: tuple[float, float, float, float]) -> bool:
        """Something bright has been flickering in (or next to) this part of the picture for seconds.

        `bbox`: x, y, width, height in 0..1. A flame's tongue leaping up is a sudden local brightening
        too: not a flash.
        """
        evidence = self._evidence
        if evidence is None:
            return False
        rows, cols = evidence.shape
        x, y, width, height = bbox
        top, left = max(0, int(y * rows) - 1), max(0, int(x * cols) - 1)
        bottom, right = int((y + height) * rows) + 2, int((x + width) * cols) + 2
        area = (slice(top, bottom), slice(left, right))
        return bool(np.any(evidence[area] >= EVIDENCE_FRAMES))

    def _follow(
        self, evidence: npt.NDArray[np.float32], shape: tuple[int, ...], frame: VideoFrame, now: float, grey: bool
    ) -> Fire | None:
        blob = max(find_blobs(evidence, EVIDENCE_FRAMES - 0.5), key=lambda region: region.mass)
        # The evidence is per block of 2x2 cells, so blobs of it come out in cells of the detection image.
        area = (slice(blob.top // 2, blob.bottom // 2), slice(blob.left // 2, blob.right // 2))
        assert self._burning is not None
        blocks = int(np.count_nonzero(self._burning[area]))
        region = self._region
        moved = region is not None and abs(region.blob.x - blob.x) + abs(region.blob.y - blob.y) > 2 * max(
            4, blob.extent
        )
        # Flickering again after a break, or for the first time in a region found while none of its blocks
        # flickered (its evidence outlasts the flicker): it starts afresh, its burning counted from now.
        if region is None or moved or (blocks and (not region.sizes or now - region.sizes[-1][0] > BREAK_SECONDS)):
            self._region = _Region(now, blob, [(now, blocks)] if blocks else [])
            return None
        region.blob = blob
        if blocks:
            region.sizes.append((now, blocks))
        region.sizes = [(time, count) for time, count in region.sizes if now - time <= KEEP_SECONDS]
        burning_for = now - region.first_seen
        if self.burning or not region.sizes or now - region.sizes[-1][0] > BREAK_SECONDS:
            return None
        if region.size_between(now - WINDOW, now) < MIN_BLOCKS:
            return None
        if grey:
            # No colour to go by: it must have burnt on for longer, and grown (a fire spreads; a lamp, a
            # torch, a welding seam do not). Its first size is taken once its flicker has built up.
            if burning_for < GREY_CONFIRM_FACTOR * self.settings.confirm_seconds:
                return None
            first = region.size_between(region.first_seen + WINDOW, region.first_seen + 2 * WINDOW)
            if region.size_between(now - WINDOW, now) < GROWTH * max(first, 1.0):
                return None
        elif burning_for < self.settings.confirm_seconds or not _flame_coloured(frame, self._burning, area):
            return None
        self.burning = True
        rows, cols = shape[0], shape[1]
        return Fire(
            bbox=(blob.left / cols, blob.top / rows, (blob.right - blob.left) / cols, (blob.bottom - blob.top) / rows),
            area=round(4 * blocks / (rows * cols), 5),
        )


def _flame_coloured(frame: VideoFrame, burning: npt.NDArray[np.bool_], area: tuple[slice, slice]) -> bool:
    """The brightest pixels of the blocks flickering now are flame-coloured (chroma read in place).

    Flames are bright and strongly warm at once: a yellow-white core, yellow and orange around it. A
    cream wall in flickering light is bright but hardly warm, a red sign warm but not that bright; a
    welding arc or a torch is bright but white or blue.
    """
    mask = burning[area]
    if not mask.any():
        return False
    blocks_down, blocks_across = burning.shape
    step_y, step_x = frame.height // 2 / blocks_down, frame.width // 2 / blocks_across  # chroma px per block
    top, left = int(area[0].start * step_y), int(area[1].start * step_x)
    size_y, size_x = max(1, round(step_y)), max(1, round(step_x))
    pixels = np.repeat(np.repeat(mask, size_y, axis=0), size_x, axis=1)
    luma_plane, u_plane, v_plane = frame.planes[:3]
    u = np.frombuffer(u_plane, np.uint8).reshape(-1, u_plane.line_size)[top:, left:][
        : pixels.shape[0], : pixels.shape[1]
    ]
    v = np.frombuffer(v_plane, np.uint8).reshape(-1, v_plane.line_size)[top:, left:][
        : pixels.shape[0], : pixels.shape[1]
    ]
    rows = np.frombuffer(luma_plane, np.uint8).reshape(-1, luma_plane.line_size)
    y = rows[2 * top :: 2, 2 * left :: 2][: u.shape[0], : u.shape[1]]
    pixels = pixels[: u.shape[0], : u.shape[1]]
    bright = pixels & (y >= FLAME_LUMA)
    if np.count_nonzero(bright) < MIN_FLAME_PIXELS:
        return False
    warmth = v[bright].astype(np.int16) - u[bright].astype(np.int16)
    return np.count_nonzero(warmth >= FLAME_WARMTH) >= FLAME_SHARE * warmth.size

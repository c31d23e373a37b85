"""What happens in a generated scene besides objects: nuisances, fire and flashes (see tools/scenes.py).

Each effect is built once per clip from a seeded generator and then drawn frame by frame
(`draw(frame, index)`), so a clip is the same every time it is made.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from .scenes import F32, FPS, Backdrop, H, W, glow, smooth_series


class Effect(ABC):
    """Something drawn over the lit backdrop, frame by frame."""

    @abstractmethod
    def draw(self, frame: F32, index: int) -> None:
        """Change `frame` (levels 0..255, RGB) for frame `index`."""


@dataclass
class Rain(Effect):
    """Falling drops: faint slanted streaks everywhere; at night, drops by the lens lit by the IR lamp."""

    rng: np.random.Generator
    night: bool
    per_frame: int = 160

    def draw(self, frame: F32, index: int) -> None:
        count = self.per_frame
        xs = self.rng.uniform(0, W, count)
        ys = self.rng.uniform(-20, H, count)
        lengths = self.rng.uniform(8, 26, count)
        strength = self.rng.uniform(10, 28, count)
        for step in range(0, 26, 2):  # each streak as points along its length (slanted by the wind)
            keep = step < lengths
            px = (xs[keep] + 0.25 * step).astype(int)
            py = (ys[keep] + step).astype(int)
            inside = (px >= 0) & (px < W) & (py >= 0) & (py < H)
            np.add.at(frame, (py[inside], px[inside]), strength[keep][inside, None] * np.ones(3, np.float32))
        if self.night:  # big blurred drops close to the lens, lit by the IR lamp
            for _ in range(int(self.rng.integers(0, 4))):
                glow(
                    frame,
                    self.rng.uniform(0, W),
                    self.rng.uniform(0, H),
                    self.rng.uniform(5, 14),
                    self.rng.uniform(25, 70),
                    (1, 1, 1),
                )


@dataclass
class Moth:
    """One insect fluttering in front of the lens, near the IR lamp: large, blurred and very bright."""

    x: float
    y: float
    vx: float
    vy: float
    size: float
    brightness: float


@dataclass
class Insects(Effect):
    """Moths drawn to the IR lamp: blurred blobs flying erratically (sharp turns every few frames)."""

    rng: np.random.Generator
    count: int = 3
    moths: list[Moth] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.moths = [self._new() for _ in range(self.count)]

    def _new(self) -> Moth:
        return Moth(
            x=float(self.rng.uniform(0, W)),
            y=float(self.rng.uniform(0, H * 0.8)),
            vx=0.0,
            vy=0.0,
            size=float(self.rng.uniform(5, 22)),
            brightness=float(self.rng.uniform(70, 200)),
        )

    def draw(self, frame: F32, index: int) -> None:
        for moth in self.moths:
            # Flutter: the velocity is kicked hard every frame (insects near a lamp circle and dart).
            moth.vx = 0.55 * moth.vx + float(self.rng.normal(0, 22))
            moth.vy = 0.55 * moth.vy + float(self.rng.normal(0, 18))
            moth.x += moth.vx
            moth.y += moth.vy
            if not (-60 < moth.x < W + 60 and -60 < moth.y < H + 60) or self.rng.random() < 0.01:
                moth.__dict__.update(self._new().__dict__)
            glow(frame, moth.x, moth.y, moth.size, moth.brightness, (1, 1, 1))


@dataclass
class Trees(Effect):
    """Wind: the foliage sways a few pixels back and forth, row by row, in gusts."""

    rng: np.random.Generator
    backdrop: Backdrop
    still: F32  # the lit backdrop without wind, to sample the swaying foliage from
    amplitude: float = 4.0
    gusts: F32 = field(default_factory=lambda: np.zeros(0, np.float32))

    def __post_init__(self) -> None:
        rows = np.flatnonzero(self.backdrop.foliage.any(axis=1))
        self._rows = slice(int(rows[0]), int(rows[-1]) + 1) if rows.size else slice(0, 0)
        self._mask = self.backdrop.foliage[self._rows]
        self._phase = self.rng.uniform(0, 2 * math.pi)
        self._frequency = self.rng.uniform(0.35, 0.8)
        self.gusts = 0.6 + 0.4 * smooth_series(self.rng, 20 * 60 * FPS, 3 * FPS)

    def draw(self, frame: F32, index: int) -> None:
        rows = np.arange(self._rows.start, self._rows.stop, dtype=np.float32)
        t = index / FPS
        # The top of a crown moves most; leaves flutter on top of the sway.
        sway = (
            self.amplitude
            * self.gusts[index % self.gusts.size]
            * np.sin(2 * math.pi * self._frequency * t + self._phase + rows / 40.0)
        )
        cols = np.arange(W, dtype=np.float32)[None, :] - sway[:, None]
        left = np.clip(np.floor(cols).astype(int), 0, W - 2)
        weight = np.clip(cols - left, 0, 1)[..., None]
        source = self.still[self._rows]
        row_index = np.arange(source.shape[0])[:, None]
        moved = source[row_index, left] * (1 - weight) + source[row_index, left + 1] * weight
        region = frame[self._rows]
        region[self._mask] = moved[self._mask]


@dataclass
class Cloud(Effect):
    """A cloud's shadow drifting over the scene (soft, large) and the sun dimming a little with it."""

    rng: np.random.Generator
    speed: float = 12.0  # pixels a second

    def __post_init__(self) -> None:
        self._y = float(self.rng.uniform(0.2 * H, 0.8 * H))
        self._radius = float(self.rng.uniform(140, 240))
        self._start = float(self.rng.uniform(-400, -200))

    def draw(self, frame: F32, index: int) -> None:
        x = self._start + self.speed * index / FPS
        glow(frame, x, self._y, self._radius, -0.4, (1, 1, 1), multiply=True)


@dataclass
class HeadlightSweep(Effect):
    """A car turning at night, out of view: its headlights sweep across the house fronts."""

    rng: np.random.Generator
    backdrop: Backdrop
    every: float = 14.0  # seconds between cars

    def draw(self, frame: F32, index: int) -> None:
        t = index / FPS
        car, into = divmod(t, self.every)
        local = np.random.default_rng(int(car) + 1000)
        duration = float(local.uniform(2.5, 4.5))
        if into > duration:
            return
        direction = 1 if local.random() < 0.5 else -1
        progress = into / duration
        x = -100 + (W + 200) * (progress if direction > 0 else 1 - progress)
        top, bottom = self.backdrop.walls
        y = H * (top + (bottom - top) * float(local.uniform(0.4, 0.9)))
        glow(frame, x, y, float(local.uniform(50, 90)), float(local.uniform(0.8, 1.4)), (1, 1, 0.95), multiply=True)


@dataclass
class IrSwitch(Effect):
    """Marks the frame at which the camera switches between colour and IR mode (drawn by the renderer)."""

    at: float  # seconds
    to_night: bool

    def draw(self, frame: F32, index: int) -> None:
        t = index / FPS - self.at
        if 0 <= t < 2.0:  # exposure overshoots and settles after the switch
            frame *= 1 + (0.6 if self.to_night else -0.4) * math.exp(-t / 0.4)


@dataclass
class Exposure(Effect):
    """Auto exposure drifting (dusk falling while the camera has not yet switched to IR)."""

    start: float = 1.0
    end: float = 0.55
    seconds: float = 60.0

    def draw(self, frame: F32, index: int) -> None:
        t = min(1.0, index / FPS / self.seconds)
        frame *= self.start + (self.end - self.start) * t


@dataclass
class StreetLights(Effect):
    """Street lamps switching on: sodium ones warm up orange over seconds, LED ones come on white at once."""

    backdrop: Backdrop
    at: float
    sodium: bool
    grey: bool

    def draw(self, frame: F32, index: int) -> None:
        t = index / FPS - self.at
        if t < 0:
            return
        level = min(1.0, 0.15 + t / 8.0) if self.sodium else min(1.0, t / 0.3)
        colour = (1.0, 0.62, 0.25) if self.sodium and not self.grey else (1.0, 0.97, 0.92)
        for x, y in self.backdrop.lamps:
            glow(frame, x, y + 3, 3.5, 400 * level, colour)
            glow(frame, x, y + 120, 70, 0.5 * level, colour, multiply=True)  # the pool of light below


@dataclass
class Welding(Effect):
    """Arc welding inside an open workshop: a tiny blue-white arc and its flickering light on the room.

    Tack welds (half a second to a second and a half) and seams (several seconds), with pauses.
    """

    rng: np.random.Generator
    backdrop: Backdrop
    grey: bool
    seconds: float

    def __post_init__(self) -> None:
        x, y, w, h = self.backdrop.workshop
        self._arc = (x + w * float(self.rng.uniform(0.3, 0.7)), y + h * float(self.rng.uniform(0.55, 0.8)))
        self._on: list[tuple[float, float]] = []
        t = float(self.rng.uniform(3, 6))
        while t < self.seconds:
            length = float(self.rng.uniform(0.4, 1.5) if self.rng.random() < 0.5 else self.rng.uniform(3, 8))
            self._on.append((t, t + length))
            t += length + float(self.rng.uniform(1, 4))

    def draw(self, frame: F32, index: int) -> None:
        t = index / FPS
        if not any(start <= t < end for start, end in self._on):
            return
        # The arc sputters thousands of times a second; a frame's exposure averages most of it away.
        flicker = float(self.rng.uniform(0.7, 1.0))
        colour = (1, 1, 1) if self.grey else (0.85, 0.92, 1.0)
        x, y = self._arc
        glow(frame, x, y, 2.0, 600 * flicker, colour)
        _, _, w, _ = self.backdrop.workshop
        glow(frame, x, y, w * 0.45, 70 * flicker, colour)


@dataclass
class Flashlight(Effect):
    """Someone shines a torch into the lens at night: a huge glare, shaking with the hand, on for seconds."""

    rng: np.random.Generator
    seconds: float

    def __post_init__(self) -> None:
        self._spells: list[tuple[float, float, float, float, float]] = []
        t = float(self.rng.uniform(3, 6))
        while t < self.seconds:
            length = float(self.rng.uniform(2.5, 8))
            x, y = float(self.rng.uniform(0.25, 0.75) * W), float(self.rng.uniform(0.25, 0.75) * H)
            self._spells.append((t, t + length, x, y, float(self.rng.uniform(60, 130))))
            t += length + float(self.rng.uniform(3, 8))
        self._shake = (
            smooth_series(self.rng, int(self.seconds * FPS) + 2, 4),
            smooth_series(self.rng, int(self.seconds * FPS) + 2, 4),
        )

    def draw(self, frame: F32, index: int) -> None:
        t = index / FPS
        for start, end, x, y, radius in self._spells:
            if start <= t < end:
                dx, dy = 14 * self._shake[0][index], 10 * self._shake[1][index]
                glow(frame, x + dx, y + dy, radius, 260, (1, 1, 1))
                glow(frame, x + dx, y + dy, radius * 0.2, 400, (1, 1, 1))


@dataclass
class Headlights(Effect):
    """Cars at night seen head on: two lamps that come closer (brighter, further apart), then turn away."""

    rng: np.random.Generator
    backdrop: Backdrop
    every: float = 12.0

    def draw(self, frame: F32, index: int) -> None:
        t = index / FPS
        car, into = divmod(t, self.every)
        local = np.random.default_rng(int(car) + 2000)
        duration = float(local.uniform(4, 7))
        if into > duration or t < 3:
            return
        near = into / duration
        ground_top, ground_bottom = self.backdrop.ground
        y = H * (ground_top + 0.2 * near * (ground_bottom - ground_top))
        x = W * float(local.uniform(0.3, 0.7)) + 40 * near * (1 if local.random() < 0.5 else -1)
        spread = 6 + 40 * near
        amount = 120 + 300 * near
        for side in (-1, 1):
            glow(frame, x + side * spread, y, 2 + 6 * near, amount, (1, 1, 0.95))
        glow(frame, x, y + 20, 30 + 60 * near, 0.8 * near, (1, 1, 0.95), multiply=True)  # lit road


@dataclass
class Fire(Effect):
    """A fire starting at a spot: flames that flicker at flame rates and grow; smoke by day; glow around it."""

    rng: np.random.Generator
    spot: tuple[int, int]
    at: float
    grow_seconds: float
    final_width: float  # pixels across the base when grown
    grey: bool
    day: bool

    def __post_init__(self) -> None:
        frames = int(200 * FPS)
        self._tongues = int(self.rng.integers(4, 8))
        self._offsets = self.rng.uniform(-0.5, 0.5, self._tongues)
        # Flames flicker at several hertz: at 15 fps each tongue's height changes over 1-3 frames.
        self._flicker = [
            smooth_series(self.rng, frames, float(self.rng.uniform(1.2, 3.0))) for _ in range(self._tongues)
        ]
        self._glow = smooth_series(self.rng, frames, 2.0)

    def width(self, index: int) -> float:
        """The base width at frame `index` (0 before the fire starts)."""
        t = index / FPS - self.at
        if t < 0:
            return 0.0
        return 3 + (self.final_width - 3) * min(1.0, t / self.grow_seconds)

    def draw(self, frame: F32, index: int) -> None:
        width = self.width(index)
        if width <= 0:
            return
        x0, y0 = self.spot
        layers = ((1.0, (255, 110, 20)), (0.66, (255, 180, 50)), (0.36, (255, 245, 190)))
        if self.grey:
            layers = ((1.0, (210, 210, 210)), (0.66, (240, 240, 240)), (0.36, (255, 255, 255)))
        for tongue in range(self._tongues):
            flicker = float(self._flicker[tongue][index % self._flicker[tongue].size])
            height = width * (0.9 + 0.55 * flicker)
            cx = x0 + self._offsets[tongue] * width
            for scale, colour in layers:
                rx, ry = width * 0.22 * scale, height * scale * 0.5
                _flame(frame, cx, y0 - ry, rx, ry, colour)
        strength = 0.8 + 0.2 * float(self._glow[index % self._glow.size])
        glow(
            frame,
            x0,
            y0 - width * 0.5,
            width * 1.6,
            (35 if self.day else 70) * strength,
            (1, 1, 1) if self.grey else (1.0, 0.7, 0.4),
        )
        if self.day:  # smoke rising above the flames
            glow(frame, x0 + width * 0.3, y0 - width * 2.2, width * 1.1, 25, (0.9, 0.9, 0.9))


def _flame(frame: F32, cx: float, cy: float, rx: float, ry: float, colour: tuple[int, int, int]) -> None:  # noqa: PLR0917
    """One flame tongue: an ellipse, pointed at its top, with soft edges."""
    y0, y1 = max(0, int(cy - ry) - 1), min(H, int(cy + ry) + 2)
    x0, x1 = max(0, int(cx - rx) - 1), min(W, int(cx + rx) + 2)
    if y1 <= y0 or x1 <= x0:
        return
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    up = np.clip((cy - ys) / max(ry, 1e-3), 0, 1)  # narrower towards the tip
    half = np.maximum(rx * (1 - 0.8 * up), 0.4)
    inside = np.clip(1.2 - (np.abs(xs - cx) / half) ** 2 - ((ys - cy) / max(ry, 1e-3)) ** 2, 0, 1)
    alpha = np.clip(inside * 2.5, 0, 1)[..., None]
    region = frame[y0:y1, x0:x1]
    region *= 1 - alpha
    region += alpha * np.array(colour, np.float32)


@dataclass
class Flash(Effect):
    """Blasts and firecrackers: a sudden local burst of light that decays within a second.

    `pops` bursts (a string of firecrackers) spread over `spread` seconds around one spot, each with
    its own size; `decay` is the time constant of the light (a pop's flash lasts one frame or two).
    """

    rng: np.random.Generator
    spot: tuple[int, int]
    at: float
    radius: float
    decay: float
    grey: bool
    day: bool
    pops: int = 1
    spread: float = 0.0

    def __post_init__(self) -> None:
        times = [self.at] + sorted((self.at + self.rng.uniform(0, self.spread, self.pops - 1)).tolist())  # noqa: RUF005
        self._bursts = [
            (
                t,
                self.spot[0] + float(self.rng.normal(0, 12)) * (i > 0),
                self.spot[1] + float(self.rng.normal(0, 5)) * (i > 0),
                self.radius * float(self.rng.uniform(0.7, 1.2)) if i else self.radius,
            )
            for i, t in enumerate(times)
        ]

    def draw(self, frame: F32, index: int) -> None:
        t = index / FPS
        colour = (1, 1, 1) if self.grey else (1.0, 0.88, 0.62)
        for start, x, y, radius in self._bursts:
            age = t - start
            if age < 0 or age > 8 * self.decay + 0.1:
                continue
            # The frame's exposure integrates the burst: a pop shorter than a frame still shows in one.
            level = math.exp(-age / self.decay) if age > 0 else 1.0
            glow(frame, x, y, radius, 500 * level, colour)
            glow(frame, x, y, radius * 4, (110 if not self.day else 70) * level, colour)
            if self.day and age > 0.1:  # a puff of smoke after a blast
                glow(frame, x, y - radius, radius * 2 * (1 + age), 20 * math.exp(-age / 3), (0.9, 0.9, 0.9))

"""Realistic pictures for the camera simulator: still street and village scenes where a person, a
motorbike or a car passes now and then, by day or in a camera's night (infrared) look.

The simulator encodes each camera's loop once and replays it, so a scene is a list of raw I420 frames
made here once per stream: the background is drawn once (and, at night, a few noisy copies of it),
then each frame is a copy of it with the passers-by pasted where they are at that moment. Everything
is plain Python (Debian's Python runs the simulator, without numpy), drawn row by row with slices.

Coordinates are fractions of the picture (0..1), so a camera's main and sub streams show the same
scene at their own sizes, with the passers-by at the same place at the same time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

SCENES = ("street", "village", "night")
PASSER_KINDS = ("motorbike", "person", "car", "motorbike")
NOISE_VARIANTS = 6  # noisy copies of a night background, cycled frame by frame
SIZE = 1.5  # passers-by near the camera: bigger than the far ones detection must catch; the demo shows motion

Rgb = tuple[int, int, int]
Rect = tuple[float, float, float, float, Rgb]  # x0, y0, x1, y1, colour


def yuv(rgb: Rgb) -> tuple[int, int, int]:
    """BT.601 limited-range Y, U, V of an RGB colour."""
    r, g, b = rgb
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return round(y), round(u), round(v)


class Canvas:
    """An I420 picture to draw rectangles on (fractional coordinates), in colour or in infrared grey."""

    def __init__(self, width: int, height: int, *, infrared: bool = False) -> None:
        self.width, self.height, self.infrared = width, height, infrared
        self.y = bytearray(width * height)
        self.u = bytearray(b"\x80" * (width * height // 4))
        self.v = bytearray(b"\x80" * (width * height // 4))

    def copy(self) -> Canvas:
        other = Canvas.__new__(Canvas)
        other.width, other.height, other.infrared = self.width, self.height, self.infrared
        other.y, other.u, other.v = bytearray(self.y), bytearray(self.u), bytearray(self.v)
        return other

    def frame(self) -> bytes:
        return bytes(self.y + self.u + self.v)

    def rect(self, x0: float, y0: float, x1: float, y1: float, rgb: Rgb) -> None:
        """Fill a rectangle; at night only its brightness shows (an IR camera sees in grey)."""
        w, h = self.width, self.height
        left, right = max(0, round(x0 * w)), min(w, round(x1 * w))
        top, bottom = max(0, round(y0 * h)), min(h, round(y1 * h))
        if left >= right or top >= bottom:
            return
        luma, cb, cr = yuv(rgb)
        if self.infrared:  # grey, darker, and the sky black: what an IR camera sees at night
            luma, cb, cr = (20 if rgb == SKY else 18 + luma // 2), 128, 128
        row = bytes([luma]) * (right - left)
        for line in range(top, bottom):
            self.y[line * w + left : line * w + right] = row
        cw = w // 2
        c_left, c_right, c_top, c_bottom = left // 2, (right + 1) // 2, top // 2, (bottom + 1) // 2
        for plane, value in ((self.u, cb), (self.v, cr)):
            chroma = bytes([value]) * (c_right - c_left)
            for line in range(c_top, c_bottom):
                plane[line * cw + c_left : line * cw + c_right] = chroma

    def triangle(self, x0: float, x1: float, y_top: float, y_bottom: float, rgb: Rgb) -> None:
        """A roof: a triangle with its base from x0 to x1 at y_bottom and its point at y_top, row by row."""
        rows = max(1, round((y_bottom - y_top) * self.height))
        middle, half = (x0 + x1) / 2, (x1 - x0) / 2
        for n in range(rows):
            share = (n + 1) / rows
            y = y_top + (y_bottom - y_top) * n / rows
            self.rect(middle - half * share, y, middle + half * share, y + 1 / self.height, rgb)

    def add_noise(self, seed: int) -> None:
        """Sensor noise of a camera at night: every pixel a little brighter at random (no carries: luma < 224)."""
        generator = random.Random(seed)
        table = bytes(value & 31 for value in range(256))
        noise = generator.randbytes(len(self.y)).translate(table)
        total = int.from_bytes(self.y, "little") + int.from_bytes(noise, "little")
        self.y = bytearray(total.to_bytes(len(self.y), "little"))


# --- backgrounds ------------------------------------------------------------------------------------

SKY: Rgb = (178, 200, 214)
ROAD: Rgb = (86, 88, 90)
CONCRETE: Rgb = (168, 164, 152)
LINE: Rgb = (230, 230, 220)
FOLIAGE: Rgb = (46, 92, 48)
FOLIAGE_DARK: Rgb = (30, 64, 36)
FIELD: Rgb = (120, 168, 70)
WALLS: tuple[Rgb, ...] = ((236, 222, 170), (214, 230, 206), (240, 240, 232), (232, 196, 190), (206, 214, 236))
ROOF: Rgb = (160, 72, 50)
WINDOW: Rgb = (48, 52, 60)


def _street(canvas: Canvas, rng: random.Random) -> None:
    """Tube houses along a road, a pavement, the road with its centre line, a pole and a tree."""
    canvas.rect(0, 0, 1, 0.3, SKY)
    x = -rng.random() * 0.05
    while x < 1:
        width = rng.uniform(0.09, 0.15)
        top = rng.uniform(0.08, 0.24)
        wall = rng.choice(WALLS)
        canvas.rect(x, top, x + width - 0.004, 0.56, wall)
        for floor in range(3):
            wy = top + 0.04 + floor * 0.1
            if wy + 0.05 < 0.48:
                canvas.rect(x + width * 0.2, wy, x + width * 0.75, wy + 0.05, WINDOW)
        canvas.rect(x + width * 0.1, 0.46, x + width * 0.85, 0.56, (70, 60, 52))  # shop front, shutters down
        canvas.rect(x, 0.42, x + width - 0.004, 0.45, rng.choice(((190, 40, 40), (40, 90, 170), (200, 160, 30))))
        x += width
    canvas.rect(0, 0.56, 1, 0.62, CONCRETE)
    canvas.rect(0, 0.62, 1, 0.93, ROAD)
    for dash in range(8):
        canvas.rect(dash / 8 + 0.02, 0.77, dash / 8 + 0.09, 0.785, LINE)
    canvas.rect(0, 0.93, 1, 1, CONCRETE)
    pole = rng.uniform(0.15, 0.85)
    canvas.rect(pole, 0.05, pole + 0.012, 0.6, (120, 120, 116))
    canvas.rect(0, 0.1, 1, 0.104, (40, 40, 40))  # the wires
    tree = rng.uniform(0.05, 0.9)
    canvas.rect(tree + 0.035, 0.4, tree + 0.05, 0.6, (80, 60, 40))
    for n, (left, right, top) in enumerate(((0, 0.085, 0.28), (0.012, 0.075, 0.22), (0.025, 0.06, 0.18))):
        canvas.rect(tree + left, top, tree + right, 0.42 - n * 0.02, FOLIAGE if n % 2 else FOLIAGE_DARK)


def _village(canvas: Canvas, rng: random.Random) -> None:
    """A village lane: trees on the horizon, a rice field, houses with tiled roofs, a gate, the lane."""
    canvas.rect(0, 0, 1, 0.34, SKY)
    x = 0.0
    while x < 1:
        width = rng.uniform(0.04, 0.1)
        canvas.rect(x, rng.uniform(0.18, 0.28), x + width, 0.42, rng.choice((FOLIAGE, FOLIAGE_DARK)))
        x += width * 0.8
    canvas.rect(0, 0.4, 1, 0.6, FIELD)
    for house in range(rng.randint(2, 3)):
        left = 0.08 + house * 0.32 + rng.uniform(0, 0.08)
        width = rng.uniform(0.14, 0.2)
        canvas.triangle(left - 0.02, left + width + 0.02, 0.3, 0.42, ROOF)
        canvas.rect(left, 0.42, left + width, 0.6, rng.choice(WALLS))
        canvas.rect(left + width * 0.4, 0.47, left + width * 0.6, 0.6, (110, 70, 40))  # the door
        canvas.rect(left + width * 0.1, 0.46, left + width * 0.28, 0.52, WINDOW)
    gate = rng.uniform(0.55, 0.75)
    canvas.rect(gate, 0.28, gate + 0.025, 0.64, (196, 180, 150))
    canvas.rect(gate + 0.16, 0.28, gate + 0.185, 0.64, (196, 180, 150))
    canvas.rect(gate - 0.01, 0.26, gate + 0.195, 0.32, (150, 50, 40))
    canvas.rect(0, 0.6, 1, 0.64, (96, 140, 60))
    canvas.rect(0, 0.64, 1, 0.88, CONCRETE)
    canvas.rect(0, 0.88, 1, 1, (90, 130, 56))


def background(scene: str, width: int, height: int, seed: int) -> Canvas:
    """A scene's still picture (street or village; night is the village or street in infrared)."""
    rng = random.Random(seed)
    night = scene == "night"
    canvas = Canvas(width, height, infrared=night)
    layout = _street if scene == "street" or (night and seed % 2) else _village
    layout(canvas, rng)
    if night:
        lamp = rng.uniform(0.2, 0.8)
        canvas.rect(lamp, 0.12, lamp + 0.006, 0.5, (90, 90, 90))
        canvas.rect(lamp - 0.012, 0.1, lamp + 0.03, 0.13, (255, 255, 255))  # a street lamp
    return canvas


# --- passers-by -----------------------------------------------------------------------------------

SHIRTS: tuple[Rgb, ...] = ((200, 40, 40), (40, 80, 180), (230, 230, 230), (60, 140, 70), (220, 170, 40))
BODIES: tuple[Rgb, ...] = ((180, 30, 30), (30, 30, 34), (220, 220, 224), (40, 70, 150), (150, 150, 156))


@dataclass(frozen=True)
class Passer:
    """Someone crossing the picture along the road or lane: what, when, which way."""

    kind: str
    start: float  # seconds into the loop
    duration: float  # seconds to cross
    left_to_right: bool
    baseline: float  # where their wheels or feet touch the ground (fraction of the height)
    colour: Rgb

    @property
    def width(self) -> float:
        return {"person": 0.045, "motorbike": 0.12, "car": 0.3}[self.kind] * SIZE

    def x(self, t: float) -> float | None:
        """Their left edge at `t` seconds into the loop; None while they are not in the picture."""
        share = (t - self.start) / self.duration
        if not 0 <= share <= 1:
            return None
        travel = -self.width + share * (1 + self.width)
        return travel if self.left_to_right else 1 - self.width - travel

    def shapes(self, x: float) -> list[Rect]:
        """Their parts as rectangles, drawn at SIZE: (left, top, right, bottom) above the baseline, in units of
        the unscaled figure, from the left edge `x`."""
        return [
            (x + left * SIZE, self.baseline - top * SIZE, x + right * SIZE, self.baseline - bottom * SIZE, colour)
            for left, top, right, bottom, colour in self._parts(x)
        ]

    def _parts(self, x: float) -> list[Rect]:
        w = self.width / SIZE
        if self.kind == "person":
            step = 0.006 if int(x * 60) % 2 else -0.006
            return [
                (0.012 + step, 0.09, 0.02 + step, 0, (40, 40, 50)),
                (0.024 - step, 0.09, 0.032 - step, 0, (40, 40, 50)),
                (0.008, 0.19, 0.036, 0.085, self.colour),
                (0.013, 0.24, 0.031, 0.19, (200, 160, 130)),
                (0.004, 0.255, 0.04, 0.232, (230, 210, 150)),  # a conical hat
            ]
        if self.kind == "motorbike":
            front = w * 0.78 if self.left_to_right else w * 0.02
            return [
                (0, 0.045, w * 0.22, 0, (20, 20, 20)),
                (w * 0.78, 0.045, w, 0, (20, 20, 20)),
                (w * 0.12, 0.09, w * 0.88, 0.035, self.colour),
                (w * 0.35, 0.2, w * 0.62, 0.085, SHIRTS[int(self.start) % len(SHIRTS)]),
                (w * 0.38, 0.245, w * 0.6, 0.195, (240, 240, 240)),  # helmet
                (front, 0.1, front + w * 0.2, 0.075, (255, 250, 200)),  # headlight
            ]
        return [
            (0, 0.05, w * 0.18, 0, (20, 20, 20)),
            (w * 0.78, 0.05, w * 0.96, 0, (20, 20, 20)),
            (0, 0.13, w, 0.025, self.colour),
            (w * 0.18, 0.2, w * 0.8, 0.12, self.colour),
            (w * 0.24, 0.19, w * 0.48, 0.13, (60, 80, 96)),
            (w * 0.52, 0.19, w * 0.75, 0.13, (60, 80, 96)),
        ]


def passers_of(scene: str, index: int, loop_seconds: float, count: int) -> list[Passer]:
    """Who crosses a camera's picture once per loop, spread over the loop, different for every camera."""
    rng = random.Random(1000 + index)
    baseline = (0.74, 0.9) if scene == "street" else (0.8, 0.86)
    crossers: list[Passer] = []
    for n in range(count):
        kind = PASSER_KINDS[(index + n) % len(PASSER_KINDS)]
        duration = {"person": 9.0, "motorbike": 3.5, "car": 3.0}[kind] * rng.uniform(0.85, 1.2)
        slot = loop_seconds / count
        start = n * slot + rng.uniform(0, max(0.0, slot - duration))
        crossers.append(Passer(kind, start, duration, rng.random() < 0.5, rng.uniform(*baseline), rng.choice(BODIES)))
    return crossers


def frames(scene: str, *, width: int, height: int, fps: int, count: int, index: int, passers: int) -> Iterator[bytes]:
    """The loop's `count` I420 frames: the still scene, with `passers` crossings spread over it."""
    if scene not in SCENES:
        raise ValueError(f"unknown scene {scene!r} (one of {', '.join(SCENES)})")
    still = background(scene, width, height, seed=index)
    variants = [still]
    if scene == "night":
        variants = []
        for n in range(NOISE_VARIANTS):
            noisy = still.copy()
            noisy.add_noise(seed=index * 100 + n)
            variants.append(noisy)
    crossers = passers_of(scene, index, count / fps, passers)
    for number in range(count):
        t = number / fps
        canvas = variants[number % len(variants)].copy()
        for passer in crossers:
            x = passer.x(t)
            if x is not None:
                for shape in passer.shapes(x):
                    canvas.rect(*shape)
        yield canvas.frame()

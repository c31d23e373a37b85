"""Generated camera scenes for the detection evaluation set: numpy only, deterministic by seed.

A backdrop is a textured place a commune camera watches (a street of shop fronts, a village gate, an
alley) with its materials' albedo by day and under the camera's infrared lamp. It is lit by day, at
dusk or at night in IR mode (grey, lamp fall-off, more sensor noise); objects (person, bicycle,
motorbike, car) are drawn from parts that move (legs, wheels) over it; effects (rain, moths, swaying
trees, cloud shadows, headlights, street lights, welding, a torch at the lens, fire, flashes) are
drawn on top; sensor noise that grows with brightness is added to every frame. Frames come out as
YUV 4:2:0 planes (BT.601, limited range, as cameras send), ready for the encoder.

Everything is a function of a seed and the frame index: the same case always gives the same clip.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

W, H, FPS = 640, 360, 15

type F32 = npt.NDArray[np.float32]
type Planes = tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]]

_ROWS, _COLS = np.mgrid[0:H, 0:W].astype(np.float32)


# --- textures ------------------------------------------------------------------------------------


def value_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> F32:
    """Smooth random field in about -1..1 with features `cell` pixels apart (bilinear value noise)."""
    grid_h, grid_w = int(height / cell) + 2, int(width / cell) + 2
    grid = rng.uniform(-1, 1, (grid_h, grid_w)).astype(np.float32)
    ys = np.arange(height, dtype=np.float32) / cell
    xs = np.arange(width, dtype=np.float32) / cell
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)  # smoothstep: no grid creases
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bottom = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def fractal(rng: np.random.Generator, height: int, width: int, cells: tuple[float, ...] = (48, 12, 3)) -> F32:
    """Sum of value noise at several scales, each half as strong as the last (about -1..1)."""
    total = np.zeros((height, width), np.float32)
    weight, norm = 1.0, 0.0
    for cell in cells:
        total += weight * value_noise(rng, height, width, cell)
        norm += weight
        weight *= 0.55
    return total / np.float32(norm)


def smooth_series(rng: np.random.Generator, frames: int, period: float) -> F32:
    """A random signal in about -1..1 that changes over about `period` frames (flicker, hand tremor)."""
    return value_noise(rng, 1, frames, max(1.0, period))[0]


# --- backdrops ----------------------------------------------------------------------------------


@dataclass
class Backdrop:
    """A place: albedo by day (RGB 0..1), albedo under IR (0..1), and where things can happen."""

    name: str
    rgb: F32
    ir: F32
    ground: tuple[float, float]  # rows where feet stand: far (small objects) .. near (big ones)
    foliage: npt.NDArray[np.bool_]
    walls: tuple[float, float]  # rows of house fronts (headlight sweeps, cloud shadows)
    lamps: list[tuple[int, int]] = field(default_factory=list)  # street lamp heads (x, y)
    workshop: tuple[int, int, int, int] = (0, 0, 0, 0)  # an open workshop door x, y, w, h
    fire_spots: list[tuple[int, int]] = field(default_factory=list)  # where a fire or a blast can be


def _paint(  # noqa: PLR0917
    image: F32,
    ir: F32,
    y0: int,
    y1: int,
    x0: int,
    x1: int,
    colour: tuple[float, float, float],
    ir_value: float,
    texture: F32 | None = None,
    strength: float = 0.08,
) -> None:
    y0, y1, x0, x1 = max(0, y0), min(H, y1), max(0, x0), min(W, x1)
    if y1 <= y0 or x1 <= x0:
        return
    shade = 1.0 + strength * texture[y0:y1, x0:x1] if texture is not None else np.float32(1.0)
    for channel in range(3):
        image[y0:y1, x0:x1, channel] = colour[channel] * shade
    ir[y0:y1, x0:x1] = ir_value * shade


def _shop_fronts(rng: np.random.Generator, image: F32, ir: F32, texture: F32, top: int, bottom: int) -> None:  # noqa: PLR0917
    """A row of narrow Vietnamese shop houses: walls, sign boards, shutters or open doors, windows."""
    walls = [(0.93, 0.86, 0.62), (0.78, 0.84, 0.9), (0.95, 0.93, 0.9), (0.92, 0.75, 0.72), (0.7, 0.8, 0.65)]
    signs = [(0.85, 0.12, 0.1), (0.1, 0.25, 0.7), (0.95, 0.8, 0.1), (0.1, 0.55, 0.25)]
    x = 0
    while x < W:
        width = int(rng.integers(55, 110))
        roof = top + int(rng.integers(0, 40))
        wall = walls[int(rng.integers(len(walls)))]
        _paint(image, ir, roof, bottom, x, x + width, wall, 0.75, texture, 0.12)
        _paint(image, ir, roof, roof + 4, x, x + width, (0.45, 0.4, 0.38), 0.4)  # roof edge
        for floor in range(2):  # upper floor windows with frames
            wy = roof + 10 + floor * 28
            if wy + 18 < bottom - 70:
                _paint(image, ir, wy, wy + 18, x + 10, x + width - 10, (0.25, 0.28, 0.32), 0.2, texture, 0.2)
                _paint(image, ir, wy, wy + 18, x + width // 2 - 1, x + width // 2 + 1, (0.8, 0.8, 0.8), 0.7)
        sign_y = bottom - 70
        sign = signs[int(rng.integers(len(signs)))]
        _paint(image, ir, sign_y, sign_y + 16, x + 3, x + width - 3, sign, 0.5)
        for line in range(2):  # the sign's lettering
            ly = sign_y + 4 + 6 * line
            for lx in range(x + 8, x + width - 10, 7):
                if rng.random() < 0.75:
                    _paint(image, ir, ly, ly + 3, lx, lx + 4, (0.97, 0.97, 0.92), 0.9)
        door_top = sign_y + 20
        if rng.random() < 0.5:  # a shutter (grey, ribbed)
            _paint(image, ir, door_top, bottom, x + 6, x + width - 6, (0.6, 0.6, 0.62), 0.55)
            for ry in range(door_top, bottom, 4):
                _paint(image, ir, ry, ry + 1, x + 6, x + width - 6, (0.42, 0.42, 0.44), 0.4)
        else:  # an open shop: dark inside, goods on shelves
            _paint(image, ir, door_top, bottom, x + 6, x + width - 6, (0.18, 0.16, 0.15), 0.25, texture, 0.6)
            for _ in range(6):
                gx, gy = x + 8 + int(rng.integers(0, max(1, width - 20))), door_top + int(rng.integers(2, 40))
                goods = tuple(float(v) for v in rng.uniform(0.2, 0.9, 3))
                _paint(image, ir, gy, gy + 6, gx, gx + 8, goods, 0.5)  # type: ignore[arg-type]
        _paint(image, ir, roof, bottom, x, x + 2, (0.5, 0.48, 0.45), 0.45)  # party wall edge
        x += width


def _tree(  # noqa: PLR0917
    rng: np.random.Generator, image: F32, ir: F32, foliage: npt.NDArray[np.bool_], cx: int, cy: int, radius: int
) -> None:
    """A tree: trunk and a leafy crown (bright under IR: leaves reflect near infrared)."""
    _paint(image, ir, cy, cy + radius * 2, cx - 4, cx + 4, (0.35, 0.27, 0.2), 0.35)
    leaves = fractal(rng, H, W, (10, 4, 2))
    crown = ((_COLS - cx) / (radius * 1.3)) ** 2 + ((_ROWS - cy) / radius) ** 2 < 1 + 0.35 * leaves
    shade = 0.75 + 0.35 * leaves
    image[crown] = np.stack([0.18 * shade, 0.42 * shade, 0.15 * shade], axis=-1)[crown]
    ir[crown] = (0.8 * shade)[crown]
    foliage |= crown


def street(seed: int) -> Backdrop:
    """A road through a row of shop houses: sky, wires, shop fronts, pavement, asphalt with markings."""
    rng = np.random.default_rng(seed)
    image = np.zeros((H, W, 3), np.float32)
    ir = np.zeros((H, W), np.float32)
    texture = fractal(rng, H, W)
    sky = 0.85 - 0.25 * _ROWS / H
    image[...] = np.stack([sky * 0.75, sky * 0.85, sky], axis=-1)
    ir[...] = 0.25
    _shop_fronts(rng, image, ir, texture, 30, 190)
    _paint(image, ir, 190, 215, 0, W, (0.62, 0.6, 0.56), 0.6, texture, 0.15)  # pavement
    for tx in range(0, W, 18):
        _paint(image, ir, 190, 215, tx, tx + 1, (0.5, 0.48, 0.45), 0.5)
    asphalt = fractal(rng, H, W, (30, 6, 2))
    _paint(image, ir, 215, H, 0, W, (0.36, 0.36, 0.37), 0.38, asphalt, 0.25)
    for lx in range(10, W, 80):  # lane markings
        _paint(image, ir, 282, 286, lx, lx + 40, (0.9, 0.9, 0.85), 0.9)
    foliage = np.zeros((H, W), bool)
    _tree(rng, image, ir, foliage, 110, 120, 38)
    _tree(rng, image, ir, foliage, 520, 110, 44)
    for px in (60, 330, 600):  # electric poles and wires
        _paint(image, ir, 20, 215, px, px + 5, (0.55, 0.55, 0.55), 0.5)
    for wy in (26, 34):
        _paint(image, ir, wy, wy + 1, 0, W, (0.15, 0.15, 0.15), 0.15)
    return Backdrop(
        "street",
        np.clip(image, 0, 1),
        np.clip(ir, 0, 1),
        ground=(0.62, 0.98),
        foliage=foliage,
        walls=(0.12, 0.55),
        lamps=[(64, 40), (334, 40)],
        workshop=(400, 125, 60, 65),
        fire_spots=[(250, 200), (470, 185), (150, 300)],
    )


def gate(seed: int) -> Backdrop:
    """A village gate: an arch with two pillars and a roof over a concrete lane, walls and bamboo around."""
    rng = np.random.default_rng(seed)
    image = np.zeros((H, W, 3), np.float32)
    ir = np.zeros((H, W), np.float32)
    texture = fractal(rng, H, W)
    sky = 0.9 - 0.2 * _ROWS / H
    image[...] = np.stack([sky * 0.8, sky * 0.88, sky], axis=-1)
    ir[...] = 0.25
    foliage = np.zeros((H, W), bool)
    for cx in range(20, W, 70):  # bamboo hedge behind the walls
        _tree(rng, image, ir, foliage, cx + int(rng.integers(-10, 10)), 70 + int(rng.integers(-15, 15)), 34)
    _paint(image, ir, 120, 215, 0, W, (0.78, 0.74, 0.66), 0.7, texture, 0.2)  # village wall
    for bx in range(0, W, 24):
        _paint(image, ir, 120, 215, bx, bx + 1, (0.6, 0.56, 0.5), 0.55)
    _paint(image, ir, 60, 215, 230, 262, (0.86, 0.8, 0.62), 0.75, texture, 0.1)  # pillars
    _paint(image, ir, 60, 215, 378, 410, (0.86, 0.8, 0.62), 0.75, texture, 0.1)
    _paint(image, ir, 40, 62, 210, 430, (0.55, 0.2, 0.15), 0.45, texture, 0.15)  # tiled roof
    _paint(image, ir, 70, 90, 270, 370, (0.8, 0.15, 0.12), 0.45)  # the plaque
    for lx in range(276, 366, 9):
        _paint(image, ir, 76, 84, lx, lx + 5, (0.95, 0.85, 0.2), 0.85)
    _paint(image, ir, 90, 215, 262, 378, (0.3, 0.32, 0.3), 0.3, texture, 0.4)  # the lane beyond the gate
    _paint(image, ir, 215, H, 0, W, (0.58, 0.57, 0.55), 0.6, fractal(rng, H, W, (20, 5, 2)), 0.2)  # concrete
    for cy in range(230, H, 40):
        _paint(image, ir, cy, cy + 1, 0, W, (0.45, 0.44, 0.42), 0.45)  # slab joints
    return Backdrop(
        "gate",
        np.clip(image, 0, 1),
        np.clip(ir, 0, 1),
        ground=(0.6, 0.97),
        foliage=foliage,
        walls=(0.33, 0.6),
        lamps=[(246, 96), (394, 96)],
        workshop=(40, 150, 60, 65),
        fire_spots=[(520, 205), (320, 180), (120, 290)],
    )


def alley(seed: int) -> Backdrop:
    """An alley between two houses, crossing a lane at its far end: walls, doors, plants, a strip of sky."""
    rng = np.random.default_rng(seed)
    image = np.zeros((H, W, 3), np.float32)
    ir = np.zeros((H, W), np.float32)
    texture = fractal(rng, H, W)
    image[...] = (0.82, 0.86, 0.92)
    ir[...] = 0.25
    _paint(image, ir, 20, 220, 0, W, (0.7, 0.68, 0.6), 0.65, texture, 0.18)  # houses across the lane
    for dx in range(30, W, 120):
        _paint(image, ir, 130, 220, dx, dx + 40, (0.35, 0.22, 0.15), 0.3, texture, 0.2)  # doors
        _paint(image, ir, 60, 95, dx + 60, dx + 95, (0.2, 0.25, 0.3), 0.2)  # windows
    _paint(image, ir, 220, H, 0, W, (0.5, 0.49, 0.47), 0.5, fractal(rng, H, W, (16, 4, 2)), 0.3)  # lane
    # The alley's own walls, close to the camera, on both sides.
    left = _COLS < 90 - 0.18 * (_ROWS - 360) * -1
    right = _COLS > 550 + 0.18 * (_ROWS - 360) * -1
    wall_colour = np.array((0.88, 0.82, 0.7), np.float32)
    for mask in (left, right):
        image[mask] = (wall_colour * (1 + 0.15 * texture[..., None]))[mask]
        ir[mask] = (0.8 * (1 + 0.15 * texture))[mask]
    foliage = np.zeros((H, W), bool)
    _tree(rng, image, ir, foliage, 140, 200, 24)  # potted plants by the doors
    _tree(rng, image, ir, foliage, 500, 205, 22)
    return Backdrop(
        "alley",
        np.clip(image, 0, 1),
        np.clip(ir, 0, 1),
        ground=(0.64, 0.97),
        foliage=foliage,
        walls=(0.06, 0.6),
        lamps=[(320, 30)],
        workshop=(270, 150, 60, 70),
        fire_spots=[(200, 230), (430, 215), (320, 320)],
    )


BACKDROPS: dict[str, Callable[[int], Backdrop]] = {"street": street, "gate": gate, "alley": alley}


# --- light ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Light:
    """How a backdrop looks under this light: levels 0..255, grey or colour, and the sensor's noise."""

    name: str
    gain: float
    offset: float
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    grey: bool = False  # IR mode: the camera sends a grey picture
    noise_floor: float = 1.2  # sensor noise sigma in the dark, grey levels
    shot: float = 0.015  # noise variance per grey level of signal


LIGHTS = {
    "day": Light("day", 215.0, 18.0, noise_floor=1.2, shot=0.02),
    "dusk": Light("dusk", 120.0, 10.0, tint=(1.08, 0.98, 0.82), noise_floor=2.5, shot=0.05),
    "night": Light("night", 190.0, 8.0, grey=True, noise_floor=3.5, shot=0.09),
}


def ir_lamp() -> F32:
    """The IR lamp's light: strongest on the near ground in the middle, falling off with distance."""
    across = np.exp(-(((_COLS - W / 2) / (0.55 * W)) ** 2))
    near = 0.25 + 0.75 * (_ROWS / H) ** 0.8
    return (0.15 + 0.85 * across * near).astype(np.float32)


def lit(backdrop: Backdrop, light: Light) -> F32:
    """The backdrop as the camera sees it under `light`: (H, W, 3) levels 0..255 (grey: three equal planes)."""
    if light.grey:
        grey = light.offset + light.gain * backdrop.ir * ir_lamp()
        return np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    tint = np.array(light.tint, np.float32)
    return (light.offset + light.gain * backdrop.rgb * tint).astype(np.float32)


# --- objects --------------------------------------------------------------------------------------

# Real size (height m), speed (m/s), bounding box width per height, share of the box the shape covers.
KINDS: dict[str, tuple[float, float, float, float]] = {
    "person": (1.7, 1.4, 0.42, 0.55),
    "bicycle": (1.7, 4.0, 1.05, 0.42),
    "motorbike": (1.55, 9.0, 1.25, 0.55),
    "car": (1.5, 9.0, 2.6, 0.78),
}


def object_height(kind: str, share: float) -> float:
    """Pixel height of an object of `kind` whose shape covers `share` of the picture."""
    _, _, aspect, fill = KINDS[kind]
    return math.sqrt(share * W * H / (aspect * fill))


def _ellipse(u: F32, v: F32, cx: float, cy: float, rx: float, ry: float) -> npt.NDArray[np.bool_]:  # noqa: PLR0917
    result: npt.NDArray[np.bool_] = ((v - cx) / rx) ** 2 + ((u - cy) / ry) ** 2 <= 1
    return result


def _segment(u: F32, v: F32, a: tuple[float, float], b: tuple[float, float], r: float) -> npt.NDArray[np.bool_]:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = np.clip(((v - ax) * dx + (u - ay) * dy) / (dx * dx + dy * dy + 1e-9), 0, 1)
    result: npt.NDArray[np.bool_] = (v - ax - t * dx) ** 2 + (u - ay - t * dy) ** 2 <= r * r
    return result


def _rect(u: F32, v: F32, x0: float, y0: float, x1: float, y1: float) -> npt.NDArray[np.bool_]:  # noqa: PLR0917
    result: npt.NDArray[np.bool_] = (v >= x0) & (v <= x1) & (u >= y0) & (u <= y1)
    return result


# Materials of an object's parts (their levels are picked per clip against the background).
SKIN, TOP, BOTTOM, HAIR, DARK, BODY, GLASS, LAMP = range(8)


def _rider(u: F32, v: F32, phase: float, seated: bool) -> list[tuple[int, npt.NDArray[np.bool_]]]:
    """A person's parts, in object units (height 1, feet at u = 1, centre at v = 0, facing +v)."""
    swing = 0.0 if seated else 0.32 * math.sin(phase)
    parts: list[tuple[int, npt.NDArray[np.bool_]]] = []
    if seated:
        parts.append((BOTTOM, _segment(u, v, (0.0, 0.55), (0.18, 0.62), 0.05)))
        parts.append((BOTTOM, _segment(u, v, (0.18, 0.62), (0.16, 0.85), 0.045)))
    else:
        for side in (1, -1):
            foot = (0.5 * swing * side * 0.9, 0.98)
            parts.append((BOTTOM, _segment(u, v, (0.0, 0.52), foot, 0.055)))
    parts.append((TOP, _rect(u, v, -0.12, 0.18, 0.12, 0.55) & _ellipse(u, v, 0, 0.36, 0.15, 0.24)))
    arm = (0.25 * math.sin(phase + math.pi) * 0.6, 0.5) if not seated else (0.22, 0.42)
    parts.append((TOP, _segment(u, v, (0.0, 0.22), arm, 0.04)))
    parts.append((SKIN, _ellipse(u, v, 0.01, 0.09, 0.065, 0.08)))
    parts.append((HAIR, _ellipse(u, v, -0.01, 0.05, 0.066, 0.05)))
    return parts


def _parts(kind: str, u: F32, v: F32, phase: float) -> list[tuple[int, npt.NDArray[np.bool_]]]:
    if kind == "person":
        return _rider(u, v, phase, seated=False)
    if kind == "bicycle":
        parts = [
            (DARK, _ellipse(u, v, x, 0.82, 0.19, 0.19) & ~_ellipse(u, v, x, 0.82, 0.15, 0.15)) for x in (-0.32, 0.32)
        ]
        parts.append((DARK, _segment(u, v, (-0.32, 0.82), (0.0, 0.6), 0.02)))
        parts.append((DARK, _segment(u, v, (0.0, 0.6), (0.32, 0.82), 0.02)))
        return parts + _rider(u * 1.0 - 0.02, v + 0.05, phase, seated=True)
    if kind == "motorbike":
        parts = [(DARK, _ellipse(u, v, x, 0.86, 0.15, 0.15)) for x in (-0.38, 0.4)]
        parts.append((BODY, _ellipse(u, v, 0.0, 0.7, 0.42, 0.13)))
        parts.append((BODY, _rect(u, v, 0.3, 0.45, 0.42, 0.72)))
        parts.append((LAMP, _ellipse(u, v, 0.46, 0.5, 0.04, 0.04)))
        return parts + _rider(u + 0.05, v + 0.05, phase, seated=True)
    parts = [(BODY, _rect(u, v, -1.25, 0.42, 1.25, 0.85)), (BODY, _ellipse(u, v, -0.1, 0.42, 0.8, 0.32) & (u < 0.45))]
    parts.append((GLASS, _ellipse(u, v, -0.1, 0.42, 0.68, 0.24) & (u < 0.42)))
    parts += [(DARK, _ellipse(u, v, x, 0.85, 0.17, 0.15)) for x in (-0.8, 0.8)]
    parts.append((LAMP, _ellipse(u, v, 1.22, 0.55, 0.05, 0.05)))
    return parts


@dataclass
class Sprite:
    """An object drawn at one moment: coverage (0..1) and level per pixel, at a place in the picture."""

    top: int
    left: int
    alpha: F32
    levels: F32  # (h, w, 3)


def sprite(  # noqa: PLR0917
    kind: str,
    height: float,
    x: float,
    feet: float,
    facing: int,
    phase: float,
    palette: dict[int, npt.NDArray[np.float32]],
) -> Sprite:
    """Draw the object with its feet centred at (x, feet), anti-aliased by 3x3 supersampling."""
    _, _, aspect, _ = KINDS[kind]
    half = aspect * height / 2 + 2
    left, right = math.floor(x - half), math.ceil(x + half)
    top, bottom = math.floor(feet - height - 2), math.ceil(feet + 2)
    rows, cols = bottom - top, right - left
    sub = 3
    ys = (np.arange(rows * sub, dtype=np.float32) + 0.5) / sub + top
    xs = (np.arange(cols * sub, dtype=np.float32) + 0.5) / sub + left
    u = ((ys - (feet - height)) / height)[:, None] * np.ones((1, cols * sub), np.float32)
    v = (((xs - x) / height) * facing)[None, :] * np.ones((rows * sub, 1), np.float32)
    material = np.full(u.shape, -1, np.int8)
    for index, mask in _parts(kind, u, v, phase):
        material[mask] = index
    levels = np.zeros((*u.shape, 3), np.float32)
    for index, value in palette.items():
        levels[material == index] = value
    covered = (material >= 0).astype(np.float32)
    alpha = covered.reshape(rows, sub, cols, sub).mean(axis=(1, 3))
    summed = (levels * covered[..., None]).reshape(rows, sub, cols, sub, 3).sum(axis=(1, 3))
    colour = summed / np.maximum(alpha[..., None] * sub * sub, 1e-6)
    return Sprite(top, left, alpha.astype(np.float32), colour.astype(np.float32))


def paste(frame: F32, item: Sprite) -> None:
    """Draw a sprite over the frame (clipped at the picture's edges)."""
    top, left = item.top, item.left
    h, w = item.alpha.shape
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(H, top + h), min(W, left + w)
    if y1 <= y0 or x1 <= x0:
        return
    alpha = item.alpha[y0 - top : y1 - top, x0 - left : x1 - left, None]
    region = frame[y0:y1, x0:x1]
    region *= 1 - alpha
    region += alpha * item.levels[y0 - top : y1 - top, x0 - left : x1 - left]


def glow(  # noqa: PLR0917
    frame: F32,
    cx: float,
    cy: float,
    radius: float,
    amount: float,
    colour: tuple[float, float, float],
    *,
    multiply: bool = False,
) -> None:
    """Add (or multiply in) a soft round light of `radius` pixels centred at (cx, cy)."""
    reach = int(radius * 3) + 1
    y0, y1 = max(0, int(cy) - reach), min(H, int(cy) + reach)
    x0, x1 = max(0, int(cx) - reach), min(W, int(cx) + reach)
    if y1 <= y0 or x1 <= x0 or amount == 0:
        return
    spot = np.exp(-(((_COLS[y0:y1, x0:x1] - cx) ** 2 + (_ROWS[y0:y1, x0:x1] - cy) ** 2) / (2 * radius * radius)))
    tint = np.array(colour, np.float32)
    if multiply:
        frame[y0:y1, x0:x1] *= 1 + amount * spot[..., None] * tint
    else:
        frame[y0:y1, x0:x1] += amount * spot[..., None] * tint


# --- frames to YUV --------------------------------------------------------------------------------


def to_yuv(frame: F32, grey: bool, noise: F32) -> Planes:
    """BT.601 limited-range YUV 4:2:0 planes of an RGB frame (levels 0..255), with sensor noise on luma."""
    rgb = np.clip(frame, 0, 255)
    luma = np.float32(0.299) * rgb[..., 0] + np.float32(0.587) * rgb[..., 1] + np.float32(0.114) * rgb[..., 2]
    y = np.clip(16 + (luma + noise) * (219 / 255), 0, 255).astype(np.uint8)
    if grey:
        flat = np.full((H // 2, W // 2), 128, np.uint8)
        return y, flat, flat
    quarter = (rgb[0::2, 0::2] + rgb[1::2, 0::2] + rgb[0::2, 1::2] + rgb[1::2, 1::2]) * np.float32(0.25)
    q_luma = 0.299 * quarter[..., 0] + 0.587 * quarter[..., 1] + 0.114 * quarter[..., 2]
    u = np.clip(128 + (quarter[..., 2] - q_luma) * (0.564 * 224 / 255), 0, 255).astype(np.uint8)
    v = np.clip(128 + (quarter[..., 0] - q_luma) * (0.713 * 224 / 255), 0, 255).astype(np.uint8)
    return y, u, v


def sensor_noise(rng: np.random.Generator, frame: F32, light: Light) -> F32:
    """Noise that grows with brightness (shot noise) over a floor (read noise)."""
    luma = frame[..., 1]  # green carries most of the luma: close enough for the noise's size
    sigma = np.sqrt(np.float32(light.noise_floor**2) + np.float32(light.shot) * np.maximum(luma, np.float32(0)))
    return rng.standard_normal((H, W), dtype=np.float32) * sigma

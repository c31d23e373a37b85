"""The labelled evaluation set for detection: generated clips, encoded like a cheap camera, scored.

Every case is a seeded recipe (tools/scenes.py, tools/effects.py): a place, a light, what happens and
when, and the encoder's bit rate. Clips are H.264 at 640x360, 15 fps, 2 s GOPs, 256-512 kbit/s, no
B-frames (as cameras send), encoded once and kept in `bench-output/evalset/` (the file name carries a
hash of the recipe and of the generator's source, so a changed recipe makes a new clip).

    ./scripts/bench           runs the whole set (tools/bench.py)
    tests/test_evalset.py     asserts a representative subset

Scoring (`score`): recall of objects by kind, size, light and contrast; latency from the moment the
object is fully in view; false alarms on the nuisance and static clips; fire and flash recall by case
and their false alarms on their nuisances; tamper on IR switching.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import math
import os
import statistics
import tempfile
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from custom_components.ngu_doan_cameras.engine.detection import CameraDetection, DetectionSettings

from . import effects, scenes
from .scenes import F32, FPS, Backdrop, H, Light, W

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench-output" / "evalset"
WARM_UP = 5.0  # seconds of the empty scene before anything happens (the detector learns the view)


@dataclass(frozen=True)
class Case:
    """One clip's recipe and what it must (or must not) raise."""

    name: str
    group: str  # object, nuisance, fire, flash, light_nuisance, ir_switch, tamper
    backdrop: str
    light: str
    seed: int
    seconds: float
    bitrate: int = 384  # kbit/s
    kind: str = ""  # object kind
    share: float = 0.0  # share of the picture the object covers
    contrast: float = 0.0  # grey levels between the object's clothes/body and the background
    direction: int = 1
    oblique: bool = False
    speed: float = 1.0  # times the kind's usual speed
    effect: str = ""
    effect_at: float = 0.0
    params: tuple[tuple[str, float], ...] = ()

    def param(self, key: str, default: float = 0.0) -> float:
        """A numeric parameter of the effect."""
        return dict(self.params).get(key, default)


@dataclass(frozen=True)
class Track:
    """Where an object is, frame by frame."""

    height: float
    feet0: float
    feet1: float
    x0: float
    speed: float  # pixels a frame, signed
    half: float  # half the bounding box's width
    first: int  # first frame it moves in

    def at(self, index: int) -> tuple[float, float]:
        """Centre x and feet row at frame `index`."""
        steps = index - self.first
        x = self.x0 + self.speed * steps
        progress = min(1.0, max(0.0, abs(x - self.x0) / (W + 2 * self.half)))
        return x, self.feet0 + (self.feet1 - self.feet0) * progress

    def visible(self, index: int) -> bool:
        """Some of it is in the picture."""
        x, _ = self.at(index)
        return index >= self.first and -self.half < x < W + self.half

    def fully_visible(self, index: int) -> bool:
        """All of it is in the picture."""
        x, _ = self.at(index)
        return index >= self.first and self.half <= x <= W - self.half


@dataclass(frozen=True)
class Label:
    """Frame numbers of what happens in a clip."""

    frames: int
    first_visible: int | None = None
    fully_visible: int | None = None
    last_visible: int | None = None
    onset: int | None = None  # fire starts, flash bursts, tamper begins, IR switches
    ends: int | None = None  # the tamper is undone


# --- recipes ----------------------------------------------------------------------------------------


def _object_cases() -> list[Case]:
    cases: list[Case] = []
    places = ("street", "gate", "alley")
    contrasts = (15.0, 30.0, 60.0)  # low, medium, high (grey levels)

    def add(kind: str, share: float, light: str, count: int, start_seed: int, speed: float = 1.0) -> None:  # noqa: PLR0917
        for n in range(count):
            seed = start_seed + n
            rng = np.random.default_rng(seed)
            contrast = contrasts[n % 3] * float(rng.uniform(0.85, 1.15))
            cases.append(
                Case(
                    name=f"{kind}_{share * 100:g}pct_{light}_{n:02d}",
                    group="object",
                    backdrop=places[(n // 3) % 3],
                    light=light,
                    seed=seed,
                    seconds=0.0,  # from the track
                    bitrate=(256, 384, 512)[(n // 2) % 3],
                    kind=kind,
                    share=share,
                    contrast=round(contrast, 1),
                    direction=1 if n % 2 == 0 else -1,
                    oblique=n % 4 == 3,
                    speed=round(speed * float(rng.uniform(0.8, 1.25)), 2),
                )
            )

    # The figures the targets are set on: a person at 0.25 % by day and at night, at 0.1 % by day.
    add("person", 0.0025, "day", 24, 1000)
    add("person", 0.0025, "night", 24, 2000)
    add("person", 0.001, "day", 24, 3000)
    # Recall by size (day and night), at dusk, and other road users.
    add("person", 0.001, "night", 12, 4000)
    add("person", 0.0005, "day", 9, 5000)
    add("person", 0.0005, "night", 9, 5100)
    add("person", 0.005, "day", 9, 5200)
    add("person", 0.005, "night", 9, 5300)
    add("person", 0.01, "day", 6, 5400)
    add("person", 0.01, "night", 6, 5500)
    add("person", 0.02, "day", 6, 5600)
    add("person", 0.0025, "dusk", 12, 5700)
    add("bicycle", 0.0025, "day", 6, 6000)
    add("bicycle", 0.0025, "night", 6, 6100)
    add("motorbike", 0.001, "day", 6, 6200)
    add("motorbike", 0.0025, "day", 6, 6300)
    add("motorbike", 0.0025, "night", 6, 6400)
    add("motorbike", 0.01, "night", 6, 6500)
    add("car", 0.005, "day", 6, 6600)
    add("car", 0.01, "night", 6, 6700)
    return cases


def _nuisance_cases() -> list[Case]:
    cases: list[Case] = []
    places = ("street", "gate", "alley")

    def add(  # noqa: PLR0917
        effect: str,
        light: str,
        count: int,
        seed: int,
        bitrate: int = 384,
        seconds: float = 60.0,
        group: str = "nuisance",
        at: float = 0.0,
        **params: float,
    ) -> None:
        cases.extend(
            Case(
                name=f"{effect}_{light}_{n:02d}",
                group=group,
                backdrop=places[n % 3],
                light=light,
                seed=seed + n,
                seconds=seconds,
                bitrate=bitrate if n % 2 == 0 else 256,
                effect=effect,
                effect_at=at,
                params=tuple(sorted(params.items())),
            )
            for n in range(count)
        )

    add("static", "day", 3, 7000)
    add("static", "dusk", 3, 7100)
    add("static", "night", 3, 7200)
    add("keyframes", "night", 3, 7300, bitrate=256)  # noisy night at a low bit rate: key frames pulse
    add("rain", "day", 2, 7400)
    add("rain", "night", 3, 7500)
    add("insects", "night", 3, 7600)
    add("trees", "day", 3, 7700)
    add("trees", "dusk", 2, 7800)
    add("cloud", "day", 3, 7900)
    add("headlight_sweep", "night", 3, 8000)
    add("dusk_drift", "dusk", 2, 8100)
    add("ir_switch", "dusk", 3, 8200, group="ir_switch", at=25.0)  # evening: colour to IR
    add("ir_switch", "night", 3, 8300, group="ir_switch", at=25.0)  # morning: IR to colour
    # Fire and flash nuisances (they may well be motion: only fire and flash must stay quiet).
    add("welding", "day", 3, 8400, group="light_nuisance")
    add("welding", "night", 3, 8500, group="light_nuisance")
    add("street_lights", "dusk", 2, 8600, group="light_nuisance", seconds=40.0, at=10.0, sodium=1.0)
    add("street_lights", "night", 2, 8700, group="light_nuisance", seconds=40.0, at=10.0, sodium=0.0)
    add("flashlight", "night", 3, 8800, group="light_nuisance")
    add("flashlight", "dusk", 1, 8900, group="light_nuisance")
    add("headlights", "night", 3, 9000, group="light_nuisance")
    # Fire: starts at 8 s, grows for 10-25 s.
    for n, (light, width) in enumerate(
        [
            ("day", 30),
            ("day", 20),
            ("day", 40),
            ("day", 14),
            ("dusk", 24),
            ("dusk", 16),
            ("night", 30),
            ("night", 18),
            ("night", 40),
            ("night", 12),
        ]
    ):
        cases.append(
            Case(
                f"fire_{light}_{n:02d}",
                "fire",
                places[n % 3],
                light,
                9100 + n,
                40.0,
                384 if n % 2 else 256,
                effect="fire",
                effect_at=8.0,
                params=(("grow", 10.0 + 15 * (n % 3) / 2), ("width", float(width))),
            )
        )
    # Flashes: blasts (bigger, slower light) and firecrackers (a pop lasts a frame; strings of pops).
    flashes = [
        ("blast", "day", 14, 0.3, 1),
        ("blast", "day", 10, 0.25, 1),
        ("blast", "dusk", 12, 0.3, 1),
        ("blast", "night", 14, 0.35, 1),
        ("blast", "night", 9, 0.25, 1),
        ("blast", "night", 12, 0.4, 1),
        ("firecracker", "night", 5, 0.06, 1),
        ("firecracker", "night", 4, 0.05, 1),
        ("firecracker", "night", 6, 0.08, 1),
        ("firecracker", "day", 6, 0.06, 1),
        ("firecracker", "dusk", 5, 0.06, 1),
        ("firecrackers", "night", 5, 0.05, 12),
        ("firecrackers", "night", 4, 0.05, 20),
        ("firecrackers", "day", 5, 0.05, 15),
    ]
    for n, (what, light, radius, decay, pops) in enumerate(flashes):
        cases.append(
            Case(
                f"flash_{what}_{light}_{n:02d}",
                "flash",
                places[n % 3],
                light,
                9300 + n,
                16.0,
                384 if n % 2 else 256,
                effect="flash",
                effect_at=7.0,
                params=(("decay", decay), ("pops", float(pops)), ("radius", float(radius))),
            ),
        )
    # Tamper that comes back: the lens covered, then uncovered; the camera turned away, then back.
    for n, (effect, light) in enumerate([("cover", "day"), ("cover", "night"), ("turn", "day"), ("turn", "night")]):
        cases.append(
            Case(
                f"tamper_{effect}_{light}",
                "tamper",
                places[n % 3],
                light,
                9500 + n,
                40.0,
                384,
                effect=effect,
                effect_at=10.0,
                params=(("back", 25.0),),
            )
        )
    return cases


HOLDOUT_SEED = 100_000


@cache
def all_cases(holdout: bool = False) -> tuple[Case, ...]:
    """Every case of the evaluation set, in a fixed order.

    `holdout`: the same recipes with other seeds (other places, walkers, clothes, noise, rain,
    moths): the detector's thresholds were set looking at the first set, never at this one.
    """
    cases = tuple(_object_cases() + _nuisance_cases())
    if not holdout:
        return cases
    return tuple(replace(item, name=f"holdout_{item.name}", seed=item.seed + HOLDOUT_SEED) for item in cases)


def case(name: str) -> Case:
    """The case of that name (either set)."""
    return next(item for item in all_cases(name.startswith("holdout_")) if item.name == name)


# --- rendering --------------------------------------------------------------------------------------


def track(item: Case) -> Track:
    """An object's path: in from one side, across the ground (obliquely: also towards or away)."""
    real_height, real_speed, aspect, _ = scenes.KINDS[item.kind]
    height = scenes.object_height(item.kind, item.share)
    backdrop = _backdrop(item.backdrop, item.seed)
    far, near = backdrop.ground
    rng = np.random.default_rng(item.seed + 17)
    # Nearer objects look bigger: small ones walk far away (higher in the picture).
    nearness = min(1.0, max(0.0, (math.log(item.share) - math.log(0.0005)) / (math.log(0.02) - math.log(0.0005))))
    feet = H * (far + (near - far) * min(1.0, nearness + float(rng.uniform(-0.1, 0.1))))
    feet = min(H - 2.0, max(height + 4, feet))
    feet1 = feet + (float(rng.uniform(-0.07, 0.07)) * H if item.oblique else 0.0)
    feet1 = min(H - 2.0, max(height + 4, feet1))
    speed = real_speed * item.speed * height / real_height / FPS * (0.6 if item.oblique else 1.0)
    half = aspect * height / 2
    x0 = -half if item.direction > 0 else W + half
    return Track(height, feet, feet1, x0, speed * item.direction, half, int(WARM_UP * FPS))


def label(item: Case) -> Label:
    """When things happen in the clip."""
    if item.group == "object":
        path = track(item)
        index = path.first
        while not path.fully_visible(index):
            index += 1
        fully = index
        last = fully
        while path.visible(last + 1) and last < fully + 6 * FPS:
            last += 1
        frames = last + FPS  # a second more, gone or still walking
        return Label(frames=frames, first_visible=path.first + 1, fully_visible=fully, last_visible=last)
    frames = int(item.seconds * FPS)
    onset = int(item.effect_at * FPS) if item.effect_at else None
    ends = int(item.param("back") * FPS) if item.param("back") else None
    return Label(frames=frames, onset=onset, ends=ends)


@cache
def _backdrop(name: str, seed: int) -> Backdrop:
    return scenes.BACKDROPS[name](seed % 7)  # a handful of towns: places repeat with other events


def _palette(item: Case, lit: F32, path: Track, rng: np.random.Generator) -> dict[int, Any]:
    """Levels of the object's materials, set against the background along its path (`contrast`)."""
    top = int(max(0, path.feet0 - path.height))
    bottom = int(min(H, path.feet0 + 1))
    background = float(lit[top:bottom, :, 1].mean())
    contrast = item.contrast

    def level(offset: float) -> float:
        # Away from the background by `offset`, to whichever side has room.
        wanted = background + offset
        if wanted > 240 or wanted < 12:
            wanted = background - offset
        return min(245.0, max(8.0, wanted))

    sign = 1.0 if rng.random() < 0.5 else -1.0
    grey = scenes.LIGHTS[item.light].grey
    hue = rng.uniform(0.8, 1.2, 3) if not grey else np.ones(3)

    def colour(value: float, tint: Any = None) -> Any:
        tint = hue if tint is None else tint
        vector = np.asarray(tint, np.float32)
        return (vector * value / float(0.299 * vector[0] + 0.587 * vector[1] + 0.114 * vector[2])).astype(np.float32)

    skin = np.ones(3) if grey else np.array((1.15, 0.95, 0.8))
    lamp = 255.0 if item.light != "day" else 200.0
    return {
        scenes.TOP: colour(level(sign * contrast)),
        scenes.BOTTOM: colour(level(-sign * contrast * 0.8), np.ones(3)),
        scenes.SKIN: colour(level(contrast * 0.6), skin),
        scenes.HAIR: colour(min(background, 40.0), np.ones(3)),
        scenes.DARK: colour(level(-max(contrast, 40.0)), np.ones(3)),
        scenes.BODY: colour(level(sign * contrast)),
        scenes.GLASS: colour(level(-contrast * 0.7), np.ones(3)),
        scenes.LAMP: colour(lamp, np.ones(3)),
    }


def _effect(
    item: Case, backdrop: Backdrop, light: Light, still: F32, rng: np.random.Generator
) -> effects.Effect | None:
    grey = light.grey
    match item.effect:
        case "rain":
            return effects.Rain(rng, night=grey)
        case "insects":
            return effects.Insects(rng)
        case "trees":
            return effects.Trees(rng, backdrop, still)
        case "cloud":
            return effects.Cloud(rng, speed=float(rng.uniform(8, 20)))
        case "headlight_sweep":
            return effects.HeadlightSweep(rng, backdrop)
        case "dusk_drift":
            return effects.Exposure()
        case "ir_switch":
            return effects.IrSwitch(item.effect_at, to_night=not grey)
        case "street_lights":
            return effects.StreetLights(backdrop, item.effect_at, sodium=bool(item.param("sodium")), grey=grey)
        case "welding":
            return effects.Welding(rng, backdrop, grey, item.seconds)
        case "flashlight":
            return effects.Flashlight(rng, item.seconds)
        case "headlights":
            return effects.Headlights(rng, backdrop)
        case "fire":
            spot = backdrop.fire_spots[item.seed % len(backdrop.fire_spots)]
            return effects.Fire(
                rng, spot, item.effect_at, item.param("grow"), item.param("width"), grey, day=item.light == "day"
            )
        case "flash":
            spot = backdrop.fire_spots[item.seed % len(backdrop.fire_spots)]
            return effects.Flash(
                rng,
                spot,
                item.effect_at,
                item.param("radius"),
                item.param("decay"),
                grey,
                day=item.light == "day",
                pops=int(item.param("pops", 1)),
                spread=3.0,
            )
    return None


def frames(item: Case) -> Iterator[scenes.Planes]:
    """The clip's frames as YUV 4:2:0 planes."""
    rng = np.random.default_rng(item.seed)
    backdrop = _backdrop(item.backdrop, item.seed)
    light = scenes.LIGHTS[item.light]
    still = scenes.lit(backdrop, light)
    # After an IR switch the camera sees the place in the other mode.
    other = (
        scenes.lit(backdrop, scenes.LIGHTS["night" if not light.grey else "day"])
        if item.effect == "ir_switch"
        else still
    )
    effect = _effect(item, backdrop, light, still, rng)
    info = label(item)
    path = track(item) if item.group == "object" else None
    palette = _palette(item, still, path, rng) if path is not None else {}
    turned = still
    if item.effect == "turn":  # pushed to look at another place
        turned = np.roll(
            scenes.lit(scenes.BACKDROPS["alley" if item.backdrop != "alley" else "gate"](3), light), 150, 1
        )
    for index in range(info.frames):
        switched = item.effect == "ir_switch" and index >= (info.onset or 0)
        grey = light.grey != switched
        frame = (other if switched else still).copy()
        if effect is not None:
            effect.draw(frame, index)
        if path is not None and path.visible(index):
            _draw_object(frame, item, path, index, palette, light)
        tampered = info.onset is not None and info.onset <= index < (info.ends or info.frames)
        if item.group == "tamper" and tampered:
            if item.effect == "cover":  # a hand or a cloth over the lens: dark, almost flat
                frame[...] = 14 + 4 * scenes.value_noise(rng, H, W, 80)[..., None]
            else:
                frame = turned.copy()
        noise = scenes.sensor_noise(rng, frame, scenes.LIGHTS["night"] if grey else light)
        yield scenes.to_yuv(frame, grey, noise)


def _draw_object(frame: F32, item: Case, path: Track, index: int, palette: dict[int, Any], light: Light) -> None:  # noqa: PLR0917
    x, feet = path.at(index)
    # Legs and wheels turn with the distance covered (a stride is about a body height).
    phase = 2 * math.pi * abs(x - path.x0) / max(path.height * 0.9, 1.0)
    if item.light == "day":  # a soft shadow on the ground
        scenes.glow(
            frame,
            x + 0.15 * path.height,
            feet,
            0.18 * path.height * scenes.KINDS[item.kind][2],
            -0.35,
            (1, 1, 1),
            multiply=True,
        )
    scenes.paste(frame, scenes.sprite(item.kind, path.height, x, feet, item.direction, phase, palette))
    if item.kind in {"motorbike", "car"} and light.name != "day":  # headlights on, and their beam on the road
        ahead = x + item.direction * path.half
        scenes.glow(frame, ahead, feet - 0.45 * path.height, max(1.5, 0.05 * path.height), 300, (1, 1, 0.95))
        scenes.glow(
            frame, ahead + item.direction * path.height, feet, path.height * 0.7, 0.7, (1, 1, 0.95), multiply=True
        )


# --- encoding and the cache -------------------------------------------------------------------------


@cache
def _source_hash(with_effects: bool) -> str:
    """The generator's code that makes a clip: the scenes, the rendering here, the effects if any.

    Hashed as syntax trees: reformatting or a changed comment keeps the clips.
    """
    sources = [(Path(__file__).parent / "scenes.py").read_text()]
    if with_effects:
        sources.append((Path(__file__).parent / "effects.py").read_text())
    sources += [textwrap.dedent(inspect.getsource(function)) for function in _RENDERING]
    digest = hashlib.sha256(repr(ENCODER).encode())
    for source in sources:
        digest.update(ast.dump(ast.parse(source)).encode())
    return digest.hexdigest()[:10]


def clip_path(item: Case, cache_dir: Path = CACHE, *, audio: bool = False) -> Path:
    """Where the case's encoded clip is kept (its name changes when the recipe or its generator does)."""
    recipe = hashlib.sha256(repr(asdict(item)).encode()).hexdigest()[:10]
    sound = "-audio" if audio else ""
    return cache_dir / f"{item.name}-{recipe}-{_source_hash(bool(item.effect))}{sound}.mp4"


# A camera's encoder: fixed 2 s GOPs, no B-frames, a bit rate it must keep (maxrate and bufsize are the
# case's bit rate: key frames starve the frames after them, and the picture pulses every GOP).
ENCODER = {
    "preset": "veryfast",
    "tune": "zerolatency",
    "g": str(2 * FPS),
    "keyint_min": str(2 * FPS),
    "sc_threshold": "0",
    "bf": "0",
    "threads": "1",
}
AUDIO_RATE = 16_000
AAC_FRAME = 1024
BANG_DELAY = 0.3  # seconds the bang comes after the flash (sound from 100 m away)


def sound(item: Case, seconds: float) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The camera's microphone: a street's murmur, and a bang with every flash (samples in -1..1)."""
    rng = np.random.default_rng(item.seed + 31)
    count = int(seconds * AUDIO_RATE) + AAC_FRAME
    murmur = rng.normal(0, 1, count).astype(np.float32)
    murmur = np.convolve(murmur, np.ones(8, np.float32) / 8, mode="same") * np.float32(0.01)  # about -45 dBFS
    if item.effect == "flash":
        start = int((item.effect_at + BANG_DELAY) * AUDIO_RATE)
        length = int(0.8 * AUDIO_RATE)
        envelope = np.exp(-np.arange(length, dtype=np.float32) / (0.12 * AUDIO_RATE))
        bang = rng.normal(0, 0.5, length).astype(np.float32) * envelope
        end = min(count, start + length)
        murmur[start:end] += bang[: end - start]
    return np.clip(murmur, -1, 1)


def encode(item: Case, cache_dir: Path = CACHE, *, audio: bool = False) -> Path:
    """The case's clip on disk, made now if it is not there yet (written whole, then renamed).

    `audio`: with the camera's sound as AAC (16 kHz mono, as cameras send), a bang with each flash.
    """
    path = clip_path(item, cache_dir, audio=audio)
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=".mp4", dir=cache_dir)
    os.close(handle)
    try:
        with av.open(temporary, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
            stream.bit_rate = item.bitrate * 1000
            stream.options = {**ENCODER, "maxrate": f"{item.bitrate}k", "bufsize": f"{item.bitrate}k"}
            microphone = _Microphone(container, sound(item, label(item).frames / FPS)) if audio else None
            for index, (y, u, v) in enumerate(frames(item)):
                frame = VideoFrame(W, H, "yuv420p")
                for plane, data in zip(frame.planes, (y, u, v), strict=True):
                    _write_plane(plane, data)
                container.mux(stream.encode(frame))
                if microphone is not None:
                    microphone.until((index + 1) / FPS)
            container.mux(stream.encode(None))
            if microphone is not None:
                microphone.close()
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


class _Microphone:
    """Sound into the clip, AAC frame by AAC frame, interleaved with the pictures."""

    def __init__(self, container: Any, samples: np.ndarray[Any, np.dtype[np.float32]]) -> None:
        self._container = container
        self._stream = container.add_stream("aac", rate=AUDIO_RATE)
        self._stream.layout = "mono"
        self._samples = samples
        self._done = 0

    def until(self, seconds: float) -> None:
        while self._done + AAC_FRAME <= min(len(self._samples), int(seconds * AUDIO_RATE)):
            chunk = self._samples[self._done : self._done + AAC_FRAME]
            frame = AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = self._done
            self._container.mux(self._stream.encode(frame))
            self._done += AAC_FRAME

    def close(self) -> None:
        self._container.mux(self._stream.encode(None))


_RENDERING = (track, label, _palette, _effect, frames, _draw_object, _backdrop)


def _write_plane(plane: Any, data: np.ndarray[Any, Any]) -> None:
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    rows[: data.shape[0], : data.shape[1]] = data


def decoded(item: Case, cache_dir: Path = CACHE) -> Iterator[VideoFrame]:
    """The clip's frames as a camera's reader would hand them to detection (one decoding thread)."""
    with av.open(str(encode(item, cache_dir))) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        yield from container.decode(stream)


# --- running and scoring ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the detector raised on one clip: (frame, event type) in order."""

    case: Case
    label: Label
    events: list[tuple[int, str]] = field(default_factory=list)

    def first(self, kind: str, start: int = 0, end: int | None = None) -> int | None:
        """Frame of the first `kind` event in [start, end]."""
        return next(
            (
                index
                for index, event in self.events
                if event == kind and start <= index and (end is None or index <= end)
            ),
            None,
        )

    def count(self, kind: str, start: int = 0, end: int | None = None) -> int:
        """How many `kind` events in [start, end]."""
        return sum(
            1 for index, event in self.events if event == kind and start <= index and (end is None or index <= end)
        )


def run(item: Case, settings: DetectionSettings | None = None, cache_dir: Path = CACHE) -> Outcome:
    """Feed the clip to a camera's detection (default settings unless given), frame by frame in time."""
    outcome = Outcome(item, label(item))
    current = {"index": 0}
    detection = CameraDetection(
        settings or DetectionSettings(),
        lambda event: outcome.events.append((current["index"], event.type.value)),
        clock=lambda: current["index"] / FPS,  # the clip's own time: it is read faster than it was filmed
    )
    detection.sound.has_audio = False  # pictures only: a flash is told without waiting for its sound
    for index, frame in enumerate(decoded(item, cache_dir)):
        current["index"] = index
        detection.process(frame, index / FPS)
    return outcome


def object_hit(outcome: Outcome) -> tuple[bool, float | None]:
    """Detected while the object was in view, and the latency from fully in view (seconds, >= 0)."""
    info = outcome.label
    assert info.first_visible is not None
    assert info.fully_visible is not None
    assert info.last_visible is not None
    start = outcome.first("motion_start", info.first_visible, info.last_visible + 2)
    if start is None:
        return False, None
    return True, max(0, start - info.fully_visible) / FPS


def object_false_alarms(outcome: Outcome) -> int:
    """Motion before the object came into view."""
    info = outcome.label
    assert info.first_visible is not None
    return outcome.count("motion_start", 0, info.first_visible - 1)


def score(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The evaluation's figures (the bench prints them as JSON)."""
    outcomes = list(outcomes)
    result: dict[str, Any] = {}
    objects = [o for o in outcomes if o.case.group == "object"]
    recall: dict[str, list[bool]] = {}
    latencies: list[float] = []
    for outcome in objects:
        hit, latency = object_hit(outcome)
        item = outcome.case
        recall.setdefault(f"{item.kind}_{item.share * 100:g}pct_{item.light}", []).append(hit)
        level = "low" if item.contrast < 22 else "medium" if item.contrast < 45 else "high"
        recall.setdefault(f"{item.kind}_{item.share * 100:g}pct_{item.light}_{level}_contrast", []).append(hit)
        if latency is not None:
            latencies.append(latency)
    for key in ("person_0.25pct_day", "person_0.25pct_night", "person_0.1pct_day"):
        hits = recall.get(key, [])
        result[f"recall_{key}"] = round(sum(hits) / len(hits), 3) if hits else None
    result["recall_by_case"] = {key: f"{sum(hits)}/{len(hits)}" for key, hits in sorted(recall.items())}
    result["median_latency_s"] = round(statistics.median(latencies), 2) if latencies else None
    result["p90_latency_s"] = round(sorted(latencies)[int(0.9 * (len(latencies) - 1))], 2) if latencies else None
    quiet = [o for o in outcomes if o.case.group in {"nuisance", "ir_switch"}]
    alarms = sum(o.count("motion_start") for o in quiet) + sum(object_false_alarms(o) for o in objects)
    seconds = sum(o.label.frames for o in quiet) / FPS + sum((o.label.first_visible or 0) for o in objects) / FPS
    result["false_alarms"] = alarms
    result["false_alarm_hours"] = round(seconds / 3600, 2)
    result["false_alarms_per_camera_day"] = round(alarms / (seconds / 3600) * 24, 2) if seconds else None
    result["false_alarms_by_case"] = {
        o.case.name: o.count("motion_start") for o in quiet if o.count("motion_start")
    } | {o.case.name: object_false_alarms(o) for o in objects if object_false_alarms(o)}
    fire = [o for o in outcomes if o.case.group == "fire"]
    flash = [o for o in outcomes if o.case.group == "flash"]
    fire_hits = {o.case.name: _latency(o, "fire_start", 30.0) for o in fire}
    flash_hits = {o.case.name: _latency(o, "flash_start", 2.0) for o in flash}
    result["fire_recall"] = round(sum(v is not None for v in fire_hits.values()) / max(1, len(fire)), 3)
    result["flash_recall"] = round(sum(v is not None for v in flash_hits.values()) / max(1, len(flash)), 3)
    result["fire_latency_by_case"] = fire_hits
    result["flash_latency_by_case"] = flash_hits
    lights = [o for o in outcomes if o.case.group == "light_nuisance"]
    result["nuisance_fire_flash_false_alarms"] = sum(o.count("fire_start") + o.count("flash_start") for o in lights)
    result["nuisance_fire_flash_by_case"] = {
        o.case.name: o.count("fire_start") + o.count("flash_start")
        for o in lights
        if o.count("fire_start") + o.count("flash_start")
    }
    others = [o for o in outcomes if o.case.group not in {"fire", "flash", "light_nuisance"}]
    result["fire_flash_false_alarms_elsewhere"] = {
        o.case.name: o.count("fire_start") + o.count("flash_start")
        for o in others
        if o.count("fire_start") + o.count("flash_start")
    }
    switching = [o for o in outcomes if o.case.group == "ir_switch"]
    result["ir_switch_tamper_events"] = sum(o.count("tamper_start") for o in switching)
    tamper = [o for o in outcomes if o.case.group == "tamper"]
    result["tamper_by_case"] = {o.case.name: _tamper_summary(o) for o in tamper}
    result["clips"] = _counts(outcomes)
    return result


def _latency(outcome: Outcome, kind: str, within: float) -> float | None:
    onset = outcome.label.onset or 0
    start = outcome.first(kind, onset, onset + int(within * FPS))
    return None if start is None else round((start - onset) / FPS, 2)


def _tamper_summary(outcome: Outcome) -> str:
    onset, ends = outcome.label.onset or 0, outcome.label.ends or outcome.label.frames
    started = outcome.first("tamper_start", onset, ends)
    cleared = outcome.first("tamper_end", ends)
    early = outcome.count("tamper_start", 0, onset - 1)
    return (
        f"raised after {None if started is None else round((started - onset) / FPS, 1)} s, "
        + (
            f"cleared {round((cleared - ends) / FPS, 1)} s after the view came back"
            if cleared is not None
            else "not cleared"
        )
        + (f", {early} early" if early else "")
    )


def _counts(outcomes: list[Outcome]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for outcome in outcomes:
        counts[outcome.case.group] = counts.get(outcome.case.group, 0) + 1
        seconds[outcome.case.group] = seconds.get(outcome.case.group, 0.0) + outcome.label.frames / FPS
    return {group: f"{counts[group]} clips, {seconds[group] / 60:.1f} min" for group in sorted(counts)}

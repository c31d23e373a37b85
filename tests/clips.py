"""The labelled test set for detection, generated here (nothing downloaded, nothing hand-made).

Each clip is a synthetic street scene with sensor noise, encoded to H.264 and decoded back (so the
detector sees real compression artefacts), with a label saying what happens and from which frame.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import av
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame

WIDTH, HEIGHT, FPS = 320, 180, 15
ONSET = 45  # frame at which the event of each clip begins (3 s in)

# The zone of the labelled clips: the right half of the picture. The mask: the top-left corner.
ZONE = ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0))
MASK = ((0.0, 0.0), (0.4, 0.0), (0.4, 0.5), (0.0, 0.5))
OBJECT_W, OBJECT_H = 16, 30  # a person at some distance, in pixels
PASS_SPEED = 8  # pixels a frame of the object in "object_passes"
# First frame of "object_passes" with the object wholly left of the zone: WIDTH - 8 (i - ONSET + 1) + 16 <= WIDTH / 2.
PASS_END = ONSET - 1 + (WIDTH // 2 + OBJECT_W + PASS_SPEED - 1) // PASS_SPEED


type Gray = npt.NDArray[np.float32]


def scene(seed: int) -> Gray:
    """A static street: sky gradient, buildings, a road, texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    image = 150 - 0.4 * y + 10 * np.sin(x / 23.0)
    for _ in range(8):
        x0, w = int(rng.integers(0, WIDTH - 40)), int(rng.integers(20, 60))
        y0 = int(rng.integers(20, 90))
        image[y0:, x0 : x0 + w] = rng.uniform(60, 200)
    image[130:, :] = 90 + 5 * np.sin(x[130:, :] / 7.0)  # road
    image += rng.normal(0, 6, image.shape).astype(np.float32)  # texture (fixed, not noise)
    return np.clip(image, 0, 255).astype(np.float32)


@dataclass(frozen=True)
class Clip:
    """A generated clip and its label."""

    name: str
    frames: int
    motion_onset: int | None  # first frame where the object is inside the zone (None: no motion)
    motion_end: int | None = None  # first frame after the onset with the object out of the zone again
    tamper: str | None = None  # tamper kind expected from ONSET on (after the tamper delay)
    uses_zone: bool = True
    uses_mask: bool = False


def _with_object(image: Gray, left: float, top: int, value: float) -> Gray:
    out = image.copy()
    x0, x1 = max(0, int(left)), min(WIDTH, int(left) + OBJECT_W)
    if x1 > x0:
        out[top : top + OBJECT_H, x0:x1] = value
    return out


def _frames(name: str) -> list[Gray]:
    rng = np.random.default_rng(7)
    base = scene(1)
    y_grid, x_grid = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    noise_sigma = 2.0
    frames: list[Gray] = []
    total = CLIPS[name].frames
    for i in range(total):
        image = base
        if name == "object_enters_zone" and i >= ONSET:
            # Walks in from the right edge, 4 px a frame, along the road.
            image = _with_object(base, WIDTH - 4 * (i - ONSET + 1), 120, 30.0)
        elif name == "object_passes" and i >= ONSET:
            # Walks in from the right edge at 8 px a frame, through the zone and out of the picture.
            image = _with_object(base, WIDTH - PASS_SPEED * (i - ONSET + 1), 120, 30.0)
        elif name == "motion_in_mask" and i >= ONSET:
            # Walks across the masked top-left corner (the road seen from an alley camera), then stands.
            image = _with_object(base, min(100, 4 * (i - ONSET + 1)), 20, 240.0)
        elif name == "static_noise":
            noise_sigma = 4.0
        elif name == "lighting_step" and i >= ONSET:
            image = base * 1.5 + 20
        elif name == "ir_night":
            # Grey, low contrast, noisy (IR illumination) all along, and nothing moves.
            image = base * 0.5 + 40
            noise_sigma = 6.0
        elif name == "ir_switch" and i >= ONSET:
            image = base * 0.5 + 40
            noise_sigma = 6.0
        elif name == "headlight_sweep":
            # Night; from the onset a car's headlights sweep across the houses (the car itself is out of
            # view): light multiplies what is there, a soft bright spot moving left to right.
            image = base * 0.6
            if i >= ONSET:
                centre = -60 + 10 * (i - ONSET)
                glow = 1.2 * np.exp(-(((x_grid - centre) / 35.0) ** 2 + ((y_grid - 110) / 60.0) ** 2))
                image = image * (1 + glow)
        elif name == "covered_lens" and i >= ONSET:
            image = np.full_like(base, 18.0)
            noise_sigma = 1.0
        elif name == "turned_away" and i >= ONSET:
            # Pushed to look down a side wall: another scene, upside down to this camera's sky.
            image = np.roll(scene(99)[::-1, :], WIDTH // 2, axis=1)
        frames.append(np.clip(image + rng.normal(0, noise_sigma, image.shape), 0, 255).astype(np.float32))
    return frames


CLIPS: dict[str, Clip] = {
    clip.name: clip
    for clip in (
        # The object's first frame covers 4 px of the zone; at 4 px/frame it reaches the default
        # minimum area (0.5 % of the zone: 144 px^2, i.e. 5 px of a 30 px tall object) on frame 2.
        Clip("object_enters_zone", frames=ONSET + 30, motion_onset=ONSET + 1),
        # Out of the zone (the right half) once its right side is left of the middle: then 2 s of stillness.
        Clip(
            "object_passes",
            frames=PASS_END + 2 * FPS,
            motion_onset=ONSET + 1,
            motion_end=PASS_END,
        ),
        Clip("motion_in_mask", frames=ONSET + 30, motion_onset=None, uses_zone=False, uses_mask=True),
        Clip("static_noise", frames=ONSET + 30, motion_onset=None),
        Clip("lighting_step", frames=ONSET + 30, motion_onset=None),
        Clip("ir_night", frames=ONSET + 30, motion_onset=None),
        Clip("ir_switch", frames=ONSET + 30, motion_onset=None),
        Clip("headlight_sweep", frames=ONSET + 30, motion_onset=None, uses_zone=False),
        Clip("covered_lens", frames=ONSET + 60, motion_onset=None, tamper="covered"),
        Clip("turned_away", frames=ONSET + 90, motion_onset=None, tamper="moved"),
    )
}


@cache
def encoded(name: str) -> bytes:
    """The clip as an H.264 MP4 (GOP 30, like the cameras)."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "30", "crf": "23"}
        for gray in _frames(name):
            y = gray.astype(np.uint8)
            uv = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)  # grey chroma: U and V planes side by side
            frame = VideoFrame.from_ndarray(np.vstack([y, uv]), format="yuv420p")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def decoded(name: str) -> list[VideoFrame]:
    """The clip's frames as a camera's reader would hand them to detection."""
    with av.open(io.BytesIO(encoded(name)), format="mp4") as container:
        return list(container.decode(video=0))


def run(name: str, process: Callable[[VideoFrame, float], None]) -> None:
    """Feed every decoded frame with its time (seconds)."""
    for index, frame in enumerate(decoded(name)):
        process(frame, index / FPS)

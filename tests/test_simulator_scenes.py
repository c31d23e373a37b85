"""The simulator's realistic scenes (what the demo's cameras show): the integration's own detector sees
motion when someone crosses and only then, day and night (infrared noise, no tamper); the simulator
serves a scene as video; the tests' default picture stays the moving ball."""

from __future__ import annotations

import av
import numpy as np
import pytest
from av.video.frame import VideoFrame

from custom_components.ngu_doan_cameras.engine.detection import (
    CameraDetection,
    DetectionEvent,
    DetectionEventType,
    DetectionSettings,
)
from tools import simulator_scenes

from .simulator import CameraSimulator

WIDTH, HEIGHT, FPS = 320, 180, 15  # the demo's sub streams, which detection watches
LOOP_FRAMES = 20 * FPS


def loop(scene: str, index: int, passers: int) -> list[VideoFrame]:
    frames = simulator_scenes.frames(
        scene, width=WIDTH, height=HEIGHT, fps=FPS, count=LOOP_FRAMES, index=index, passers=passers
    )
    return [
        VideoFrame.from_ndarray(np.frombuffer(raw, np.uint8).reshape(HEIGHT * 3 // 2, WIDTH), format="yuv420p")
        for raw in frames
    ]


def detect_twice(frames: list[VideoFrame]) -> list[tuple[float, DetectionEvent]]:
    """Run the loop twice through the camera's detector (as the simulator replays it); events of the second pass,
    when the background is learnt, with their time into the loop."""
    events: list[tuple[float, DetectionEvent]] = []
    # The demo's settings: the defaults a new camera gets.
    detection = CameraDetection(DetectionSettings(), lambda event: events.append((now % (LOOP_FRAMES / FPS), event)))
    now = 0.0
    for number in range(2 * LOOP_FRAMES):
        now = number / FPS
        if number == LOOP_FRAMES:
            events.clear()
        detection.process(frames[number % LOOP_FRAMES], now)
    return events


@pytest.mark.parametrize(("scene", "index"), [("street", 0), ("village", 1), ("night", 2), ("night", 3)])
def test_motion_only_while_someone_crosses(scene: str, index: int) -> None:
    (crossing,) = simulator_scenes.passers_of(scene, index, LOOP_FRAMES / FPS, 1)
    events = detect_twice(loop(scene, index, passers=1))
    kinds = [event.type for _, event in events]
    assert DetectionEventType.TAMPER_START not in kinds
    starts = [when for when, event in events if event.type is DetectionEventType.MOTION_START]
    assert len(starts) >= 1, f"{crossing.kind} crossing {scene} was not seen"
    for when in starts:
        assert crossing.start <= when <= crossing.start + crossing.duration


@pytest.mark.parametrize(("scene", "index"), [("street", 4), ("village", 5), ("night", 6)])
def test_a_quiet_camera_stays_quiet(scene: str, index: int) -> None:
    """No one passes: no motion, and the night's sensor noise is neither motion nor a covered lens."""
    assert detect_twice(loop(scene, index, passers=0)) == []


def test_night_is_grey_and_noisy_day_is_colour_and_still() -> None:
    night = list(simulator_scenes.frames("night", width=64, height=36, fps=FPS, count=4, index=0, passers=0))
    day = list(simulator_scenes.frames("village", width=64, height=36, fps=FPS, count=4, index=0, passers=0))
    luma = 64 * 36
    assert set(night[0][luma:]) == {128}  # no colour at all
    assert night[0][:luma] != night[1][:luma]  # noise changes from frame to frame
    assert len(set(day[0][luma:])) > 4
    assert day[0] == day[3]
    with pytest.raises(ValueError, match="unknown scene"):
        next(simulator_scenes.frames("beach", width=64, height=36, fps=FPS, count=1, index=0, passers=0))


def test_the_simulator_serves_a_scene() -> None:
    with (
        CameraSimulator(cameras=1, sub=True, scene="street") as sim,
        av.open(sim.url("cam1/sub"), options={"rtsp_transport": "tcp"}, timeout=10) as container,
    ):
        frames = [frame for _, frame in zip(range(3), container.decode(video=0), strict=False)]
    assert [(frame.width, frame.height) for frame in frames] == [(320, 180)] * 3
    # The street's grey road across the lower picture, not the ball's coloured background.
    road = frames[0].to_ndarray(format="gray")[int(180 * 0.7), 5:315]
    assert abs(int(road.mean()) - 90) < 20

"""Motion and tamper detection on the labelled, generated test set."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.ngu_doan_cameras.engine.detection import (
    CameraDetection,
    DetectionEvent,
    DetectionEventType,
    DetectionSettings,
)
from custom_components.ngu_doan_cameras.engine.geometry import (
    PolygonError,
    Zone,
    format_polygons,
    parse_polygons,
    rasterize,
)
from custom_components.ngu_doan_cameras.engine.luma import small_luma
from custom_components.ngu_doan_cameras.engine.motion import MotionSettings
from custom_components.ngu_doan_cameras.engine.tamper import TamperSettings

from . import clips


def settings_for(clip: clips.Clip, **changes: object) -> DetectionSettings:
    zones = (Zone("road", clips.ZONE),) if clip.uses_zone else ()
    masks = (clips.MASK,) if clip.uses_mask else ()
    values: dict[str, object] = {
        "motion": MotionSettings(zones=zones, masks=masks),
        "tamper": TamperSettings(),
        "off_delay": 1.0,
        "max_fps": 0,  # judge every frame: the onset is checked to the frame
    }
    values.update(changes)
    return DetectionSettings(**values)  # type: ignore[arg-type]


def run_clip(name: str, settings: DetectionSettings | None = None) -> list[tuple[int, DetectionEvent]]:
    clip = clips.CLIPS[name]
    events: list[tuple[int, DetectionEvent]] = []
    frame_index = 0
    detection = CameraDetection(settings or settings_for(clip), lambda event: events.append((frame_index, event)))
    for frame_index, frame in enumerate(clips.decoded(name)):
        detection.process(frame, frame_index / clips.FPS)
    return events


def test_object_entering_the_zone_is_detected_within_two_frames() -> None:
    clip = clips.CLIPS["object_enters_zone"]
    assert clip.motion_onset is not None
    events = run_clip(clip.name)
    starts = [(index, event) for index, event in events if event.type is DetectionEventType.MOTION_START]
    assert starts, "no motion detected"
    index, event = starts[0]
    assert clip.motion_onset <= index <= clip.motion_onset + 2
    assert len(starts) == 1
    assert event.motion is not None
    assert event.motion.zone == "road"
    assert event.motion.score > 0
    assert event.frame is not None
    x, y, w, h = event.motion.bbox  # type: ignore[misc]
    assert x >= 0.85  # on the right edge, where the walker comes in
    assert 0.55 <= y <= 0.75
    assert w < 0.15
    assert h < 0.25


@pytest.mark.parametrize(
    "name", ["motion_in_mask", "static_noise", "lighting_step", "ir_night", "ir_switch", "headlight_sweep"]
)
def test_no_motion_on_noise_lighting_and_masked_clips(name: str) -> None:
    events = run_clip(name)
    assert [event.type for _, event in events] == []


def test_the_same_masked_motion_counts_without_the_mask() -> None:
    clip = clips.CLIPS["motion_in_mask"]
    events = run_clip(clip.name, settings_for(clip, motion=MotionSettings()))
    starts = [index for index, event in events if event.type is DetectionEventType.MOTION_START]
    assert starts
    assert clips.ONSET <= starts[0] <= clips.ONSET + 2


@pytest.mark.parametrize(("name", "kind", "delay"), [("covered_lens", "covered", 3.0), ("turned_away", "moved", 5.0)])
def test_tamper_kinds(name: str, kind: str, delay: float) -> None:
    events = run_clip(name)
    starts = [(index, event) for index, event in events if event.type is DetectionEventType.TAMPER_START]
    assert len(starts) == 1
    index, event = starts[0]
    assert event.tamper == kind
    expected = clips.ONSET + delay * clips.FPS
    # Tampering is checked twice a second: the alarm comes within one check of the delay.
    assert expected <= index <= expected + 0.5 * clips.FPS + 1
    # A covered lens or a new view is not motion.
    assert not [e for _, e in events if e.type is DetectionEventType.MOTION_START]


@pytest.mark.parametrize("name", ["lighting_step", "ir_switch", "object_enters_zone", "static_noise"])
def test_no_tamper_on_ordinary_clips(name: str) -> None:
    events = run_clip(name)
    assert not [e for _, e in events if e.type in {DetectionEventType.TAMPER_START, DetectionEventType.TAMPER_END}]


def test_motion_ends_after_the_off_delay_and_frame_rate_cap() -> None:
    clip = clips.CLIPS["object_enters_zone"]
    # At 5 judged frames a second, motion is still found within two judged frames of the onset.
    events = run_clip(clip.name, settings_for(clip, max_fps=5.0))
    starts = [index for index, event in events if event.type is DetectionEventType.MOTION_START]
    assert starts
    assert starts[0] <= clip.motion_onset + 2 * 3  # type: ignore[operator]


def test_disabling_ends_motion_and_tamper_and_reenabling_relearns() -> None:
    clip = clips.CLIPS["covered_lens"]
    events: list[DetectionEvent] = []
    settings = settings_for(clip)
    detection = CameraDetection(settings, events.append)
    frames = clips.decoded(clip.name)
    for index, frame in enumerate(frames):
        detection.process(frame, index / clips.FPS)
    assert detection.tamper == "covered"
    detection.update_settings(DetectionSettings(enabled=False))
    assert [e.type for e in events][-1] is DetectionEventType.TAMPER_END
    assert detection.tamper is None
    detection.process(frames[-1], 100.0)  # ignored while disabled
    detection.update_settings(settings)
    for index, frame in enumerate(frames[-20:]):
        detection.process(frame, 200 + index / clips.FPS)
    assert detection.tamper is None  # the covered view is the new reference: relearned, not alarmed


def test_video_lost_ends_motion() -> None:
    clip = clips.CLIPS["object_enters_zone"]
    events: list[DetectionEvent] = []
    detection = CameraDetection(settings_for(clip), events.append)
    for index, frame in enumerate(clips.decoded(clip.name)):
        detection.process(frame, index / clips.FPS)
    assert detection.motion
    detection.video_lost()
    assert not detection.motion
    assert events[-1].type is DetectionEventType.MOTION_END


def test_polygons_from_text_and_json() -> None:
    assert parse_polygons("") == []
    text = "0.1,0.2 0.5,0.2 0.5,0.8\n0,0 1,0 1,1"
    polygons = parse_polygons(text)
    assert polygons == [((0.1, 0.2), (0.5, 0.2), (0.5, 0.8)), ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0))]
    assert parse_polygons(format_polygons(polygons)) == polygons
    assert parse_polygons("[[0.1,0.2],[0.5,0.2],[0.5,0.8]]") == [polygons[0]]
    assert parse_polygons("[[[0,0],[1,0],[1,1]]]") == [polygons[1]]
    for bad in ("0.1,0.2 0.5,0.2", "0.1,0.2 1.5,0.2 0.5,0.8", "[[0.1,0.2],", "a,b c,d e,f", "[[[0,0,0],[1,0],[1,1]]]"):
        with pytest.raises(PolygonError):
            parse_polygons(bad)


def test_rasterize_and_small_luma() -> None:
    grid = rasterize([((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0))], 8, 4)
    assert grid[:, 4:].all()
    assert not grid[:, :4].any()
    assert not rasterize([], 8, 4).any()
    y = np.arange(1080 * 1920, dtype=np.uint32).reshape(1080, 1920).astype(np.uint8)
    # About 128 columns whatever the stream's size (integer strides), aspect kept.
    assert small_luma(y).shape == (72, 128)
    assert small_luma(y[:360, :640]).shape == (72, 128)
    assert small_luma(y[:180, :320]).shape == (90, 160)


def test_a_stream_clock_that_jumps_back_does_not_stall_detection() -> None:
    clip = clips.CLIPS["object_enters_zone"]
    events: list[DetectionEvent] = []
    detection = CameraDetection(settings_for(clip, max_fps=5.0), events.append)
    frames = clips.decoded(clip.name)
    detection.process(frames[0], 5000.0)  # e.g. a first frame stamped with another clock
    for index, frame in enumerate(frames[1:], start=1):
        detection.process(frame, index / clips.FPS)
    assert detection.frames_judged > 10
    assert events
    assert events[0].type is DetectionEventType.MOTION_START

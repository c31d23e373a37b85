"""Motion and tamper detection on the labelled, generated test set."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Self

import numpy as np
import pytest
from av.video.frame import VideoFrame

from custom_components.ngu_doan_cameras.engine import detection as detection_module
from custom_components.ngu_doan_cameras.engine import motion as motion_module
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


# An object is motion once it has been followed for MIN_SECONDS (and MIN_HITS judged frames).
FOLLOWED = round(motion_module.MIN_SECONDS * clips.FPS)


def test_object_entering_the_zone_is_detected_once_it_has_walked_a_little() -> None:
    clip = clips.CLIPS["object_enters_zone"]
    assert clip.motion_onset is not None
    events = run_clip(clip.name)
    starts = [(index, event) for index, event in events if event.type is DetectionEventType.MOTION_START]
    assert starts, "no motion detected"
    index, event = starts[0]
    # Followed from its first frames in the zone: confirmed as soon as it has been followed long enough.
    assert clip.motion_onset + FOLLOWED - 2 <= index <= clip.motion_onset + FOLLOWED + 2
    assert len(starts) == 1
    assert event.motion is not None
    assert event.motion.zone == "road"
    assert event.motion.score > 0
    assert event.frame is not None
    x, y, w, h = event.motion.bbox  # type: ignore[misc]
    assert x >= 0.75  # near the right edge, where the walker came in
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
    assert clips.ONSET + FOLLOWED <= starts[0] <= clips.ONSET + FOLLOWED + 2


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


@pytest.mark.parametrize(("max_fps", "judged_every"), [(0, 1), (5.0, 3)])
def test_motion_ends_after_the_off_delay_and_frame_rate_cap(max_fps: float, judged_every: int) -> None:
    clip = clips.CLIPS["object_passes"]
    assert clip.motion_onset is not None
    assert clip.motion_end is not None
    settings = settings_for(clip, max_fps=max_fps)
    events = run_clip(clip.name, settings)
    assert [event.type for _, event in events] == [DetectionEventType.MOTION_START, DetectionEventType.MOTION_END]
    (start, _), (end, _) = events
    # At 5 judged frames a second, motion is found once followed long enough (five judged frames).
    assert start <= clip.motion_onset + max(FOLLOWED, (motion_module.MIN_HITS - 1) * judged_every) + 2 * judged_every
    # The last frame with the object in the zone is the one before `motion_end`: motion is over one
    # off delay after it (its last sliver in the zone may be too small to follow: a frame or two
    # earlier; and within a judged frame or so after).
    last_moving = clip.motion_end - 1
    off_frames = settings.off_delay * clips.FPS
    assert last_moving + off_frames - 3 <= end <= last_moving + off_frames + judged_every + 1


def test_disabling_ends_motion_and_tamper_and_reenabling_relearns() -> None:
    moving = clips.CLIPS["object_enters_zone"]
    motion_events: list[DetectionEvent] = []
    detection = CameraDetection(settings_for(moving), motion_events.append)
    for index, frame in enumerate(clips.decoded(moving.name)):
        detection.process(frame, index / clips.FPS)
    assert detection.motion  # the object is still walking in the zone when the clip ends
    detection.update_settings(DetectionSettings(enabled=False))
    assert not detection.motion
    assert [e.type for e in motion_events][-2:] == [DetectionEventType.MOTION_START, DetectionEventType.MOTION_END]

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


class HandshakeLock:
    """Stands in for a detection's lock to stage a race without sleeps.

    Sets `waiting` when another thread has to wait for the lock, and runs `after_release` (once) on the
    judging thread right after that thread lets go of it: the two moments at which a settings change
    from Home Assistant's thread can cut into the judgement of a frame.
    """

    def __init__(self, inner: Any, waiting: threading.Event) -> None:
        self._inner = inner
        self._waiting = waiting
        self.judging_thread = threading.current_thread()
        self.after_release: Callable[[], None] | None = None

    def __enter__(self) -> Self:
        if not self._inner.acquire(blocking=False):
            self._waiting.set()
            self._inner.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._inner.release()
        hook = self.after_release
        if hook is not None and threading.current_thread() is self.judging_thread:
            self.after_release = None
            hook()


def first_event(name: str, settings: DetectionSettings, kind: DetectionEventType) -> int:
    """Index of the frame that brings the first `kind` event (a dry run: detection is deterministic)."""
    return next(index for index, event in run_clip(name, settings) if event.type is kind)


@pytest.mark.parametrize("moment", ["mid_judgement", "after_judgement"])
@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("object_enters_zone", DetectionEventType.MOTION_START, DetectionEventType.MOTION_END),
        ("covered_lens", DetectionEventType.TAMPER_START, DetectionEventType.TAMPER_END),
    ],
)
def test_turning_detection_off_while_a_frame_is_judged_leaves_no_stale_event(
    monkeypatch: pytest.MonkeyPatch, name: str, start: DetectionEventType, end: DetectionEventType, moment: str
) -> None:
    clip = clips.CLIPS[name]
    settings = settings_for(clip)
    critical = first_event(name, settings, start)
    events: list[DetectionEvent] = []
    detection = CameraDetection(settings, events.append)
    progressed = threading.Event()  # the change is done, or waits for the judgement to finish
    lock = HandshakeLock(detection._lock, progressed)
    detection._lock = lock  # type: ignore[assignment]

    def turn_off() -> None:
        detection.update_settings(replace(settings, enabled=False))
        progressed.set()

    changer = threading.Thread(target=turn_off, name="home_assistant")

    def cut_in() -> None:
        changer.start()
        assert progressed.wait(30), "the settings change neither finished nor waited for the lock"

    luma = detection_module.frame_luma
    judging = {"frame": -1}

    def luma_with_cut_in(frame: VideoFrame) -> Any:
        if judging["frame"] == critical and not changer.is_alive() and changer.ident is None:
            cut_in()
        return luma(frame)

    if moment == "mid_judgement":
        monkeypatch.setattr(detection_module, "frame_luma", luma_with_cut_in)
    frames = clips.decoded(name)
    for index, frame in enumerate(frames[: critical + 1]):
        judging["frame"] = index
        if index == critical and moment == "after_judgement":
            lock.after_release = cut_in
        detection.process(frame, index / clips.FPS)
    changer.join()
    # The frame was judged before detection went off (the change waited for it), so its event came
    # first, and turning off ended it: nothing is left on, and no event follows the change.
    assert [event.type for event in events][-2:] == [start, end]
    assert not detection.motion
    assert detection.tamper is None
    for index, frame in enumerate(frames[critical + 1 :], start=critical + 1):
        detection.process(frame, index / clips.FPS)
    assert [event.type for event in events][-1] is end

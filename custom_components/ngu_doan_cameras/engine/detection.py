"""Detection for one camera: motion start and end, tamper start and end.

Fed frames by the camera's reader; says when motion starts and stops and when the camera is tampered with.

Runs on the reader's thread (it only touches small arrays: tens of microseconds per frame) and hands
events to a callback, which must return quickly (Home Assistant's side hops to its event loop).

Settings change on Home Assistant's thread while the reader's thread judges frames. One lock covers a
frame's whole judgement and the events it brings, and the whole of a settings change: a change waits
for the frame in progress, so no event follows a change that ends it, and no judgement made under old
settings (or against a background the change has reset) is applied after it. The listener is called
with that lock held: it must hand events on, never wait for another thread that changes settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from av.video.frame import VideoFrame

from .luma import frame_luma
from .motion import MotionDetector, MotionResult, MotionSettings
from .tamper import TamperDetector, TamperKind, TamperSettings

if TYPE_CHECKING:
    from .recording.clips import ClipHandle


@dataclass(frozen=True, slots=True)
class DetectionSettings:
    """Per-camera detection settings."""

    enabled: bool = True
    motion: MotionSettings = field(default_factory=MotionSettings)
    tamper: TamperSettings = field(default_factory=TamperSettings)
    off_delay: float = 5.0  # seconds without motion before motion is reported over
    max_fps: float = 5.0  # frames judged per second at most (0 = every frame)


class DetectionEventType(StrEnum):
    """What changed."""

    MOTION_START = "motion_start"
    MOTION_END = "motion_end"
    TAMPER_START = "tamper_start"
    TAMPER_END = "tamper_end"


@dataclass(frozen=True, slots=True)
class DetectionEvent:
    """A change of detection state, with the frame that caused it (for a snapshot)."""

    type: DetectionEventType
    time: float  # the frame's time, seconds (stream clock)
    motion: MotionResult | None = None
    tamper: TamperKind | None = None
    frame: VideoFrame | None = None
    clip: ClipHandle | None = None  # the event clip this motion is recorded in (set by the camera)


type DetectionListener = Callable[[DetectionEvent], None]


class CameraDetection:
    """Motion and tamper state of one camera."""

    def __init__(self, settings: DetectionSettings, listener: DetectionListener) -> None:
        self._settings = settings
        self._listener = listener
        self._motion = MotionDetector(settings.motion)
        self._tamper = TamperDetector(settings.tamper)
        # Reentrant: a listener on the reader's thread may change settings from inside an event.
        self._lock = threading.RLock()
        self._next_time: float | None = None
        self._last_time: float | None = None
        self._last_motion_at: float | None = None
        self.motion = False
        self.frames_judged = 0

    @property
    def settings(self) -> DetectionSettings:
        """Current settings."""
        return self._settings

    @property
    def tamper(self) -> TamperKind | None:
        """Current tamper state (covered or moved; video lost comes from the reader)."""
        return self._tamper.state

    def update_settings(self, settings: DetectionSettings) -> None:
        """Apply new settings from any thread; turning detection on again relearns the view.

        Waits for the frame being judged (a fraction of a millisecond), so it applies between frames.
        """
        with self._lock:
            was_enabled = self._settings.enabled
            self._settings = settings
            self._motion.update_settings(settings.motion)
            self._tamper.settings = settings.tamper
            if settings.enabled and not was_enabled:
                self._motion.reset()
                self._tamper.reset()
            if not settings.enabled:
                self._end_all()

    def process(self, frame: VideoFrame, now: float) -> None:
        """Judge a frame taken at `now` (stream seconds) unless the frame rate cap says skip it."""
        with self._lock:
            settings = self._settings
            if not settings.enabled:
                return
            if self._last_time is not None and now < self._last_time:
                # The stream's clock went back (the camera restarted it): start timing afresh.
                self._next_time = None
                self._tamper.restart_clock()
            self._last_time = now
            if self._next_time is not None and now < self._next_time:
                return
            self._next_time = now + (1.0 / settings.max_fps if settings.max_fps > 0 else 0.0)
            luma = frame_luma(frame)
            # Motion that would start is checked for light and located; ongoing motion only followed.
            result = self._motion.process(luma, starting=not self.motion)
            previous_tamper = self._tamper.state
            tamper = self._tamper.process(luma, now)
            self.frames_judged += 1
            if tamper != previous_tamper:
                self._tamper_changed(previous_tamper, tamper, now, frame)
            self._motion_changed(result, now, frame)

    def _motion_changed(self, result: MotionResult, now: float, frame: VideoFrame) -> None:
        if result.moving:
            self._last_motion_at = now
            if not self.motion:
                self.motion = True
                self._listener(DetectionEvent(DetectionEventType.MOTION_START, now, motion=result, frame=frame))
        elif (
            self.motion and self._last_motion_at is not None and now - self._last_motion_at >= self._settings.off_delay
        ):
            self.motion = False
            self._listener(DetectionEvent(DetectionEventType.MOTION_END, now, motion=result))

    def _tamper_changed(
        self, before: TamperKind | None, after: TamperKind | None, now: float, frame: VideoFrame
    ) -> None:
        if before is not None:
            self._listener(DetectionEvent(DetectionEventType.TAMPER_END, now, tamper=before))
        if after is not None:
            self._listener(DetectionEvent(DetectionEventType.TAMPER_START, now, tamper=after, frame=frame))

    def video_lost(self) -> None:
        """The camera's frames stopped: motion can no longer be seen, so it ends."""
        with self._lock:
            self._next_time = self._last_time = None
            self._motion.reset()
            self._end_motion()

    def _end_motion(self) -> None:
        """Motion can no longer be judged (no frames, detection off): it is over."""
        if self.motion:
            self.motion = False
            self._listener(DetectionEvent(DetectionEventType.MOTION_END, 0.0))

    def _end_all(self) -> None:
        self._end_motion()
        if self._tamper.state is not None:
            kind = self._tamper.state
            self._tamper.reset()
            self._listener(DetectionEvent(DetectionEventType.TAMPER_END, 0.0, tamper=kind))

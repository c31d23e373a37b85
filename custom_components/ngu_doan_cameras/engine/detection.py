"""Detection for one camera: motion, tamper, fire, flashes and loud sound, as events that start and end.

Fed frames by the camera's reader (and its sound, as a packet sink); says when motion, fire, a flash
or a loud sound starts and stops and when the camera is tampered with.

Runs on the reader's thread (it only touches small arrays: a fraction of a millisecond per judged
frame, some microseconds for the others) and hands events to a callback, which must return quickly
(Home Assistant's side hops to its event loop).

What runs when:
- every frame: the flash detector's glance at a sparse grid of points (a firecracker's pop can last
  a single frame);
- judged frames (`max_fps` a second): motion, fire;
- twice a second: tamper, and whether the camera is in IR mode (its chroma is flat grey). An IR
  switch changes the whole picture: motion, fire and flash detection learn the view again.

Settings change on Home Assistant's thread while the reader's thread judges frames. One lock covers a
frame's whole judgement and the events it brings, and the whole of a settings change: a change waits
for the frame in progress, so no event follows a change that ends it, and no judgement made under old
settings (or against a background the change has reset) is applied after it. The listener is called
with that lock held: it must hand events on, never wait for another thread that changes settings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from av.video.frame import VideoFrame

from .fire import Fire, FireDetector, FireSettings
from .flash import Flash, FlashDetector, FlashSettings
from .luma import chroma_is_grey, frame_luma
from .motion import MotionDetector, MotionResult, MotionSettings
from .sound import SoundDetector, SoundSettings
from .tamper import TamperDetector, TamperKind, TamperSettings

# A flash with a loud bang heard this close in stream time (seconds, either way) is an explosion. With
# sound, a flash is told once the sound up to this long after its onset has been judged, so that a bang
# from 300 m away is heard; sound reaches detection up to a batch late (packets.BATCH_SECONDS).
BANG_WINDOW = 1.0
# If the sound stops coming (the camera's audio drops), a flash is told without it after this long.
BANG_WAIT_LIMIT = 3.0
GREY_CHECK_SECONDS = 0.5

if TYPE_CHECKING:
    from .recording.clips import ClipHandle


@dataclass(frozen=True, slots=True)
class DetectionSettings:
    """Per-camera detection settings."""

    enabled: bool = True
    motion: MotionSettings = field(default_factory=MotionSettings)
    tamper: TamperSettings = field(default_factory=TamperSettings)
    fire: FireSettings = field(default_factory=FireSettings)
    flash: FlashSettings = field(default_factory=FlashSettings)
    sound: SoundSettings = field(default_factory=SoundSettings)
    off_delay: float = 5.0  # seconds without motion (fire, flash, loud sound) before it is reported over
    max_fps: float = 5.0  # frames judged per second at most (0 = every frame)


class DetectionEventType(StrEnum):
    """What changed."""

    MOTION_START = "motion_start"
    MOTION_END = "motion_end"
    TAMPER_START = "tamper_start"
    TAMPER_END = "tamper_end"
    FIRE_START = "fire_start"
    FIRE_END = "fire_end"
    FLASH_START = "flash_start"
    FLASH_END = "flash_end"
    SOUND_START = "sound_start"
    SOUND_END = "sound_end"
    AUDIO_FOUND = "audio_found"  # the camera's stream turned out to carry sound (a sound sensor can be added)


@dataclass(frozen=True, slots=True)
class DetectionEvent:
    """A change of detection state, with the frame that caused it (for a snapshot)."""

    type: DetectionEventType
    time: float  # the frame's time, seconds (stream clock)
    motion: MotionResult | None = None
    tamper: TamperKind | None = None
    fire: Fire | None = None
    flash: Flash | None = None
    explosion: bool = False  # a flash with a loud bang
    level: float | None = None  # loud sound: its level, dB of full scale
    frame: VideoFrame | None = None
    clip: ClipHandle | None = None  # the event clip this motion is recorded in (set by the camera)


type DetectionListener = Callable[[DetectionEvent], None]


@dataclass(slots=True)
class _Hold:
    """An on/off state that goes off `off_delay` after it was last seen."""

    on: bool = False
    last: float | None = None  # clock seconds


@dataclass(slots=True)
class _PendingFlash:
    flash: Flash
    frame: VideoFrame
    since: float  # clock seconds when it was seen (to give up waiting for the sound)


class CameraDetection:
    """Motion, tamper, fire, flash and sound state of one camera."""

    def __init__(
        self, settings: DetectionSettings, listener: DetectionListener, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._listener = listener
        # The processing clock: off delays, and how long a flash waits for its sound at most. Flashes
        # and bangs are matched in the session's stream time instead (sound reaches detection a batch
        # after the picture; FFmpeg puts a session's video and audio on one timeline).
        self._clock = clock
        self._motion = MotionDetector(settings.motion)
        self._tamper = TamperDetector(settings.tamper)
        self._fire = FireDetector(settings.fire)
        self._flash = FlashDetector()
        self.sound = SoundDetector(settings.sound, self._sound_heard, on_audio=self.audio_found)
        # Reentrant: a listener on the reader's thread may change settings from inside an event.
        self._lock = threading.RLock()
        self._next_time: float | None = None
        self._last_time: float | None = None
        self._last_motion_at: float | None = None
        self._next_grey_check: float | None = None
        self._grey: bool | None = None
        self._fire_hold = _Hold()
        self._flash_hold = _Hold()
        self._sound_hold = _Hold()
        self._pending_flash: _PendingFlash | None = None
        self._last_bang: float | None = None  # stream seconds of the last loud sound's onset
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

    @property
    def fire(self) -> bool:
        """A fire is seen (or was, less than the off delay ago)."""
        return self._fire_hold.on

    @property
    def flash(self) -> bool:
        """A flash was seen less than the off delay ago."""
        return self._flash_hold.on

    @property
    def loud(self) -> bool:
        """A loud sound was heard less than the off delay ago."""
        return self._sound_hold.on

    @property
    def grey(self) -> bool:
        """The camera sends a grey picture (IR mode at night)."""
        return bool(self._grey)

    def update_settings(self, settings: DetectionSettings) -> None:
        """Apply new settings from any thread; turning detection on again relearns the view.

        Waits for the frame being judged (a fraction of a millisecond), so it applies between frames.
        """
        with self._lock:
            was_enabled = self._settings.enabled
            self._settings = settings
            self._motion.update_settings(settings.motion)
            self._tamper.settings = settings.tamper
            self._fire.settings = settings.fire
            self.sound.update_settings(settings.sound)
            if settings.enabled and not was_enabled:
                self._relearn()
                self._tamper.reset()
            if not settings.enabled:
                self._end_all()
                return
            if not settings.fire.enabled:
                self._end(self._fire_hold, DetectionEventType.FIRE_END)
            if not settings.flash.enabled:
                self._pending_flash = None
                self._end(self._flash_hold, DetectionEventType.FLASH_END)
            if not settings.sound.enabled:
                self._end(self._sound_hold, DetectionEventType.SOUND_END)

    def process(self, frame: VideoFrame, now: float) -> None:
        """Judge a frame taken at `now` (stream seconds) unless the frame rate cap says skip it."""
        with self._lock:
            settings = self._settings
            if not settings.enabled:
                return
            if self._last_time is not None and now < self._last_time:
                # The stream's clock went back (the camera restarted it): start timing afresh.
                self._next_time = self._next_grey_check = None
                self._tamper.restart_clock()
                self._last_bang = None
            self._last_time = now
            clock = self._clock()
            if settings.flash.enabled:
                self._look_for_flash(frame, now, clock)
            self._end_quiet(clock)
            if not self._due(now, settings.max_fps):
                return
            self._judge(frame, now, clock)

    def _due(self, now: float, max_fps: float) -> bool:
        """Whether this frame is judged under the frame rate cap.

        Judging times follow a schedule (the last one plus the interval), with a tenth of an interval
        of slack: cameras' timestamps jitter, and 15 fps judged at 5 fps must be every third frame,
        never every fourth because of a rounding error.
        """
        interval = 1.0 / max_fps if max_fps > 0 else 0.0
        due = self._next_time
        if due is not None and now + 0.1 * interval < due:
            return False
        self._next_time = due + interval if due is not None and now - due < interval else now + interval
        return True

    def _judge(self, frame: VideoFrame, now: float, clock: float) -> None:
        if self._next_grey_check is None or now >= self._next_grey_check:
            self._next_grey_check = now + GREY_CHECK_SECONDS
            grey = chroma_is_grey(frame)
            if self._grey is not None and grey != self._grey:
                self._relearn()  # IR switched on or off: another picture, learned afresh
            self._grey = grey
        luma = frame_luma(frame)
        cell_area = frame.width * frame.height / luma.size  # stream pixels per detection cell
        result = self._motion.process(luma, now, cell_area)
        previous_tamper = self._tamper.state
        tamper = self._tamper.process(luma, now, self.grey)
        self.frames_judged += 1
        if tamper != previous_tamper:
            self._tamper_changed(previous_tamper, tamper, now, frame)
        self._motion_changed(result, now, frame)
        if self._settings.fire.enabled:
            fire = self._fire.process(luma, frame, now, self.grey)
            if fire is not None:
                self._start(
                    self._fire_hold, clock, DetectionEvent(DetectionEventType.FIRE_START, now, fire=fire, frame=frame)
                )
            elif self._fire.burning:
                self._fire_hold.last = clock

    def _look_for_flash(self, frame: VideoFrame, now: float, clock: float) -> None:
        flash = self._flash.process(frame, now)
        if flash is not None and not self._fire.flickering(flash.bbox):
            self._pending_flash = _PendingFlash(flash, frame, clock)
        pending = self._pending_flash
        # With sound, wait for a bang that may come after the light (sound travels 340 m a second):
        # until the sound of the window after the flash has been judged, compared in stream time.
        heard_until = self.sound.heard_until
        # Whether the camera has sound is known once the sound detector hears of the session (None
        # until then): wait for it too.
        if pending is not None and (
            self.sound.has_audio is False
            or not self._settings.sound.enabled
            or (heard_until is not None and heard_until >= pending.flash.onset + BANG_WINDOW)
            or clock - pending.since >= BANG_WAIT_LIMIT
            or self._bang_near(pending.flash.onset)
        ):
            self._pending_flash = None
            event = DetectionEvent(
                DetectionEventType.FLASH_START,
                now,
                flash=pending.flash,
                explosion=self._bang_near(pending.flash.onset),
                frame=pending.frame,
            )
            if self._flash_hold.on:
                self._flash_hold.last = clock  # a string of firecrackers: one flash that goes on
            else:
                self._start(self._flash_hold, clock, event)

    def _bang_near(self, at: float) -> bool:
        return self._last_bang is not None and abs(self._last_bang - at) <= BANG_WINDOW

    def _sound_heard(self, loud: bool, level: float, seconds: float) -> None:
        """From the sound detector (the reader's thread): loudness started or ended."""
        with self._lock:
            if not self._settings.enabled:
                return
            clock = self._clock()
            if loud:
                self._last_bang = seconds
                self._sound_hold.last = clock
                if not self._sound_hold.on:
                    self._start(
                        self._sound_hold,
                        clock,
                        DetectionEvent(DetectionEventType.SOUND_START, seconds, level=round(level, 1)),
                    )
            self._end_quiet(clock)

    def audio_found(self) -> None:
        """Tell listeners that this camera has sound (called once the reader's first session says so)."""
        with self._lock:
            self._listener(DetectionEvent(DetectionEventType.AUDIO_FOUND, 0.0))

    def _start(self, hold: _Hold, clock: float, event: DetectionEvent) -> None:
        hold.last = clock
        if not hold.on:
            hold.on = True
            self._listener(event)

    def _end_quiet(self, clock: float) -> None:
        """End fire, flash and loud sound that have not been seen for the off delay."""
        if not (self._fire_hold.on or self._flash_hold.on or self._sound_hold.on):
            return  # the usual case, on every frame: nothing to end
        delay = self._settings.off_delay
        for hold, kind in (
            (self._fire_hold, DetectionEventType.FIRE_END),
            (self._flash_hold, DetectionEventType.FLASH_END),
            (self._sound_hold, DetectionEventType.SOUND_END),
        ):
            if (
                hold.on
                and hold.last is not None
                and clock - hold.last >= delay
                and not (kind is DetectionEventType.FIRE_END and self._fire.burning)
            ):
                self._end(hold, kind)

    def _end(self, hold: _Hold, kind: DetectionEventType) -> None:
        if hold.on:
            hold.on = False
            self._listener(DetectionEvent(kind, 0.0))

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

    def _relearn(self) -> None:
        """The picture changed as a whole (IR switch, reconnection, detection back on): learn it again."""
        self._motion.reset()
        self._fire.reset()
        self._flash.reset()
        self._pending_flash = None

    def video_lost(self) -> None:
        """The camera's frames stopped: motion can no longer be seen, so it ends."""
        with self._lock:
            self._next_time = self._last_time = self._next_grey_check = None
            self._relearn()
            self._end_motion()

    def _end_motion(self) -> None:
        """Motion can no longer be judged (no frames, detection off): it is over."""
        if self.motion:
            self.motion = False
            self._listener(DetectionEvent(DetectionEventType.MOTION_END, 0.0))

    def _end_all(self) -> None:
        self._end_motion()
        self._pending_flash = None
        self._end(self._fire_hold, DetectionEventType.FIRE_END)
        self._end(self._flash_hold, DetectionEventType.FLASH_END)
        self._end(self._sound_hold, DetectionEventType.SOUND_END)
        if self._tamper.state is not None:
            kind = self._tamper.state
            self._tamper.reset()
            self._listener(DetectionEvent(DetectionEventType.TAMPER_END, 0.0, tamper=kind))

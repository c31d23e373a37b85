"""One camera's recorder: the `PacketSink` a camera's main-stream reader feeds.

    reader thread ─ packets ─▶ PacketOrderer ─▶ ┬─▶ Segmenter (continuous mode): segments
                                                ├─▶ ClipRecorder: event clips (any mode but off)
                                                └─▶ PreRollRing: the last seconds, for clips' pre-roll

Everything runs on the reader's thread, under one lock that actions (clips, mode changes) from
other threads take too. Files are closed, synced and indexed by the site's worker thread.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from ..media import MediaPacket, StreamSession  # noqa: TID252 - the readers' packet interface, one level up
from .clips import ClipHandle, ClipRecorder
from .errors import RecordingError, RecordingErrorKind
from .mp4 import mp4_carries_audio
from .preroll import PreRollRing
from .segmenter import Segmenter
from .settings import CameraRecordingSettings, RecorderContext, RecordingMode
from .timing import PacketOrderer

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CameraRecorderStatus:
    """What a camera's recorder is doing (for entities and diagnostics)."""

    camera_id: str
    mode: RecordingMode
    streaming: bool  # a session is live
    recording: bool  # a segment is being written
    current_segment: str | None
    segments: int  # segments started since the recorder was made
    active_clips: int
    storage_error: str | None  # why the camera cannot record now, if it cannot
    preroll_bytes: int
    preroll_seconds: float
    dropped_packets: int  # packets that could not be timed


class CameraRecorder:
    """Records one camera's main stream according to its mode; implements media.PacketSink."""

    def __init__(self, camera_id: str, context: RecorderContext, settings: CameraRecordingSettings) -> None:
        self.camera_id = context.layout.check_camera_id(camera_id)
        self._context = context
        self._settings = settings
        self._lock = threading.RLock()
        self._session: StreamSession | None = None
        self._closed = False
        self._orderer = PacketOrderer(self._ordered, self._discontinuity)
        self._segmenter = Segmenter(camera_id, context, settings)
        self._clips = ClipRecorder(camera_id, context, settings)
        self._ring = PreRollRing(settings.pre_roll_seconds)
        self._motion_clip: ClipHandle | None = None

    # --- PacketSink (reader thread) -------------------------------------------------------------

    def session_started(self, session: StreamSession) -> None:
        """A new connection: packets of it follow."""
        with self._lock:
            if self._closed:
                return
            if self._session is not None:  # the reader never ended the previous one: end it here
                self._end_session("camera_down")
            self._session = session
            if session.audio is not None and not mp4_carries_audio(session):
                _LOGGER.warning(
                    "Camera %s sends %s audio, which MP4 cannot hold: its recordings are video only",
                    self.camera_id,
                    session.audio_codec,
                )
            self._orderer = PacketOrderer(self._ordered, self._discontinuity)
            self._ring.clear()
            self._segmenter.session_started(session)

    def packet(self, packet: MediaPacket, session: StreamSession) -> None:
        """One packet of the live session."""
        with self._lock:
            if self._session is session and self._settings.mode is not RecordingMode.OFF:
                self._orderer.push(packet)

    def session_ended(self, session: StreamSession) -> None:
        """The connection is gone: finish files, write down the gap."""
        with self._lock:
            if self._session is session:
                self._end_session("camera_down")

    # --- actions (any thread; blocking: creates files) ------------------------------------------

    @property
    def settings(self) -> CameraRecordingSettings:
        """Current settings."""
        return self._settings

    def update(self, settings: CameraRecordingSettings) -> None:
        """Apply new settings; a mode change takes effect at once (a segment in progress ends)."""
        with self._lock:
            previous = self._settings
            if settings.mode is not previous.mode:
                _LOGGER.info("Camera %s recording mode: %s", self.camera_id, settings.mode)
                self._orderer.flush()  # what is held still goes where the old mode sends it
                self._orderer = PacketOrderer(self._ordered, self._discontinuity)
                if previous.mode is RecordingMode.CONTINUOUS:
                    self._segmenter.stop(f"mode_{settings.mode.value}")
                if settings.mode is RecordingMode.OFF:
                    self._clips.stop(self._session, self._ring)
                    self._ring.clear()
            self._settings = settings
            self._segmenter.settings = settings
            self._clips.settings = settings
            self._ring.seconds = settings.pre_roll_seconds

    def start_clip(
        self,
        *,
        duration: float,
        pre_roll: float | None = None,
        reason: str = "action",
        trigger: float | None = None,
    ) -> ClipHandle:
        """Record a clip around `trigger`; returns at once with the clip's path.

        The clip runs from `pre_roll` seconds (default: the camera's) before `trigger` (wall time;
        default: the newest packet) until `duration` seconds after it, and is written as the footage
        arrives (`ClipHandle.wait` for the result).

        Raises RecordingError: recording_off, not_streaming, invalid_duration, storage_error.
        """
        with self._lock:
            return self._start_clip(duration=duration, pre_roll=pre_roll, reason=reason, trigger=trigger)

    def extend_clip(self, clip_id: str, until: float) -> None:
        """Let a running clip go on until `until` (wall time) at least.

        Raises RecordingError(unknown_clip) if it is not running.
        """
        with self._lock:
            self._clips.set_end(clip_id, until, only_later=True)

    def motion(self, active: bool, at: float | None = None) -> ClipHandle | None:
        """Motion started or ended (`at`: wall time, default now); returns the motion clip, if any.

        Motion starts a clip with the default pre-roll, which goes on while motion does and
        `post_roll_seconds` after it ends; motion again before then extends the same clip.
        """
        with self._lock:
            when = at if at is not None else self._now()
            clip = self._motion_clip
            running = clip is not None and self._clips.running(clip.clip_id)
            if active:
                if clip is not None and running:
                    self._clips.set_end(clip.clip_id, math.inf, only_later=False)
                    return clip
                self._motion_clip = self._start_clip(duration=math.inf, pre_roll=None, reason="motion", trigger=when)
                return self._motion_clip
            if clip is not None and running:
                self._clips.set_end(clip.clip_id, when + self._settings.post_roll_seconds, only_later=False)
            return clip

    @property
    def status(self) -> CameraRecorderStatus:
        """A snapshot of what the recorder does."""
        with self._lock:
            return CameraRecorderStatus(
                camera_id=self.camera_id,
                mode=self._settings.mode,
                streaming=self._session is not None,
                recording=self._segmenter.current_path is not None,
                current_segment=self._segmenter.current_path,
                segments=self._segmenter.segments,
                active_clips=len(self._clips.active),
                storage_error=self._segmenter.storage_error,
                preroll_bytes=self._ring.nbytes,
                preroll_seconds=self._ring.span,
                dropped_packets=self._orderer.dropped,
            )

    def close(self) -> None:
        """Finish everything in progress (recorder stopping); later packets are ignored."""
        with self._lock:
            if self._closed:
                return
            self._end_session("stopped")
            self._closed = True

    # --- internals --------------------------------------------------------------------------------

    def _start_clip(self, *, duration: float, pre_roll: float | None, reason: str, trigger: float | None) -> ClipHandle:
        settings = self._settings
        if settings.mode is RecordingMode.OFF:
            raise RecordingError(RecordingErrorKind.RECORDING_OFF, f"recording is off for {self.camera_id}")
        # The ring holds only the camera's pre-roll: asking for more gets what there is.
        wanted = settings.pre_roll_seconds if pre_roll is None else min(pre_roll, settings.pre_roll_seconds)
        if not wanted >= 0 or not duration > 0:
            raise RecordingError(
                RecordingErrorKind.INVALID_DURATION,
                f"pre-roll must be 0..{settings.pre_roll_seconds:g} s and duration positive",
            )
        if self._session is None:
            raise RecordingError(RecordingErrorKind.NOT_STREAMING, f"camera {self.camera_id} is not streaming")
        when = trigger if trigger is not None else self._now()
        return self._clips.start(
            self._ring, pre_roll=wanted, duration=min(duration, settings.max_clip_seconds), reason=reason, trigger=when
        )

    def _now(self) -> float:
        newest = self._ring.newest_wall
        return newest if newest is not None else time.time()

    def _ordered(self, packet: MediaPacket) -> None:
        session = self._session
        assert session is not None
        if self._settings.mode is RecordingMode.CONTINUOUS:
            self._segmenter.packet(packet)
        self._clips.packet(packet, session, self._ring)
        self._ring.push(packet)

    def _discontinuity(self) -> None:
        _LOGGER.info("Camera %s: stream clock broke; starting a new file at the next key frame", self.camera_id)
        self._segmenter.discontinuity()
        self._clips.stop(self._session, self._ring)
        self._ring.clear()

    def _end_session(self, reason: str) -> None:
        if self._session is not None:
            self._orderer.flush()
        self._segmenter.stop(reason)
        self._segmenter.session_started(None)
        self._clips.stop(self._session, self._ring)
        self._ring.clear()
        self._session = None

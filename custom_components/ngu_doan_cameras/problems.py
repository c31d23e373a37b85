"""Camera problems, watched like the entities watch them: events for automations, alerts for the log.

Listens to the site coordinator (pushed on every state change and detection event, refreshed every
few seconds) and, per camera:

- offline: from the first disconnection until frames flow again (the reader's retries in between
  are the same outage). Fires `ngu_doan_cameras_problem` at the start and the end; raises an alert
  once the outage has lasted `OFFLINE_ALERT_AFTER` (the repair issue's delay), marks it ended when
  the camera is back. Video lost is this same condition (the reader has no frames), so it is told
  as offline, not as tamper;
- tamper (lens covered, camera moved): fires the problem event at start and end, raises an alert at
  once (a camera that flaps within `TAMPER_REPEAT_WINDOW` counts repeats on its open alert);
- recording (a camera that should record cannot: storage, its main stream, the index): fires the
  problem event and raises a `recording_failed` alert once the coordinator says it is due (storage at
  once, the others after the repair delay), marks it ended when recording works again.

The events carry the camera's name, area and entity ids, so a blueprint can watch every camera by
default and name the camera in its notification without looking anything up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .alert_log import AlertKind, AlertLog, AlertRequest
from .alert_text import place, text
from .const import DOMAIN, REPAIR_AFTER
from .coordinator import SiteCoordinator
from .engine.site import Camera, RecordingProblem
from .engine.stats import ReaderState
from .engine.tamper import TamperKind
from .entity_ids import main_camera_entity_id

EVENT_PROBLEM: Final = f"{DOMAIN}_problem"
OFFLINE_ALERT_AFTER: Final = REPAIR_AFTER
TAMPER_REPEAT_WINDOW: Final = 600.0  # seconds

# The clock outages are timed with (a module attribute so tests can move it without touching the readers).
monotonic = time.monotonic


class ProblemKind(StrEnum):
    """What is wrong with a camera."""

    OFFLINE = "offline"
    TAMPER = "tamper"
    RECORDING = "recording"


@dataclass(slots=True)
class _CameraProblems:
    offline_since: float | None = None  # monotonic
    offline_started: datetime | None = None
    offline_alerted: bool = False
    tamper: TamperKind | None = None
    tamper_started: datetime | None = None
    recording: RecordingProblem | None = None
    recording_started: datetime | None = None


class ProblemWatcher:
    """Turns a site's camera states into problem events and alerts."""

    def __init__(self, hass: HomeAssistant, coordinator: SiteCoordinator, alerts: AlertLog) -> None:
        self.hass = hass
        self._coordinator = coordinator
        self._alerts = alerts
        self._cameras: dict[str, _CameraProblems] = {}

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start watching; returns the function that stops it."""
        return self._coordinator.async_add_listener(self._async_check)

    @callback
    def _async_check(self) -> None:
        if self._coordinator.closed:
            return
        cameras = self._coordinator.site.cameras
        for camera_id in [camera_id for camera_id in self._cameras if camera_id not in cameras]:
            del self._cameras[camera_id]  # removed from the site: its problems went with it
        for camera_id, camera in cameras.items():
            problems = self._cameras.setdefault(camera_id, _CameraProblems())
            self._check_offline(camera, problems)
            self._check_tamper(camera, problems)
            self._check_recording(camera, problems)

    def _check_offline(self, camera: Camera, problems: _CameraProblems) -> None:
        stats = self._coordinator.data.get(camera.config.camera_id) or camera.stats
        reason = stats.error.value if stats.error else None
        if stats.streaming:
            if problems.offline_started is not None:
                self._fire(camera, ProblemKind.OFFLINE, "end", problems.offline_started, None)
                self._alerts.async_end(camera.config.camera_id, AlertKind.OFFLINE)
            problems.offline_since = problems.offline_started = None
            problems.offline_alerted = False
            return
        if problems.offline_since is None:
            if stats.state is not ReaderState.DISCONNECTED:
                return  # still connecting for the first time: not an outage yet
            problems.offline_since = monotonic()
            problems.offline_started = dt_util.utcnow()
            self._fire(camera, ProblemKind.OFFLINE, "start", problems.offline_started, reason)
        if not problems.offline_alerted and monotonic() - problems.offline_since >= OFFLINE_ALERT_AFTER.total_seconds():
            problems.offline_alerted = True
            minutes = str(round(OFFLINE_ALERT_AFTER.total_seconds() / 60))
            where = place(camera.config.name, camera.config.location)
            message = text(self.hass, "offline", place=where, minutes=minutes)
            self._raise(camera, AlertKind.OFFLINE, message, reason)

    def _check_tamper(self, camera: Camera, problems: _CameraProblems) -> None:
        kind = camera.detection.tamper
        if kind == problems.tamper:
            return
        camera_id = camera.config.camera_id
        if problems.tamper is not None and problems.tamper_started is not None:
            self._fire(camera, ProblemKind.TAMPER, "end", problems.tamper_started, problems.tamper.value)
            self._alerts.async_end(camera_id, AlertKind.TAMPER)
        problems.tamper, problems.tamper_started = kind, None
        if kind is None:
            return
        problems.tamper_started = dt_util.utcnow()
        self._fire(camera, ProblemKind.TAMPER, "start", problems.tamper_started, kind.value)
        message = text(self.hass, f"tamper_{kind.value}", place=place(camera.config.name, camera.config.location))
        self._raise(camera, AlertKind.TAMPER, message, kind.value, cooldown=TAMPER_REPEAT_WINDOW)

    def _check_recording(self, camera: Camera, problems: _CameraProblems) -> None:
        """A camera that should record and cannot: told once it is due (see the coordinator), and when over."""
        camera_id = camera.config.camera_id
        problem = self._coordinator.recording_problem_due(camera_id)
        if problem is problems.recording:
            return
        if problems.recording is not None and problems.recording_started is not None:
            self._fire(camera, ProblemKind.RECORDING, "end", problems.recording_started, problems.recording.value)
            self._alerts.async_end(camera_id, AlertKind.RECORDING_FAILED)
        problems.recording, problems.recording_started = problem, None
        if problem is None:
            return
        problems.recording_started = dt_util.utcnow()
        self._fire(camera, ProblemKind.RECORDING, "start", problems.recording_started, problem.value)
        where = place(camera.config.name, camera.config.location)
        self._raise(
            camera,
            AlertKind.RECORDING_FAILED,
            text(self.hass, f"recording_{problem.value}", place=where),
            problem.value,
        )

    def _raise(self, camera: Camera, kind: AlertKind, message: str, detail: str | None, cooldown: float = 0) -> None:
        request = AlertRequest(
            kind=kind,
            camera_id=camera.config.camera_id,
            camera=camera.config.name,
            area=camera.config.location,
            message=message,
            detail=detail,
        )
        self._alerts.async_raise(request, cooldown=cooldown, source=DOMAIN)

    def _fire(self, camera: Camera, kind: ProblemKind, state: str, since: datetime, detail: str | None) -> None:
        """Tell automations: `detail` is the offline reason or the tamper kind."""
        data: dict[str, Any] = {
            "camera": camera.config.name,
            "camera_id": camera.config.camera_id,
            "camera_entity_id": main_camera_entity_id(self.hass, camera.config.camera_id),
            "area": camera.config.location,
            "kind": kind.value,
            "detail": detail,
            "state": state,
            "since": since.isoformat(),
        }
        if state == "end":
            data["duration"] = round((dt_util.utcnow() - since).total_seconds())
        self.hass.bus.async_fire(EVENT_PROBLEM, data)

"""Brings the engine's camera states into Home Assistant.

State changes (a camera streams, a camera is lost) are pushed from the reader threads and reach
entities at once; rates (fps, bitrate) are read every few seconds. Nothing here does I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_LOCATION,
    DOMAIN,
    EVENT_FIRE,
    EVENT_FLASH,
    EVENT_MOTION,
    REPAIR_AFTER,
    SNAPSHOT_FOLDER,
    SNAPSHOTS_KEPT_PER_CAMERA,
    STATS_INTERVAL,
)
from .engine.detection import DetectionEvent, DetectionEventType
from .engine.errors import StreamErrorKind
from .engine.motion import MotionResult
from .engine.site import RecordingProblem, Site, SiteChanges
from .engine.snapshots import save_snapshot
from .engine.stats import ReaderState, StreamStats
from .entity_ids import camera_entity_id, main_camera_entity_id
from .media_ids import file_media_id, local_url

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)

# Kinds that will not heal by waiting, for a stream that never gave a frame: raise the repair issue at once.
# The same answer from a stream that did stream (a recorder's channel going away) may heal: it waits.
_PERSISTENT_KINDS = {StreamErrorKind.NOT_VIDEO, StreamErrorKind.UNSUPPORTED_CODEC, StreamErrorKind.NOT_FOUND}

# The clock outages are timed with (a module attribute so tests can move it without touching the readers).
monotonic = time.monotonic

type SiteStatus = dict[str, StreamStats]


class SiteCoordinator(DataUpdateCoordinator[SiteStatus]):
    """Holds the latest statistics of every camera of a site."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], site: Site) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=STATS_INTERVAL,
            always_update=True,
        )
        self.entry_id = entry.entry_id
        self.site = site
        # The motion that started each camera's current motion (zone, score, box), for the sensor's attributes.
        self.motion_started: dict[str, MotionResult] = {}
        # The event that started each camera's current fire, flash and loud sound (for attributes).
        self.fire_started: dict[str, DetectionEvent] = {}
        self.flash_started: dict[str, DetectionEvent] = {}
        self.sound_started: dict[str, DetectionEvent] = {}
        # Cameras whose stream carries sound, and who wants to know when one more does (the sound sensor).
        self.audio_cameras: set[str] = set()
        self._audio_listeners: list[Callable[[str], None]] = []
        self._down_since: dict[str, float] = {}
        self._reported_down: set[str] = set()
        self._auth_failed: set[str] = set()
        self._closed = False
        # What keeps cameras from recording now (camera id -> problem), and since when (monotonic).
        self.recording_problems: dict[str, RecordingProblem] = {}
        self._recording_since: dict[str, float] = {}
        self.data = self._snapshot()

    def _snapshot(self) -> SiteStatus:
        return {camera_id: camera.stats for camera_id, camera in self.site.cameras.items()}

    @property
    def closed(self) -> bool:
        """The site is stopping: reports from its readers are no longer listened to."""
        return self._closed

    @callback
    def close(self) -> None:
        """Stop listening to the readers (before they are stopped: a report during the stop is dropped)."""
        self._closed = True

    async def _async_update_data(self) -> SiteStatus:
        status = self._snapshot()
        if not self._closed:
            for camera_id, stats in status.items():
                self._track(camera_id, stats)
            self._track_recording()
        return status

    def recording_problem_due(self, camera_id: str) -> RecordingProblem | None:
        """The camera's recording problem once it is worth telling people (issues, alerts), else None.

        Storage trouble at once (every minute is lost); a main stream down or an index being rebuilt
        once it has lasted the repair delay (it usually heals by itself).
        """
        problem = self.recording_problems.get(camera_id)
        if problem is None or problem is RecordingProblem.STORAGE:
            return problem
        since = self._recording_since.get(camera_id)
        return problem if since is not None and monotonic() - since >= _repair_after() else None

    def _track_recording(self) -> None:
        """Follow what keeps cameras from recording; repair issues say what to do.

        Storage trouble is raised at once (every minute records nothing); a main stream that is down or
        an index being rebuilt only once it has lasted the repair delay (it usually heals by itself).
        """
        problems = self.site.recording_problems()
        now = monotonic()
        for camera_id in [camera_id for camera_id in self._recording_since if camera_id not in problems]:
            del self._recording_since[camera_id]
        for camera_id in problems:
            self._recording_since.setdefault(camera_id, now)
        self.recording_problems = problems
        for problem in RecordingProblem:
            names = sorted(
                self.site.camera(camera_id).config.name
                for camera_id, found in problems.items()
                if found is problem and self.recording_problem_due(camera_id) is problem
            )
            issue_id = _recording_issue_id(self.entry_id, problem)
            severity = ir.IssueSeverity.ERROR if problem is RecordingProblem.STORAGE else ir.IssueSeverity.WARNING
            if names:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=severity,
                    translation_key=f"recording_{problem.value}",
                    translation_placeholders={"cameras": ", ".join(names)},
                )
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    @callback
    def async_cameras_changed(self, changes: SiteChanges) -> None:
        """Cameras were added, removed or given new readers: forget what belonged to the old ones."""
        for camera_id in changes.removed:
            self._forget_detection(camera_id)
            self.audio_cameras.discard(camera_id)
            self._down_since.pop(camera_id, None)
            self._reported_down.discard(camera_id)
            self._auth_failed.discard(camera_id)
            ir.async_delete_issue(self.hass, DOMAIN, _issue_id(camera_id))
        for camera_id in changes.renewed:
            self._forget_detection(camera_id)
            self._auth_failed.discard(camera_id)  # new credentials get a new chance
        self.async_set_updated_data(self._snapshot())

    def on_reader_state(self, camera_id: str, stats: StreamStats) -> None:
        """Called on a reader thread: hop onto the event loop."""
        if stats.state is not ReaderState.STOPPED:
            self._call_on_loop(self._async_reader_state, camera_id)

    def on_detection(self, camera_id: str, event: DetectionEvent) -> None:
        """Called on a reader thread: hop onto the event loop."""
        self._call_on_loop(self._async_detection, camera_id, event)

    def _call_on_loop(self, function: Callable[..., None], *args: Any) -> None:
        if self._closed:
            return
        try:
            self.hass.loop.call_soon_threadsafe(function, *args)
        except RuntimeError:
            # The event loop has closed (Home Assistant is exiting) under a reader that still reports.
            _LOGGER.debug("Dropped a late report of a camera: the event loop is closed")

    def _listening_to(self, camera_id: str) -> bool:
        """False for a report that arrived after its site started stopping or its camera was removed."""
        return not self._closed and camera_id in self.site.cameras

    @callback
    def _async_reader_state(self, camera_id: str) -> None:
        if not self._listening_to(camera_id):
            return
        status = self._snapshot()
        self._track(camera_id, status[camera_id])
        self.async_set_updated_data(status)

    def _forget_detection(self, camera_id: str) -> None:
        for started in (self.motion_started, self.fire_started, self.flash_started, self.sound_started):
            started.pop(camera_id, None)

    @callback
    def async_add_audio_listener(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call `listener(camera_id)` when a camera's stream turns out to carry sound; returns a remover."""
        self._audio_listeners.append(listener)
        return lambda: self._audio_listeners.remove(listener)

    @callback
    def _async_detection(self, camera_id: str, event: DetectionEvent) -> None:
        if not self._listening_to(camera_id):
            return
        kind = event.type
        if kind is DetectionEventType.MOTION_START and event.motion is not None:
            self.motion_started[camera_id] = event.motion
            self._announce(camera_id, event, EVENT_MOTION, "motion")
        elif kind is DetectionEventType.FIRE_START:
            self.fire_started[camera_id] = event
            _LOGGER.warning("Camera %s sees fire", self.site.camera(camera_id).config.name)
            self._announce(camera_id, event, EVENT_FIRE, "fire")
        elif kind is DetectionEventType.FLASH_START:
            self.flash_started[camera_id] = event
            self._announce(camera_id, event, EVENT_FLASH, "flash")
        elif kind is DetectionEventType.SOUND_START:
            self.sound_started[camera_id] = event
        elif kind is DetectionEventType.AUDIO_FOUND and camera_id not in self.audio_cameras:
            self.audio_cameras.add(camera_id)
            for listener in list(self._audio_listeners):
                listener(camera_id)
        elif kind is DetectionEventType.TAMPER_START:
            _LOGGER.warning("Camera %s tampered with: %s", self.site.camera(camera_id).config.name, event.tamper)
        self.async_update_listeners()

    def _announce(self, camera_id: str, event: DetectionEvent, event_type: str, sensor: str) -> None:
        """Save the frame that brought `event` and fire `event_type` (the snapshot is saved off the loop)."""
        when = dt_util.now()
        assert self.config_entry is not None
        self.config_entry.async_create_task(
            self.hass, self._async_announce(camera_id, event, event_type, sensor, when), f"{DOMAIN} {sensor} snapshot"
        )

    async def _async_announce(
        self, camera_id: str, event: DetectionEvent, event_type: str, sensor: str, when: datetime
    ) -> None:
        """Save the triggering frame, then tell automations (the event says where the picture is)."""
        camera = self.site.camera(camera_id)
        media = media_folder(self.hass)
        snapshot: Path | None = None
        if event.frame is not None:
            try:
                snapshot = await self.hass.async_add_executor_job(
                    partial(save_snapshot, kind="" if sensor == "motion" else sensor),
                    event.frame,
                    self.snapshot_folder(camera_id),
                    when,
                    SNAPSHOTS_KEPT_PER_CAMERA,
                )
            except OSError as err:
                # Disk full or read-only: the event still fires, without a picture, and the log says why.
                _LOGGER.error("Cannot save the %s snapshot of %s: %s", sensor, camera.config.name, err.strerror or err)
        subentry = self.config_entry.subentries.get(camera_id) if self.config_entry else None
        self.hass.bus.async_fire(
            event_type,
            {
                "camera": camera.config.name,
                "camera_id": camera_id,
                "area": subentry.data.get(CONF_LOCATION, "") if subentry else "",
                **_details(event),
                "time": when.isoformat(),
                "snapshot": str(snapshot) if snapshot else None,
                "snapshot_url": f"/media/local/{snapshot.relative_to(media).as_posix()}" if snapshot else None,
                # The event clip this motion is recorded in (motion clips on): notifications link it.
                **(
                    {"clip_media_id": file_media_id(event.clip.clip_id), "clip_url": local_url(event.clip.media_path)}
                    if event.clip is not None
                    else {}
                ),
                # For automations and blueprints: which camera and sensor, as they are named now.
                "camera_entity_id": main_camera_entity_id(self.hass, camera_id),
                f"{sensor}_entity_id": camera_entity_id(self.hass, Platform.BINARY_SENSOR, camera_id, sensor),
            },
        )

    def snapshot_folder(self, camera_id: str) -> Path:
        """Where a camera's motion snapshots go."""
        return self.snapshot_folder_of(self.hass, camera_id)

    @staticmethod
    def snapshot_folder_of(hass: HomeAssistant, camera_id: str) -> Path:
        """Motion snapshots are filed by camera id: names repeat across recorders ("Camera 01") and change."""
        return media_folder(hass) / SNAPSHOT_FOLDER / camera_id

    @property
    def auth_failed(self) -> set[str]:
        """Cameras currently refusing their credentials (what reauth fixes)."""
        return set(self._auth_failed)

    def _track(self, camera_id: str, stats: StreamStats) -> None:
        """Log once per outage, ask for new credentials, raise and clear repair issues."""
        name = self.site.camera(camera_id).config.name
        if stats.streaming:
            self._down_since.pop(camera_id, None)
            self._auth_failed.discard(camera_id)
            if camera_id in self._reported_down:
                self._reported_down.discard(camera_id)
                _LOGGER.info("Camera %s is streaming again", name)
                ir.async_delete_issue(self.hass, DOMAIN, _issue_id(camera_id))
            return
        if stats.state is not ReaderState.DISCONNECTED:
            return
        since = self._down_since.setdefault(camera_id, monotonic())
        if camera_id not in self._reported_down:
            self._reported_down.add(camera_id)
            _LOGGER.warning("Camera %s is unavailable: %s", name, stats.error_detail or stats.error)
        if stats.error is StreamErrorKind.INVALID_AUTH:
            if camera_id not in self._auth_failed:
                self._auth_failed.add(camera_id)
                entry = self.hass.config_entries.async_get_entry(self.entry_id)
                if entry is not None:
                    entry.async_start_reauth(self.hass)
            return
        down_for = monotonic() - since
        never_streamed = stats.frames == 0
        if (never_streamed and stats.error in _PERSISTENT_KINDS) or down_for >= REPAIR_AFTER.total_seconds():
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                _issue_id(camera_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=f"camera_{(stats.error or StreamErrorKind.UNKNOWN).value}",
                translation_placeholders={"camera": name},
            )

    @callback
    def async_clear_issues(self) -> None:
        """Remove this site's repair issues (on unload: they are raised again if still true)."""
        for camera_id in self.site.cameras:
            ir.async_delete_issue(self.hass, DOMAIN, _issue_id(camera_id))
        for problem in RecordingProblem:
            ir.async_delete_issue(self.hass, DOMAIN, _recording_issue_id(self.entry_id, problem))


def _details(event: DetectionEvent) -> dict[str, Any]:
    """What an event says about what was seen: zone, score and box of motion; box of fire and flashes."""
    if event.motion is not None:
        motion = event.motion
        return {"zone": motion.zone, "score": motion.score, "box": list(motion.bbox) if motion.bbox else None}
    if event.fire is not None:
        return {"box": list(event.fire.bbox), "size": event.fire.area}
    if event.flash is not None:
        return {"box": list(event.flash.bbox), "explosion": event.explosion}
    return {}


def media_folder(hass: HomeAssistant) -> Path:
    """Home Assistant's local media folder (what the media browser shows as "local")."""
    return Path(hass.config.media_dirs.get("local") or hass.config.path("media"))


def _repair_after() -> float:
    return REPAIR_AFTER.total_seconds()


def _recording_issue_id(entry_id: str, problem: RecordingProblem) -> str:
    return f"recording_{problem.value}_{entry_id}"


def _issue_id(camera_id: str) -> str:
    return f"camera_down_{camera_id}"

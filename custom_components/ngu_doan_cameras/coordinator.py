"""Brings the engine's camera states into Home Assistant.

State changes (a camera streams, a camera is lost) are pushed from the reader threads and reach
entities at once; rates (fps, bitrate) are read every few seconds. Nothing here does I/O.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_LOCATION,
    DOMAIN,
    EVENT_MOTION,
    REPAIR_AFTER,
    SNAPSHOT_FOLDER,
    SNAPSHOTS_KEPT_PER_CAMERA,
    STATS_INTERVAL,
)
from .engine.detection import DetectionEvent, DetectionEventType
from .engine.errors import StreamErrorKind
from .engine.motion import MotionResult
from .engine.site import Site
from .engine.snapshots import safe_name, save_snapshot
from .engine.stats import ReaderState, StreamStats

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)

# Kinds that will not heal by waiting: raise the repair issue at once.
_PERSISTENT_KINDS = {StreamErrorKind.NOT_VIDEO, StreamErrorKind.UNSUPPORTED_CODEC, StreamErrorKind.NOT_FOUND}

type SiteStatus = dict[str, StreamStats]


class SiteCoordinator(DataUpdateCoordinator[SiteStatus]):
    """Holds the latest statistics of every camera of a site."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], site_name: str, site: Site) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {site_name}",
            update_interval=STATS_INTERVAL,
            always_update=True,
        )
        self.entry_id = entry.entry_id
        self.site = site
        # The motion that started each camera's current motion (zone, score, box), for the sensor's attributes.
        self.motion_started: dict[str, MotionResult] = {}
        self._down_since: dict[str, float] = {}
        self._reported_down: set[str] = set()
        self._auth_failed: set[str] = set()
        self.data = self._snapshot()

    def _snapshot(self) -> SiteStatus:
        return {camera_id: camera.stats for camera_id, camera in self.site.cameras.items()}

    async def _async_update_data(self) -> SiteStatus:
        status = self._snapshot()
        for camera_id, stats in status.items():
            self._track(camera_id, stats)
        return status

    def on_reader_state(self, camera_id: str, stats: StreamStats) -> None:
        """Called on a reader thread: hop onto the event loop."""
        if stats.state is ReaderState.STOPPED:
            return
        self.hass.loop.call_soon_threadsafe(self._async_reader_state, camera_id)

    @callback
    def _async_reader_state(self, camera_id: str) -> None:
        if camera_id not in self.site.cameras:  # pragma: no cover - a late call while unloading
            return
        status = self._snapshot()
        self._track(camera_id, status[camera_id])
        self.async_set_updated_data(status)

    def on_detection(self, camera_id: str, event: DetectionEvent) -> None:
        """Called on a reader thread: hop onto the event loop."""
        self.hass.loop.call_soon_threadsafe(self._async_detection, camera_id, event)

    @callback
    def _async_detection(self, camera_id: str, event: DetectionEvent) -> None:
        if camera_id not in self.site.cameras:  # pragma: no cover - a late call while unloading
            return
        if event.type is DetectionEventType.MOTION_START and event.motion is not None:
            self.motion_started[camera_id] = event.motion
            when = dt_util.now()
            assert self.config_entry is not None
            self.config_entry.async_create_task(
                self.hass, self._async_motion_started(camera_id, event, when), f"{DOMAIN} motion snapshot"
            )
        elif event.type is DetectionEventType.TAMPER_START:
            _LOGGER.warning("Camera %s tampered with: %s", self.site.camera(camera_id).config.name, event.tamper)
        self.async_update_listeners()

    async def _async_motion_started(self, camera_id: str, event: DetectionEvent, when: datetime) -> None:
        """Save the triggering frame, then tell automations (the event says where the picture is)."""
        camera = self.site.camera(camera_id)
        motion = event.motion
        assert motion is not None
        media = Path(self.hass.config.media_dirs.get("local") or self.hass.config.path("media"))
        snapshot: Path | None = None
        if event.frame is not None:
            folder = media / SNAPSHOT_FOLDER / safe_name(camera.config.name)
            try:
                snapshot = await self.hass.async_add_executor_job(
                    save_snapshot, event.frame, folder, when, SNAPSHOTS_KEPT_PER_CAMERA
                )
            except OSError as err:
                # Disk full or read-only: the event still fires, without a picture, and the log says why.
                _LOGGER.error("Cannot save the motion snapshot of %s: %s", camera.config.name, err.strerror or err)
        subentry = self.config_entry.subentries.get(camera_id) if self.config_entry else None
        self.hass.bus.async_fire(
            EVENT_MOTION,
            {
                "camera": camera.config.name,
                "camera_id": camera_id,
                "area": subentry.data.get(CONF_LOCATION, "") if subentry else "",
                "zone": motion.zone,
                "score": motion.score,
                "box": list(motion.bbox) if motion.bbox else None,
                "time": when.isoformat(),
                "snapshot": str(snapshot) if snapshot else None,
                "snapshot_url": f"/media/local/{snapshot.relative_to(media).as_posix()}" if snapshot else None,
            },
        )

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
        since = self._down_since.setdefault(camera_id, time.monotonic())
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
        down_for = time.monotonic() - since
        if stats.error in _PERSISTENT_KINDS or down_for >= REPAIR_AFTER.total_seconds():
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


def _issue_id(camera_id: str) -> str:
    return f"camera_down_{camera_id}"

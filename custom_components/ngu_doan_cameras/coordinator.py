"""Brings the engine's camera states into Home Assistant.

State changes (a camera streams, a camera is lost) are pushed from the reader threads and reach
entities at once; rates (fps, bitrate) are read every few seconds. Nothing here does I/O.
"""

from __future__ import annotations

import logging
import time

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, REPAIR_AFTER, STATS_INTERVAL
from .engine.errors import StreamErrorKind
from .engine.site import Site
from .engine.stats import ReaderState, StreamStats

_LOGGER = logging.getLogger(__name__)

# Kinds that will not heal by waiting: raise the repair issue at once.
_PERSISTENT_KINDS = {StreamErrorKind.NOT_VIDEO, StreamErrorKind.UNSUPPORTED_CODEC, StreamErrorKind.NOT_FOUND}

type SiteStatus = dict[str, StreamStats]


class SiteCoordinator(DataUpdateCoordinator[SiteStatus]):
    """Holds the latest statistics of every camera of a site."""

    def __init__(self, hass: HomeAssistant, entry_id: str, site_name: str, site: Site) -> None:
        super().__init__(
            hass,
            _LOGGER,
            name=f"{DOMAIN} {site_name}",
            update_interval=STATS_INTERVAL,
            always_update=True,
        )
        self.entry_id = entry_id
        self.site = site
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

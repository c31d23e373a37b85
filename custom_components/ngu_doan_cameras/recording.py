"""Recording in Home Assistant: one recorder for the media folder, shared by every site.

Every site records into the same folder and index (`<media>/ngu_doan_cameras/`, see the engine's
`recording.layout`), so one engine `Recorder` serves them all: made when the first site loads, stopped
when the last one unloads. Its storage limits are the most careful of the sites' (data.recorder_settings).

Each site also reads, once a minute and off the event loop, what its entities show about storage
(`StorageCoordinator`). What keeps a camera from recording is judged by the engine's site
(`Site.recording_problems`) every few seconds by the site's coordinator.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, STORAGE_INTERVAL
from .coordinator import media_folder
from .data import recorder_settings, site_recording_options
from .engine.recording import Recorder
from .engine.site import Site

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)

GIGABYTE = 1_000_000_000


@dataclass(slots=True)
class RecordingHub:
    """The recorder and the sites that record through it."""

    recorder: Recorder
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)  # entry id -> its recording options

    def apply_settings(self) -> None:
        """Storage limits follow the sites' options (the most careful of them)."""
        self.recorder.settings = recorder_settings(self.sites.values())


DATA_HUB: HassKey[RecordingHub] = HassKey(f"{DOMAIN}_recording")
DATA_STOPPING: HassKey[asyncio.Task[None]] = HassKey(f"{DOMAIN}_recording_stopping")


async def async_acquire_recorder(hass: HomeAssistant, entry: ConfigEntry[Any]) -> Recorder:
    """The shared recorder, made and started for the first site that loads."""
    if (stopping := hass.data.get(DATA_STOPPING)) is not None:
        await stopping  # the last recorder must have let go of the files before another takes them
    hub = hass.data.get(DATA_HUB)
    if hub is None:
        recorder = Recorder(media_folder(hass), tz=dt_util.get_default_time_zone())
        hub = hass.data[DATA_HUB] = RecordingHub(recorder)
        recorder.start()  # its threads open the index and clean up after a dead run, off the event loop
    hub.sites[entry.entry_id] = site_recording_options(entry)
    hub.apply_settings()
    return hub.recorder


def async_update_recorder_settings(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """The site's recording options changed: the shared limits follow."""
    if (hub := hass.data.get(DATA_HUB)) is not None and entry.entry_id in hub.sites:
        hub.sites[entry.entry_id] = site_recording_options(entry)
        hub.apply_settings()


async def async_release_recorder(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """The site no longer records; the last one to go stops the recorder (its files are finished)."""
    hub = hass.data.get(DATA_HUB)
    if hub is None or hub.sites.pop(entry.entry_id, None) is None:
        return
    if hub.sites:
        hub.apply_settings()
        return
    del hass.data[DATA_HUB]
    stopping = hass.data[DATA_STOPPING] = hass.async_create_task(
        _async_stop(hass, hub.recorder), f"{DOMAIN} stop recorder"
    )
    await stopping


async def _async_stop(hass: HomeAssistant, recorder: Recorder) -> None:
    try:
        if not await hass.async_add_executor_job(recorder.stop):
            _LOGGER.warning("The recorder did not finish its files in time")
    finally:
        hass.data.pop(DATA_STOPPING, None)


# --- storage -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StorageStatus:
    """The media folder's disk and what the recordings take of it."""

    used_bytes: int  # recordings, clips and exports in the index
    free_bytes: int | None  # free on the media folder's disk (None: cannot be read)
    oldest: float | None  # start of the oldest footage of this site's cameras (seconds, UTC)


class StorageCoordinator(DataUpdateCoordinator[StorageStatus]):
    """Reads storage figures once a minute, off the event loop."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], site: Site, recorder: Recorder) -> None:
        super().__init__(
            hass, _LOGGER, config_entry=entry, name=f"{DOMAIN} storage {entry.title}", update_interval=STORAGE_INTERVAL
        )
        self.site = site
        self.recorder = recorder

    async def _async_update_data(self) -> StorageStatus:
        return await self.hass.async_add_executor_job(self._read)

    def _read(self) -> StorageStatus:
        try:
            free: int | None = shutil.disk_usage(self.recorder.layout.media_dir).free
        except OSError:
            free = None
        starts = []
        for camera_id in list(self.site.cameras):
            try:
                recorded = self.recorder.index.recorded_range(camera_id)
            except Exception:  # noqa: BLE001 - an index being rebuilt must not fail the sensors
                _LOGGER.debug("No recorded range of %s yet", camera_id)
                recorded = None
            if recorded is not None:
                starts.append(recorded[0])
        try:
            used = self.recorder.index.total_bytes()
        except Exception:  # noqa: BLE001 - likewise
            used = 0
        return StorageStatus(used_bytes=used, free_bytes=free, oldest=min(starts) if starts else None)

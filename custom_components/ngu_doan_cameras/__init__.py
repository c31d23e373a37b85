"""Ngũ Đoan cameras: a site's security cameras in Home Assistant.

Setting up a site builds the engine's `Site` (one shared stream reader per camera), keeps it in
`entry.runtime_data` and forwards the entity platforms. Readers connect on their own threads, so
setup never waits for a camera. Later changes are applied in place (updates.py): editing one camera
never reconnects the others.

Each site keeps an alert log (alert_log.py) that its camera problems feed (problems.py); the actions
(services.py), the shipped blueprints (blueprints.py) and the duty dashboard's cards (frontend.py) are set
up once for all sites; the `create_dashboard` action makes a site's duty dashboard (dashboard.py).
"""

from __future__ import annotations

import logging

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .alert_log import AlertLog
from .blueprints import async_install_blueprints
from .const import DOMAIN
from .coordinator import SiteCoordinator
from .data import NguDoanConfigEntry, SiteData, reader_settings
from .engine.site import Site
from .frontend import async_register_cards
from .log_redaction import install_log_redaction
from .problems import ProblemWatcher
from .recording import StorageCoordinator, async_acquire_recorder, async_release_recorder
from .services import async_setup_services
from .updates import (
    async_entry_updated,
    async_register_site_device,
    async_remove_stale_devices,
    configs_of,
    remove_folders,
)

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once for every site, install the shipped blueprints, serve the dashboard's cards."""
    async_setup_services(hass)
    async_install_blueprints(hass)
    await async_register_cards(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: NguDoanConfigEntry) -> bool:
    """Set up a site: start every camera's reader in the background, then add entities."""
    install_log_redaction()
    alerts = AlertLog(hass, entry.entry_id)
    await alerts.async_load()  # before any reader starts: the open alerts of the last shift come first
    recorder = await async_acquire_recorder(hass, entry)
    site = Site(configs_of(entry), reader_settings(entry), recorder=recorder)
    coordinator = SiteCoordinator(hass, entry, site)
    site.on_state = coordinator.on_reader_state
    site.on_detection = coordinator.on_detection
    storage = StorageCoordinator(hass, entry, site, recorder)
    entry.runtime_data = SiteData(site=site, coordinator=coordinator, alerts=alerts, recorder=recorder, storage=storage)

    async_register_site_device(hass, entry)
    async_remove_stale_devices(hass, entry)
    site.start()  # returns at once; cameras connect on their own threads
    # From here on a failure must stop the readers again, or their threads would outlive the entry.
    entry.async_on_unload(lambda: _request_stop(entry))
    await storage.async_refresh()
    entry.async_on_unload(entry.add_update_listener(async_entry_updated))

    async def async_stop_on_shutdown(_event: Event) -> None:
        # Home Assistant stops without unloading entries: end every RTSP session properly (TEARDOWN),
        # and before the event loop closes under the readers' callbacks.
        await _async_stop_site(hass, entry)

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, async_stop_on_shutdown))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(ProblemWatcher(hass, coordinator, alerts).async_start())
    return True


async def async_unload_entry(hass: HomeAssistant, entry: NguDoanConfigEntry) -> bool:
    """Unload entities, then stop and join every reader thread, then clear the site's repair issues."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await _async_stop_site(hass, entry)
        await entry.runtime_data.alerts.async_flush()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """The site is deleted: remove its cameras' motion snapshots and its alert log too."""
    folders = [SiteCoordinator.snapshot_folder_of(hass, camera_id) for camera_id in entry.subentries]
    await hass.async_add_executor_job(remove_folders, folders)
    await AlertLog.async_remove_store(hass, entry.entry_id)


async def _async_stop_site(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """Stop in this order: stop listening (late reports are dropped), stop the readers, then clear issues.

    Clearing issues before the readers stop would let a reader reporting during its stop raise the
    issue again or start a reauth.
    """
    data = entry.runtime_data
    if data.coordinator.closed:
        return
    data.coordinator.close()
    await hass.async_add_executor_job(data.site.stop)  # segments in progress are finished
    await async_release_recorder(hass, entry)
    data.coordinator.async_clear_issues()


def _request_stop(entry: NguDoanConfigEntry) -> None:
    """Stop readers that a failed setup left running (unload has stopped them already otherwise)."""
    for camera in entry.runtime_data.site.cameras.values():
        for reader in camera.readers:
            reader.request_stop()

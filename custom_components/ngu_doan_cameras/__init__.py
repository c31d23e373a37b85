"""Ngũ Đoan cameras: a site's security cameras in Home Assistant.

Setting up a site builds the engine's `Site` (one shared stream reader per camera), keeps it in
`entry.runtime_data` and forwards the entity platforms. Readers connect on their own threads, so
setup never waits for a camera.
"""

from __future__ import annotations

import json
import logging

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import (
    CONF_DETECTION,
    CONF_FRAME_TIMEOUT,
    CONF_SITE_NAME,
    DEFAULT_FRAME_TIMEOUT,
    DOMAIN,
    STREAM_OPEN_TIMEOUT,
)
from .coordinator import SiteCoordinator
from .data import NguDoanConfigEntry, SiteData, camera_config, camera_subentries, detection_settings
from .engine.reader import ReaderSettings
from .engine.site import Site
from .log_redaction import install_log_redaction

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CAMERA,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup_entry(hass: HomeAssistant, entry: NguDoanConfigEntry) -> bool:
    """Set up a site: start every camera's reader in the background, then add entities."""
    install_log_redaction()
    settings = ReaderSettings(
        open_timeout=STREAM_OPEN_TIMEOUT,
        read_timeout=float(entry.options.get(CONF_FRAME_TIMEOUT, DEFAULT_FRAME_TIMEOUT)),
    )
    site = Site([camera_config(sub) for sub in camera_subentries(entry)], settings)
    coordinator = SiteCoordinator(hass, entry, entry.data[CONF_SITE_NAME], site)
    site.on_state = coordinator.on_reader_state
    site.on_detection = coordinator.on_detection
    entry.runtime_data = SiteData(site=site, coordinator=coordinator, fingerprint=_stream_fingerprint(entry))

    _register_site_device(hass, entry)
    _remove_stale_devices(hass, entry)
    site.start()  # returns at once; cameras connect on their own threads
    # From here on a failure must stop the readers again, or their threads would outlive the entry.
    entry.async_on_unload(lambda: _schedule_stop(hass, site))
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_change))

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: NguDoanConfigEntry) -> bool:
    """Unload entities, then stop and join every reader thread."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        entry.runtime_data.coordinator.async_clear_issues()
        await hass.async_add_executor_job(entry.runtime_data.site.stop)
    return unloaded


def _schedule_stop(hass: HomeAssistant, site: Site) -> None:
    """Stop readers that a failed setup left running (unload stops them itself, so this is a no-op then)."""
    for camera in site.cameras.values():
        camera.reader.request_stop()


async def _async_reload_on_change(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """Cameras added, removed or changed, or options changed: rebuild the site.

    Detection settings alone (the switch, the sensitivity, zones) are applied live: the readers keep
    streaming and nothing is missed while an officer tunes a camera.
    """
    data = entry.runtime_data
    if _stream_fingerprint(entry) != data.fingerprint:
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    for subentry in camera_subentries(entry):
        data.site.camera(subentry.subentry_id).detection.update_settings(
            detection_settings(subentry.data.get(CONF_DETECTION))
        )
    data.coordinator.async_update_listeners()


def _stream_fingerprint(entry: NguDoanConfigEntry) -> str:
    """Everything that needs the readers rebuilt when it changes (all but detection settings)."""
    cameras = {
        sub.subentry_id: {key: value for key, value in sub.data.items() if key != CONF_DETECTION}
        for sub in camera_subentries(entry)
    }
    return json.dumps([entry.title, dict(entry.data), dict(entry.options), cameras], sort_keys=True, default=str)


def _register_site_device(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """The site itself is a device; every camera device hangs off it (`via_device`)."""
    device_registry = dr.async_get(hass)
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.data[CONF_SITE_NAME],
        manufacturer="Ngũ Đoan Cameras",
        model="Site",
        entry_type=dr.DeviceEntryType.SERVICE,
    )


def _remove_stale_devices(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """Drop devices of cameras that are no longer part of the site (e.g. removed while unloaded)."""
    device_registry = dr.async_get(hass)
    known = {entry.entry_id, *entry.subentries}
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        ids = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
        if not ids & known:
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)

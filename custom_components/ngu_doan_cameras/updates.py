"""Changes to a running site, applied in place: only the cameras that changed are touched.

A reload would stop and reopen every camera's RTSP session: a gap in every camera's footage, and
cameras that allow 2-4 sessions refuse the reopen while the old session lingers. So a change to the
entry (a camera added, removed or edited, a recorder's channels, new credentials after reauth, a new
site name or frame timeout) is reconciled with the running site instead:

- cameras added: a reader is started and each platform adds the camera's entities;
- cameras removed: their reader stops (Home Assistant removes their entities and device);
- streams or credentials changed: that camera's reader is replaced; the others keep streaming;
- name, place, snapshot URL, detection: applied to the running camera and its device, no reconnect.

Several changes in one step (a recorder's 16 channels arrive as 16 subentry updates) are applied as
one batch, and batches never overlap.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr

from .const import CONF_SITE_NAME, DOMAIN
from .data import NguDoanConfigEntry, camera_config, camera_subentries, reader_settings
from .engine.site import CameraConfig, SiteChanges
from .recording import async_update_recorder_settings


async def async_entry_updated(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """The entry's update listener: apply what changed, once per batch of changes."""
    data = entry.runtime_data
    if data.update_pending:
        return  # a batch is already waiting; it will see this change too
    data.update_pending = True
    # Let the rest of the flow step land first (every channel of a recorder, reauth on every camera).
    await asyncio.sleep(0)
    async with data.update_lock:
        data.update_pending = False
        await _async_apply(hass, entry)


async def _async_apply(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    data = entry.runtime_data
    async_update_recorder_settings(hass, entry)
    changes = data.site.reconcile(configs_of(entry), reader_settings(entry))
    data.coordinator.async_cameras_changed(changes)
    async_register_site_device(hass, entry)
    _update_camera_devices(hass, entry, changes)
    for camera_id in changes.added:
        for add_entities in data.entity_adders:
            add_entities(entry.subentries[camera_id])
    if changes.stopped or changes.started or changes.recording_changed:
        await hass.async_add_executor_job(changes.apply_readers)
    if changes.removed:
        folders = [data.coordinator.snapshot_folder(camera_id) for camera_id in changes.removed]
        await hass.async_add_executor_job(remove_folders, folders)
    data.coordinator.async_update_listeners()


def _update_camera_devices(hass: HomeAssistant, entry: NguDoanConfigEntry, changes: SiteChanges) -> None:
    """A renamed or moved camera's device follows (unless the user named or placed it themselves)."""
    devices = dr.async_get(hass)
    for camera_id, before in changes.changed.items():
        device = devices.async_get_device(identifiers={(DOMAIN, camera_id)})
        if device is None:
            continue
        after = entry.runtime_data.site.camera(camera_id).config
        updates: dict[str, str | None] = {}
        if after.name != before.name:
            updates["name"] = after.name
        if after.location != before.location and _area_name(hass, device.area_id) in (None, before.location):
            updates["area_id"] = ar.async_get(hass).async_get_or_create(after.location).id if after.location else None
        if updates:
            devices.async_update_device(device.id, **updates)  # type: ignore[arg-type]


def _area_name(hass: HomeAssistant, area_id: str | None) -> str | None:
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area else None


@callback
def async_register_site_device(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """The site itself is a device; every camera device hangs off it (`via_device`)."""
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.data[CONF_SITE_NAME],
        manufacturer="Ngũ Đoan Cameras",
        model="Site",
        entry_type=dr.DeviceEntryType.SERVICE,
    )


@callback
def async_remove_stale_devices(hass: HomeAssistant, entry: NguDoanConfigEntry) -> None:
    """Drop devices of cameras that are no longer part of the site (e.g. removed while unloaded)."""
    device_registry = dr.async_get(hass)
    known = {entry.entry_id, *entry.subentries}
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        ids = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
        if not ids & known:
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


def remove_folders(folders: list[Path]) -> None:
    """Delete folders a removed camera left (its motion snapshots). Blocking."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def configs_of(entry: NguDoanConfigEntry) -> list[CameraConfig]:
    """Engine settings of every camera of the entry."""
    return [camera_config(entry, sub) for sub in camera_subentries(entry)]

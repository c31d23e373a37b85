"""Setting a site up and down: devices, areas, background start, reload on change, no leaked threads."""

from __future__ import annotations

import time

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.ngu_doan_cameras.const import DOMAIN

from .blocking import LoopGuard
from .conftest import camera_data
from .helpers import SITE, make_site, reader_threads, setup_site, unload_site, wait_for_state
from .simulator import CameraSimulator


@pytest.mark.usefixtures("socket_enabled")
async def test_site_setup_devices_areas_and_unload(
    hass: HomeAssistant, simulator: CameraSimulator, loop_guard: LoopGuard
) -> None:
    entry = make_site(hass, [camera_data(simulator, 1, location="Thôn Đồng Rồi"), camera_data(simulator, 2, sub=False)])
    started = time.monotonic()
    await setup_site(hass, entry)
    loop_guard.assert_clean()  # nothing blocking ran on the event loop during setup
    # Setup does not wait for cameras: readers connect in the background.
    assert time.monotonic() - started < 2.0
    assert len(reader_threads()) == 2
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on")
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")

    devices = dr.async_get(hass)
    site_device = devices.async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert site_device is not None
    assert site_device.name == SITE
    cameras = [d for d in dr.async_entries_for_config_entry(devices, entry.entry_id) if d.id != site_device.id]
    assert len(cameras) == 2
    assert all(device.via_device_id == site_device.id for device in cameras)
    camera_1 = next(device for device in cameras if device.name == "Camera 1")
    area = ar.async_get(hass).async_get_area(camera_1.area_id or "")
    assert area is not None
    assert area.name == "Thôn Đồng Rồi"
    assert camera_1.configuration_url == "http://127.0.0.1/"

    entities = er.async_get(hass)
    camera_1_entities = {e.entity_id: e for e in er.async_entries_for_device(entities, camera_1.id, True)}
    assert set(camera_1_entities) == {
        "camera.camera_1",
        "camera.camera_1_sub_stream",
        "binary_sensor.camera_1_connectivity",
        "sensor.camera_1_frame_rate",
        "sensor.camera_1_bit_rate",
        "sensor.camera_1_last_frame",
        "sensor.camera_1_reconnects",
        "binary_sensor.camera_1_motion",
        "binary_sensor.camera_1_tamper",
        "switch.camera_1_detection",
        "number.camera_1_motion_sensitivity",
    }
    # Entities belong to the camera's subentry, so removing the camera removes them.
    assert {e.config_subentry_id for e in camera_1_entities.values()} == {
        next(sub.subentry_id for sub in entry.subentries.values() if sub.title == "Camera 1")
    }
    assert camera_1_entities["camera.camera_1_sub_stream"].disabled_by is er.RegistryEntryDisabler.INTEGRATION
    # Camera 2 has no sub stream, so no sub stream camera.
    assert entities.async_get("camera.camera_2_sub_stream") is None

    await unload_site(hass, entry)
    assert entry.state is ConfigEntryState.NOT_LOADED


@pytest.mark.usefixtures("socket_enabled")
async def test_removing_a_camera_reloads_the_site(hass: HomeAssistant, simulator: CameraSimulator) -> None:
    entry = make_site(hass, [camera_data(simulator, 1), camera_data(simulator, 2)])
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")
    camera_2 = next(sub for sub in entry.subentries.values() if sub.title == "Camera 2")
    assert hass.config_entries.async_remove_subentry(entry, camera_2.subentry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert list(entry.runtime_data.site.cameras) == [
        next(sub.subentry_id for sub in entry.subentries.values() if sub.title == "Camera 1")
    ]
    assert len(reader_threads()) == 1
    assert hass.states.get("binary_sensor.camera_2_connectivity") is None
    assert er.async_get(hass).async_get("camera.camera_2") is None
    await unload_site(hass, entry)


async def test_unreachable_cameras_never_delay_setup_or_unload(hass: HomeAssistant) -> None:
    # 17 cameras behind an address nobody answers on: setup and unload stay fast, nothing leaks.
    cameras = [
        {
            "name": f"Cam {n}",
            "location": "",
            "main_url": f"rtsp://127.0.0.1:1/cam{n}",
            "sub_url": "",
            "still_url": "",
            "username": "",
            "password": "",
        }
        for n in range(1, 18)
    ]
    entry = make_site(hass, cameras)
    started = time.monotonic()
    await setup_site(hass, entry)
    assert time.monotonic() - started < 2.0
    await wait_for_state(hass, "binary_sensor.cam_17_connectivity", "off")
    assert hass.states.get("camera.cam_1").state == "unavailable"
    started = time.monotonic()
    await unload_site(hass, entry)
    assert time.monotonic() - started < 5.0

"""Detection end to end: real RTSP camera -> shared reader -> detector -> HA entities and events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType

from custom_components.ngu_doan_cameras.const import EVENT_MOTION, SUBENTRY_CAMERA

from .conftest import camera_data
from .helpers import jpeg_size, make_site, reader_threads, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator

FAST_DETECTION = {
    "enabled": True,
    "sensitivity": 60,
    "min_size": 60,
    "off_delay": 2,
    "max_fps": 5,
    "zones": "",
    "masks": "",
}


@pytest.mark.usefixtures("socket_enabled")
async def test_motion_event_snapshot_switch_and_sensitivity(hass: HomeAssistant, simulator: CameraSimulator) -> None:
    events: list[Event[Any]] = []

    @callback
    def record(event: Event[Any]) -> None:
        events.append(event)

    hass.bus.async_listen(EVENT_MOTION, record)
    entry = make_site(hass, [camera_data(simulator, 4, detection=FAST_DETECTION)])
    await setup_site(hass, entry)
    # The simulator's picture moves all the time: motion is seen, and the event says where the frame is.
    await wait_for_state(hass, "binary_sensor.camera_4_motion", "on")
    await wait_until(lambda: bool(events))
    data = events[0].data
    assert data["camera"] == "Camera 4"
    assert data["area"] == "Đường 402"
    assert data["zone"] == "whole_image"
    assert data["score"] > 0
    snapshot = await hass.async_add_executor_job(Path(data["snapshot"]).read_bytes)
    (subentry,) = entry.subentries.values()
    # Filed by camera id: names repeat across recorders ("Camera 01") and change.
    assert data["snapshot_url"].startswith(f"/media/local/ngu_doan_cameras/motion/{subentry.subentry_id}/")
    assert jpeg_size(snapshot) == (320, 180)
    attributes = hass.states.get("binary_sensor.camera_4_motion").attributes
    assert attributes["zone"] == "whole_image"
    assert hass.states.get("binary_sensor.camera_4_tamper").state == "off"

    # Off: applied live (the reader keeps its session), saved in the camera's settings.
    threads = reader_threads()
    await hass.services.async_call("switch", "turn_off", {"entity_id": "switch.camera_4_detection"}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get("switch.camera_4_detection").state == "off"
    assert hass.states.get("binary_sensor.camera_4_motion").state == "unavailable"
    assert subentry.data["detection"]["enabled"] is False
    assert reader_threads() == threads
    await hass.services.async_call("switch", "turn_on", {"entity_id": "switch.camera_4_detection"}, blocking=True)
    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.camera_4_motion_sensitivity", "value": 20}, blocking=True
    )
    await hass.async_block_till_done()
    assert hass.states.get("number.camera_4_motion_sensitivity").state == "20.0"
    assert entry.runtime_data.site.camera(subentry.subentry_id).detection.settings.motion.sensitivity == 20
    assert reader_threads() == threads
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_mask_over_the_whole_picture_and_zones_from_the_options_flow(
    hass: HomeAssistant, simulator: CameraSimulator
) -> None:
    entry = make_site(hass, [camera_data(simulator, 3, detection=FAST_DETECTION)])
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_3_motion", "on")
    (subentry,) = entry.subentries.values()

    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, subentry.subentry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "detection"})
    assert result["step_id"] == "detection"
    form = {**FAST_DETECTION, "zones": "Cổng: 0,0 1,0 oops", "masks": ""}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["errors"] == {"zones": "invalid_polygons"}
    assert result["description_placeholders"]["problem"]
    form = {**FAST_DETECTION, "zones": "Cổng: 0,0 1,0 1,1 0,1", "masks": "0,0 1,0 1,1 0,1"}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[subentry.subentry_id].data["detection"]["zones"] == "Cổng: 0,0 1,0 1,1 0,1"
    # Everything masked: the moving picture no longer counts, motion ends after the off delay.
    await wait_for_state(hass, "binary_sensor.camera_3_motion", "off", timeout=20)
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_video_lost_is_tamper(hass: HomeAssistant, own_simulator: CameraSimulator) -> None:
    entry = make_site(hass, [camera_data(own_simulator, 1, detection=FAST_DETECTION)], frame_timeout=2)
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on")
    own_simulator.freeze("cam1")
    await wait_for_state(hass, "binary_sensor.camera_1_tamper", "on", timeout=15)
    assert hass.states.get("binary_sensor.camera_1_tamper").attributes["kind"] == "video_lost"
    assert hass.states.get("binary_sensor.camera_1_motion").state == "unavailable"
    own_simulator.thaw("cam1")
    await wait_for_state(hass, "binary_sensor.camera_1_tamper", "off", timeout=30)
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_snapshots_of_same_named_cameras_stay_apart_and_go_with_their_camera(
    hass: HomeAssistant, simulator: CameraSimulator
) -> None:
    events: list[Event[Any]] = []
    hass.bus.async_listen(EVENT_MOTION, events.append)
    # Two recorders, each with a "Camera 01": same name, different cameras.
    first = make_site(hass, [camera_data(simulator, 3, name="Camera 01", detection=FAST_DETECTION)], title="Thôn Trúc")
    second = make_site(
        hass, [camera_data(simulator, 4, name="Camera 01", detection=FAST_DETECTION)], title="Thôn Tiền Anh"
    )
    await setup_site(hass, first)  # sets up every site of the integration
    assert second.state is ConfigEntryState.LOADED
    ids = {next(iter(entry.subentries)) for entry in (first, second)}
    await wait_until(lambda: {event.data["camera_id"] for event in events} == ids, timeout=30)
    folders = {Path(event.data["snapshot"]).parent for event in events}
    assert {folder.name for folder in folders} == ids
    (second_id,) = second.subentries
    folder = next(folder for folder in folders if folder.name == second_id)

    def exists(path: Path) -> bool:
        return path.exists()

    assert await hass.async_add_executor_job(exists, folder)
    # Removing the camera removes its pictures, and only its own.
    assert hass.config_entries.async_remove_subentry(second, second_id)
    await hass.async_block_till_done()
    assert not await hass.async_add_executor_job(exists, folder)
    assert all([await hass.async_add_executor_job(exists, other) for other in folders if other.name != second_id])
    await unload_site(hass, first)
    await unload_site(hass, second)

"""Setting a site up and down: devices, areas, background start, reload on change, no leaked threads."""

from __future__ import annotations

import threading
import time

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigSubentry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ngu_doan_cameras import const
from custom_components.ngu_doan_cameras import data as data_module
from custom_components.ngu_doan_cameras.const import DOMAIN, SUBENTRY_CAMERA
from custom_components.ngu_doan_cameras.engine.reader import StreamReader
from custom_components.ngu_doan_cameras.engine.stats import ReaderState

from .blocking import LoopGuard
from .conftest import SilentServer, camera_data
from .helpers import SITE, make_site, reader_threads, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator


@pytest.mark.usefixtures("socket_enabled")
async def test_site_setup_devices_areas_and_unload(
    hass: HomeAssistant, simulator: CameraSimulator, loop_guard: LoopGuard
) -> None:
    entry = make_site(hass, [camera_data(simulator, 1, location="Thôn Đồng Rồi"), camera_data(simulator, 2, sub=False)])
    await setup_site(hass, entry)
    loop_guard.assert_clean()  # nothing blocking ran on the event loop during setup
    # Readers connect in the background (that setup never waits for them: the silent cameras test).
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
        "binary_sensor.camera_1_fire",
        "binary_sensor.camera_1_flash_or_explosion",
        "switch.camera_1_detection",
        "number.camera_1_motion_sensitivity",
        "sensor.camera_1_recording",
        "select.camera_1_recording_mode",
        "event.camera_1_alert",
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


def readers(entry: MockConfigEntry) -> dict[str, StreamReader]:
    """Each camera's reader object: a new object is a new RTSP session."""
    return {camera_id: camera.reader for camera_id, camera in entry.runtime_data.site.cameras.items()}


def subentry_named(entry: MockConfigEntry, title: str) -> ConfigSubentry:
    return next(sub for sub in entry.subentries.values() if sub.title == title)


@pytest.mark.usefixtures("socket_enabled")
async def test_changes_reconnect_only_the_cameras_that_changed(
    hass: HomeAssistant, simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four reconfigure flows each test a camera while two readers decode: on a loaded test machine
    # one probe took longer than the 3 s that proves a silent camera fails elsewhere.
    monkeypatch.setattr(const, "PROBE_TIMEOUT", 10.0)
    entry = make_site(hass, [camera_data(simulator, 1, location="Thôn Trúc"), camera_data(simulator, 2)])
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on")
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")
    runtime = entry.runtime_data
    before = readers(entry)
    camera_1 = subentry_named(entry, "Camera 1")
    camera_2 = subentry_named(entry, "Camera 2")
    outages: list[str] = []

    @callback
    def record_outage(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.state != "on":
            outages.append(event.data["entity_id"])

    async_track_state_change_event(hass, ["binary_sensor.camera_1_connectivity"], record_outage)

    # Rename and move camera 1: its device follows, its session stays.
    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, camera_1.subentry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "connection"})
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Cổng làng Trúc",
            "location": "Thôn Tiền Anh",
            "main_url": simulator.url("cam1"),
            "sub_url": simulator.url("cam1/sub"),
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert readers(entry) == before
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, camera_1.subentry_id)})
    assert device is not None
    assert device.name == "Cổng làng Trúc"
    area = ar.async_get(hass).async_get_area(device.area_id or "")
    assert area is not None
    assert area.name == "Thôn Tiền Anh"
    assert hass.states.get("binary_sensor.camera_1_connectivity").name == "Cổng làng Trúc Connectivity"

    # Camera 2 now watches its main stream only: camera 2 reconnects, camera 1 does not.
    hass.config_entries.async_update_subentry(entry, camera_2, data={**camera_2.data, "sub_url": ""})
    await hass.async_block_till_done()
    after = readers(entry)
    assert after[camera_1.subentry_id] is before[camera_1.subentry_id]
    assert after[camera_2.subentry_id] is not before[camera_2.subentry_id]
    await wait_until(lambda: entry.runtime_data.site.camera(camera_2.subentry_id).stats.streaming)
    assert entry.runtime_data.site.camera(camera_2.subentry_id).stats.width == simulator.width
    assert len(reader_threads()) == 2

    # A recorder's channels: the new cameras come with their entities; the running ones keep streaming.
    before = readers(entry)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CAMERA), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "nvr"})
    nvr = {"host": "127.0.0.1", "port": simulator.port, "vendor": "custom", "main_template": "/cam{ch}", "channels": 4}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], nvr)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    after = readers(entry)
    assert len(after) == 4
    assert {camera_id: after[camera_id] for camera_id in before} == before
    await wait_for_state(hass, "binary_sensor.camera_04_connectivity", "on")
    await wait_for_state(hass, "binary_sensor.camera_03_connectivity", "on")

    # Rename the site: its device follows, no camera reconnects.
    before = readers(entry)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"site_name": "Công an xã"})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert readers(entry) == before
    site_device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert site_device is not None
    assert site_device.name == "Công an xã"

    # Remove a camera: its reader stops, its entities go, the others keep streaming.
    assert hass.config_entries.async_remove_subentry(entry, camera_2.subentry_id)
    await hass.async_block_till_done()
    assert readers(entry) == {key: value for key, value in before.items() if key != camera_2.subentry_id}
    assert len(reader_threads()) == 3
    assert hass.states.get("binary_sensor.camera_2_connectivity") is None
    assert er.async_get(hass).async_get("camera.camera_2") is None

    # None of this reloaded the site, and camera 1 streamed throughout.
    assert entry.runtime_data is runtime
    assert outages == []
    assert hass.states.get("binary_sensor.camera_1_connectivity").state == "on"
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_new_frame_timeout_renews_every_reader_without_a_reload(
    hass: HomeAssistant, simulator: CameraSimulator
) -> None:
    entry = make_site(hass, [camera_data(simulator, 1), camera_data(simulator, 2)])
    await setup_site(hass, entry)
    runtime = entry.runtime_data
    before = readers(entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"frame_timeout": 9})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    after = readers(entry)
    assert entry.runtime_data is runtime
    assert all(after[camera_id] is not reader for camera_id, reader in before.items())
    assert {reader.settings.read_timeout for reader in after.values()} == {9.0}
    assert len(reader_threads()) == 2
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")
    await unload_site(hass, entry)


def silent_cameras(port: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "name": f"Cam {n}",
            "location": "",
            "main_url": f"rtsp://127.0.0.1:{port}/cam{n}",
            "sub_url": "",
            "still_url": "",
            "username": "",
            "password": "",
        }
        for n in range(1, count + 1)
    ]


async def timed_unload(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    started = time.monotonic()
    await unload_site(hass, entry)
    return time.monotonic() - started


async def test_cameras_that_never_answer_never_delay_setup_and_stop_together(
    hass: HomeAssistant, silent_server: SilentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cameras that accept the connection and then say nothing: every open hangs until its timeout.
    monkeypatch.setattr(data_module, "STREAM_OPEN_TIMEOUT", 3.0)
    one = make_site(hass, silent_cameras(silent_server.port, 1), title="Một camera")
    await setup_site(hass, one)
    await wait_until(
        lambda: (
            one.runtime_data.site.cameras
            and all(camera.stats.state is ReaderState.CONNECTING for camera in one.runtime_data.site.cameras.values())
        )
    )
    one_camera = await timed_unload(hass, one)
    await hass.config_entries.async_remove(one.entry_id)

    entry = make_site(hass, silent_cameras(silent_server.port, 17))
    await setup_site(hass, entry)
    # Setup returned while every camera is still trying to open: it never waits for a camera.
    assert all(
        camera.stats.state in {ReaderState.IDLE, ReaderState.CONNECTING}
        for camera in entry.runtime_data.site.cameras.values()
    )
    assert hass.states.get("camera.cam_1").state == "unavailable"
    await wait_until(
        lambda: all(camera.stats.state is ReaderState.CONNECTING for camera in entry.runtime_data.site.cameras.values())
    )
    seventeen = await timed_unload(hass, entry)
    # Hung readers stop together: 17 cost about what one costs (one open timeout), not 17 of them.
    assert seventeen < 2 * one_camera + 1.0, (one_camera, seventeen)


@pytest.mark.usefixtures("socket_enabled")
async def test_home_assistant_stopping_stops_every_reader(hass: HomeAssistant, simulator: CameraSimulator) -> None:
    entry = make_site(hass, [camera_data(simulator, 1), camera_data(simulator, 2)])
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")
    # Home Assistant stops without unloading entries: the sessions must end here, not when the process dies.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert reader_threads() == []
    assert entry.runtime_data.coordinator.closed
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_a_report_while_the_site_stops_does_not_raise_the_issue_again(
    hass: HomeAssistant, simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = make_site(hass, [camera_data(simulator, 1, main_url=simulator.url("gone"), sub_url="")])
    await setup_site(hass, entry)
    site = entry.runtime_data.site
    coordinator = entry.runtime_data.coordinator
    (camera_id,) = site.cameras
    issues = ir.async_get(hass)
    await wait_until(lambda: issues.async_get_issue(DOMAIN, f"camera_down_{camera_id}") is not None)
    stop = site.stop

    def stop_after_a_late_report() -> None:
        # The reader reports its failure again from its thread just as the site stops.
        coordinator.on_reader_state(camera_id, site.camera(camera_id).stats)
        handled = threading.Event()
        hass.loop.call_soon_threadsafe(handled.set)  # runs after the report's callback
        assert handled.wait(10)
        stop()

    monkeypatch.setattr(site, "stop", stop_after_a_late_report)
    await unload_site(hass, entry)
    assert issues.async_get_issue(DOMAIN, f"camera_down_{camera_id}") is None

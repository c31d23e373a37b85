"""Fire, flashes and loud sound end to end: a camera's stream -> shared reader -> detectors -> entities, events.

The cameras here stream clips of the evaluation set (a fire starting in a street; a firecracker at
night with its bang on the camera's microphone): the reader opens the clip as it opens a camera (it
reads it faster than real time, and again when it ends). Sound from the RTSP simulator's cameras
shows which cameras get a sound sensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.ngu_doan_cameras.const import EVENT_FIRE, EVENT_FLASH, SUBENTRY_CAMERA
from tools import evalset

from .alerting import config_dir  # noqa: F401 (a fixture, used by name)
from .conftest import camera_data
from .helpers import jpeg_size, make_site, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator

DETECTION = {"enabled": True, "sensitivity": 50, "min_size": 60, "off_delay": 5, "max_fps": 5, "zones": "", "masks": ""}


def clip_camera(name: str, clip: Path, **extra: Any) -> dict[str, Any]:
    """Subentry data of a camera whose stream is a clip on disk."""
    return {
        "name": name,
        "location": "Thôn Trúc",
        "main_url": str(clip),
        "sub_url": "",
        "still_url": "",
        "username": "",
        "password": "",
        "detection": DETECTION,
        **extra,
    }


def flash_states(changes: list[Event[Any]]) -> list[State]:
    """The flash sensor's new states, in order."""
    return [
        change.data["new_state"]
        for change in changes
        if change.data["entity_id"] == "binary_sensor.cong_cho_flash_or_explosion" and change.data["new_state"]
    ]


async def exists(hass: HomeAssistant, path: str) -> bool:
    return await hass.async_add_executor_job(Path(path).exists)


@pytest.mark.usefixtures("config_dir")
async def test_firecracker_with_its_bang_is_an_explosion_with_a_snapshot(hass: HomeAssistant) -> None:
    clip = await hass.async_add_executor_job(
        lambda: evalset.encode(evalset.case("flash_firecracker_night_06"), audio=True)
    )
    flashes = async_capture_events(hass, EVENT_FLASH)
    fires = async_capture_events(hass, EVENT_FIRE)
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    entry = make_site(hass, [clip_camera("Cổng chợ", clip)])
    await setup_site(hass, entry)
    await wait_until(lambda: bool(flashes), timeout=30)
    data = flashes[0].data
    (subentry,) = entry.subentries.values()
    assert data["camera"] == "Cổng chợ"
    assert data["camera_id"] == subentry.subentry_id
    assert data["area"] == "Thôn Trúc"
    assert data["explosion"] is True  # the bang came with it
    assert data["camera_entity_id"] == "camera.cong_cho"
    assert data["flash_entity_id"] == "binary_sensor.cong_cho_flash_or_explosion"
    x, y, width, height = data["box"]
    assert 0 < x < 1
    assert 0 < y < 1
    assert 0 < width < 0.5
    assert 0 < height < 0.5
    assert data["snapshot_url"].startswith(f"/media/local/ngu_doan_cameras/motion/{subentry.subentry_id}/")
    assert data["snapshot"].endswith("-flash.jpg")
    snapshot = await hass.async_add_executor_job(Path(data["snapshot"]).read_bytes)
    assert jpeg_size(snapshot) == (640, 360)
    # The sensor as it turned on (it may be off again by now: the clip is read faster than real time).
    await wait_until(lambda: any(new.state == "on" for new in flash_states(changes)))
    state = next(new for new in flash_states(changes) if new.state == "on")
    assert state.attributes["explosion"] is True
    assert state.attributes.get("device_class") is None  # a flash is not smoke, heat or a problem
    # The clip has sound: the camera got a loud sound sensor, and it heard the bang.
    await wait_until(lambda: hass.states.get("binary_sensor.cong_cho_loud_sound") is not None)
    sound = hass.states.get("binary_sensor.cong_cho_loud_sound")
    assert sound is not None
    assert sound.attributes["device_class"] == "sound"
    registry = er.async_get(hass)
    assert registry.async_get("binary_sensor.cong_cho_loud_sound") is not None
    assert fires == []
    await unload_site(hass, entry)


@pytest.mark.usefixtures("config_dir")
async def test_fire_event_sensor_and_turning_fire_detection_off(hass: HomeAssistant) -> None:
    clip = await hass.async_add_executor_job(lambda: evalset.encode(evalset.case("fire_night_06")))
    fires = async_capture_events(hass, EVENT_FIRE)
    entry = make_site(hass, [clip_camera("Xưởng giày", clip)])
    await setup_site(hass, entry)
    await wait_until(lambda: bool(fires), timeout=60)
    data = fires[0].data
    assert data["camera"] == "Xưởng giày"
    assert data["fire_entity_id"] == "binary_sensor.xuong_giay_fire"
    assert data["size"] > 0
    assert data["snapshot"].endswith("-fire.jpg")
    assert await exists(hass, data["snapshot"])
    await wait_for_state(hass, "binary_sensor.xuong_giay_fire", "on")
    state = hass.states.get("binary_sensor.xuong_giay_fire")
    assert state is not None
    assert state.attributes["device_class"] == "safety"  # on means unsafe
    assert state.attributes["size"] > 0
    # No sound in this clip: no sound sensor (the reader has been through the clip's first session).
    assert er.async_get(hass).async_get("binary_sensor.xuong_giay_loud_sound") is None

    # Fire detection off in the camera's detection settings: applied live, the sensor goes unavailable.
    (subentry,) = entry.subentries.values()
    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, subentry.subentry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "detection"})
    form = {**DETECTION, "fire": False, "flash": True, "sound": True, "sound_level": 25}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.ABORT
    await hass.async_block_till_done()
    await wait_for_state(hass, "binary_sensor.xuong_giay_fire", "unavailable")
    settings = entry.runtime_data.site.camera(subentry.subentry_id).detection.settings
    assert not settings.fire.enabled
    assert settings.sound.threshold_db == 25
    assert entry.subentries[subentry.subentry_id].data["detection"]["fire"] is False
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_only_cameras_with_sound_get_a_sound_sensor(
    hass: HomeAssistant, audio_simulator: CameraSimulator, simulator: CameraSimulator
) -> None:
    entry = make_site(
        hass,
        [
            camera_data(audio_simulator, 1, name="Có tiếng", detection=DETECTION),
            camera_data(simulator, 2, name="Không tiếng", detection=DETECTION),
        ],
    )
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.co_tieng_loud_sound", "off", timeout=30)
    # The silent camera streams too (its connectivity is on), and has no sound sensor.
    await wait_for_state(hass, "binary_sensor.khong_tieng_connectivity", "on", timeout=30)
    assert hass.states.get("binary_sensor.khong_tieng_loud_sound") is None
    await unload_site(hass, entry)

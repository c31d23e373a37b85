"""Connectivity: off within the frame timeout when frames stop, back on when they resume; logged once."""

from __future__ import annotations

import logging

import pytest
from homeassistant.core import HomeAssistant

from .conftest import camera_data
from .helpers import make_site, setup_site, unload_site, wait_for_state
from .simulator import CameraSimulator


@pytest.mark.usefixtures("socket_enabled")
async def test_connectivity_follows_frames(
    hass: HomeAssistant, own_simulator: CameraSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.ngu_doan_cameras")
    entry = make_site(hass, [camera_data(own_simulator, 1)], frame_timeout=2)
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on")
    assert hass.states.get("binary_sensor.camera_1_connectivity").attributes.get("reason") is None

    # Frames stop, the connection stays: off after the 2 s frame timeout.
    own_simulator.freeze("cam1")
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "off", timeout=15)
    assert hass.states.get("binary_sensor.camera_1_connectivity").attributes["reason"] == "timeout"
    assert hass.states.get("camera.camera_1").state == "unavailable"
    assert hass.states.get("sensor.camera_1_frame_rate").state == "unavailable"
    own_simulator.thaw("cam1")
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on", timeout=30)
    assert hass.states.get("camera.camera_1").state == "idle"

    # The camera goes away; retries fail again and again, but the log says so once.
    own_simulator.drop("cam1")
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "off", timeout=15)
    reader = entry.runtime_data.site.cameras[next(iter(entry.runtime_data.site.cameras))].reader
    reconnects = reader.stats.reconnects
    await wait_for_state(hass, "sensor.camera_1_reconnects", str(reconnects + 2), timeout=30)
    own_simulator.restore("cam1")
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on", timeout=40)

    lost = [r for r in caplog.records if "is unavailable" in r.getMessage()]
    back = [r for r in caplog.records if "streaming again" in r.getMessage()]
    assert len(lost) == 2  # once for the freeze, once for the drop
    assert len(back) == 2
    await unload_site(hass, entry)

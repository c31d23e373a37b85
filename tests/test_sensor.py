"""Diagnostic sensors of a streaming camera."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import camera_data
from .helpers import make_site, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator


@pytest.mark.usefixtures("socket_enabled")
async def test_stream_statistics(hass: HomeAssistant, simulator: CameraSimulator) -> None:
    entry = make_site(hass, [camera_data(simulator, 3)])
    registry = er.async_get(hass)
    await setup_site(hass, entry)
    # Last frame changes all the time: off by default; turn it on as a user would.
    assert registry.async_get("sensor.camera_3_last_frame").disabled_by is er.RegistryEntryDisabler.INTEGRATION
    registry.async_update_entity("sensor.camera_3_last_frame", disabled_by=None)
    await hass.async_block_till_done()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for_state(hass, "binary_sensor.camera_3_connectivity", "on")
    coordinator = entry.runtime_data.coordinator
    camera = next(iter(coordinator.site.cameras.values()))
    await wait_until(lambda: camera.stats.fps is not None and camera.stats.bitrate_kbps is not None)
    await coordinator.async_refresh()

    fps = hass.states.get("sensor.camera_3_frame_rate")
    assert fps.attributes["unit_of_measurement"] == "fps"
    assert 10 <= float(fps.state) <= 20  # the simulator sends 15 fps
    bitrate = hass.states.get("sensor.camera_3_bit_rate")
    assert bitrate.attributes["unit_of_measurement"] == "kbit/s"
    assert float(bitrate.state) > 10
    assert hass.states.get("sensor.camera_3_reconnects").state == "0"
    assert hass.states.get("sensor.camera_3_last_frame").state.startswith("20")
    await unload_site(hass, entry)

"""Diagnostics show what is needed to debug a camera, and never its credentials."""

from __future__ import annotations

import json

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import SIM_PASSWORD, SIM_USER, camera_data
from .helpers import make_site, setup_site, unload_site, wait_for_state
from .simulator import CameraSimulator


@pytest.mark.usefixtures("socket_enabled")
async def test_diagnostics_redact_credentials(
    hass: HomeAssistant, auth_simulator: CameraSimulator, hass_client: ClientSessionGenerator
) -> None:
    entry = make_site(hass, [camera_data(auth_simulator, 2)])
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    dumped = json.dumps(diagnostics)
    assert SIM_PASSWORD not in dumped
    assert SIM_USER not in dumped
    (camera,) = diagnostics["cameras"].values()
    assert camera["config"]["password"] == "**REDACTED**"
    assert camera["config"]["main_url"] == auth_simulator.url("cam2")
    assert camera["watching"] == "sub"
    assert camera["stream"]["state"] == "streaming"
    assert camera["stream"]["codec"] == "h264"
    assert camera["detection"]["enabled"] is True
    assert camera["detection"]["frames_judged"] >= 0
    await unload_site(hass, entry)

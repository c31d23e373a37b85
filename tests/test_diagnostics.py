"""Diagnostics show what is needed to debug a camera, and never its credentials."""

from __future__ import annotations

import json
from urllib.parse import quote

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


@pytest.mark.usefixtures("socket_enabled")
async def test_diagnostics_and_states_redact_query_credentials(
    hass: HomeAssistant, auth_simulator: CameraSimulator, hass_client: ClientSessionGenerator
) -> None:
    """A snapshot URL stored with credentials in its query (as earlier versions did) shows them nowhere."""
    still = f"http://127.0.0.1:1/snap.cgi?usr={SIM_USER}&pwd={quote(SIM_PASSWORD, safe='')}&loginpas={SIM_PASSWORD}"
    entry = make_site(hass, [camera_data(auth_simulator, 1, still_url=still)])
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    (camera,) = diagnostics["cameras"].values()
    assert camera["config"]["still_url"] == "http://127.0.0.1:1/snap.cgi?usr=***&pwd=***&loginpas=***"
    states = json.dumps([state.as_dict() for state in hass.states.async_all()], default=str)
    for shown in (json.dumps(diagnostics), states):
        for secret in (SIM_PASSWORD, quote(SIM_PASSWORD, safe=""), quote(SIM_PASSWORD)):
            assert secret not in shown
    await unload_site(hass, entry)

"""Runtime problems become repair issues or a reauth flow; fixing them clears them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir

from custom_components.ngu_doan_cameras import coordinator as coordinator_module
from custom_components.ngu_doan_cameras.const import DOMAIN

from .conftest import SIM_PASSWORD, SIM_USER, camera_data
from .helpers import make_site, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator


def issue_for(hass: HomeAssistant, entry_subentry: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"camera_down_{entry_subentry}")


@pytest.mark.usefixtures("socket_enabled")
async def test_wrong_stream_path_raises_a_repair_issue_at_once(hass: HomeAssistant, simulator: CameraSimulator) -> None:
    entry = make_site(hass, [camera_data(simulator, 1, main_url=simulator.url("gone"), sub_url="")])
    await setup_site(hass, entry)
    (camera_id,) = entry.runtime_data.site.cameras
    await wait_until(lambda: issue_for(hass, camera_id) is not None)
    issue = issue_for(hass, camera_id)
    assert issue.translation_key == "camera_stream_not_found"
    assert issue.translation_placeholders == {"camera": "Camera 1"}
    await unload_site(hass, entry)
    # Unloading clears the site's issues; they come back if still true.
    assert issue_for(hass, camera_id) is None


@pytest.mark.usefixtures("socket_enabled")
async def test_long_outage_raises_an_issue_that_clears_when_the_camera_returns(
    hass: HomeAssistant, own_simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordinator_module, "REPAIR_AFTER", timedelta(0))
    entry = make_site(hass, [camera_data(own_simulator, 2)], frame_timeout=2)
    await setup_site(hass, entry)
    (camera_id,) = entry.runtime_data.site.cameras
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")
    own_simulator.drop("cam2")
    await wait_until(lambda: issue_for(hass, camera_id) is not None)
    assert issue_for(hass, camera_id).translation_key in {"camera_cannot_connect", "camera_stream_not_found"}
    own_simulator.restore("cam2")
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on", timeout=40)
    assert issue_for(hass, camera_id) is None
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_password_changed_on_the_camera_starts_reauth(
    hass: HomeAssistant, auth_simulator: CameraSimulator
) -> None:
    entry = make_site(hass, [camera_data(auth_simulator, 1, password="old"), camera_data(auth_simulator, 2)])
    await setup_site(hass, entry)
    await wait_until(
        lambda: any(flow["context"]["source"] == SOURCE_REAUTH for flow in hass.config_entries.flow.async_progress())
    )
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_confirm"
    # Only the camera that refuses its password is named (and changed).
    assert result["description_placeholders"]["cameras"] == "Camera 1"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"username": SIM_USER, "password": "still wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"username": SIM_USER, "password": SIM_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on", timeout=30)
    assert {sub.data["password"] for sub in entry.subentries.values()} == {SIM_PASSWORD}
    await unload_site(hass, entry)

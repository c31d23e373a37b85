"""Runtime problems become repair issues or a reauth flow; fixing them clears them."""

from __future__ import annotations

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


class Clock:
    """The coordinator's outage clock, moved by the test (the readers keep real time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.usefixtures("socket_enabled")
async def test_an_issue_after_five_minutes_down_none_for_a_short_outage(
    hass: HomeAssistant, own_simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(coordinator_module, "monotonic", clock)
    entry = make_site(hass, [camera_data(own_simulator, 2)], frame_timeout=2)
    await setup_site(hass, entry)
    coordinator = entry.runtime_data.coordinator
    (camera_id,) = entry.runtime_data.site.cameras
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on")

    # A short outage (a recorder channel gone for 4 minutes, answering 404) raises nothing.
    own_simulator.drop("cam2")
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "off")
    clock.now += 4 * 60
    await coordinator.async_refresh()
    assert issue_for(hass, camera_id) is None
    own_simulator.restore("cam2")
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "on", timeout=40)
    assert issue_for(hass, camera_id) is None

    # A long one does, at 5 minutes, and it clears when the camera is back.
    own_simulator.freeze("cam2")
    await wait_for_state(hass, "binary_sensor.camera_2_connectivity", "off")
    clock.now += 5 * 60 - 1
    await coordinator.async_refresh()
    assert issue_for(hass, camera_id) is None
    clock.now += 1
    await coordinator.async_refresh()
    issue = issue_for(hass, camera_id)
    assert issue is not None
    assert issue.translation_key == "camera_timeout"
    own_simulator.thaw("cam2")
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
    runtime = entry.runtime_data
    camera_2_reader = next(
        camera.reader for camera in runtime.site.cameras.values() if camera.config.name == "Camera 2"
    )
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
    # No reload: camera 2, which had the right password all along, kept its session.
    assert entry.runtime_data is runtime
    assert camera_2_reader in [camera.reader for camera in runtime.site.cameras.values()]
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_reauth_without_a_known_culprit_changes_only_cameras_that_accept(
    hass: HomeAssistant, auth_simulator: CameraSimulator
) -> None:
    # Another recorder with its own password: reauth must not overwrite it with the first one's.
    with CameraSimulator(cameras=1, user=SIM_USER, password="mật khẩu khác") as other:
        entry = make_site(
            hass, [camera_data(auth_simulator, 1, password="old"), camera_data(other, 1, sub=False, name="Other")]
        )
        # Not loaded: nothing says which camera refuses, so every camera is tried with the new password.
        entry.async_start_reauth(hass)
        await hass.async_block_till_done()
        (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        result = await hass.config_entries.flow.async_configure(flow["flow_id"])
        assert result["description_placeholders"]["cameras"] == "Camera 1, Other"
        result = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {"username": SIM_USER, "password": "wrong everywhere"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {"username": SIM_USER, "password": SIM_PASSWORD}
        )
        assert result["reason"] == "reauth_successful"
        await hass.async_block_till_done()
        passwords = {sub.title: sub.data["password"] for sub in entry.subentries.values()}
        assert passwords == {"Camera 1": SIM_PASSWORD, "Other": "mật khẩu khác"}
        # The site was not running: it is set up now, with every camera streaming.
        await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on", timeout=30)
        await wait_for_state(hass, "binary_sensor.other_connectivity", "on", timeout=30)
        await unload_site(hass, entry)

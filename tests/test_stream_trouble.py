"""A camera whose video arrives damaged is shown as down for that reason, and it is not a wrong address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.ngu_doan_cameras import coordinator as coordinator_module
from custom_components.ngu_doan_cameras.const import DOMAIN

from .conftest import camera_data
from .helpers import make_site, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator

CONNECTIVITY = "binary_sensor.camera_1_connectivity"


def issue_for(hass: HomeAssistant, camera_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"camera_down_{camera_id}")


@pytest.mark.usefixtures("socket_enabled")
async def test_damaged_video_is_a_passing_outage_not_a_wrong_address(
    hass: HomeAssistant, own_simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = make_site(hass, [camera_data(own_simulator, 1)], frame_timeout=2)
    await setup_site(hass, entry)
    ((camera_id, camera),) = entry.runtime_data.site.cameras.items()
    await wait_for_state(hass, CONNECTIVITY, "on")

    # Packets keep coming at the normal rate, but no picture decodes: down within the frame timeout.
    own_simulator.corrupt("cam1")
    await wait_for_state(hass, CONNECTIVITY, "off", timeout=20)
    assert hass.states.get(CONNECTIVITY).attributes["reason"] == "corrupt"
    # It retries again and again; none of those outages raises the "not a video stream" issue at once.
    await wait_until(lambda: camera.reader.stats.reconnects >= 2, timeout=40)
    await hass.async_block_till_done()
    assert issue_for(hass, camera_id) is None
    # Down long enough, it gets an issue that says so (the repair delay shortened here). Reconnecting to
    # damaged video times out while FFmpeg looks for a picture to learn the stream from, so the reason
    # may have become a timeout by then: either way a passing kind, never "not a video stream".
    monkeypatch.setattr(coordinator_module, "REPAIR_AFTER", timedelta(0))
    await wait_until(lambda: issue_for(hass, camera_id) is not None, timeout=40)
    assert issue_for(hass, camera_id).translation_key in {"camera_corrupt", "camera_timeout"}

    own_simulator.uncorrupt("cam1")
    await wait_for_state(hass, CONNECTIVITY, "on", timeout=40)
    assert issue_for(hass, camera_id) is None
    await unload_site(hass, entry)

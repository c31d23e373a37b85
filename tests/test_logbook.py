"""Logbook lines of alerts raised and acknowledged, through Home Assistant's recorder and logbook API."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.components.recorder.common import async_wait_recording_done
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ngu_doan_cameras.const import DOMAIN
from custom_components.ngu_doan_cameras.recording_actions import EVENT_EVIDENCE

from .helpers import make_site, setup_site, unload_site
from .test_alert_log import acknowledge, nowhere, raise_alert


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder's database must be ready before Home Assistant starts (the plugin's rule)."""


async def test_logbook_lines(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, hass_admin_user: MockUser
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    entry = make_site(hass, [nowhere(1)])
    await setup_site(hass, entry)
    start = dt_util.utcnow() - timedelta(seconds=1)
    alert_id = (await raise_alert(hass, message="Có người trèo tường"))["alert_id"]
    await acknowledge(hass, hass_admin_user, alert_id=alert_id, note="Đã kiểm tra")
    await async_wait_recording_done(hass)
    client = await hass_client()
    response = await client.get(f"/api/logbook/{start.isoformat()}")
    assert response.status == HTTPStatus.OK
    lines = [line for line in await response.json() if line.get("domain") == DOMAIN]
    assert [(line["name"], line["message"], line["entity_id"]) for line in lines] == [
        ("Camera 1", "raised a motion alert: Có người trèo tường", "event.camera_1_alert"),
        ("Camera 1", "motion alert acknowledged by Mock User: Đã kiểm tra", "event.camera_1_alert"),
    ]
    # In Vietnamese when Home Assistant speaks Vietnamese.
    hass.config.language = "vi"
    response = await client.get(f"/api/logbook/{start.isoformat()}")
    lines = [line for line in await response.json() if line.get("domain") == DOMAIN]
    assert lines[0]["message"] == "báo động chuyển động: Có người trèo tường"
    assert lines[1]["message"] == "cảnh báo chuyển động đã được Mock User xác nhận: Đã kiểm tra"
    await unload_site(hass, entry)


async def test_evidence_lines_name_who_did_it(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, hass_admin_user: MockUser
) -> None:
    """What the evidence actions write (their events, as `recording_actions._log_evidence` fires them)."""
    assert await async_setup_component(hass, "logbook", {})
    entry = make_site(hass, [nowhere(1)])
    await setup_site(hass, entry)
    start = dt_util.utcnow() - timedelta(seconds=1)
    officer = Context(user_id=hass_admin_user.id)
    export = {"export_id": "20261130-021000_cam_vu-12", "camera": "Camera 1", "case_reference": "Vụ 12/2026"}
    hass.bus.async_fire(EVENT_EVIDENCE, {"action": "export", **export}, context=officer)
    hass.bus.async_fire(EVENT_EVIDENCE, {"action": "verify", "export_id": export["export_id"], "ok": True})
    hass.bus.async_fire(EVENT_EVIDENCE, {"action": "verify", "export_id": export["export_id"], "ok": False})
    hass.bus.async_fire(EVENT_EVIDENCE, {"action": "release", "export_id": export["export_id"]}, context=officer)
    await async_wait_recording_done(hass)
    client = await hass_client()
    response = await client.get(f"/api/logbook/{start.isoformat()}")
    lines = [line for line in await response.json() if line.get("domain") == DOMAIN]
    assert [line["message"] for line in lines] == [
        "exported evidence 20261130-021000_cam_vu-12 of Camera 1 for case Vụ 12/2026",
        "verified evidence 20261130-021000_cam_vu-12: every file is as exported",
        "verified evidence 20261130-021000_cam_vu-12: FILES CHANGED OR MISSING",
        "released the legal hold of evidence 20261130-021000_cam_vu-12",
    ]
    assert {line["name"] for line in lines} == {"Evidence"}
    # The logbook names the officer behind the export and the release (an automation has no user).
    assert [line.get("context_user_id") for line in lines] == [hass_admin_user.id, None, None, hass_admin_user.id]
    await unload_site(hass, entry)

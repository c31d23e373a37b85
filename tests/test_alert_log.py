"""The alert log through the integration's actions: raise, cooldown, acknowledge (as the calling user),
translated errors, persistence across restarts, the size bound, the phone's acknowledge button, logbook."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockUser, async_capture_events

from custom_components.ngu_doan_cameras import alert_log
from custom_components.ngu_doan_cameras.alert_log import EVENT_ALERT, EVENT_ALERT_ACKNOWLEDGED, storage_key
from custom_components.ngu_doan_cameras.const import DOMAIN

from .helpers import make_site, reader_threads, setup_site, unload_site

OPEN_ALERTS = "sensor.cong_an_xa_ngu_doan_open_alerts"
MOTION_1 = "binary_sensor.camera_1_motion"
SNAPSHOT = "/media/local/ngu_doan_cameras/motion/cam1/{}.jpg"


def nowhere(n: int) -> dict[str, Any]:
    """A camera whose address answers nothing (the log does not need its video; its entities exist)."""
    return {
        "name": f"Camera {n}",
        "location": "Thôn Trúc",
        "main_url": f"rtsp://127.0.0.1:9/cam{n}",
        "sub_url": "",
        "still_url": "",
        "username": "",
        "password": "",
    }


async def raise_alert(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "raise_alert", {"camera": MOTION_1, **data}, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def acknowledge(hass: HomeAssistant, user: MockUser | None = None, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        data,
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id if user else None),
    )
    assert response is not None
    return dict(response)


def attributes(hass: HomeAssistant) -> dict[str, Any]:
    return dict(hass.states.get(OPEN_ALERTS).attributes)


async def test_raise_cooldown_repeat_and_acknowledge(hass: HomeAssistant, hass_admin_user: MockUser) -> None:
    raised = async_capture_events(hass, EVENT_ALERT)
    acknowledged = async_capture_events(hass, EVENT_ALERT_ACKNOWLEDGED)
    entry = make_site(hass, [nowhere(1)])
    await setup_site(hass, entry)
    assert hass.states.get(OPEN_ALERTS).state == "0"

    first = await raise_alert(
        hass, message="Phát hiện chuyển động", snapshot=SNAPSHOT.format(1), zone="Cổng", cooldown=60, source="a"
    )
    assert first["new"] is True
    assert first["cooldown"] is False
    assert first["open_alerts"] == 1
    assert first["record_clip_available"] is False  # the camera does not record: blueprints ask for no clip
    state = hass.states.get(OPEN_ALERTS)
    assert state.state == "1"
    (alert,) = state.attributes["open"]
    assert alert["alert_id"] == first["alert_id"]
    assert (alert["camera"], alert["area"], alert["kind"], alert["zone"]) == ("Camera 1", "Thôn Trúc", "motion", "Cổng")
    event = hass.states.get("event.camera_1_alert")
    assert event.attributes["event_type"] == "motion"
    assert event.attributes["snapshot"] == SNAPSHOT.format(1)
    assert [e.data["alert_id"] for e in raised] == [first["alert_id"]]

    # The same source again within its cooldown: a repeat of the open alert, and "cooldown" to stop on.
    again = await raise_alert(hass, snapshot=SNAPSHOT.format(2), cooldown=60, source="a")
    assert (again["alert_id"], again["new"], again["cooldown"], again["repeats"]) == (first["alert_id"], False, True, 1)
    # Another automation raising that same motion (its picture): joins it, and has a cooldown of its own.
    other = await raise_alert(hass, snapshot=SNAPSHOT.format(2), cooldown=60, source="b", clip="media-source://c")
    assert (other["alert_id"], other["new"], other["cooldown"], other["repeats"]) == (
        first["alert_id"],
        False,
        False,
        1,
    )
    assert attributes(hass)["open"][0]["clip"] == "media-source://c"
    # Another kind, or no cooldown: alerts of their own. The event entity fired only for new alerts.
    tamper = await raise_alert(hass, kind="tamper", message="Che ống kính")
    third = await raise_alert(hass, snapshot=SNAPSHOT.format(3))
    assert tamper["new"] is True
    assert third["new"] is True
    assert hass.states.get(OPEN_ALERTS).state == "3"
    assert len(raised) == 3

    # Acknowledged by the calling user, with a note; the sensor counts what is still open.
    done = await acknowledge(hass, hass_admin_user, alert_id=first["alert_id"], note="Đã cử tuần tra")
    assert done == {"acknowledged": [first["alert_id"]]}
    assert hass.states.get(OPEN_ALERTS).state == "2"
    (seen,) = attributes(hass)["acknowledged"]
    assert (seen["acknowledged_by"], seen["acknowledged_user_id"]) == ("Mock User", hass_admin_user.id)
    assert seen["note"] == "Đã cử tuần tra"
    assert acknowledged[0].context.user_id == hass_admin_user.id
    assert acknowledged[0].data["user"] == "Mock User"

    # Bad input: a translated error, and nothing changes.
    with pytest.raises(ServiceValidationError) as err:
        await acknowledge(hass, hass_admin_user, alert_id=first["alert_id"])
    assert err.value.translation_key == "alert_already_acknowledged"
    assert err.value.translation_placeholders["user"] == "Mock User"
    assert str(err.value).startswith(f"Alert {first['alert_id']} was already acknowledged by Mock User at ")
    for data, key in (
        ({"alert_id": "01NOSUCHALERT"}, "alert_not_found"),
        ({}, "alert_id_or_all"),
        ({"alert_id": first["alert_id"], "all": True}, "alert_id_or_all"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await acknowledge(hass, hass_admin_user, **data)
        assert err.value.translation_key == key
    for camera in ("sensor.cong_an_xa_ngu_doan_open_alerts", "light.not_a_camera", None):
        with pytest.raises(ServiceValidationError) as err:
            await raise_alert(hass, camera=camera)
        assert err.value.translation_key == "camera_not_found"
    assert hass.states.get(OPEN_ALERTS).state == "2"

    # Everything still open, at once (an automation acknowledges as nobody).
    done = await acknowledge(hass, all=True)
    assert sorted(done["acknowledged"]) == sorted([tamper["alert_id"], third["alert_id"]])
    assert hass.states.get(OPEN_ALERTS).state == "0"
    assert attributes(hass)["acknowledged"][0]["acknowledged_by"] is None
    await unload_site(hass, entry)

    # An unloaded site's log cannot be written: said so, in words.
    with pytest.raises(ServiceValidationError) as err:
        await raise_alert(hass)
    assert err.value.translation_key == "site_not_loaded"


async def test_open_alerts_survive_a_restart_and_go_with_the_site(
    hass: HomeAssistant, hass_storage: dict[str, Any], hass_admin_user: MockUser
) -> None:
    entry = make_site(hass, [nowhere(1)])
    await setup_site(hass, entry)
    first = await raise_alert(hass, message="Đêm qua", snapshot=SNAPSHOT.format(1))
    second = await raise_alert(hass, kind="offline", message="Mất kết nối")
    await acknowledge(hass, hass_admin_user, alert_id=first["alert_id"], note="Không có gì")
    await unload_site(hass, entry)  # written at once, not after the save delay
    stored = hass_storage[storage_key(entry.entry_id)]
    assert (stored["version"], stored["minor_version"]) == (1, 1)
    assert [alert["alert_id"] for alert in stored["data"]["alerts"]] == [first["alert_id"], second["alert_id"]]

    # The next shift starts Home Assistant again: what was open is still open, with what was done.
    await setup_site(hass, entry)
    state = hass.states.get(OPEN_ALERTS)
    assert state.state == "1"
    assert [alert["alert_id"] for alert in state.attributes["open"]] == [second["alert_id"]]
    (seen,) = state.attributes["acknowledged"]
    assert (seen["alert_id"], seen["acknowledged_by"], seen["note"]) == (first["alert_id"], "Mock User", "Không có gì")
    assert dt_util.parse_datetime(seen["acknowledged_at"]) is not None
    # Acknowledging after the restart works on the restored alert.
    await acknowledge(hass, hass_admin_user, alert_id=second["alert_id"])
    assert hass.states.get(OPEN_ALERTS).state == "0"

    # Deleting the site deletes its log.
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) not in hass_storage


async def test_bounded_oldest_acknowledged_first_open_alerts_never_dropped(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(alert_log, "MAX_ALERTS", 3)
    entry = make_site(hass, [nowhere(1)])
    await setup_site(hass, entry)
    a, b, c = [(await raise_alert(hass, message=name))["alert_id"] for name in "abc"]
    await acknowledge(hass, alert_id=b)
    d = (await raise_alert(hass, message="d"))["alert_id"]
    log = entry.runtime_data.alerts
    # Over the bound: the oldest acknowledged alert (b) went, though a is older: a is still open.
    assert [alert.alert_id for alert in log.alerts] == [d, c, a]

    # Full of open alerts: a flood of motion is counted on the newest open motion alert, never dropping one.
    caplog.set_level(logging.WARNING)
    for _ in range(20):
        flood = await raise_alert(hass, message="flood")
        assert (flood["alert_id"], flood["new"]) == (d, False)
        assert flood["cooldown"] is False  # still told to act: the bound is not a cooldown
    assert [alert.alert_id for alert in log.alerts] == [d, c, a]
    assert log.get(d).repeats == 20
    assert len([r for r in caplog.records if "open alerts" in r.getMessage()]) == 1  # warned once
    # A camera and kind without an open alert still gets its own (the log exceeds the bound by that one).
    offline = await raise_alert(hass, kind="offline")
    assert len(log.alerts) == 4
    # Acknowledging makes room again: the next new alert drops the acknowledged ones, oldest first.
    await acknowledge(hass, alert_id=a)
    await acknowledge(hass, alert_id=c)
    e = (await raise_alert(hass, kind="other"))["alert_id"]
    assert [alert.alert_id for alert in log.alerts] == [e, offline["alert_id"], d]
    await unload_site(hass, entry)


async def test_acknowledge_from_the_phone(
    hass: HomeAssistant, hass_admin_user: MockUser, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_site(hass, [nowhere(1)])
    await setup_site(hass, entry)
    alert_id = (await raise_alert(hass))["alert_id"]
    phone = Context(user_id=hass_admin_user.id)  # the app fires its events as the phone's user
    hass.bus.async_fire("mobile_app_notification_action", {"action": "SOMETHING_ELSE"}, context=phone)
    await hass.async_block_till_done()
    assert hass.states.get(OPEN_ALERTS).state == "1"
    hass.bus.async_fire("mobile_app_notification_action", {"action": f"NGU_DOAN_ACK_{alert_id}"}, context=phone)
    await hass.async_block_till_done()
    assert hass.states.get(OPEN_ALERTS).state == "0"
    assert attributes(hass)["acknowledged"][0]["acknowledged_by"] == "Mock User"
    # A second officer taps too: nothing to do, only a line in the log.
    caplog.set_level(logging.INFO)
    hass.bus.async_fire("mobile_app_notification_action", {"action": f"NGU_DOAN_ACK_{alert_id}"}, context=phone)
    await hass.async_block_till_done()
    assert "alert_already_acknowledged" in caplog.text
    await unload_site(hass, entry)


async def test_a_log_from_a_newer_version_is_left_alone(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    entry = make_site(hass, [nowhere(1)])
    newer = {"version": 2, "minor_version": 1, "key": storage_key(entry.entry_id), "data": {"alerts": []}}
    hass_storage[storage_key(entry.entry_id)] = dict(newer)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == (
        "The alert log of this site was written by a newer version of Ngũ Đoan Cameras. "
        "Install that version again; the log was left unchanged"  # Home Assistant drops the final full stop
    )
    assert hass_storage[storage_key(entry.entry_id)] == newer
    assert not reader_threads()  # the log is read before any camera starts

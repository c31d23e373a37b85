"""The night motion blueprint, as a user runs it: real automations made with `use_blueprint`, driven by
real motion of simulator cameras, acting on Home Assistant's own lights, sirens and notifiers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceNotFound
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.script import Script
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_capture_events, async_fire_time_changed

from custom_components.ngu_doan_cameras.const import DOMAIN, EVENT_MOTION

from .alerting import (
    BED_LIGHT,
    CEILING,
    DEAD_RELAY,
    FULL_SIREN,
    RELAY,
    SIREN,
    async_add_automation,
    async_setup_world,
    config_dir,  # noqa: F401 (a fixture, used by name)
    wait_for_runs,
)
from .conftest import camera_data
from .helpers import make_site, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator

NIGHT = "night_motion_alert.yaml"
# The simulator's balls move on curves (a wave, a circle, back and forth): the tracker, made for things
# that walk a path, takes 3 to 12 s to call them motion on a quiet machine (measured per camera), more
# on a busy one.
MOTION_WAIT = 60.0
DETECTION_OFF = {
    "enabled": False,  # turned on by each test once its automations exist
    "sensitivity": 60,
    "min_size": 60,
    "off_delay": 60,  # the simulator's picture always moves: motion starts again only when a test says so
    "max_fps": 5,
    "zones": "",
    "masks": "",
}


def hours(*, inside: bool) -> dict[str, str]:
    """Watch hours around now (or starting an hour from now): no clock is frozen, the readers need time."""
    now = dt_util.now()
    start, end = (
        (now - timedelta(hours=1), now + timedelta(hours=1))
        if inside
        else (
            now + timedelta(hours=1),
            now + timedelta(hours=2),
        )
    )
    return {"start_time": start.strftime("%H:%M:%S"), "end_time": end.strftime("%H:%M:%S")}


async def set_detection(hass: HomeAssistant, camera: int, on: bool) -> None:
    """Detection on (it learns the view, then sees the simulator's moving picture) or off, applied."""
    service = "turn_on" if on else "turn_off"
    await hass.services.async_call("switch", service, {"entity_id": f"switch.camera_{camera}_detection"}, blocking=True)
    if not on:  # applied once the motion sensor says so (an off and on in one batch would change nothing)
        await wait_for_state(hass, f"binary_sensor.camera_{camera}_motion", "unavailable")


@pytest.mark.usefixtures("socket_enabled", "config_dir")
async def test_night_alert_lights_sirens_phones_and_the_log(
    hass: HomeAssistant, simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await async_setup_world(hass, monkeypatch)
    motions = async_capture_events(hass, EVENT_MOTION)
    entry = make_site(hass, [camera_data(simulator, 1, location="Thôn Trúc", detection=DETECTION_OFF)])
    await setup_site(hass, entry)
    await async_add_automation(
        hass,
        NIGHT,
        [
            {
                "id": "night",
                "input": {
                    **hours(inside=True),
                    # Entities that are gone and a relay that is unavailable are stepped over.
                    "lights": [BED_LIGHT, CEILING, "light.gone"],
                    "light_duration": {"seconds": 2},
                    "sirens": [SIREN, FULL_SIREN, RELAY, DEAD_RELAY, "siren.gone"],
                    "siren_seconds": 2,
                    "siren_tone": "fire",
                    "siren_volume": 60,
                    # The unreachable phone first: the others still get the alert, the siren still sounds.
                    "notify_devices": [world.broken_phone_device_id, world.phone_device_id],
                    # The last one does not exist (a typo): it ends the notifications, nothing else.
                    "notify_services": ["notify.persistent_notification", "notify.gone"],
                },
            }
        ],
    )
    await set_detection(hass, 1, True)
    await wait_until(lambda: bool(motions), timeout=MOTION_WAIT)
    motion = motions[0].data
    assert motion["motion_entity_id"] == "binary_sensor.camera_1_motion"
    assert motion["camera_entity_id"] == "camera.camera_1"

    # While the alert lasts: the spot is lit at full brightness, sirens and the relay sound.
    await wait_for_state(hass, BED_LIGHT, "on", timeout=10)
    assert hass.states.get(CEILING).attributes["brightness"] == 255
    await wait_for_state(hass, FULL_SIREN, "on", timeout=10)
    await wait_for_state(hass, RELAY, "on", timeout=10)
    assert hass.states.get(DEAD_RELAY).state == "unavailable"

    (trace,) = await wait_for_runs(hass, "night", 1)
    # The missing notify action is the run's error (Home Assistant does not step over a missing action),
    # reported when every branch has finished: the lights' and sirens' branches ran to their end.
    assert trace["script_execution"] == "error"
    assert trace["error"] == "Action notify.gone not found"
    # Afterwards: lights as they were (off; on at its own brightness), sirens silent.
    assert hass.states.get(BED_LIGHT).state == "off"
    assert hass.states.get(CEILING).state == "on"
    assert hass.states.get(CEILING).attributes["brightness"] == 80
    assert {hass.states.get(entity).state for entity in (SIREN, FULL_SIREN, RELAY)} == {"off"}

    # Each siren got what it supports: the tone only where it exists ("fire" on the full siren).
    siren_calls = {tuple(data["entity_id"]): data for data in world.calls.of("siren", "turn_on")}
    assert siren_calls[(FULL_SIREN,)] == {"entity_id": [FULL_SIREN], "tone": "fire", "volume_level": 0.6, "duration": 2}
    assert "tone" not in siren_calls[(SIREN,)]

    # The phone: the picture of the event, buttons for live view and acknowledging, Vietnamese text.
    (sent,) = world.calls.phone
    assert sent["title"] == "🚨 Chuyển động: Camera 1"
    assert sent["message"].startswith("Phát hiện chuyển động tại Camera 1 (Thôn Trúc) lúc ")
    assert sent["data"]["image"] == motion["snapshot_url"]
    open_alerts = hass.states.get("sensor.cong_an_xa_ngu_doan_open_alerts")
    assert open_alerts.state == "1"
    (alert,) = open_alerts.attributes["open"]
    assert alert["snapshot"] == motion["snapshot_url"]
    assert alert["camera"] == "Camera 1"
    assert alert["area"] == "Thôn Trúc"
    buttons = {button["action"]: button for button in sent["data"]["actions"]}
    assert buttons["URI"]["uri"] == "/?more-info-entity-id=camera.camera_1"
    assert f"NGU_DOAN_ACK_{alert['alert_id']}" in buttons
    # The broken phone was tried first; the text notifier after it still got the message.
    order = [f"{domain}.{service}" for domain, service, _ in world.calls.actions]
    assert order.index("notify.mobile_app_dien_thoai_hong") < order.index("notify.persistent_notification")
    (text,) = world.calls.of("notify", "persistent_notification")
    assert text["message"] == sent["message"]

    # The camera's alert entity fired for it.
    event = hass.states.get("event.camera_1_alert")
    assert event.attributes["event_type"] == "motion"
    assert event.attributes["alert_id"] == alert["alert_id"]
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled", "config_dir")
async def test_hours_switch_zones_cameras_and_cooldown(
    hass: HomeAssistant, simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await async_setup_world(hass, monkeypatch)
    motions = async_capture_events(hass, EVENT_MOTION)
    entry = make_site(
        hass,
        [
            camera_data(simulator, 1, detection=DETECTION_OFF),
            camera_data(simulator, 2, location="Thôn Trúc", detection=DETECTION_OFF),
            camera_data(simulator, 3, detection=DETECTION_OFF),
        ],
    )
    await setup_site(hass, entry)
    village = ar.async_get(hass).async_get_area_by_name("Thôn Trúc")
    assert village is not None
    phone_only = {"notify_devices": [world.phone_device_id]}
    text_only = {"notify_services": ["notify.persistent_notification"], "language": "en"}
    await async_add_automation(
        hass,
        NIGHT,
        [
            # Camera 1 by its motion sensor, camera 2 by its area; camera 3 is not watched.
            {
                "id": "watch",
                "input": {
                    **hours(inside=True),
                    "motion_sensors": ["binary_sensor.camera_1_motion"],
                    "areas": [village.id],
                    "cooldown": 300,
                    **phone_only,
                },
            },
            {"id": "outside_hours", "input": {**hours(inside=False), **phone_only}},
            {"id": "gate_only", "input": {**hours(inside=True), "zones": ["Cổng làng"], **phone_only}},
            # Every camera, whenever the night watch switch is on (it is off at first).
            {
                "id": "switch",
                "input": {"active_when": "entity", "armed_entity": "input_boolean.night_watch", **text_only},
            },
        ],
    )

    await set_detection(hass, 1, True)
    await wait_until(lambda: len(motions) == 1, timeout=MOTION_WAIT)
    await wait_for_runs(hass, "watch", 1)
    switch_runs = await wait_for_runs(hass, "switch", 1)
    assert switch_runs[-1]["script_execution"] == "failed_conditions"  # the switch is off
    assert [sent["title"] for sent in world.calls.phone] == ["🚨 Chuyển động: Camera 1"]

    # Camera 1 again, within its cooldown: counted in the log, nobody woken twice.
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": "input_boolean.night_watch"})
    await set_detection(hass, 1, False)
    await set_detection(hass, 1, True)
    await wait_until(lambda: len(motions) == 2, timeout=MOTION_WAIT)
    traces = await wait_for_runs(hass, "watch", 2)
    assert traces[-1]["script_execution"] == "finished"
    assert traces[-1]["last_step"] == "action/1/then/0"  # the cooldown's stop
    (alert,) = hass.states.get("sensor.cong_an_xa_ngu_doan_open_alerts").attributes["open"]
    assert alert["repeats"] == 1
    # The switch's automation has a cooldown of its own: it tells (in English) the first time it may.
    await wait_for_runs(hass, "switch", 2)
    assert [text["title"] for text in world.calls.of("notify", "persistent_notification")] == ["🚨 Motion: Camera 1"]

    # Camera 3 is not watched; camera 2 is, through its area. Camera 2's alert, which comes after,
    # proves camera 3's run was judged (and stopped) first.
    await set_detection(hass, 3, True)
    await wait_until(lambda: len(motions) == 3, timeout=MOTION_WAIT)
    await wait_for_runs(hass, "watch", 3)
    await set_detection(hass, 2, True)
    await wait_until(lambda: len(motions) == 4, timeout=MOTION_WAIT)
    traces = await wait_for_runs(hass, "watch", 4)
    assert [trace["script_execution"] for trace in traces] == ["finished", "finished", "failed_conditions", "finished"]
    assert [sent["title"] for sent in world.calls.phone] == ["🚨 Chuyển động: Camera 1", "🚨 Chuyển động: Camera 2"]

    # Outside the hours, or outside the zones: every motion judged, none acted on.
    for automation in ("outside_hours", "gate_only"):
        traces = await wait_for_runs(hass, automation, 4)
        assert {trace["script_execution"] for trace in traces} == {"failed_conditions"}
    await unload_site(hass, entry)


EVENTS_ONLY = {"mode": "events", "retention_days": 14, "quota_gb": 0, "min_free_gb": 0, "segment_seconds": 60,
               "pre_roll": 3, "post_roll": 2, "max_export_hours": 1}  # fmt: skip


@pytest.mark.usefixtures("socket_enabled", "config_dir")
async def test_clip_of_a_recording_camera(
    hass: HomeAssistant, simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await async_setup_world(hass, monkeypatch)
    # Events-only recording, without motion clips: the blueprint asks the real `record_clip` for one.
    camera = camera_data(simulator, 2, detection=DETECTION_OFF, recording={"mode": "site", "motion_clips": False})
    entry = make_site(hass, [camera])
    hass.config_entries.async_update_entry(entry, options={**entry.options, "recording": EVENTS_ONLY})
    await setup_site(hass, entry)
    # The lights keep their default duration (5 minutes): Home Assistant's timers are moved on below.
    night = {**hours(inside=True), "lights": [BED_LIGHT], "notify_devices": [world.phone_device_id]}
    await async_add_automation(hass, NIGHT, [{"id": "night", "input": night}])
    await wait_for_state(hass, "sensor.camera_2_recording", "standby", timeout=30)
    await set_detection(hass, 2, True)
    await wait_until(lambda: bool(world.calls.phone), timeout=30)
    assert hass.states.get(BED_LIGHT).state == "on"
    # Five minutes on Home Assistant's timers (the lights' wait is one of them). Fired until the wait has
    # started and ended; not inside an asyncio timeout, which the same call would fire as well.
    for _ in range(200):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
        await asyncio.sleep(0.05)
        if hass.states.get(BED_LIGHT).state == "off":
            break
    assert hass.states.get(BED_LIGHT).state == "off"
    await wait_for_runs(hass, "night", 1)
    clip_calls = [data for domain, service, data in world.calls.actions if (domain, service) == (DOMAIN, "record_clip")]
    assert clip_calls == [{"entity_id": ["camera.camera_2"], "pre_roll": 10, "duration": 30}]
    (sent,) = world.calls.phone
    buttons = [button for button in sent["data"]["actions"] if button["action"] == "URI"]
    assert buttons[0]["title"] == "Xem clip"
    assert buttons[0]["uri"].startswith("/media/local/ngu_doan_cameras/clips/")
    assert sent["data"]["clickAction"] == buttons[0]["uri"]
    # The log keeps the clip with the alert (joined to it, not a repeat).
    (alert,) = hass.states.get("sensor.cong_an_xa_ngu_doan_open_alerts").attributes["open"]
    assert alert["clip"].startswith(f"media-source://{DOMAIN}/file/clips/")
    assert alert["repeats"] == 0
    await unload_site(hass, entry)


async def test_continue_on_error_does_not_cover_a_missing_action(hass: HomeAssistant) -> None:
    """Why the blueprint asks `raise_alert` whether `record_clip` exists instead of relying on
    `continue_on_error`: in Home Assistant 2025.4 a missing action still stops the script."""
    sequence = cv.SCRIPT_SCHEMA([{"action": f"{DOMAIN}.record_clip", "continue_on_error": True}])
    script = Script(hass, sequence, "clip", DOMAIN)
    with pytest.raises(ServiceNotFound):
        await script.async_run(context=Context())

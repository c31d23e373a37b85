"""The camera problem blueprint and the integration's own problem alerts, driven by real cameras:
a simulator camera dropped and restored, the real detector seeing a covered lens."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component

from custom_components.ngu_doan_cameras import problems as problems_module
from custom_components.ngu_doan_cameras.problems import EVENT_PROBLEM

from . import clips
from .alerting import (
    async_add_automation,
    async_setup_world,
    config_dir,  # noqa: F401 (a fixture, used by name)
    wait_for_runs,
)
from .conftest import camera_data
from .helpers import make_site, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator

PROBLEM = "camera_problem_alert.yaml"
OPEN_ALERTS = "sensor.cong_an_xa_ngu_doan_open_alerts"
DROP_REASONS = {
    "cannot_connect": "không kết nối được (kiểm tra nguồn điện và dây mạng)",
    "stream_not_found": "không có luồng video ở địa chỉ đã cài",
}


class Clock:
    """The outage clock of problems.py, moved by the test (the readers keep real time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def listen(hass: HomeAssistant, event_type: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    @callback
    def record(event: Event[Any]) -> None:
        events.append(dict(event.data))

    hass.bus.async_listen(event_type, record)
    return events


def open_alerts(hass: HomeAssistant) -> list[dict[str, Any]]:
    return list(hass.states.get(OPEN_ALERTS).attributes["open"])


@pytest.mark.usefixtures("socket_enabled", "config_dir")
async def test_offline_notice_after_the_delay_recovery_notice_and_the_integrations_alert(
    hass: HomeAssistant, own_simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    hass.config.language = "vi"  # the integration writes its own alerts in Home Assistant's language
    clock = Clock()
    monkeypatch.setattr(problems_module, "monotonic", clock)
    world = await async_setup_world(hass, monkeypatch)
    problems = listen(hass, EVENT_PROBLEM)
    no_detection = {"enabled": False}  # only the outage matters here
    entry = make_site(
        hass, [camera_data(own_simulator, 1, location="Thôn Trúc", detection=no_detection)], frame_timeout=2
    )
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on")
    await async_add_automation(
        hass,
        PROBLEM,
        [
            {"id": "problems", "input": {"offline_for": {"seconds": 0}, "notify_devices": [world.phone_device_id]}},
            # Allows an hour: this outage is over long before, so it says nothing.
            {
                "id": "patient",
                "input": {"offline_for": {"hours": 1}, "notify_services": ["notify.persistent_notification"]},
            },
        ],
    )

    own_simulator.drop("cam1")  # the camera answers 404 to the reader's reconnects
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "off")
    await wait_until(lambda: len(world.calls.phone) == 1)
    (start,) = problems
    assert start["kind"] == "offline"
    assert start["state"] == "start"
    assert start["camera_entity_id"] == "camera.camera_1"
    sent = world.calls.phone[0]
    assert sent["title"] == "⚠️ Sự cố camera: Camera 1"
    assert sent["message"].startswith("Camera 1 (Thôn Trúc) mất kết nối từ ")
    # The reason the reader saw first: its session closed, or the 404 of its first reconnect.
    assert sent["message"].endswith(f": {DROP_REASONS[start['detail']]}.")
    assert sent["data"]["url"] == "/?more-info-entity-id=camera.camera_1"

    # The integration's own alert comes when the outage has lasted as long as the repair issue waits.
    coordinator = entry.runtime_data.coordinator
    clock.now += problems_module.OFFLINE_ALERT_AFTER.total_seconds() - 1
    await coordinator.async_refresh()
    assert open_alerts(hass) == []
    clock.now += 1
    await coordinator.async_refresh()
    (alert,) = open_alerts(hass)
    assert alert["kind"] == "offline"
    assert alert["message"] == "Camera 1 (Thôn Trúc): mất kết nối hơn 5 phút"
    assert alert["detail"] in DROP_REASONS
    assert hass.states.get("event.camera_1_alert").attributes["event_type"] == "offline"
    # Refreshes while the camera stays down do not raise it again.
    clock.now += 600
    await coordinator.async_refresh()
    assert len(open_alerts(hass)) == 1

    own_simulator.restore("cam1")
    await wait_for_state(hass, "binary_sensor.camera_1_connectivity", "on", timeout=40)
    await wait_until(lambda: len(world.calls.phone) == 2)
    back = world.calls.phone[1]
    assert back["title"] == "✅ Camera hoạt động lại: Camera 1"
    assert back["message"].startswith("Camera 1 (Thôn Trúc) hoạt động bình thường trở lại sau ")
    assert back["data"]["tag"] == sent["data"]["tag"]  # replaces the problem's notification on the phone
    assert problems[-1]["state"] == "end"
    assert problems[-1]["duration"] >= 0
    # The alert stays open for the next shift, marked as over.
    (alert,) = open_alerts(hass)
    assert alert["ended_at"] is not None

    # The patient automation's run ended when the camera came back, without a word.
    (trace,) = await wait_for_runs(hass, "patient", 1)
    assert trace["last_step"] == "action/0/then/1/then/0"  # "back within the time allowed"
    assert world.calls.of("notify", "persistent_notification") == []
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled", "config_dir")
async def test_covered_lens_notice_alert_and_recovery(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await async_setup_world(hass, monkeypatch)
    problems = listen(hass, EVENT_PROBLEM)
    # No stream: the test hands the real detector the frames of the labelled "covered lens" clip.
    nowhere = {"main_url": "rtsp://127.0.0.1:9/none", "sub_url": "", "still_url": "", "username": "", "password": ""}
    entry = make_site(hass, [{"name": "Camera 1", "location": "Đường 402", **nowhere}])
    await setup_site(hass, entry)
    await async_add_automation(
        hass,
        PROBLEM,
        # This camera has no stream at all: only tampering is asked about.
        [{"id": "problems", "input": {"problems": ["covered", "moved"], "notify_devices": [world.phone_device_id]}}],
    )
    (engine_camera,) = entry.runtime_data.site.cameras.values()
    await hass.async_add_executor_job(clips.run, "covered_lens", engine_camera.detection.process)
    await wait_until(lambda: len(world.calls.phone) == 1)
    sent = world.calls.phone[0]
    assert sent["message"].startswith("Camera 1 (Đường 402) bị che ống kính lúc ")
    assert sent["data"]["image"] == "/api/camera_proxy/camera.camera_1"  # the covered view itself
    (alert,) = open_alerts(hass)
    assert (alert["kind"], alert["detail"]) == ("tamper", "covered")
    assert alert["message"] == "Camera 1 (Đường 402): lens covered"
    assert hass.states.get("event.camera_1_alert").attributes["event_type"] == "tamper"

    # Detection off ends the tamper: the recovery notice, and the alert marked as over.
    await hass.services.async_call("switch", "turn_off", {"entity_id": "switch.camera_1_detection"}, blocking=True)
    await wait_until(lambda: len(world.calls.phone) == 2)
    assert world.calls.phone[1]["message"].startswith("Camera 1 (Đường 402) hoạt động bình thường trở lại sau ")
    tamper = [(problem["state"], problem["detail"]) for problem in problems if problem["kind"] == "tamper"]
    assert tamper == [("start", "covered"), ("end", "covered")]
    (alert,) = open_alerts(hass)
    assert alert["ended_at"] is not None
    await unload_site(hass, entry)


@pytest.mark.usefixtures("config_dir")
async def test_recording_problem_sensor(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await async_setup_world(hass, monkeypatch)
    # The site's recording problem sensor comes with recording (issue 7); a template sensor stands in.
    assert await async_setup_component(
        hass,
        "binary_sensor",
        {
            "binary_sensor": {
                "platform": "template",
                "sensors": {
                    "recording_problem": {
                        "friendly_name": "Recording problem",
                        "device_class": "problem",
                        "value_template": "{{ is_state('input_boolean.relay', 'on') }}",
                    }
                },
            }
        },
    )
    entry = make_site(hass, [])
    await setup_site(hass, entry)
    assert hass.states.get("binary_sensor.recording_problem").state == "off"
    await async_add_automation(
        hass,
        PROBLEM,
        [
            {
                "id": "problems",
                "input": {
                    "recording_problem_sensors": ["binary_sensor.recording_problem"],
                    "notify_services": ["notify.persistent_notification"],
                    "language": "en",
                },
            }
        ],
    )
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": "input_boolean.relay"}, blocking=True)
    await wait_until(lambda: len(world.calls.of("notify", "persistent_notification")) == 1)
    (notice,) = world.calls.of("notify", "persistent_notification")
    assert notice["title"] == "⚠️ Camera problem: Recording problem"
    assert "recording failing since" in notice["message"]
    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": "input_boolean.relay"}, blocking=True)
    await wait_until(lambda: len(world.calls.of("notify", "persistent_notification")) == 2)
    assert world.calls.of("notify", "persistent_notification")[1]["title"] == "✅ Camera back: Recording problem"
    await unload_site(hass, entry)

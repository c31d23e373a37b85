"""The fire or explosion blueprint, as a user runs it: real automations made with `use_blueprint`, acting
on Home Assistant's own lights, sirens and notifiers.

Fire and a flash are seen by the real detectors, in clips of the evaluation set streamed as cameras
(as tests/test_fire_flash_sound.py does). A flash *with its bang*, and a second one for the cooldown,
enter where the camera's detector hands its events to Home Assistant (`SiteCoordinator.on_detection`,
with a real frame of the firecracker clip). Streamed with its sound, that clip is read faster than real
time, and the sound detector gets its packets in batches (engine/packets.py, BATCH_SECONDS) that may
come after the flash's frame was judged: whether the flash says `explosion: true` depends on the
machine's speed, so a test cannot wait for the detector to say it.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

import av
import pytest
from av import VideoFrame
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ngu_doan_cameras.blueprints import SHIPPED, install_missing
from custom_components.ngu_doan_cameras.const import EVENT_FIRE, EVENT_FLASH
from custom_components.ngu_doan_cameras.engine.detection import DetectionEvent, DetectionEventType
from custom_components.ngu_doan_cameras.engine.flash import Flash
from tools import evalset, scenes

from .alerting import (
    BED_LIGHT,
    CEILING,
    FULL_SIREN,
    RELAY,
    SIREN,
    World,
    async_add_automation,
    async_setup_world,
    config_dir,  # noqa: F401 (a fixture, used by name)
    wait_for_runs,
)
from .helpers import make_site, setup_site, unload_site, wait_for_state, wait_until
from .test_fire_flash_sound import DETECTION, clip_camera

FIRE = "fire_explosion_alert.yaml"
OPEN_ALERTS = "sensor.cong_an_xa_ngu_doan_open_alerts"
FIRECRACKER = "flash_firecracker_night_06"  # one firecracker at 7 s


async def install_blueprints(hass: HomeAssistant) -> None:
    """The blueprints in place before the site starts (as imported, or installed by an earlier start)."""
    await hass.async_add_executor_job(install_missing, SHIPPED, Path(hass.config.path("blueprints")))


def open_alerts(hass: HomeAssistant) -> list[dict[str, Any]]:
    state = hass.states.get(OPEN_ALERTS)
    assert state is not None
    return list(state.attributes["open"])


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def judged_and_refused(traces: list[dict[str, Any]]) -> bool:
    return {trace["script_execution"] for trace in traces} == {"failed_conditions"}


@pytest.mark.usefixtures("config_dir")
async def test_fire_lights_sirens_phone_and_the_log(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await async_setup_world(hass, monkeypatch)
    clip = await hass.async_add_executor_job(lambda: evalset.encode(evalset.case("fire_night_06")))
    fires = async_capture_events(hass, EVENT_FIRE)
    # The automations exist before the camera starts: a clip is read faster than real time.
    await install_blueprints(hass)
    await async_add_automation(
        hass,
        FIRE,
        [
            {
                # Everything left at its defaults (any hour, fire and flashes, the "fire" tone), in Vietnamese.
                "id": "fire",
                "input": {
                    "lights": [BED_LIGHT, CEILING],
                    "light_duration": {"seconds": 2},
                    "sirens": [SIREN, FULL_SIREN, RELAY],
                    "siren_seconds": 2,
                    "notify_devices": [world.phone_device_id],
                    "notify_services": ["notify.persistent_notification"],
                },
            },
            # Flashes only: a fire is judged and left alone.
            {"id": "flashes_only", "input": {"kinds": ["flash"], "notify_devices": [world.phone_device_id]}},
            # Only while the night watch switch is on (it is off).
            {
                "id": "switch",
                "input": {
                    "active_when": "entity",
                    "armed_entity": "input_boolean.night_watch",
                    "notify_devices": [world.phone_device_id],
                },
            },
        ],
    )
    entry = make_site(hass, [clip_camera("Xưởng giày", clip)])
    await setup_site(hass, entry)
    await wait_until(lambda: bool(fires), timeout=90)
    fire = fires[0].data

    # While the alert lasts: the spot lit at full brightness, the sirens and the relay sounding.
    await wait_for_state(hass, BED_LIGHT, "on", timeout=10)
    await wait_for_state(hass, FULL_SIREN, "on", timeout=10)
    await wait_for_state(hass, RELAY, "on", timeout=10)
    ceiling = hass.states.get(CEILING)
    assert ceiling is not None
    assert ceiling.attributes["brightness"] == 255

    # The clip plays again when it ends: a later run of the same fire is within the cooldown.
    trace = (await wait_for_runs(hass, "fire", 1))[0]
    assert trace["script_execution"] == "finished"
    # Afterwards: the lights as they were, the sirens silent.
    assert state_of(hass, BED_LIGHT) == "off"
    assert {state_of(hass, entity) for entity in (SIREN, FULL_SIREN, RELAY)} == {"off"}
    # The siren that has a "fire" tone sounded it (the default tone); the plain one sounded as it can.
    siren_calls = {tuple(data["entity_id"]): data for data in world.calls.of("siren", "turn_on")}
    assert siren_calls[(FULL_SIREN,)]["tone"] == "fire"
    assert "tone" not in siren_calls[(SIREN,)]

    # The phone: the fire's picture, Vietnamese text, a tag of its own, the acknowledge button.
    (sent,) = world.calls.phone
    assert sent["title"] == "🔥 Cháy: Xưởng giày"
    assert sent["message"].startswith("Phát hiện lửa tại Xưởng giày (Thôn Trúc) lúc ")
    assert sent["data"]["image"] == fire["snapshot_url"]
    assert sent["data"]["image"].endswith("-fire.jpg")
    assert sent["data"]["tag"] == f"ngu_doan_fire_{fire['camera_id']}"
    (text,) = world.calls.of("notify", "persistent_notification")
    assert text["title"] == sent["title"]
    assert text["message"] == sent["message"]

    # The log: one open fire alert, with the picture, for the shift to acknowledge.
    (alert,) = open_alerts(hass)
    assert alert["kind"] == "fire"
    assert alert["camera"] == "Xưởng giày"
    assert alert["area"] == "Thôn Trúc"
    assert alert["snapshot"] == fire["snapshot_url"]
    assert alert["message"] == sent["message"]
    buttons = {button["action"] for button in sent["data"]["actions"]}
    assert f"NGU_DOAN_ACK_{alert['alert_id']}" in buttons
    event = hass.states.get("event.xuong_giay_alert")
    assert event is not None
    assert event.attributes["event_type"] == "fire"
    assert event.attributes["alert_id"] == alert["alert_id"]

    # The same fire, judged by the two automations that do not act on it.
    assert judged_and_refused(await wait_for_runs(hass, "flashes_only", 1))
    assert judged_and_refused(await wait_for_runs(hass, "switch", 1))
    assert len(world.calls.phone) == 1
    await unload_site(hass, entry)


@pytest.mark.usefixtures("config_dir")
async def test_flash_without_a_bang_in_english_and_the_filters(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await async_setup_world(hass, monkeypatch)
    # The firecracker's clip without sound: the detector sees the flash and cannot hear a bang.
    clip = await hass.async_add_executor_job(lambda: evalset.encode(evalset.case(FIRECRACKER)))
    flashes = async_capture_events(hass, EVENT_FLASH)
    # The automations exist before the camera starts (a clip is read faster than real time); the
    # camera's device joins the village's area, made first, by its location.
    village = ar.async_get(hass).async_get_or_create("Thôn Trúc")
    await install_blueprints(hass)
    text_only = {"notify_services": ["notify.persistent_notification"]}
    await async_add_automation(
        hass,
        FIRE,
        [
            # The camera's village, in English.
            {"id": "village", "input": {"areas": [village.id], "language": "en", **text_only}},
            # Another camera only.
            {"id": "elsewhere", "input": {"cameras": ["camera.xuong_giay"], **text_only}},
            # Flashes only when a bang came with them.
            {"id": "bangs_only", "input": {"explosions_only": True, **text_only}},
            # Fire only.
            {"id": "fire_only", "input": {"kinds": ["fire"], "notify_devices": [world.phone_device_id]}},
        ],
    )
    entry = make_site(hass, [clip_camera("Cổng chợ", clip)])
    await setup_site(hass, entry)
    await wait_until(lambda: bool(flashes), timeout=60)
    flash = flashes[0].data
    assert flash["explosion"] is False

    trace = (await wait_for_runs(hass, "village", 1))[0]
    assert trace["script_execution"] == "finished"
    (text,) = world.calls.of("notify", "persistent_notification")
    assert text["title"] == "💥 Flash: Cổng chợ"
    assert text["message"].startswith("A flash (a blast or firecrackers?) at Cổng chợ (Thôn Trúc) at ")
    # A flash is logged as an explosion: the flash detector looks for blasts and firecrackers.
    (alert,) = open_alerts(hass)
    assert alert["kind"] == "explosion"
    assert alert["snapshot"] == flash["snapshot_url"]
    assert alert["message"] == text["message"]

    # The other three judged the same flash and did nothing.
    for automation in ("elsewhere", "bangs_only", "fire_only"):
        assert judged_and_refused(await wait_for_runs(hass, automation, 1)), automation
    assert world.calls.phone == []
    assert len(world.calls.of("notify", "persistent_notification")) == 1
    await unload_site(hass, entry)


def firecracker_frame() -> VideoFrame:
    """The firecracker clip's frame at its flash (what the detector would attach to its event)."""
    with av.open(str(evalset.encode(evalset.case(FIRECRACKER)))) as container:
        return next(islice(container.decode(video=0), int(7.0 * scenes.FPS), None))


def tell_explosion(entry: MockConfigEntry, frame: VideoFrame, at: float) -> None:
    """A flash with its bang, handed to Home Assistant as the camera's detector hands it."""
    (camera_id,) = entry.subentries
    flash = Flash(bbox=(0.45, 0.3, 0.04, 0.07), rise=120.0, onset=at)
    event = DetectionEvent(DetectionEventType.FLASH_START, at, flash=flash, explosion=True, frame=frame)
    entry.runtime_data.coordinator.on_detection(camera_id, event)


def phone_titles(world: World) -> list[str]:
    return [sent["title"] for sent in world.calls.phone]


@pytest.mark.usefixtures("config_dir")
async def test_explosion_and_the_cooldown(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await async_setup_world(hass, monkeypatch)
    frame = await hass.async_add_executor_job(firecracker_frame)
    clip = await hass.async_add_executor_job(lambda: evalset.encode(evalset.case(FIRECRACKER)))
    flashes = async_capture_events(hass, EVENT_FLASH)
    # The camera streams, its detectors off: the flashes here are only the ones the test tells.
    entry = make_site(hass, [clip_camera("Cổng chợ", clip, detection={**DETECTION, "enabled": False})])
    await setup_site(hass, entry)
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": "input_boolean.night_watch"})
    await async_add_automation(
        hass,
        FIRE,
        [
            {
                "id": "explosion",
                "input": {"sirens": [FULL_SIREN], "siren_seconds": 1, "notify_devices": [world.phone_device_id]},
            },
            # Only while the night watch switch is on (it is), and only flashes with a bang.
            {
                "id": "switch",
                "input": {
                    "active_when": "entity",
                    "armed_entity": "input_boolean.night_watch",
                    "explosions_only": True,
                    "notify_services": ["notify.persistent_notification"],
                },
            },
        ],
    )
    tell_explosion(entry, frame, 7.0)
    await wait_until(lambda: bool(flashes))
    assert flashes[0].data["explosion"] is True
    first = await wait_for_runs(hass, "explosion", 1)
    assert first[-1]["script_execution"] == "finished"
    (sent,) = world.calls.phone
    assert sent["title"] == "💥 Nổ: Cổng chợ"
    assert sent["message"].startswith("Phát hiện vụ nổ (chớp sáng kèm tiếng nổ) tại Cổng chợ (Thôn Trúc) lúc ")
    assert sent["data"]["image"] == flashes[0].data["snapshot_url"]
    assert sent["data"]["tag"] == f"ngu_doan_explosion_{flashes[0].data['camera_id']}"
    (alert,) = open_alerts(hass)
    assert alert["kind"] == "explosion"
    assert alert["repeats"] == 0

    # A second bang from the same camera within the cooldown (120 s by default): counted on the open
    # alert, nobody told twice, the siren not restarted.
    tell_explosion(entry, frame, 9.0)
    await wait_until(lambda: len(flashes) == 2)
    runs = await wait_for_runs(hass, "explosion", 2)
    assert runs[-1]["script_execution"] == "finished"
    assert runs[-1]["last_step"] == "action/1/then/0"  # the cooldown's stop
    assert phone_titles(world) == ["💥 Nổ: Cổng chợ"]
    assert len(world.calls.of("siren", "turn_on")) == 1
    # The second automation told the first bang too (its own message), and kept its own cooldown.
    runs = await wait_for_runs(hass, "switch", 2)
    assert [run["last_step"] for run in runs][-1] == "action/1/then/0"
    texts = world.calls.of("notify", "persistent_notification")
    assert [text["title"] for text in texts] == ["💥 Nổ: Cổng chợ"]
    # Both raised each bang: the first is one alert (the same picture), the second counted on it once.
    (alert,) = open_alerts(hass)
    assert alert["repeats"] == 1
    await unload_site(hass, entry)

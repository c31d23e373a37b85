"""The world the alert tests run in: Home Assistant's own lights, sirens, relays and notifiers.

Lights and sirens are the `demo` integration's (its second siren has tones, volume and duration),
the relay-driven siren is a `template` switch over an `input_boolean`, the text notifier is
`notify.persistent_notification`. Only phones cannot run here: `notify.mobile_app_<name>` services
are registered by the test, one that records what it is sent and one that fails like an unreachable
phone, each with a device of a `mobile_app` entry (what the blueprints' phone selector lists).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import demo
from homeassistant.components.trace.util import async_list_traces
from homeassistant.const import EVENT_CALL_SERVICE, Platform
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ngu_doan_cameras.const import DOMAIN

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / DOMAIN
SHIPPED = Path(__file__).parent.parent / "custom_components" / DOMAIN / "blueprints" / "automation" / DOMAIN

PHONE = "Trực ban"  # notify.mobile_app_truc_ban
BROKEN_PHONE = "Điện thoại hỏng"  # notify.mobile_app_dien_thoai_hong: unreachable

BED_LIGHT = "light.bed_light"  # demo: off
CEILING = "light.ceiling_lights"  # demo: on, dimmed below full brightness
SIREN = "siren.siren"  # demo: on/off only
FULL_SIREN = "siren.siren_with_all_features"  # demo: tones "fire" and "alarm", volume, duration
RELAY = "switch.relay_siren"  # template switch over input_boolean.relay
DEAD_RELAY = "switch.dead_relay"  # template switch that is never available


@dataclass
class Calls:
    """Every action called in Home Assistant (the `call_service` events), and the phones' messages."""

    actions: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    phone: list[dict[str, Any]] = field(default_factory=list)

    def of(self, domain: str, service: str) -> list[dict[str, Any]]:
        """The data of every call of `domain.service`."""
        return [data for d, s, data in self.actions if (d, s) == (domain, service)]


@dataclass
class World:
    """Devices and recorders of one test."""

    calls: Calls
    phone_device_id: str
    broken_phone_device_id: str


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Iterator[Path]:
    """A config folder of the test's own (blueprints are installed into it, snapshots saved under it)."""
    original = hass.config.config_dir
    hass.config.config_dir = str(tmp_path)
    hass.config.media_dirs = {"local": str(tmp_path / "media")}
    yield tmp_path
    hass.config.config_dir = original


async def async_setup_world(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> World:
    """Lights, sirens, relays, notifiers and phones, and a record of every action called."""
    calls = Calls()

    @callback
    def record(event: Event[dict[str, Any]]) -> None:
        calls.actions.append((event.data["domain"], event.data["service"], dict(event.data["service_data"])))

    hass.bus.async_listen(EVENT_CALL_SERVICE, record)
    assert await async_setup_component(hass, "homeassistant", {})  # what the demo's conversation needs
    # The demo integration, limited to its lights and sirens (it has thirty platforms).
    monkeypatch.setattr(demo, "COMPONENTS_WITH_CONFIG_ENTRY_DEMO_PLATFORM", [Platform.LIGHT, Platform.SIREN])
    demo_entry = MockConfigEntry(domain="demo")
    demo_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    for domain, config in {
        "input_boolean": {"input_boolean": {"relay": {"name": "Relay"}, "night_watch": {"name": "Night watch"}}},
        "switch": {
            "switch": {
                "platform": "template",
                "switches": {
                    "relay_siren": {
                        "value_template": "{{ is_state('input_boolean.relay', 'on') }}",
                        "turn_on": {"action": "input_boolean.turn_on", "target": {"entity_id": "input_boolean.relay"}},
                        "turn_off": {
                            "action": "input_boolean.turn_off",
                            "target": {"entity_id": "input_boolean.relay"},
                        },
                    },
                    "dead_relay": {
                        "value_template": "off",
                        "availability_template": "{{ false }}",
                        "turn_on": {"action": "input_boolean.turn_on", "target": {"entity_id": "input_boolean.relay"}},
                        "turn_off": {
                            "action": "input_boolean.turn_off",
                            "target": {"entity_id": "input_boolean.relay"},
                        },
                    },
                },
            }
        },
        "scene": {},
        "notify": {},
        "persistent_notification": {},
    }.items():
        assert await async_setup_component(hass, domain, config)
    await hass.async_block_till_done()
    # The demo's sirens start sounding; lights and sirens are quiet before the night begins.
    await hass.services.async_call("siren", "turn_off", {"entity_id": [SIREN, FULL_SIREN]}, blocking=True)
    await hass.services.async_call("light", "turn_on", {"entity_id": CEILING, "brightness": 80}, blocking=True)
    return World(
        calls=calls,
        phone_device_id=_phone(hass, PHONE, calls, broken=False),
        broken_phone_device_id=_phone(hass, BROKEN_PHONE, calls, broken=True),
    )


def _phone(hass: HomeAssistant, name: str, calls: Calls, *, broken: bool) -> str:
    """A phone: a device of a mobile_app entry, and its notify action (the one fake: no phone runs here)."""
    entry = MockConfigEntry(domain="mobile_app", title=name)
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("mobile_app", name)}, name=name
    )

    async def send(call: ServiceCall) -> None:
        if broken:
            raise HomeAssistantError("the phone cannot be reached")
        calls.phone.append(dict(call.data))

    hass.services.async_register("notify", f"mobile_app_{slugify(name)}", send)
    return device.id


async def async_add_automation(hass: HomeAssistant, blueprint: str, automations: list[dict[str, Any]]) -> None:
    """Automations made from one of the integration's blueprints (`use_blueprint`), as a user makes them."""
    config = [
        {
            "id": automation["id"],
            "alias": automation["id"],
            "use_blueprint": {"path": f"{DOMAIN}/{blueprint}", "input": automation["input"]},
        }
        for automation in automations
    ]
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    for automation in automations:
        state = hass.states.get(f"automation.{automation['id']}")
        assert state is not None, f"automation {automation['id']} was not created"
        assert state.state == "on"


async def async_traces(hass: HomeAssistant, automation_id: str) -> list[dict[str, Any]]:
    """The automation's run traces (what the trace UI lists), oldest first."""
    return await async_list_traces(hass, "automation", f"automation.{automation_id}")


async def wait_for_runs(hass: HomeAssistant, automation_id: str, count: int, timeout: float = 30.0) -> list[Any]:
    """Wait until the automation has run `count` times to the end; return the traces."""
    traces: list[dict[str, Any]] = []

    async def ended() -> bool:
        traces[:] = await async_traces(hass, automation_id)
        return len([trace for trace in traces if trace["state"] == "stopped"]) >= count

    async with asyncio.timeout(timeout):
        while not await ended():
            await asyncio.sleep(0.05)
    return traces

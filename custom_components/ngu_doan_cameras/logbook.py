"""Logbook lines for alerts raised and acknowledged (on the camera's alert entity)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback

from .alert_log import EVENT_ALERT, EVENT_ALERT_ACKNOWLEDGED
from .alert_text import kind_name, text
from .const import DOMAIN
from .entity_ids import camera_entity_id
from .recording_actions import EVENT_EVIDENCE


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the alert events for the logbook."""

    @callback
    def describe_raised(event: Event) -> dict[str, str]:
        data = event.data
        message = text(hass, "logbook_raised", kind=kind_name(hass, data["kind"]), message=data.get("message") or "")
        return _entry(hass, data, message)

    @callback
    def describe_acknowledged(event: Event) -> dict[str, str]:
        data = event.data
        user = data.get("user") or text(hass, "someone")
        message = text(hass, "logbook_acknowledged", kind=kind_name(hass, data["kind"]), user=user)
        if data.get("note"):
            message = text(hass, "logbook_note", text=message, note=data["note"])
        return _entry(hass, data, message)

    @callback
    def describe_evidence(event: Event) -> dict[str, str]:
        data = event.data
        values = {key: str(value) for key, value in data.items()}
        match data["action"]:
            case "export":
                message = text(hass, "evidence_export", **values)
            case "verify":
                message = text(hass, "evidence_verify_ok" if data.get("ok") else "evidence_verify_failed", **values)
            case _:
                message = text(hass, "evidence_release", **values)
        # The logbook names the user of the event's context itself; an automation has none.
        return {LOGBOOK_ENTRY_NAME: text(hass, "evidence"), LOGBOOK_ENTRY_MESSAGE: message}

    async_describe_event(DOMAIN, EVENT_ALERT, describe_raised)
    async_describe_event(DOMAIN, EVENT_ALERT_ACKNOWLEDGED, describe_acknowledged)
    async_describe_event(DOMAIN, EVENT_EVIDENCE, describe_evidence)


def _entry(hass: HomeAssistant, data: Mapping[str, Any], message: str) -> dict[str, str]:
    entry = {LOGBOOK_ENTRY_NAME: data.get("camera") or "", LOGBOOK_ENTRY_MESSAGE: message}
    # Shown on the camera's alert entity too (when the camera still exists).
    entity_id = camera_entity_id(hass, Platform.EVENT, data["camera_id"], "alert") if data.get("camera_id") else None
    if entity_id:
        entry[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
    return entry

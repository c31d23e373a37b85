"""The integration's actions, registered once for every site (`async_setup`).

Each action is one `ActionSpec`: its name, its schema and its handler. Adding an action is adding a
handler and a spec to `ACTIONS` (plus its `services.yaml` entry, translations and icon).

Schemas check only the shape of the data. Whatever can be wrong at runtime (an entity that is gone,
an alert acknowledged already) is a translated `ServiceValidationError`, which an automation's
`continue_on_error` can step over: a schema error could not be stepped over and would stop it.

An officer can also acknowledge from the phone: notifications carry an action `NGU_DOAN_ACK_<id>`,
and the app's `mobile_app_notification_action` event acknowledges the alert as the phone's user.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import voluptuous as vol
from homeassistant.core import (
    Context,
    Event,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .action_targets import ActionSpec, async_user_of, camera_of
from .alert_log import Alert, AlertKind, AlertLog, AlertNotFoundError, AlertRequest, AlreadyAcknowledgedError
from .const import DOMAIN
from .dashboard_actions import DASHBOARD_ACTIONS
from .data import NguDoanConfigEntry
from .recording_actions import RECORDING_ACTIONS

_LOGGER = logging.getLogger(__name__)

SERVICE_RAISE_ALERT: Final = "raise_alert"
SERVICE_ACKNOWLEDGE: Final = "acknowledge"

ACK_ACTION_PREFIX: Final = "NGU_DOAN_ACK_"
EVENT_MOBILE_APP_ACTION: Final = "mobile_app_notification_action"

_OPTIONAL_TEXT = vol.Any(None, cv.string)

RAISE_ALERT_SCHEMA: Final = vol.Schema(
    {
        # Any entity of the camera (its motion sensor, its camera entity); checked in the handler.
        vol.Required("camera"): _OPTIONAL_TEXT,
        vol.Optional("kind", default=AlertKind.MOTION.value): vol.In([kind.value for kind in AlertKind]),
        vol.Optional("message", default=""): _OPTIONAL_TEXT,
        vol.Optional("snapshot"): _OPTIONAL_TEXT,
        vol.Optional("clip"): _OPTIONAL_TEXT,
        vol.Optional("zone"): _OPTIONAL_TEXT,
        vol.Optional("cooldown", default=0): vol.All(vol.Coerce(float), vol.Range(min=0, max=86400)),
        vol.Optional("source", default=""): _OPTIONAL_TEXT,
    }
)

ACKNOWLEDGE_SCHEMA: Final = vol.Schema(
    {
        vol.Optional("alert_id"): _OPTIONAL_TEXT,
        vol.Optional("all", default=False): cv.boolean,
        vol.Optional("note", default=""): _OPTIONAL_TEXT,
    }
)


async def _async_raise_alert(call: ServiceCall) -> ServiceResponse:
    """Log an alert for a camera; answer whether the caller is within its cooldown for it."""
    entry, camera_id = camera_of(call.hass, call.data["camera"])
    engine_camera = entry.runtime_data.site.camera(camera_id)
    camera = engine_camera.config
    request = AlertRequest(
        kind=AlertKind(call.data["kind"]),
        camera_id=camera_id,
        camera=camera.name,
        area=camera.location,
        message=call.data["message"] or "",
        snapshot=call.data.get("snapshot") or None,
        clip=call.data.get("clip") or None,
        zone=call.data.get("zone") or None,
    )
    alerts = entry.runtime_data.alerts
    raised = alerts.async_raise(
        request, cooldown=call.data["cooldown"], source=call.data["source"] or "", context=call.context
    )
    return {
        "alert_id": raised.alert.alert_id,
        "new": raised.new,
        "cooldown": raised.cooldown,
        "repeats": raised.alert.repeats,
        "open_alerts": len(alerts.open_alerts),
        # Blueprints ask for a clip only of a camera that records (the action says why not, otherwise).
        "record_clip_available": engine_camera.records,
    }


async def _async_acknowledge(call: ServiceCall) -> ServiceResponse:
    """Acknowledge one alert or every open alert, as the calling user."""
    alert_id = call.data.get("alert_id") or None
    if bool(alert_id) == bool(call.data["all"]):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="alert_id_or_all")
    user_id, user_name = await async_user_of(call.hass, call.context)
    note = call.data["note"] or ""
    if alert_id is None:
        done = [
            alerts.async_acknowledge(
                alert.alert_id, user_id=user_id, user_name=user_name, note=note, context=call.context
            )
            for alerts in _loaded_logs(call.hass)
            for alert in alerts.open_alerts
        ]
    else:
        done = [
            _acknowledge_one(call.hass, alert_id, user_id=user_id, user_name=user_name, note=note, context=call.context)
        ]
    return {"acknowledged": [alert.alert_id for alert in done]}


def _acknowledge_one(
    hass: HomeAssistant, alert_id: str, *, user_id: str | None, user_name: str | None, note: str, context: Context
) -> Alert:
    """Acknowledge the alert of whichever site has it, or say why not."""
    for alerts in _loaded_logs(hass):
        try:
            return alerts.async_acknowledge(alert_id, user_id=user_id, user_name=user_name, note=note, context=context)
        except AlertNotFoundError:
            continue
        except AlreadyAcknowledgedError as err:
            when = err.alert.acknowledged_at
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="alert_already_acknowledged",
                translation_placeholders={
                    "alert_id": alert_id,
                    "user": err.alert.acknowledged_by or "-",
                    "time": dt_util.as_local(when).strftime("%H:%M %d/%m/%Y") if when else "-",
                },
            ) from err
    raise ServiceValidationError(
        translation_domain=DOMAIN, translation_key="alert_not_found", translation_placeholders={"alert_id": alert_id}
    )


ACTIONS: Final[tuple[ActionSpec, ...]] = (
    ActionSpec(SERVICE_RAISE_ALERT, RAISE_ALERT_SCHEMA, _async_raise_alert, SupportsResponse.OPTIONAL),
    ActionSpec(SERVICE_ACKNOWLEDGE, ACKNOWLEDGE_SCHEMA, _async_acknowledge, SupportsResponse.OPTIONAL),
    *RECORDING_ACTIONS,
    *DASHBOARD_ACTIONS,
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration (once, whatever the number of sites)."""
    for action in ACTIONS:
        hass.services.async_register(
            DOMAIN, action.name, action.handler, schema=action.schema, supports_response=action.supports_response
        )

    async def async_phone_acknowledged(event: Event[dict[str, Any]]) -> None:
        await _async_acknowledge_from_phone(hass, event)

    hass.bus.async_listen(EVENT_MOBILE_APP_ACTION, async_phone_acknowledged, event_filter=_is_our_action)


@callback
def _is_our_action(event_data: dict[str, Any]) -> bool:
    action = event_data.get("action")
    return isinstance(action, str) and action.startswith(ACK_ACTION_PREFIX)


async def _async_acknowledge_from_phone(hass: HomeAssistant, event: Event[dict[str, Any]]) -> None:
    """The officer tapped "Acknowledge" on a notification: acknowledge as the phone's user."""
    alert_id = event.data["action"].removeprefix(ACK_ACTION_PREFIX)
    user_id, user_name = await async_user_of(hass, event.context)
    try:
        _acknowledge_one(hass, alert_id, user_id=user_id, user_name=user_name, note="", context=event.context)
    except ServiceValidationError as err:
        # Another officer's phone was quicker, or the site was removed: nothing left to do but say so.
        _LOGGER.info("Alert %s was not acknowledged from the phone: %s", alert_id, err.translation_key)


def _loaded_logs(hass: HomeAssistant) -> list[AlertLog]:
    entries: list[NguDoanConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return [entry.runtime_data.alerts for entry in entries]

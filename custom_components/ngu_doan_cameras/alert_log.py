"""The alert log of a site: what happened, what is still open, who acknowledged it, and when.

One log per site, kept in Home Assistant's `Store` so that the next shift inherits what is still
open after a restart. Alerts come from the blueprints (the `raise_alert` action) and from the
integration itself (cameras offline or tampered with, see problems.py).

The log is bounded. When it grows past `MAX_ALERTS`, the oldest *acknowledged* alerts go first. An
open alert is never dropped: when the log is full of open alerts (nobody has acknowledged anything
for a long time), a new alert of a camera and kind that already has an open alert is counted on that
alert (`repeats`, `last_seen`) instead of being added; only an alert of a camera and kind with no
open alert is still added, so the log can exceed the bound by at most one alert per camera and kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

# A module attribute (not Final) so that tests can bound the log to a few alerts.
MAX_ALERTS = 500
STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1
# Writes are batched: a flood of alerts costs one write a second, and unloading writes at once.
SAVE_DELAY: Final = 1.0

EVENT_ALERT: Final = f"{DOMAIN}_alert"
EVENT_ALERT_ACKNOWLEDGED: Final = f"{DOMAIN}_alert_acknowledged"


class AlertKind(StrEnum):
    """What an alert is about (event types of the camera's alert entity, translated)."""

    MOTION = "motion"
    TAMPER = "tamper"
    OFFLINE = "offline"
    RECORDING_FAILED = "recording_failed"
    FIRE = "fire"
    EXPLOSION = "explosion"
    OTHER = "other"


class AlertChange(StrEnum):
    """What happened to an alert (told to the log's listeners)."""

    RAISED = "raised"
    UPDATED = "updated"  # repeated, or given its clip
    ENDED = "ended"
    ACKNOWLEDGED = "acknowledged"


@dataclass(slots=True)
class Alert:
    """One alert of the log."""

    alert_id: str
    kind: AlertKind
    camera_id: str | None
    camera: str
    area: str
    raised_at: datetime
    message: str = ""
    snapshot: str | None = None
    clip: str | None = None
    zone: str | None = None
    detail: str | None = None
    repeats: int = 0
    last_seen: datetime | None = None
    last_snapshot: str | None = None  # the picture of the latest repeat
    ended_at: datetime | None = None  # the problem is over (camera back, tamper gone); still open until acknowledged
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None  # the user's name when acknowledged (users can be deleted later)
    acknowledged_user_id: str | None = None
    note: str | None = None

    @property
    def is_open(self) -> bool:
        """Not acknowledged yet."""
        return self.acknowledged_at is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the store and for attributes and responses."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            data[item.name] = value.isoformat() if isinstance(value, datetime) else value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        """Read back what `as_dict` wrote."""
        values: dict[str, Any] = {item.name: data[item.name] for item in fields(cls) if item.name in data}
        for name in ("raised_at", "last_seen", "ended_at", "acknowledged_at"):
            if values.get(name) is not None:
                values[name] = dt_util.parse_datetime(values[name])
        values["kind"] = AlertKind(values["kind"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """What a new alert says (the log adds its id and times)."""

    kind: AlertKind
    camera_id: str | None
    camera: str
    area: str
    message: str = ""
    snapshot: str | None = None
    clip: str | None = None
    zone: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Raised:
    """The answer to a raise: which alert holds it, and whether the raiser is within its cooldown."""

    alert: Alert
    new: bool  # False: counted on (or joined to) an open alert of the same camera and kind
    cooldown: bool  # the same source raised this camera and kind less than `cooldown` seconds ago


class AlertNotFoundError(LookupError):
    """No alert has this id."""


class AlreadyAcknowledgedError(ValueError):
    """The alert was acknowledged before."""

    def __init__(self, alert: Alert) -> None:
        super().__init__(alert.alert_id)
        self.alert = alert


type AlertListener = Callable[[Alert, AlertChange], None]


class AlertLog:
    """The alert log of one site."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self.hass = hass
        self.entry_id = entry_id
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry_id), minor_version=STORAGE_MINOR_VERSION
        )
        self._alerts: list[Alert] = []  # oldest first
        # When each source (an automation) last acted on a camera and kind: its cooldown. Not persisted:
        # after a restart the first alert of each camera is told again, which is what an officer wants.
        self._acted: dict[tuple[str, str | None, AlertKind], datetime] = {}
        self._listeners: list[AlertListener] = []
        self._warned_full = False

    async def async_load(self) -> None:
        """Read the log kept from before the restart.

        A log written by a newer version of the integration (after a downgrade) is left as it is and
        the site is not set up: starting afresh would overwrite the alerts it holds.
        """
        try:
            stored = await self._store.async_load()
        except NotImplementedError as err:
            raise ConfigEntryError(translation_domain=DOMAIN, translation_key="alert_log_newer") from err
        if stored:
            self._alerts = [Alert.from_dict(item) for item in stored.get("alerts", [])]

    async def async_flush(self) -> None:
        """Write the log now (on unload: a pending delayed write would be lost with the entry)."""
        await self._store.async_save(self._as_stored())

    @staticmethod
    async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
        """The site is deleted: its log goes with it."""
        await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()

    @property
    def alerts(self) -> list[Alert]:
        """Every alert, newest first."""
        return list(reversed(self._alerts))

    @property
    def open_alerts(self) -> list[Alert]:
        """Alerts not acknowledged yet, newest first."""
        return [alert for alert in reversed(self._alerts) if alert.is_open]

    def get(self, alert_id: str) -> Alert | None:
        """The alert with this id, if the log has it."""
        return next((alert for alert in self._alerts if alert.alert_id == alert_id), None)

    @callback
    def async_subscribe(self, listener: AlertListener) -> CALLBACK_TYPE:
        """Be told of every change; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_raise(
        self, request: AlertRequest, *, cooldown: float = 0.0, source: str = "", context: Context | None = None
    ) -> Raised:
        """Log an alert, or count it on the open alert it repeats."""
        now = dt_util.utcnow()
        held = self._in_cooldown((source, request.camera_id, request.kind), now, cooldown)
        latest = self._latest_open(request.camera_id, request.kind)
        if latest is not None and request.snapshot and request.snapshot in (latest.snapshot, latest.last_snapshot):
            # The same occurrence raised again (its picture): by a second automation, or to add its clip.
            self._join(latest, request)
            return Raised(latest, new=False, cooldown=held)
        if latest is not None and (now - latest.raised_at < timedelta(seconds=cooldown) or self._full()):
            self._repeat(latest, request, now)
            return Raised(latest, new=False, cooldown=held)
        alert = Alert(alert_id=ulid_now(), raised_at=now, last_seen=now, **_request_fields(request))
        self._alerts.append(alert)
        self._trim()
        self._changed(alert, AlertChange.RAISED)
        self.hass.bus.async_fire(EVENT_ALERT, _event_data(self.entry_id, alert), context=context)
        return Raised(alert, new=True, cooldown=held)

    @callback
    def async_end(self, camera_id: str | None, kind: AlertKind) -> None:
        """A camera's problem is over: its open alerts of that kind say since when (they stay open)."""
        now = dt_util.utcnow()
        for alert in self._alerts:
            if alert.is_open and alert.ended_at is None and alert.camera_id == camera_id and alert.kind is kind:
                alert.ended_at = now
                self._changed(alert, AlertChange.ENDED)

    @callback
    def async_acknowledge(
        self, alert_id: str, *, user_id: str | None, user_name: str | None, note: str, context: Context | None = None
    ) -> Alert:
        """Acknowledge one alert; raises if unknown or acknowledged before."""
        alert = self.get(alert_id)
        if alert is None:
            raise AlertNotFoundError(alert_id)
        if not alert.is_open:
            raise AlreadyAcknowledgedError(alert)
        alert.acknowledged_at = dt_util.utcnow()
        alert.acknowledged_user_id = user_id
        alert.acknowledged_by = user_name
        alert.note = note or None
        self._warned_full = False  # room again: warn anew if the log fills up again
        self._changed(alert, AlertChange.ACKNOWLEDGED)
        data = {**_event_data(self.entry_id, alert), "user": user_name, "user_id": user_id, "note": alert.note}
        self.hass.bus.async_fire(EVENT_ALERT_ACKNOWLEDGED, data, context=context)
        return alert

    def _in_cooldown(self, key: tuple[str, str | None, AlertKind], now: datetime, cooldown: float) -> bool:
        last = self._acted.get(key)
        if last is not None and now - last < timedelta(seconds=cooldown):
            return True
        self._acted[key] = now
        return False

    def _latest_open(self, camera_id: str | None, kind: AlertKind) -> Alert | None:
        return next(
            (
                alert
                for alert in reversed(self._alerts)
                if alert.is_open and alert.camera_id == camera_id and alert.kind is kind
            ),
            None,
        )

    def _join(self, alert: Alert, request: AlertRequest) -> None:
        """Fill in what the first raise did not know (the clip), without counting a repeat."""
        if request.clip and not alert.clip:
            alert.clip = request.clip
            self._changed(alert, AlertChange.UPDATED)

    def _repeat(self, alert: Alert, request: AlertRequest, now: datetime) -> None:
        if self._full() and not self._warned_full:
            self._warned_full = True
            _LOGGER.warning(
                "The alert log holds %d open alerts; repeats are counted on the open alert of the same camera "
                "until some are acknowledged",
                len(self._alerts),
            )
        alert.repeats += 1
        alert.last_seen = now
        alert.last_snapshot = request.snapshot or alert.last_snapshot
        alert.clip = alert.clip or request.clip
        self._changed(alert, AlertChange.UPDATED)

    def _full(self) -> bool:
        """At the bound with nothing acknowledged to drop."""
        alerts = self._alerts
        return len(alerts) >= MAX_ALERTS and all(alert.is_open for alert in alerts)

    def _trim(self) -> None:
        """Drop the oldest acknowledged alerts past the bound; open alerts are never dropped."""
        alerts = self._alerts
        excess = len(alerts) - MAX_ALERTS
        if excess <= 0:
            return
        for alert in [alert for alert in alerts if not alert.is_open][:excess]:
            alerts.remove(alert)

    def _changed(self, alert: Alert, change: AlertChange) -> None:
        self._store.async_delay_save(self._as_stored, SAVE_DELAY)
        for listener in list(self._listeners):
            listener(alert, change)

    def _as_stored(self) -> dict[str, Any]:
        return {"alerts": [alert.as_dict() for alert in self._alerts]}


def storage_key(entry_id: str) -> str:
    """The store of a site's log (`.storage/ngu_doan_cameras.alerts.<entry id>`)."""
    return f"{DOMAIN}.alerts.{entry_id}"


def _request_fields(request: AlertRequest) -> dict[str, Any]:
    return {item.name: getattr(request, item.name) for item in fields(request)}


def _event_data(entry_id: str, alert: Alert) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "alert_id": alert.alert_id,
        "kind": alert.kind.value,
        "camera": alert.camera,
        "camera_id": alert.camera_id,
        "area": alert.area,
        "message": alert.message,
        "snapshot": alert.snapshot,
        "zone": alert.zone,
        "detail": alert.detail,
    }

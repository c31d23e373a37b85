"""Sensors: each camera's stream diagnostics and recording, and the site's storage and open alerts.

Per camera: frame rate, bit rate, last frame, reconnects of its watched stream; what it records now.
Per site: storage the recordings use, free space, the oldest footage; how many alerts are still open,
with the newest of them as attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfDataRate, UnitOfInformation
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .alert_log import Alert, AlertChange, AlertLog
from .const import DOMAIN
from .data import NguDoanConfigEntry
from .engine.recording import RecordingMode
from .engine.site import Camera
from .engine.stats import StreamStats
from .entity import AvailableWhileDownMixin, CameraEntity, SiteEntity, add_camera_entities
from .recording import GIGABYTE, StorageCoordinator, StorageStatus

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class CameraSensorDescription(SensorEntityDescription):
    """A sensor computed from a camera's statistics."""

    value_fn: Callable[[StreamStats], StateType | datetime]
    # Reconnects and last frame say most when the camera is down, so they stay available.
    available_when_down: bool = False


def _last_frame(stats: StreamStats) -> datetime | None:
    return datetime.fromtimestamp(stats.last_frame_at, UTC) if stats.last_frame_at else None


SENSORS: tuple[CameraSensorDescription, ...] = (
    CameraSensorDescription(
        key="frame_rate",
        translation_key="frame_rate",
        native_unit_of_measurement="fps",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda stats: round(stats.fps, 1) if stats.fps is not None else None,
    ),
    CameraSensorDescription(
        key="bitrate",
        translation_key="bitrate",
        device_class=SensorDeviceClass.DATA_RATE,
        native_unit_of_measurement=UnitOfDataRate.KILOBITS_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda stats: round(stats.bitrate_kbps) if stats.bitrate_kbps is not None else None,
    ),
    CameraSensorDescription(
        key="last_frame",
        translation_key="last_frame",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Changes with every refresh: off by default to keep the recorder's database small.
        entity_registry_enabled_default=False,
        available_when_down=True,
        value_fn=_last_frame,
    ),
    CameraSensorDescription(
        key="reconnects",
        translation_key="reconnects",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        available_when_down=True,
        value_fn=lambda stats: stats.reconnects,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every camera of the site."""
    add_camera_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry: [
            *(CameraSensor(coordinator, subentry, description) for description in SENSORS),
            RecordingStateSensor(coordinator, subentry, RECORDING_STATE),
        ],
    )
    storage = entry.runtime_data.storage
    async_add_entities(
        [
            OpenAlertsSensor(entry.entry_id, entry.runtime_data.alerts),
            *(StorageSensor(storage, entry.entry_id, description) for description in STORAGE_SENSORS),
        ]
    )


class CameraSensor(CameraEntity, SensorEntity):
    """A camera's diagnostic sensor."""

    entity_description: CameraSensorDescription

    @property
    def available(self) -> bool:
        """Most sensors follow the camera; those about outages stay available through them."""
        if self.entity_description.available_when_down:
            return self.coordinator.last_update_success
        return self.camera_streaming

    @property
    def native_value(self) -> StateType | datetime:
        """Value from the camera's statistics."""
        return self.entity_description.value_fn(self.stats)


# What the open alerts sensor shows of the log in its attributes (the whole log is in the store).
OPEN_ALERTS_SHOWN = 20
ACKNOWLEDGED_SHOWN = 5


class OpenAlertsSensor(SensorEntity):
    """The site's alerts not acknowledged yet; the newest of them, and the last acknowledged, as attributes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "open_alerts"
    # The lists change with every alert: history keeps the count, not the lists.
    _unrecorded_attributes = frozenset({"open", "acknowledged"})

    def __init__(self, entry_id: str, alerts: AlertLog) -> None:
        self._alerts = alerts
        self._attr_unique_id = f"{entry_id}_open_alerts"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry_id)})

    async def async_added_to_hass(self) -> None:
        """Follow the site's alert log."""
        self.async_on_remove(self._alerts.async_subscribe(self._async_alert_changed))

    @callback
    def _async_alert_changed(self, _alert: Alert, _change: AlertChange) -> None:
        self.async_write_ha_state()

    @property
    def native_value(self) -> int:
        """How many alerts are still open."""
        return len(self._alerts.open_alerts)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The newest open alerts, and the alerts acknowledged last."""
        acknowledged = sorted(
            (alert for alert in self._alerts.alerts if not alert.is_open),
            key=lambda alert: alert.acknowledged_at or alert.raised_at,
            reverse=True,
        )
        return {
            "open": [alert.as_dict() for alert in self._alerts.open_alerts[:OPEN_ALERTS_SHOWN]],
            "acknowledged": [alert.as_dict() for alert in acknowledged[:ACKNOWLEDGED_SHOWN]],
        }


# --- recording ---------------------------------------------------------------------------------------


RECORDING_STATES = ["off", "recording", "clip", "standby", "waiting", "error"]

RECORDING_STATE = SensorEntityDescription(
    key="recording",
    translation_key="recording",
    device_class=SensorDeviceClass.ENUM,
    options=RECORDING_STATES,
)


def recording_state(camera: Camera) -> str:
    """What a camera's recording does now, in one word an officer can read on the duty screen."""
    recording = camera.recording
    if camera.config.recording.mode is RecordingMode.OFF or recording is None:
        return "off"
    status = recording.status
    if status.storage_error:
        return "error"  # files cannot be written: the site's problem sensor and repair say why
    if not status.streaming:
        return "waiting"  # for the main stream's packets
    if status.recording:
        return "recording"
    return "clip" if status.active_clips else "standby"  # events only: pre-roll kept in memory


class RecordingStateSensor(AvailableWhileDownMixin, SensorEntity):
    """What the camera records now: off, recording, a clip, standing by (events only), waiting, error."""

    @property
    def native_value(self) -> str:
        """The recording state."""
        return recording_state(self.engine_camera)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The mode, and the clips being written."""
        recording = self.engine_camera.recording
        return {
            "mode": self.engine_camera.config.recording.mode.value,
            "active_clips": recording.status.active_clips if recording is not None else 0,
        }


@dataclass(frozen=True, kw_only=True)
class StorageSensorDescription(SensorEntityDescription):
    """A sensor of the media folder's storage."""

    value_fn: Callable[[StorageStatus], StateType | datetime]


def _gigabytes(count: int | None) -> float | None:
    return round(count / GIGABYTE, 3) if count is not None else None


STORAGE_SENSORS: tuple[StorageSensorDescription, ...] = (
    StorageSensorDescription(
        key="storage_used",
        translation_key="storage_used",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.GIGABYTES,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda status: _gigabytes(status.used_bytes),
    ),
    StorageSensorDescription(
        key="free_space",
        translation_key="free_space",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.GIGABYTES,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda status: _gigabytes(status.free_bytes),
    ),
    StorageSensorDescription(
        key="oldest_recording",
        translation_key="oldest_recording",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda status: datetime.fromtimestamp(status.oldest, UTC) if status.oldest is not None else None,
    ),
)


class StorageSensor(CoordinatorEntity[StorageCoordinator], SiteEntity, SensorEntity):
    """The site's view of the media folder: what recordings take, what is left, how far back they go."""

    entity_description: StorageSensorDescription

    def __init__(self, coordinator: StorageCoordinator, entry_id: str, description: StorageSensorDescription) -> None:
        CoordinatorEntity.__init__(self, coordinator)
        SiteEntity.__init__(self, entry_id, description)

    @property
    def native_value(self) -> StateType | datetime:
        """Value from the latest storage reading."""
        return self.entity_description.value_fn(self.coordinator.data)

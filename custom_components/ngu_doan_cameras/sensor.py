"""Diagnostic sensors of each camera's watched stream: frame rate, bit rate, last frame, reconnects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfDataRate
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .data import NguDoanConfigEntry
from .engine.stats import StreamStats
from .entity import CameraEntity, add_camera_entities

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
        lambda coordinator, subentry: [CameraSensor(coordinator, subentry, description) for description in SENSORS],
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

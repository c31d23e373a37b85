"""Binary sensors of each camera: connectivity (does the camera deliver frames)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import NguDoanConfigEntry, camera_subentries
from .engine.stats import StreamStats
from .entity import CameraEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class CameraBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor computed from a camera's statistics."""

    is_on_fn: Callable[[StreamStats], bool]


BINARY_SENSORS: tuple[CameraBinarySensorDescription, ...] = (
    CameraBinarySensorDescription(
        key="connectivity",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda stats: stats.streaming,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of every camera of the site."""
    coordinator = entry.runtime_data.coordinator
    for subentry in camera_subentries(entry):
        async_add_entities(
            [CameraBinarySensor(coordinator, subentry, description) for description in BINARY_SENSORS],
            config_subentry_id=subentry.subentry_id,
        )


class CameraBinarySensor(CameraEntity, BinarySensorEntity):
    """A camera's binary sensor."""

    entity_description: CameraBinarySensorDescription

    @property
    def available(self) -> bool:
        """Connectivity must stay available to say 'disconnected'."""
        return self.coordinator.last_update_success

    @property
    def is_on(self) -> bool:
        """State from the camera's statistics."""
        return self.entity_description.is_on_fn(self.stats)

    @property
    def extra_state_attributes(self) -> dict[str, str] | None:
        """Why the camera is disconnected (a translatable reason key), while it is."""
        if self.stats.streaming or self.stats.error is None:
            return None
        return {"reason": self.stats.error.value}

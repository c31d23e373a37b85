"""Binary sensors of each camera: connectivity, motion, tamper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import SiteCoordinator
from .data import NguDoanConfigEntry
from .engine.tamper import TamperKind
from .entity import AvailableWhileDownMixin, CameraEntity, SiteEntity, add_camera_entities

PARALLEL_UPDATES = 0


def _tamper_kind(entity: CameraEntity) -> TamperKind | None:
    camera = entity.engine_camera
    if camera.video_lost:
        return TamperKind.VIDEO_LOST
    return camera.detection.tamper


def _motion_attributes(entity: CameraEntity) -> dict[str, Any] | None:
    started = entity.coordinator.motion_started.get(entity.camera_id)
    if not entity.engine_camera.detection.motion or started is None:
        return None
    return {"zone": started.zone, "score": started.score}


def _connectivity_attributes(entity: CameraEntity) -> dict[str, Any] | None:
    if entity.stats.streaming or entity.stats.error is None:
        return None
    return {"reason": entity.stats.error.value}


def _tamper_attributes(entity: CameraEntity) -> dict[str, Any] | None:
    kind = _tamper_kind(entity)
    return {"kind": kind.value} if kind else None


@dataclass(frozen=True, kw_only=True)
class CameraBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor computed from a camera's stream and detection state."""

    is_on_fn: Callable[[CameraEntity], bool]
    attributes_fn: Callable[[CameraEntity], dict[str, Any] | None] = lambda _entity: None
    # Available: "always" (says something about outages), "streaming", or "detecting" (streaming and on).
    available_when: str = "always"


BINARY_SENSORS: tuple[CameraBinarySensorDescription, ...] = (
    CameraBinarySensorDescription(
        key="connectivity",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda entity: entity.stats.streaming,
        attributes_fn=_connectivity_attributes,
    ),
    CameraBinarySensorDescription(
        key="motion",
        device_class=BinarySensorDeviceClass.MOTION,
        is_on_fn=lambda entity: entity.engine_camera.detection.motion,
        attributes_fn=_motion_attributes,
        available_when="detecting",
    ),
    CameraBinarySensorDescription(
        key="tamper",
        translation_key="tamper",
        device_class=BinarySensorDeviceClass.TAMPER,
        is_on_fn=lambda entity: _tamper_kind(entity) is not None,
        attributes_fn=_tamper_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of every camera of the site."""
    add_camera_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry: [
            CameraBinarySensor(coordinator, subentry, description) for description in BINARY_SENSORS
        ],
    )
    async_add_entities([RecordingProblemSensor(entry.runtime_data.coordinator, entry.entry_id, RECORDING_PROBLEM)])


class CameraBinarySensor(AvailableWhileDownMixin, BinarySensorEntity):
    """A camera's binary sensor."""

    entity_description: CameraBinarySensorDescription

    @property
    def available(self) -> bool:
        """Connectivity and tamper stay available to report outages; motion needs frames and detection on."""
        match self.entity_description.available_when:
            case "detecting":
                return self.camera_streaming and self.engine_camera.detection.settings.enabled
            case _:
                return super().available

    @property
    def is_on(self) -> bool:
        """State from the camera."""
        return self.entity_description.is_on_fn(self)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Why: the disconnection reason, the motion's zone and score, the tamper kind."""
        return self.entity_description.attributes_fn(self)


RECORDING_PROBLEM = BinarySensorEntityDescription(
    key="recording_problem",
    translation_key="recording_problem",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


class RecordingProblemSensor(CoordinatorEntity[SiteCoordinator], SiteEntity, BinarySensorEntity):
    """On while a camera that should record cannot: disk full or unwritable, main stream down, index lost."""

    def __init__(self, coordinator: SiteCoordinator, entry_id: str, description: BinarySensorEntityDescription) -> None:
        CoordinatorEntity.__init__(self, coordinator)
        SiteEntity.__init__(self, entry_id, description)

    @property
    def is_on(self) -> bool:
        """Some camera does not record as it should."""
        return bool(self.coordinator.recording_problems)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Which cameras, and why (storage, stream, index)."""
        site = self.coordinator.site
        return {
            "cameras": {
                site.camera(camera_id).config.name: problem.value
                for camera_id, problem in self.coordinator.recording_problems.items()
                if camera_id in site.cameras
            }
        }

"""Binary sensors of each camera: connectivity, motion, tamper, fire, flash, and loud sound (cameras with sound)."""

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
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import SiteCoordinator
from .data import NguDoanConfigEntry
from .engine.detection import DetectionSettings
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


def _fire_attributes(entity: CameraEntity) -> dict[str, Any] | None:
    started = entity.coordinator.fire_started.get(entity.camera_id)
    if not entity.engine_camera.detection.fire or started is None or started.fire is None:
        return None
    return {"size": started.fire.area}


def _flash_attributes(entity: CameraEntity) -> dict[str, Any] | None:
    started = entity.coordinator.flash_started.get(entity.camera_id)
    if not entity.engine_camera.detection.flash or started is None:
        return None
    return {"explosion": started.explosion}


def _sound_attributes(entity: CameraEntity) -> dict[str, Any] | None:
    started = entity.coordinator.sound_started.get(entity.camera_id)
    if not entity.engine_camera.detection.loud or started is None:
        return None
    return {"level": started.level}


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
    # While detecting, whether this detector is turned on in the camera's detection settings.
    turned_on_fn: Callable[[DetectionSettings], bool] = lambda _settings: True


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
    # A fire in view is unsafe: `safety` (on means unsafe). Not `smoke` or `heat`: it sees flames, not
    # smoke, and measures no temperature.
    CameraBinarySensorDescription(
        key="fire",
        translation_key="fire",
        device_class=BinarySensorDeviceClass.SAFETY,
        is_on_fn=lambda entity: entity.engine_camera.detection.fire,
        attributes_fn=_fire_attributes,
        available_when="detecting",
        turned_on_fn=lambda settings: settings.fire.enabled,
    ),
    # A flash is a moment, not a lasting state of danger, and no device class says "flash": none, with
    # its own name and icon. On for the off delay after each flash; `explosion` when a bang came with it.
    CameraBinarySensorDescription(
        key="flash",
        translation_key="flash",
        is_on_fn=lambda entity: entity.engine_camera.detection.flash,
        attributes_fn=_flash_attributes,
        available_when="detecting",
        turned_on_fn=lambda settings: settings.flash.enabled,
    ),
)

# Only for cameras whose stream carries sound: added once the stream says so.
SOUND_SENSOR = CameraBinarySensorDescription(
    key="sound",
    translation_key="loud_sound",
    device_class=BinarySensorDeviceClass.SOUND,
    is_on_fn=lambda entity: entity.engine_camera.detection.loud,
    attributes_fn=_sound_attributes,
    available_when="detecting",
    turned_on_fn=lambda settings: settings.sound.enabled,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of every camera of the site (the sound sensor once a camera's sound is heard)."""
    add_camera_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry: [
            CameraBinarySensor(coordinator, subentry, description) for description in BINARY_SENSORS
        ],
    )
    coordinator = entry.runtime_data.coordinator
    with_sound: set[str] = set()

    @callback
    def add_sound_sensor(camera_id: str) -> None:
        subentry = entry.subentries.get(camera_id)
        if subentry is None or camera_id in with_sound:
            return
        with_sound.add(camera_id)
        async_add_entities([CameraBinarySensor(coordinator, subentry, SOUND_SENSOR)], config_subentry_id=camera_id)

    for camera_id in sorted(coordinator.audio_cameras):
        add_sound_sensor(camera_id)
    entry.async_on_unload(coordinator.async_add_audio_listener(add_sound_sensor))
    async_add_entities([RecordingProblemSensor(entry.runtime_data.coordinator, entry.entry_id, RECORDING_PROBLEM)])


class CameraBinarySensor(AvailableWhileDownMixin, BinarySensorEntity):
    """A camera's binary sensor."""

    entity_description: CameraBinarySensorDescription

    @property
    def available(self) -> bool:
        """Connectivity and tamper stay available to report outages; motion needs frames and detection on."""
        match self.entity_description.available_when:
            case "detecting":
                settings = self.engine_camera.detection.settings
                return self.camera_streaming and settings.enabled and self.entity_description.turned_on_fn(settings)
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

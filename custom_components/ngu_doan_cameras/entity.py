"""Base entity: one device per camera, hanging off the site device."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_DETECTION, CONF_LOCATION, DOMAIN
from .coordinator import SiteCoordinator
from .data import NguDoanConfigEntry, camera_subentries, detection_options
from .engine.site import Camera
from .engine.stats import StreamStats
from .engine.urls import strip_credentials


class CameraEntity(CoordinatorEntity[SiteCoordinator]):
    """An entity of one camera. Available while its stream delivers frames."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: SiteCoordinator,
        subentry: ConfigSubentry,
        description: EntityDescription,
    ) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        self.camera_id = subentry.subentry_id
        self._attr_unique_id = f"{subentry.subentry_id}_{description.key}"
        config = self.engine_camera.config
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, subentry.subentry_id)},
            name=config.name,
            manufacturer="RTSP",
            model="IP camera",
            suggested_area=subentry.data.get(CONF_LOCATION) or None,
            via_device=(DOMAIN, coordinator.entry_id),
            configuration_url=_configuration_url(config.main_url),
        )

    @property
    def engine_camera(self) -> Camera:
        """The engine's camera behind this entity."""
        return self.coordinator.site.camera(self.camera_id)

    @property
    def stats(self) -> StreamStats:
        """Latest statistics of the camera's watched stream."""
        return self.coordinator.data[self.camera_id]

    def update_detection_option(self, key: str, value: object) -> None:
        """Store one detection option in the camera's subentry; the site applies it live."""
        self.update_camera_option(CONF_DETECTION, detection_options, key, value)

    def update_camera_option(
        self,
        section: str,
        defaults: Callable[[Mapping[str, Any] | None], dict[str, Any]],
        key: str,
        value: object,
    ) -> None:
        """Store one option of a section (detection, recording) in the camera's subentry; applied live."""
        entry = self.coordinator.config_entry
        assert entry is not None
        subentry = entry.subentries[self.camera_id]
        options = defaults(subentry.data.get(section))
        options[key] = value
        self.hass.config_entries.async_update_subentry(entry, subentry, data={**subentry.data, section: options})

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the new state, unless the camera was just removed (its entities are on their way out)."""
        if self.camera_id in self.coordinator.data:
            super()._handle_coordinator_update()

    @property
    def camera_streaming(self) -> bool:
        """The site runs and this camera delivers frames."""
        return self.coordinator.last_update_success and self.stats.streaming

    @property
    def available(self) -> bool:
        """Unavailable while the camera sends no frames (logged once per outage by the coordinator)."""
        return self.camera_streaming


def add_camera_entities(
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[SiteCoordinator, ConfigSubentry], Sequence[Entity]],
) -> None:
    """Add each camera's entities to its own subentry (removing the camera removes them).

    Cameras added later, while the site runs, get theirs through the same `make` (see updates.py).
    """
    coordinator = entry.runtime_data.coordinator

    def add(subentry: ConfigSubentry) -> None:
        async_add_entities(make(coordinator, subentry), config_subentry_id=subentry.subentry_id)

    entry.runtime_data.entity_adders.append(add)
    for subentry in camera_subentries(entry):
        add(subentry)


class AvailableWhileDownMixin(CameraEntity):
    """For entities that matter most when the camera is down (connectivity, tamper) or that set options."""

    @property
    def available(self) -> bool:
        """Available as long as the site runs."""
        return self.coordinator.last_update_success


def _configuration_url(stream_url: str) -> str | None:
    """The camera's web page, guessed from its stream's host (cameras and recorders serve one on :80)."""
    host = urlsplit(strip_credentials(stream_url)).hostname
    if not host:
        return None
    return f"http://[{host}]/" if ":" in host else f"http://{host}/"


class SiteEntity(Entity):
    """An entity of the site itself (on the site's device): storage, recording problems, alerts."""

    _attr_has_entity_name = True

    def __init__(self, entry_id: str, description: EntityDescription) -> None:
        self.entity_description = description
        self._attr_unique_id = f"{entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry_id)})

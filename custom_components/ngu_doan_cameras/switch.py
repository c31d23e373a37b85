"""Switch per camera: detection on or off (applied live, kept in the camera's settings)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_ENABLED
from .data import NguDoanConfigEntry
from .entity import AvailableWhileDownMixin, add_camera_entities

PARALLEL_UPDATES = 0

DETECTION_SWITCH = SwitchEntityDescription(
    key="detection", translation_key="detection", entity_category=EntityCategory.CONFIG
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the detection switch of every camera of the site."""
    add_camera_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry: [DetectionSwitch(coordinator, subentry, DETECTION_SWITCH)],
    )


class DetectionSwitch(AvailableWhileDownMixin, SwitchEntity):
    """Motion and tamper detection of a camera (settable while the camera is down too)."""

    @property
    def is_on(self) -> bool:
        """Detection runs."""
        return self.engine_camera.detection.settings.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn detection on (the view is learned again)."""
        self.update_detection_option(CONF_ENABLED, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn detection off."""
        self.update_detection_option(CONF_ENABLED, False)

"""Number per camera: motion sensitivity (applied live, kept in the camera's settings)."""

from __future__ import annotations

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_SENSITIVITY
from .data import NguDoanConfigEntry
from .entity import AvailableWhileDownMixin, add_camera_entities

PARALLEL_UPDATES = 0

SENSITIVITY = NumberEntityDescription(
    key="sensitivity",
    translation_key="sensitivity",
    entity_category=EntityCategory.CONFIG,
    native_min_value=1,
    native_max_value=100,
    native_step=1,
    mode=NumberMode.SLIDER,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensitivity of every camera of the site."""
    add_camera_entities(
        entry, async_add_entities, lambda coordinator, subentry: [SensitivityNumber(coordinator, subentry, SENSITIVITY)]
    )


class SensitivityNumber(AvailableWhileDownMixin, NumberEntity):
    """How small a change counts as motion: 1 only big clear changes, 100 every small change."""

    @property
    def native_value(self) -> float:
        """Current sensitivity."""
        return float(self.engine_camera.detection.settings.motion.sensitivity)

    async def async_set_native_value(self, value: float) -> None:
        """Set the sensitivity."""
        self.update_detection_option(CONF_SENSITIVITY, round(value))

"""Select per camera: what it records (off, continuous, events only), applied live."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_RECORD_MODE, CONF_RECORDING, RECORD_MODES
from .data import NguDoanConfigEntry, camera_recording_options
from .entity import AvailableWhileDownMixin, add_camera_entities

PARALLEL_UPDATES = 0

RECORDING_MODE = SelectEntityDescription(
    key="recording_mode",
    translation_key="recording_mode",
    entity_category=EntityCategory.CONFIG,
    options=list(RECORD_MODES),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the recording mode of every camera of the site."""
    add_camera_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry: [RecordingModeSelect(coordinator, subentry, RECORDING_MODE)],
    )


class RecordingModeSelect(AvailableWhileDownMixin, SelectEntity):
    """What the camera records; a choice here overrides the site's default for this camera."""

    @property
    def current_option(self) -> str:
        """The mode in effect (the site's default when the camera follows it)."""
        return self.engine_camera.config.recording.mode.value

    async def async_select_option(self, option: str) -> None:
        """Record this way from now on (the other cameras are not touched)."""
        self.update_camera_option(CONF_RECORDING, camera_recording_options, CONF_RECORD_MODE, option)

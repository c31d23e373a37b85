"""Camera entities: live view from the main stream (Home Assistant's `stream`), stills from the shared reader."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.camera import Camera, CameraEntityDescription, CameraEntityFeature
from homeassistant.components.stream import CONF_RTSP_TRANSPORT
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SiteCoordinator
from .data import NguDoanConfigEntry
from .engine.errors import StreamError
from .engine.site import CameraConfig
from .entity import CameraEntity, add_camera_entities

_LOGGER = logging.getLogger(__name__)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class StreamCameraDescription(CameraEntityDescription):
    """Which stream a camera entity plays."""

    stream_url: Callable[[CameraConfig], str | None]


CAMERAS: tuple[StreamCameraDescription, ...] = (
    StreamCameraDescription(key="main", name=None, stream_url=lambda config: config.main_url),
    StreamCameraDescription(
        key="sub",
        translation_key="sub_stream",
        entity_registry_enabled_default=False,
        stream_url=lambda config: config.sub_url,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NguDoanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the camera entities of every camera of the site."""
    add_camera_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry: [
            StreamCamera(coordinator, subentry, description)
            for description in CAMERAS
            if description.stream_url(coordinator.site.camera(subentry.subentry_id).config)
        ],
    )


class StreamCamera(CameraEntity, Camera):
    """A camera of the site."""

    entity_description: StreamCameraDescription
    _attr_supported_features = CameraEntityFeature.STREAM

    def __init__(
        self, coordinator: SiteCoordinator, subentry: ConfigSubentry, description: StreamCameraDescription
    ) -> None:
        CameraEntity.__init__(self, coordinator, subentry, description)
        Camera.__init__(self)
        # TCP: no lost UDP packets (no grey smears), one port through the commune's routers.
        self.stream_options[CONF_RTSP_TRANSPORT] = "tcp"

    @callback
    def _handle_coordinator_update(self) -> None:
        """A live view that is open follows the camera to its new stream address or credentials."""
        if self.stream is not None and self.camera_id in self.coordinator.data:
            config = self.engine_camera.config
            url = self.entity_description.stream_url(config)
            source = config.authenticated(url) if url else None
            if source and source != self.stream.source:
                self.stream.update_source(source)
        super()._handle_coordinator_update()

    @property
    def available(self) -> bool:
        """Also available while the stream is down if the camera has its own snapshot URL."""
        if self.engine_camera.config.still_url:
            return self.coordinator.last_update_success
        return self.camera_streaming

    @property
    def is_recording(self) -> bool:
        """The main stream's camera records while a segment or an event clip is being written."""
        return self.entity_description.key == "main" and self.engine_camera.recording_active

    async def stream_source(self) -> str | None:
        """The stream with credentials, for Home Assistant's live view (never shown to users)."""
        config = self.engine_camera.config
        url = self.entity_description.stream_url(config)
        return config.authenticated(url) if url else None

    async def async_camera_image(self, width: int | None = None, height: int | None = None) -> bytes | None:
        """Newest frame of the shared reader as JPEG, encoded in an executor once per new frame."""
        try:
            return await self.hass.async_add_executor_job(self.engine_camera.still_image, width, height)
        except StreamError as err:
            _LOGGER.debug("No still image from %s: %s", self.engine_camera.config.name, err)
            return None

"""Entity ids of a camera's entities, looked up from their unique ids (users may rename them)."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN


def camera_entity_id(hass: HomeAssistant, platform: Platform, camera_id: str, key: str) -> str | None:
    """The entity id of the camera's entity `key` on `platform` (unique id `<camera id>_<key>`), if registered."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{camera_id}_{key}")


def main_camera_entity_id(hass: HomeAssistant, camera_id: str) -> str | None:
    """The camera entity of the main stream (what live view and recording target)."""
    return camera_entity_id(hass, Platform.CAMERA, camera_id, "main")

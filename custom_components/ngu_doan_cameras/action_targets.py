"""What the actions share: how an action is declared, and who and what it acts on.

An action names a camera by any entity of it (its camera, its motion sensor); `camera_of` finds the
loaded site and the camera, or raises the translated error an automation can step over.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .data import NguDoanConfigEntry


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action of the integration."""

    name: str
    schema: vol.Schema
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]
    supports_response: SupportsResponse = SupportsResponse.NONE


def camera_of(hass: HomeAssistant, entity_id: str | None) -> tuple[NguDoanConfigEntry, str]:
    """The loaded site and the camera id of any entity of one of its cameras."""
    entity = er.async_get(hass).async_get(entity_id) if entity_id else None
    if entity is None or entity.platform != DOMAIN or not entity.config_subentry_id or not entity.config_entry_id:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="camera_not_found",
            translation_placeholders={"entity_id": str(entity_id)},
        )
    entry: NguDoanConfigEntry | None = hass.config_entries.async_get_entry(entity.config_entry_id)
    if (
        entry is None
        or entry.state is not ConfigEntryState.LOADED
        or entity.config_subentry_id not in entry.runtime_data.site.cameras
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="site_not_loaded",
            translation_placeholders={"entity_id": str(entity_id)},
        )
    return entry, entity.config_subentry_id


async def async_user_of(hass: HomeAssistant, context: Context) -> tuple[str | None, str | None]:
    """Who is acting: the user behind the context (none for an automation)."""
    if context.user_id is None:
        return None, None
    user = await hass.auth.async_get_user(context.user_id)
    return context.user_id, user.name if user else None

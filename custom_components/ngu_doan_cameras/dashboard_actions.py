"""The `create_dashboard` action: the site's duty dashboard in Home Assistant's dashboards, in one step.

It goes through Lovelace's own dashboards collection (`DashboardsCollection`, the one the
*Settings → Dashboards* page edits): a new dashboard is an item created there, which makes Lovelace
register its panel and its `LovelaceStorage`; an existing one is updated in place and its
configuration saved again. Calling it again changes nothing but what the site changed: the same
address, no second dashboard.

Home Assistant keeps that collection to itself (a local of `lovelace.async_setup`); the only handle
on it is its websocket API, whose `lovelace/dashboards/list` command is a method of the collection's
websocket object. A second `DashboardsCollection` on the same store would not do: Lovelace would
never see its items and would write them away with its next change.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Final

import voluptuous as vol
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.components.lovelace.dashboard import (
    DashboardsCollection,
    DashboardsCollectionWebSocket,
    LovelaceStorage,
)
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .action_targets import ActionSpec
from .const import DOMAIN
from .dashboard import ICON, build_dashboard, dashboard_url_path
from .dashboard_text import LANGUAGES, dashboard_text, language_of
from .data import NguDoanConfigEntry

_LOGGER = logging.getLogger(__name__)

SERVICE_CREATE_DASHBOARD: Final = "create_dashboard"
DASHBOARDS_LIST_COMMAND: Final = "lovelace/dashboards/list"
WEBSOCKET_DOMAIN: Final = "websocket_api"

CREATE_DASHBOARD_SCHEMA: Final = vol.Schema(
    {
        vol.Optional("site"): vol.Any(None, str),
        vol.Optional("language"): vol.Any(None, vol.In(LANGUAGES)),
    }
)


async def _async_create_dashboard(call: ServiceCall) -> ServiceResponse:
    """Create or update the duty dashboard of one site (`site`: its entry id) or of every site."""
    hass = call.hass
    entries = _sites(hass, call.data.get("site") or None)
    collection = _dashboards_collection(hass)
    language = language_of(call.data.get("language") or hass.config.language)
    several = len(hass.config_entries.async_loaded_entries(DOMAIN)) > 1
    answers: list[Any] = [
        await async_install_dashboard(hass, collection, entry, language, several=several) for entry in entries
    ]
    return {"dashboards": answers}


def _sites(hass: HomeAssistant, entry_id: str | None) -> list[NguDoanConfigEntry]:
    """The loaded site asked for, or every loaded site; a translated error when there is none."""
    loaded: list[NguDoanConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if entry_id is None:
        if not loaded:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_site_loaded")
        return loaded
    for entry in loaded:
        if entry.entry_id == entry_id:
            return [entry]
    other = hass.config_entries.async_get_entry(entry_id)
    known = other is not None and other.domain == DOMAIN
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="site_not_loaded_dashboard" if known else "site_not_found",
        translation_placeholders={"site": entry_id},
    )


def _dashboards_collection(hass: HomeAssistant) -> DashboardsCollection:
    """Lovelace's own dashboards collection, found through its websocket command (see the module's doc)."""
    if LOVELACE_DATA in hass.data:
        handlers: dict[str, tuple[Any, Any]] = hass.data.get(WEBSOCKET_DOMAIN, {})
        handler = handlers.get(DASHBOARDS_LIST_COMMAND, (None, None))[0]
        owner = getattr(inspect.unwrap(handler), "__self__", None) if handler else None
        if isinstance(owner, DashboardsCollectionWebSocket) and isinstance(
            owner.storage_collection, DashboardsCollection
        ):
            return owner.storage_collection
    raise HomeAssistantError(translation_domain=DOMAIN, translation_key="dashboards_unavailable")


async def async_install_dashboard(
    hass: HomeAssistant,
    collection: DashboardsCollection,
    entry: NguDoanConfigEntry,
    language: str,
    *,
    several: bool = False,
) -> dict[str, Any]:
    """Create the site's dashboard, or bring the existing one up to date; what was done."""
    url_path = dashboard_url_path(entry)
    title = dashboard_text(language, "title")
    item_data = {"title": f"{title} - {entry.title}" if several else title, "icon": ICON, "show_in_sidebar": True}
    existing = next((item for item in collection.async_items() if item.get("url_path") == url_path), None)
    try:
        if existing is None:
            await collection.async_create_item({**item_data, "url_path": url_path, "require_admin": False})
        elif any(existing.get(key) != value for key, value in item_data.items()):
            await collection.async_update_item(existing["id"], item_data)
    except vol.Invalid as err:  # the address is taken by another panel
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="dashboard_path_taken",
            translation_placeholders={"url_path": url_path},
        ) from err
    store = hass.data[LOVELACE_DATA].dashboards.get(url_path)
    if not isinstance(store, LovelaceStorage):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="dashboard_path_taken",
            translation_placeholders={"url_path": url_path},
        )
    config = build_dashboard(hass, entry, language)
    changed = existing is None or await _stored_config(store) != config
    if changed:
        await store.async_save(config)
        _LOGGER.info("Duty dashboard of %s saved at /%s", entry.title, url_path)
    return {
        "site": entry.title,
        "url_path": url_path,
        "created": existing is None,
        "changed": changed,
        "cameras": sum(1 for view in config["views"] if view.get("subview")),
    }


async def _stored_config(store: LovelaceStorage) -> dict[str, Any] | None:
    """The dashboard's saved configuration (None when it has none yet)."""
    info = await store.async_get_info()
    if info.get("mode") == "auto-gen":
        return None
    return await store.async_load(False)


DASHBOARD_ACTIONS: Final[tuple[ActionSpec, ...]] = (
    ActionSpec(SERVICE_CREATE_DASHBOARD, CREATE_DASHBOARD_SCHEMA, _async_create_dashboard, SupportsResponse.OPTIONAL),
)

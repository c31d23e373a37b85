"""The duty dashboard's custom cards, shipped in the integration and loaded by it (no separate install).

`frontend/ngu-doan-cards.js` is served under `CARDS_URL` and added to every page of Home Assistant's
frontend as an extra module, so the dashboard's `custom:ngu-doan-*` cards work right after the
integration is installed. The URL carries the file's hash: browsers cache the file, and a new version
of the integration is a new URL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant

from .const import DOMAIN

CARDS_FILE: Final = Path(__file__).parent / "frontend" / "ngu-doan-cards.js"
CARDS_URL: Final = f"/{DOMAIN}/frontend/ngu-doan-cards.js"


async def async_register_cards(hass: HomeAssistant) -> str:
    """Serve the cards and have the frontend load them; the URL the frontend loads."""
    digest = await hass.async_add_executor_job(_file_hash, CARDS_FILE)
    await hass.http.async_register_static_paths([StaticPathConfig(CARDS_URL, str(CARDS_FILE), cache_headers=True)])
    url = f"{CARDS_URL}?v={digest}"
    # Without the frontend (a headless installation) there is no page to load them into.
    if DATA_EXTRA_MODULE_URL in hass.data:
        add_extra_js_url(hass, url)
    return url


def _file_hash(path: Path) -> str:
    """A short hash of the file's content. Blocking."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]

"""The blueprints shipped inside the integration, installed into Home Assistant's blueprint folder.

HACS installs only the integration's folder, so the blueprints travel in it (`blueprints/`, the same
files as the repository's top-level `blueprints/`) and are copied to
`<config>/blueprints/automation/ngu_doan_cameras/` when Home Assistant has started: after the
automation integration has filled that folder with its own examples (it only does so when the
folder does not exist yet). A file already there is never overwritten: it may have been edited.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.start import async_at_started

_LOGGER = logging.getLogger(__name__)

SHIPPED: Final = Path(__file__).parent / "blueprints"


@callback
def async_install_blueprints(hass: HomeAssistant) -> None:
    """Install the missing blueprints once Home Assistant has started (file copies in the executor)."""

    async def async_install(hass: HomeAssistant) -> None:
        installed = await hass.async_add_executor_job(install_missing, SHIPPED, Path(hass.config.path("blueprints")))
        for path in installed:
            _LOGGER.info("Installed blueprint %s", path)

    async_at_started(hass, async_install)


def install_missing(source: Path, target: Path) -> list[Path]:
    """Copy every blueprint under `source` that `target` lacks (same relative path). Blocking."""
    installed: list[Path] = []
    for blueprint in sorted(source.rglob("*.yaml")):
        destination = target / blueprint.relative_to(source)
        if destination.exists():
            continue
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(blueprint, destination)
        except OSError as err:
            # A read-only config folder: the blueprints can still be imported from the README's buttons.
            _LOGGER.warning("Cannot install blueprint %s: %s", destination, err.strerror or err)
            continue
        installed.append(destination)
    return installed

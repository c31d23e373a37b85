"""What a loaded site keeps at runtime, and how camera settings become engine settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_USERNAME

from .const import CONF_MAIN_URL, CONF_STILL_URL, CONF_SUB_URL, SUBENTRY_CAMERA
from .engine.site import CameraConfig, Site

if TYPE_CHECKING:
    from .coordinator import SiteCoordinator


@dataclass(slots=True)
class SiteData:
    """Kept in `entry.runtime_data` while the site is loaded."""

    site: Site
    coordinator: SiteCoordinator


type NguDoanConfigEntry = ConfigEntry[SiteData]


def camera_config(subentry: ConfigSubentry) -> CameraConfig:
    """Engine view of one camera subentry."""
    data = subentry.data
    return CameraConfig(
        camera_id=subentry.subentry_id,
        name=data.get(CONF_NAME) or subentry.title,
        main_url=data[CONF_MAIN_URL],
        sub_url=data.get(CONF_SUB_URL) or None,
        still_url=data.get(CONF_STILL_URL) or None,
        username=data.get(CONF_USERNAME) or None,
        password=data.get(CONF_PASSWORD) or None,
    )


def camera_subentries(entry: ConfigEntry) -> list[ConfigSubentry]:
    """The entry's camera subentries."""
    return [sub for sub in entry.subentries.values() if sub.subentry_type == SUBENTRY_CAMERA]

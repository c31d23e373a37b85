"""What a loaded site keeps at runtime, and how camera settings become engine settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_USERNAME

from .const import (
    CONF_DETECTION,
    CONF_ENABLED,
    CONF_FIRE,
    CONF_FLASH,
    CONF_FRAME_TIMEOUT,
    CONF_LOCATION,
    CONF_MAIN_URL,
    CONF_MASKS,
    CONF_MAX_EXPORT_HOURS,
    CONF_MAX_FPS,
    CONF_MIN_FREE_GB,
    CONF_MIN_SIZE,
    CONF_MOTION_CLIPS,
    CONF_OFF_DELAY,
    CONF_POST_ROLL,
    CONF_PRE_ROLL,
    CONF_QUOTA_GB,
    CONF_RECORD_MODE,
    CONF_RECORDING,
    CONF_RETENTION_DAYS,
    CONF_SEGMENT_SECONDS,
    CONF_SENSITIVITY,
    CONF_SOUND,
    CONF_SOUND_LEVEL,
    CONF_STILL_URL,
    CONF_SUB_URL,
    CONF_ZONES,
    DEFAULT_CAMERA_RECORDING,
    DEFAULT_DETECTION,
    DEFAULT_FRAME_TIMEOUT,
    DEFAULT_SITE_RECORDING,
    LEGACY_RECORD_MODE,
    RECORD_MODE_SITE,
    STREAM_OPEN_TIMEOUT,
    SUBENTRY_CAMERA,
)
from .engine.detection import DetectionSettings
from .engine.fire import FireSettings
from .engine.flash import FlashSettings
from .engine.geometry import PolygonError, parse_polygons, parse_zones
from .engine.motion import MotionSettings
from .engine.reader import ReaderSettings
from .engine.recording import (
    CameraRecordingSettings,
    Recorder,
    RecorderSettings,
    RecordingMode,
    RetentionSettings,
)
from .engine.site import CameraConfig, Site
from .engine.sound import SoundSettings

if TYPE_CHECKING:
    from .alert_log import AlertLog
    from .coordinator import SiteCoordinator
    from .recording import StorageCoordinator

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class SiteData:
    """Kept in `entry.runtime_data` while the site is loaded."""

    site: Site
    coordinator: SiteCoordinator
    alerts: AlertLog  # the site's alert log (kept across restarts)
    recorder: Recorder  # shared by every site (recording.py)
    storage: StorageCoordinator
    # One per entity platform: adds that platform's entities for a camera added while the site runs.
    entity_adders: list[Callable[[ConfigSubentry], None]] = field(default_factory=list)
    # Changes to the entry are applied one batch at a time (see updates.py).
    update_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    update_pending: bool = False


type NguDoanConfigEntry = ConfigEntry[SiteData]


def camera_config(entry: ConfigEntry, subentry: ConfigSubentry) -> CameraConfig:
    """Engine view of one camera subentry of `entry`."""
    data = subentry.data
    own = camera_recording_options(subentry.data.get(CONF_RECORDING))
    return CameraConfig(
        recording=recording_settings(site_recording_options(entry), own),
        motion_clips=bool(own[CONF_MOTION_CLIPS]),
        site=entry.title,
        camera_id=subentry.subentry_id,
        name=data.get(CONF_NAME) or subentry.title,
        location=data.get(CONF_LOCATION) or "",
        main_url=data[CONF_MAIN_URL],
        sub_url=data.get(CONF_SUB_URL) or None,
        still_url=data.get(CONF_STILL_URL) or None,
        username=data.get(CONF_USERNAME) or None,
        password=data.get(CONF_PASSWORD) or None,
        detection=detection_settings(data.get(CONF_DETECTION)),
    )


def site_recording_options(entry: ConfigEntry) -> dict[str, Any]:
    """The site's recording defaults and limits, with defaults filled in."""
    stored = entry.options.get(CONF_RECORDING)
    if stored is None:  # a site made before recording existed
        return {**DEFAULT_SITE_RECORDING, CONF_RECORD_MODE: LEGACY_RECORD_MODE}
    return {**DEFAULT_SITE_RECORDING, **stored}


def camera_recording_options(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A camera's own recording choices (its mode may be the site's), with defaults filled in."""
    return {**DEFAULT_CAMERA_RECORDING, **(data or {})}


def recording_settings(site: Mapping[str, Any], camera: Mapping[str, Any]) -> CameraRecordingSettings:
    """Engine recording settings of a camera: its own mode, or the site's; the site's timings."""
    mode = camera[CONF_RECORD_MODE]
    return CameraRecordingSettings(
        mode=RecordingMode(site[CONF_RECORD_MODE] if mode == RECORD_MODE_SITE else mode),
        segment_seconds=float(site[CONF_SEGMENT_SECONDS]),
        pre_roll_seconds=float(site[CONF_PRE_ROLL]),
        post_roll_seconds=float(site[CONF_POST_ROLL]),
    )


def recorder_settings(sites: Iterable[Mapping[str, Any]]) -> RecorderSettings:
    """Storage limits of the media folder, which every site records into: the most careful of them.

    Footage is kept as long as the longest-keeping site asks, within the smallest quota and above the
    largest free-space floor any site sets.
    """
    sites = list(sites) or [DEFAULT_SITE_RECORDING]
    quotas = [float(site[CONF_QUOTA_GB]) for site in sites if float(site[CONF_QUOTA_GB]) > 0]
    return RecorderSettings(
        retention=RetentionSettings(
            keep_days=max(float(site[CONF_RETENTION_DAYS]) for site in sites),
            quota_gb=min(quotas) if quotas else None,
            min_free_gb=max(float(site[CONF_MIN_FREE_GB]) for site in sites),
        ),
        max_export_seconds=max(float(site[CONF_MAX_EXPORT_HOURS]) for site in sites) * 3600.0,
    )


def reader_settings(entry: ConfigEntry) -> ReaderSettings:
    """How the site's readers connect and when a camera counts as lost (the frame timeout)."""
    return ReaderSettings(
        open_timeout=STREAM_OPEN_TIMEOUT,
        read_timeout=float(entry.options.get(CONF_FRAME_TIMEOUT, DEFAULT_FRAME_TIMEOUT)),
    )


def detection_options(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A camera's detection options with defaults filled in.

    Keys of older versions are left out: `min_area` (a share of the zone) gave way to `min_size` (pixels
    of the stream), which cannot be worked out from it without the stream's size; the default applies.
    """
    return DEFAULT_DETECTION | {key: value for key, value in (data or {}).items() if key in DEFAULT_DETECTION}


def detection_settings(data: Mapping[str, Any] | None) -> DetectionSettings:
    """Engine detection settings from a camera's stored options (validated when they were saved)."""
    options = detection_options(data)
    return DetectionSettings(
        enabled=bool(options[CONF_ENABLED]),
        motion=MotionSettings(
            sensitivity=int(options[CONF_SENSITIVITY]),
            min_size=int(options[CONF_MIN_SIZE]),
            zones=tuple(_stored_polygons(parse_zones, options[CONF_ZONES], "zones")),
            masks=tuple(_stored_polygons(parse_polygons, options[CONF_MASKS], "masks")),
        ),
        fire=FireSettings(enabled=bool(options[CONF_FIRE])),
        flash=FlashSettings(enabled=bool(options[CONF_FLASH])),
        sound=SoundSettings(enabled=bool(options[CONF_SOUND]), threshold_db=float(options[CONF_SOUND_LEVEL])),
        off_delay=float(options[CONF_OFF_DELAY]),
        max_fps=float(options[CONF_MAX_FPS]),
    )


def _stored_polygons[T](parse: Callable[[str], list[T]], text: str, what: str) -> list[T]:
    """Stored zones or masks; text saved before today's limits is ignored with a warning, never a failed setup."""
    try:
        return parse(text)
    except PolygonError as err:
        _LOGGER.warning("Ignoring stored detection %s that can no longer be read (%s); set them again", what, err)
        return []


def camera_subentries(entry: ConfigEntry) -> list[ConfigSubentry]:
    """The entry's camera subentries."""
    return [sub for sub in entry.subentries.values() if sub.subentry_type == SUBENTRY_CAMERA]

"""Constants of the Ngũ Đoan cameras integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "ngu_doan_cameras"

# Site entry
CONF_SITE_NAME: Final = "site_name"
CONF_FRAME_TIMEOUT: Final = "frame_timeout"
DEFAULT_FRAME_TIMEOUT: Final = 5  # seconds without frames before a camera counts as disconnected
MIN_FRAME_TIMEOUT: Final = 2
MAX_FRAME_TIMEOUT: Final = 60

# Texts typed into the forms (names shown on the dashboard, in events and areas; credentials sent to cameras).
MAX_NAME_LENGTH: Final = 100
MAX_CREDENTIAL_LENGTH: Final = 256

# Camera subentry
SUBENTRY_CAMERA: Final = "camera"
CONF_LOCATION: Final = "location"
CONF_MAIN_URL: Final = "main_url"
CONF_SUB_URL: Final = "sub_url"
CONF_STILL_URL: Final = "still_url"

# NVR step
CONF_VENDOR: Final = "vendor"
CONF_MAIN_TEMPLATE: Final = "main_template"
CONF_SUB_TEMPLATE: Final = "sub_template"
CONF_CHANNELS: Final = "channels"
CONF_NAME_PREFIX: Final = "name_prefix"
VENDOR_CUSTOM: Final = "custom"
MAX_CHANNELS: Final = 64
DEFAULT_RTSP_PORT: Final = 554

# How long a flow waits for a camera to answer with video.
PROBE_TIMEOUT: Final = 10.0
STREAM_OPEN_TIMEOUT: Final = 10.0

# Statistics refresh; state changes (connected, lost) are pushed at once, not polled.
STATS_INTERVAL: Final = timedelta(seconds=5)
# A camera down this long (or down for a reason that will not heal by itself) gets a repair issue.
REPAIR_AFTER: Final = timedelta(minutes=5)

# Detection settings of a camera (kept in its subentry under CONF_DETECTION)
CONF_DETECTION: Final = "detection"
CONF_ENABLED: Final = "enabled"
CONF_SENSITIVITY: Final = "sensitivity"
CONF_MIN_SIZE: Final = "min_size"  # pixels of the watched stream a moving object must cover
CONF_FIRE: Final = "fire"  # fire detection on
CONF_FLASH: Final = "flash"  # flash (blast, firecracker) detection on
CONF_SOUND: Final = "sound"  # loud sound detection on (cameras with sound)
CONF_SOUND_LEVEL: Final = "sound_level"  # dB above the usual level that counts as loud
CONF_OFF_DELAY: Final = "off_delay"
CONF_MAX_FPS: Final = "max_fps"
CONF_ZONES: Final = "zones"
CONF_MASKS: Final = "masks"
DEFAULT_DETECTION: Final = {
    CONF_ENABLED: True,
    CONF_SENSITIVITY: 50,
    CONF_MIN_SIZE: 60,
    CONF_OFF_DELAY: 5,
    CONF_MAX_FPS: 5,
    CONF_ZONES: "",
    CONF_MASKS: "",
    CONF_FIRE: True,
    CONF_FLASH: True,
    CONF_SOUND: True,
    CONF_SOUND_LEVEL: 20,
}

EVENT_MOTION: Final = f"{DOMAIN}_motion"
EVENT_FIRE: Final = f"{DOMAIN}_fire"
EVENT_FLASH: Final = f"{DOMAIN}_flash"
# Detection snapshots (motion, fire, flash): under the media folder, so the media browser shows them and
# notifications can attach them.
SNAPSHOT_FOLDER: Final = "ngu_doan_cameras/motion"
SNAPSHOTS_KEPT_PER_CAMERA: Final = 500

# Recording. Site options keep the site's defaults and storage limits (a section of the options form,
# stored under CONF_RECORDING); a camera's subentry keeps its own mode and motion clips (CONF_RECORDING).
CONF_RECORDING: Final = "recording"
CONF_RECORD_MODE: Final = "mode"
RECORD_MODE_SITE: Final = "site"  # a camera that follows the site's default mode
RECORD_MODES: Final = ("off", "continuous", "events")
CONF_MOTION_CLIPS: Final = "motion_clips"
CONF_RETENTION_DAYS: Final = "retention_days"
CONF_QUOTA_GB: Final = "quota_gb"  # 0: no quota
CONF_MIN_FREE_GB: Final = "min_free_gb"
CONF_SEGMENT_SECONDS: Final = "segment_seconds"
CONF_PRE_ROLL: Final = "pre_roll"
CONF_POST_ROLL: Final = "post_roll"
CONF_MAX_EXPORT_HOURS: Final = "max_export_hours"
# What a new site starts with: it records like the station's recorder.
DEFAULT_SITE_RECORDING: Final = {
    CONF_RECORD_MODE: "continuous",
    CONF_RETENTION_DAYS: 14,
    CONF_QUOTA_GB: 0,
    CONF_MIN_FREE_GB: 2,
    CONF_SEGMENT_SECONDS: 60,
    CONF_PRE_ROLL: 10,
    CONF_POST_ROLL: 10,
    CONF_MAX_EXPORT_HOURS: 4,
}
# A site made before recording existed records nothing until someone turns it on (no disk fills by surprise).
LEGACY_RECORD_MODE: Final = "off"
DEFAULT_CAMERA_RECORDING: Final = {CONF_RECORD_MODE: RECORD_MODE_SITE, CONF_MOTION_CLIPS: True}
# How often storage figures (used, free, oldest) are read from disk and the index.
STORAGE_INTERVAL: Final = timedelta(seconds=60)

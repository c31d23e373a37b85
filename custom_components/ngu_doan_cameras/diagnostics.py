"""Diagnostics: configuration and live stream state of a site, with credentials redacted."""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_MAIN_URL, CONF_STILL_URL, CONF_SUB_URL
from .data import NguDoanConfigEntry
from .engine.urls import redact_url

TO_REDACT = {CONF_PASSWORD, CONF_USERNAME}


def _camera_data(data: dict[str, Any]) -> dict[str, Any]:
    redacted: dict[str, Any] = async_redact_data(data, TO_REDACT)
    for key in (CONF_MAIN_URL, CONF_SUB_URL, CONF_STILL_URL):
        if redacted.get(key):
            redacted[key] = redact_url(redacted[key])  # stored without credentials; belt and braces
    return redacted


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: NguDoanConfigEntry) -> dict[str, Any]:
    """What a maintainer needs to see why a camera does not stream."""
    site = entry.runtime_data.site
    cameras = {}
    for subentry in entry.subentries.values():
        camera = site.cameras.get(subentry.subentry_id)
        cameras[subentry.subentry_id] = {
            "title": subentry.title,
            "config": _camera_data(dict(subentry.data)),
            "watching": "sub" if camera and camera.config.sub_url else "main",
            "stream": {key: str(value) if value is not None else None for key, value in asdict(camera.stats).items()}
            if camera
            else None,
            "still_images_encoded": camera.stills.encodes if camera else 0,
            "detection": {
                "enabled": camera.detection.settings.enabled,
                "motion": camera.detection.motion,
                "tamper": camera.detection.tamper,
                "frames_judged": camera.detection.frames_judged,
            }
            if camera
            else None,
            "recording": _plain(asdict(camera.recording.status)) if camera and camera.recording else None,
            "recording_problem": entry.runtime_data.coordinator.recording_problems.get(subentry.subentry_id),
        }
    recorder = entry.runtime_data.recorder.status
    return {
        "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
        "cameras": cameras,
        # Shared by every site (one media folder): the queue, the index, what retention did last.
        "recorder": _plain(
            {
                "running": recorder.running,
                "queue_pending": recorder.queue_pending,
                "queue_overflows": recorder.queue_overflows,
                "io_failures": recorder.io_failures,
                "index_error": recorder.index_error,
                "last_retention": asdict(recorder.last_retention) if recorder.last_retention else None,
                "last_rebuild": asdict(recorder.last_rebuild) if recorder.last_rebuild else None,
            }
        ),
    }


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Enums as their values (the diagnostics file is JSON)."""
    return {key: value.value if isinstance(value, Enum) else value for key, value in data.items()}

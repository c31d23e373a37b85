"""The recording forms: the site's defaults and limits (options), and a camera's own choice (reconfigure).

Every value has bounds that the schema enforces; NaN, which Home Assistant's number selector lets
through, is refused by the coercion to int.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.helpers import selector

from .const import (
    CONF_MAX_EXPORT_HOURS,
    CONF_MIN_FREE_GB,
    CONF_MOTION_CLIPS,
    CONF_POST_ROLL,
    CONF_PRE_ROLL,
    CONF_QUOTA_GB,
    CONF_RECORD_MODE,
    CONF_RETENTION_DAYS,
    CONF_SEGMENT_SECONDS,
    RECORD_MODE_SITE,
    RECORD_MODES,
)

# (key, low, high, step, unit): the site's recording numbers.
_SITE_NUMBERS: tuple[tuple[str, float, float, float, str], ...] = (
    (CONF_RETENTION_DAYS, 1, 365, 1, "d"),
    (CONF_QUOTA_GB, 0, 100_000, 1, "GB"),
    (CONF_MIN_FREE_GB, 0, 10_000, 1, "GB"),
    (CONF_SEGMENT_SECONDS, 10, 600, 5, "s"),
    (CONF_PRE_ROLL, 0, 60, 1, "s"),
    (CONF_POST_ROLL, 0, 300, 1, "s"),
    (CONF_MAX_EXPORT_HOURS, 1, 72, 1, "h"),
)


def _mode_selector(options: list[str]) -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options, translation_key="record_mode", mode=selector.SelectSelectorMode.DROPDOWN
        )
    )


def _bounded(low: float, high: float, step: float, unit: str) -> vol.All:
    return vol.All(
        selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=low, max=high, step=step, unit_of_measurement=unit, mode=selector.NumberSelectorMode.BOX
            )
        ),
        vol.Coerce(int),
        vol.Range(min=low, max=high),
    )


def site_recording_schema(current: Mapping[str, Any]) -> vol.Schema:
    """The recording section of the site's options, filled with what is set now."""
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_RECORD_MODE, default=current[CONF_RECORD_MODE]): _mode_selector(list(RECORD_MODES))
    }
    for key, low, high, step, unit in _SITE_NUMBERS:
        fields[vol.Required(key, default=current[key])] = _bounded(low, high, step, unit)
    return vol.Schema(fields)


def site_recording_form_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """What the options store of the recording section."""
    data: dict[str, Any] = {CONF_RECORD_MODE: str(user_input[CONF_RECORD_MODE])}
    data.update({key: int(user_input[key]) for key, *_ in _SITE_NUMBERS})
    return data


CAMERA_RECORDING_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_RECORD_MODE): _mode_selector([RECORD_MODE_SITE, *RECORD_MODES]),
        vol.Required(CONF_MOTION_CLIPS): selector.BooleanSelector(),
    }
)


def camera_recording_form_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """What a camera's subentry stores of its recording step."""
    return {CONF_RECORD_MODE: str(user_input[CONF_RECORD_MODE]), CONF_MOTION_CLIPS: bool(user_input[CONF_MOTION_CLIPS])}

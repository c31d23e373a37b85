"""The recording actions: event clips on demand, and evidence (export, verify, release the hold).

- `record_clip`: a clip of each targeted camera, from `pre_roll` seconds before now, `duration` seconds
  long; answers at once, per camera entity, with the clip's path, media id and URL (it is written as the
  footage arrives). Blueprints link the clip in their notifications.
- `export_evidence`: the footage of a camera between two times, joined and cut, with a manifest and
  SHA-256 sums, put under legal hold; `verify_evidence` hashes it again; `release_hold` ends the hold.
  Each is written in the logbook: who, when, what.

Everything that can be wrong with a request is a translated `ServiceValidationError` (the engine's
`RecordingError.kind` is its translation key). Nothing a caller passes becomes a path: cameras are
entities, exports are ids the engine checks.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final

import voluptuous as vol
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .action_targets import ActionSpec, async_user_of, camera_of
from .const import DOMAIN
from .data import NguDoanConfigEntry
from .engine.recording import ClipHandle, ExportRequest, ExportResult, RecordingError, RecordingErrorKind
from .media_ids import file_media_id, local_url

_LOGGER = logging.getLogger(__name__)

SERVICE_RECORD_CLIP: Final = "record_clip"
SERVICE_EXPORT_EVIDENCE: Final = "export_evidence"
SERVICE_VERIFY_EVIDENCE: Final = "verify_evidence"
SERVICE_RELEASE_HOLD: Final = "release_hold"
# Fired for the logbook (logbook.py) on every export, verification and release.
EVENT_EVIDENCE: Final = f"{DOMAIN}_evidence"

MAX_CLIP_SECONDS: Final = 600
MAX_PRE_ROLL: Final = 60
MAX_TEXT: Final = 200

RECORD_CLIP_SCHEMA: Final = vol.Schema(
    {
        vol.Required("entity_id"): cv.entity_ids,
        vol.Optional("pre_roll"): vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_PRE_ROLL)),
        vol.Optional("duration", default=30): vol.All(vol.Coerce(float), vol.Range(min=1, max=MAX_CLIP_SECONDS)),
    },
    extra=vol.ALLOW_EXTRA,  # device_id / area_id of a target that resolved to nothing
)
EXPORT_SCHEMA: Final = vol.Schema(
    {
        vol.Required("camera"): cv.entity_id,
        vol.Required("start"): cv.datetime,
        vol.Required("end"): cv.datetime,
        vol.Required("case_reference"): vol.All(cv.string, vol.Length(min=1, max=MAX_TEXT)),
        vol.Required("requested_by"): vol.All(cv.string, vol.Length(min=1, max=MAX_TEXT)),
    }
)
EXPORT_ID_SCHEMA: Final = vol.Schema({vol.Required("export_id"): vol.All(cv.string, vol.Length(min=1, max=MAX_TEXT))})


def _refused(err: RecordingError, **placeholders: str) -> ServiceValidationError:
    """The engine's refusal, translated (its detail goes to the log only: it may name files)."""
    _LOGGER.debug("Recording request refused (%s): %s", err.kind, err.detail)
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=f"recording_{err.kind.value}", translation_placeholders=placeholders
    )


async def _async_record_clip(call: ServiceCall) -> ServiceResponse:
    """Start a clip of every targeted camera; answer per camera entity where each clip goes."""
    hass = call.hass
    answers: dict[str, Any] = {}
    for entity_id in call.data["entity_id"]:
        entry, camera_id = camera_of(hass, entity_id)
        camera = entry.runtime_data.site.camera(camera_id)
        if camera.recording is None:
            raise _refused(RecordingError(RecordingErrorKind.RECORDING_OFF), camera=camera.config.name)
        start = partial(
            camera.recording.start_clip,
            duration=call.data["duration"],
            pre_roll=call.data.get("pre_roll"),
            reason="action",
        )
        try:
            handle: ClipHandle = await hass.async_add_executor_job(start)
        except RecordingError as err:
            raise _refused(err, camera=camera.config.name) from err
        answers[entity_id] = {
            "camera": camera.config.name,
            "path": str(handle.path),
            "media_id": file_media_id(handle.clip_id),
            "url": local_url(handle.media_path),
            "start": _iso(handle.start),
        }
    return answers


async def _async_export_evidence(call: ServiceCall) -> ServiceResponse:
    """Export a camera's footage for a case, under legal hold; answer what was exported."""
    hass = call.hass
    entry, camera_id = camera_of(hass, call.data["camera"])
    camera = entry.runtime_data.site.camera(camera_id).config
    user_id, user_name = await async_user_of(hass, call.context)
    request = ExportRequest(
        camera_id=camera_id,
        start=_aware(call.data["start"]),
        end=_aware(call.data["end"]),
        case_reference=call.data["case_reference"],
        requested_by=call.data["requested_by"],
        ha_user=user_name or user_id,
    )
    result = await _async_run(hass, entry, partial(entry.runtime_data.recorder.export_evidence, request), camera.name)
    _log_evidence(call, "export", result.export_id, camera=camera.name, case_reference=request.case_reference)
    return _export_answer(result)


async def _async_verify_evidence(call: ServiceCall) -> ServiceResponse:
    """Hash an export's files again; answer whether each is as exported."""
    hass = call.hass
    entry = _any_site(hass)
    export_id = call.data["export_id"]
    report = await _async_run(hass, entry, partial(entry.runtime_data.recorder.verify_export, export_id), export_id)
    _log_evidence(call, "verify", export_id, ok=report.ok)
    return {
        "export_id": export_id,
        "ok": report.ok,
        "checked": list(report.checked),
        "mismatches": [
            {"file": mismatch.name, "expected": mismatch.expected, "actual": mismatch.actual}
            for mismatch in report.mismatches
        ],
    }


async def _async_release_hold(call: ServiceCall) -> ServiceResponse:
    """End an export's legal hold: its files age out like any footage from now on."""
    hass = call.hass
    entry = _any_site(hass)
    export_id = call.data["export_id"]
    user_id, user_name = await async_user_of(hass, call.context)
    release = partial(entry.runtime_data.recorder.release_hold, export_id, user_name or user_id or "automation")
    await _async_run(hass, entry, release, export_id)
    _log_evidence(call, "release", export_id)
    return {"export_id": export_id, "released": True}


async def _async_run[T](hass: HomeAssistant, entry: NguDoanConfigEntry, work: partial[T], subject: str) -> T:
    """Run blocking evidence work in the executor; refusals become translated errors."""
    try:
        return await hass.async_add_executor_job(work)
    except RecordingError as err:
        raise _refused(err, camera=subject, export_id=subject) from err
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="recording_storage_error",
            translation_placeholders={"camera": subject, "export_id": subject},
        ) from err


def _any_site(hass: HomeAssistant) -> NguDoanConfigEntry:
    """Exports belong to the media folder, which every site shares: any loaded site reaches them."""
    entries: list[NguDoanConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_site_loaded")
    return entries[0]


def _log_evidence(call: ServiceCall, action: str, export_id: str, **details: Any) -> None:
    """The logbook's line: the event carries the caller's context, so the logbook names the user."""
    call.hass.bus.async_fire(
        EVENT_EVIDENCE, {"action": action, "export_id": export_id, **details}, context=call.context
    )


def _export_answer(result: ExportResult) -> dict[str, Any]:
    return {
        "export_id": result.export_id,
        "folder": str(result.folder),
        "media_id": file_media_id(f"exports/{result.export_id}"),
        "files": [video.name for video in result.videos] + [result.manifest.name, result.checksums.name],
        "covered_start": _iso(result.covered_start),
        "covered_end": _iso(result.covered_end),
        "gaps": [[_iso(start), _iso(end)] for start, end in result.gaps],
        "source_segments": len(result.source_segments),
    }


def _aware(value: datetime) -> datetime:
    """A time typed without a zone is in Home Assistant's zone (the officer's wall clock)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt_util.get_default_time_zone())


def _iso(wall: float) -> str:
    return dt_util.as_local(datetime.fromtimestamp(wall, UTC)).isoformat()


RECORDING_ACTIONS: Final[tuple[ActionSpec, ...]] = (
    ActionSpec(SERVICE_RECORD_CLIP, RECORD_CLIP_SCHEMA, _async_record_clip, SupportsResponse.OPTIONAL),
    ActionSpec(SERVICE_EXPORT_EVIDENCE, EXPORT_SCHEMA, _async_export_evidence, SupportsResponse.OPTIONAL),
    ActionSpec(SERVICE_VERIFY_EVIDENCE, EXPORT_ID_SCHEMA, _async_verify_evidence, SupportsResponse.OPTIONAL),
    ActionSpec(SERVICE_RELEASE_HOLD, EXPORT_ID_SCHEMA, _async_release_hold, SupportsResponse.OPTIONAL),
)

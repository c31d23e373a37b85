"""Why a recording request was refused, as kinds the Home Assistant layer maps to translated errors.

Every refusal the engine makes on behalf of a caller (an action, the media browser) raises
`RecordingError` with a machine-readable `kind`: the HA side turns `kind` into the translation key of
a `ServiceValidationError`, and `detail` (safe to log: no paths outside the media folder, no secrets)
goes to the log only.
"""

from __future__ import annotations

from enum import StrEnum


class RecordingErrorKind(StrEnum):
    """What was wrong with a request, in the words the translations use."""

    INVALID_CAMERA_ID = "invalid_camera_id"  # characters a folder name must not have (`../`, `/`, ...)
    UNKNOWN_CAMERA = "unknown_camera"
    INVALID_TIME = "invalid_time"  # a time without a time zone
    INVALID_RANGE = "invalid_range"  # end at or before start
    RANGE_TOO_LONG = "range_too_long"
    OUTSIDE_RECORDING = "outside_recording"  # nothing recorded in the range
    INVALID_TEXT = "invalid_text"  # case reference, requester: empty, too long, control characters
    INVALID_DURATION = "invalid_duration"  # a clip's pre-roll or duration out of bounds
    UNKNOWN_EXPORT = "unknown_export"
    UNKNOWN_CLIP = "unknown_clip"
    RECORDING_OFF = "recording_off"  # a clip asked of a camera whose recording mode is off
    NOT_STREAMING = "not_streaming"  # a clip asked of a camera that sends no packets now
    STORAGE_ERROR = "storage_error"  # the media folder cannot be written (full, read-only, gone)
    UNSAFE_PATH = "unsafe_path"  # a path that would leave the media folder


class RecordingError(Exception):
    """A refused request: `kind` for the translation, `detail` for the log."""

    def __init__(self, kind: RecordingErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail

"""The media browser's identifiers: what each one names, parsed strictly before anything is read.

    (empty)                                  the root: sites, removed cameras, evidence exports
    site/<entry id>                          a site: its cameras
    site/<entry id>/<camera id>              a camera: its days (newest first)
    site/<entry id>/<camera id>/<day>        a day: its event clips (a folder) and its hours
    site/<entry id>/<camera id>/<day>/<HH>   an hour: its continuous segments
    site/<entry id>/<camera id>/<day>/clips  a day's event clips
    removed[/<camera id>[/...]]              the same for cameras no running site has any more
    exports                                  every evidence export
    file/exports/<export id>                 one export: its videos
    file/<path under the recordings folder>  one video: a segment, a clip or an export's video

`file/...` ids are the ones the actions and the motion event hand out (media_ids.py). Anything else is
refused: no identifier reaches the disk without passing the engine's layout checks as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .engine.recording import RecordingError, RecordingErrorKind, RecordingLayout

type NodeKind = Literal[
    "root", "site", "removed", "camera", "day", "hour", "clips", "exports", "export", "export_video", "media_file"
]

SITE: str = "site"
REMOVED: str = "removed"
EXPORTS: str = "exports"
CLIPS: str = "clips"
FILE: str = "file"

MAX_IDENTIFIER = 600  # far longer than any id this integration makes
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOUR = re.compile(r"[01]\d|2[0-3]")
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# An export's video: a plain file name (no dots in front, so never `.` or `..`).
EXPORT_VIDEO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}\.mp4")


class BadIdentifierError(ValueError):
    """An identifier this integration never makes; `unsafe` when it reaches for other files."""

    def __init__(self, *, unsafe: bool = False) -> None:
        super().__init__("unsafe identifier" if unsafe else "unknown identifier")
        self.unsafe = unsafe


@dataclass(frozen=True, slots=True)
class Node:
    """What an identifier names. `scope` is `site/<entry id>` or `removed` for camera pages."""

    kind: NodeKind
    scope: str = ""
    entry_id: str | None = None
    camera_id: str | None = None
    day: str | None = None
    hour: int | None = None
    export_id: str | None = None
    relative: str | None = None  # files and export folders: the path under the recordings folder

    @property
    def camera_node(self) -> str:
        """The identifier of the camera page this node belongs to."""
        return f"{self.scope}/{self.camera_id}"


def camera_identifier(scope: str, camera_id: str) -> str:
    """The identifier of a camera's page."""
    return f"{scope}/{camera_id}"


def file_identifier(relative: str) -> str:
    """The identifier of a file or an export folder (as media_ids.file_media_id, without the scheme)."""
    return f"{FILE}/{relative}"


def parse_identifier(identifier: str | None, layout: RecordingLayout) -> Node:
    """The node `identifier` names; BadIdentifierError for anything this integration does not make."""
    if not identifier:
        return Node("root")
    if len(identifier) > MAX_IDENTIFIER or "\x00" in identifier or "\\" in identifier:
        raise BadIdentifierError(unsafe=True)
    head, _, rest = identifier.partition("/")
    if head == FILE:
        return _parse_file(rest, layout)
    if identifier == EXPORTS:
        return Node("exports")
    parts = identifier.split("/")
    if head == SITE and len(parts) >= 2 and _ENTRY_ID.fullmatch(parts[1]):
        scope, entry_id, tail = f"{SITE}/{parts[1]}", parts[1], parts[2:]
        if not tail:
            return Node("site", scope=scope, entry_id=entry_id)
    elif head == REMOVED:
        scope, entry_id, tail = REMOVED, None, parts[1:]
        if not tail:
            return Node("removed", scope=scope)
    else:
        raise BadIdentifierError
    return _parse_camera(scope, entry_id, tail)


def _parse_camera(scope: str, entry_id: str | None, tail: list[str]) -> Node:
    """`<camera id>[/<day>[/<HH> | /clips]]` under a site or the removed cameras."""
    camera_id = _checked(RecordingLayout.check_camera_id, tail[0])
    if len(tail) == 1:
        return Node("camera", scope=scope, entry_id=entry_id, camera_id=camera_id)
    day = _day(tail[1])
    if len(tail) == 2:
        return Node("day", scope=scope, entry_id=entry_id, camera_id=camera_id, day=day)
    if len(tail) == 3 and tail[2] == CLIPS:
        return Node("clips", scope=scope, entry_id=entry_id, camera_id=camera_id, day=day)
    if len(tail) == 3 and _HOUR.fullmatch(tail[2]):
        return Node("hour", scope=scope, entry_id=entry_id, camera_id=camera_id, day=day, hour=int(tail[2]))
    raise BadIdentifierError


def _parse_file(relative: str, layout: RecordingLayout) -> Node:
    """`file/<path>`: a segment, a clip, an export folder or an export's video, checked by the layout."""
    _checked(layout.resolve, relative)  # no `..`, no absolute path, nothing outside (links followed)
    parts = relative.split("/")
    if parts[0] == EXPORTS and len(parts) in (2, 3):
        export_id = _checked(RecordingLayout.check_export_id, parts[1])
        if len(parts) == 2:
            return Node("export", export_id=export_id, relative=relative)
        if EXPORT_VIDEO.fullmatch(parts[2]):
            return Node("export_video", export_id=export_id, relative=relative)
        raise BadIdentifierError
    name = layout.parse_media_path(relative)
    if name is None:
        raise BadIdentifierError
    return Node("media_file", camera_id=name.camera_id, day=name.day, relative=relative)


def _day(text: str) -> str:
    if not _DAY.fullmatch(text):
        raise BadIdentifierError
    try:
        date.fromisoformat(text)
    except ValueError:
        raise BadIdentifierError from None
    return text


def _checked(check: Callable[[str], object], value: str) -> str:
    """`value` once `check` (one of the layout's checks) accepts it."""
    try:
        check(value)
    except RecordingError as err:
        raise BadIdentifierError(unsafe=err.kind is RecordingErrorKind.UNSAFE_PATH) from err
    return value

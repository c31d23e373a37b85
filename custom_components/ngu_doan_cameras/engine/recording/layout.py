"""The one owner of the on-disk layout: every recording path is built here and checked to stay inside.

    <media dir>/ngu_doan_cameras/
        recordings.db                                   the index (SQLite, WAL: -wal and -shm beside it)
        recordings/<camera id>/<YYYY-MM-DD>/<HH-MM-SS>.mp4   continuous segments (local time in names)
        clips/<camera id>/<YYYY-MM-DD>/<HH-MM-SS>.mp4        event clips
        exports/<export id>/                             evidence: video, manifest.json, SHA256SUMS
        exports/.tmp-<export id>/                        an export being written (renamed when complete)

Names use local time because people browse by the clock on the wall; the index keeps UTC. Two files
that would get the same name (a clock set back, two clips in one second) get `-1`, `-2`, ...: nothing
is ever overwritten, because files are created exclusively (`O_EXCL`).

No value a caller passes becomes a path without passing through here: camera and export ids must be
plain names, relative paths from the index are refused if they climb out, and every built path is
resolved (symbolic links followed) and checked to be under the media folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from io import FileIO
from pathlib import Path, PurePosixPath
from typing import Literal

from ..snapshots import safe_name  # noqa: TID252 - the engine's one slug rule
from .errors import RecordingError, RecordingErrorKind
from .worker import ActiveFiles

FOLDER = "ngu_doan_cameras"
INDEX_NAME = "recordings.db"
TEMP_PREFIX = ".tmp-"

type MediaKind = Literal["recordings", "clips"]
MEDIA_KINDS: tuple[MediaKind, ...] = ("recordings", "clips")

# Plain names only: no dots (so no `..`), no separators, bounded length.
_CAMERA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
_EXPORT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FILE = re.compile(r"(\d{2})-(\d{2})-(\d{2})(?:-\d+)?\.mp4")
_MAX_SUFFIX = 10_000


@dataclass(frozen=True, slots=True)
class MediaName:
    """What a media file's place in the layout says about it (used to rebuild the index)."""

    kind: MediaKind
    camera_id: str
    day: str
    local_start: datetime  # from the name: whole seconds, the layout's time zone


class RecordingLayout:
    """Paths of one media folder; `tz` is the zone of names (None: the system's local zone)."""

    def __init__(self, media_dir: str | os.PathLike[str], tz: tzinfo | None = None) -> None:
        self.media_dir = Path(media_dir)
        self.root = self.media_dir / FOLDER
        self.tz = tz
        self.index_path = self.root / INDEX_NAME
        self.exports_dir = self.root / "exports"

    # --- time -------------------------------------------------------------------------------------

    def local(self, wall: float) -> datetime:
        """`wall` (seconds since the epoch) as an aware local time."""
        if self.tz is None:
            return datetime.fromtimestamp(wall).astimezone()
        return datetime.fromtimestamp(wall, self.tz)

    def day_of(self, wall: float) -> str:
        """The day folder (local date) a file starting at `wall` belongs to."""
        return self.local(wall).strftime("%Y-%m-%d")

    # --- ids ----------------------------------------------------------------------------------------

    @staticmethod
    def check_camera_id(camera_id: str) -> str:
        """`camera_id` if it is a safe folder name, else RecordingError(invalid_camera_id)."""
        if not isinstance(camera_id, str) or not _CAMERA_ID.fullmatch(camera_id):
            raise RecordingError(RecordingErrorKind.INVALID_CAMERA_ID, "camera id must be letters, digits, - or _")
        return camera_id

    @staticmethod
    def check_export_id(export_id: str) -> str:
        """`export_id` if it is a plain export folder name, else RecordingError(unknown_export)."""
        if not isinstance(export_id, str) or not _EXPORT_ID.fullmatch(export_id):
            raise RecordingError(RecordingErrorKind.UNKNOWN_EXPORT, "not an export id")
        return export_id

    def new_export_id(self, camera_id: str, case_reference: str, now: float) -> str:
        """A fresh, readable export id: local time, camera, case, and a random tail.

        The tail keeps two exports of the same range in the same second in folders of their own.
        """
        stamp = self.local(now).strftime("%Y%m%d-%H%M%S")
        case = safe_name(case_reference)[:40].strip("-") if any(char.isalnum() for char in case_reference) else "case"
        return f"{stamp}_{self.check_camera_id(camera_id)}_{case}_{os.urandom(3).hex()}"

    # --- media files ----------------------------------------------------------------------------------

    def day_dir(self, kind: MediaKind, camera_id: str, day: str) -> Path:
        """The folder of one camera's files of one kind and day."""
        if not _DAY.fullmatch(day):
            raise RecordingError(RecordingErrorKind.UNSAFE_PATH, "day must be YYYY-MM-DD")
        return self.checked(self.root / kind / self.check_camera_id(camera_id) / day)

    def create_media_file(
        self, kind: MediaKind, camera_id: str, wall: float, active: ActiveFiles
    ) -> tuple[Path, FileIO]:
        """Create the file for footage starting at `wall`, exclusively; returns it open for writing.

        Its relative path joins `active` *before* the file exists, so a rebuild or retention running
        at that moment never mistakes it for a leftover. Raises OSError when the folder cannot be
        written (read-only, full): the caller reports it.
        """
        local = self.local(wall)
        folder = self.day_dir(kind, camera_id, local.strftime("%Y-%m-%d"))
        folder.mkdir(parents=True, exist_ok=True)
        stem = local.strftime("%H-%M-%S")
        for number in range(_MAX_SUFFIX):
            path = folder / (f"{stem}.mp4" if number == 0 else f"{stem}-{number}.mp4")
            relative = path.relative_to(self.root).as_posix()
            if not active.claim(relative):
                continue  # a file of that name is being written right now
            try:
                return path, FileIO(path, "xb")
            except FileExistsError:
                active.discard(relative)
            except BaseException:
                active.discard(relative)
                raise
        raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"no free name for {stem} in {kind}/{camera_id}")

    def parse_media_path(self, relative: str) -> MediaName | None:
        """What `kind/camera/day/HH-MM-SS.mp4` says, or None if it is not a media file of this layout."""
        parts = PurePosixPath(relative).parts
        if len(parts) != 4 or parts[0] not in MEDIA_KINDS:
            return None
        kind, camera_id, day, name = parts
        match = _FILE.fullmatch(name)
        if not (_CAMERA_ID.fullmatch(camera_id) and _DAY.fullmatch(day) and match):
            return None
        try:
            hour, minute, second = (int(group) for group in match.groups())
            naive = datetime.combine(date.fromisoformat(day), time(hour, minute, second))
        except ValueError:
            return None
        local = naive.replace(tzinfo=self.tz) if self.tz is not None else naive.astimezone()
        return MediaName(kind, camera_id, day, local)  # type: ignore[arg-type]

    # --- exports ----------------------------------------------------------------------------------------

    def export_dir(self, export_id: str) -> Path:
        """The folder of a finished export."""
        return self.checked(self.exports_dir / self.check_export_id(export_id))

    def export_temp_dir(self, export_id: str) -> Path:
        """Where an export is written before it is complete (renamed to `export_dir` at the end)."""
        return self.checked(self.exports_dir / f"{TEMP_PREFIX}{self.check_export_id(export_id)}")

    # --- checks -----------------------------------------------------------------------------------------

    def relative(self, path: Path) -> str:
        """`path` relative to the layout's root, as the index stores it (POSIX separators)."""
        return self.checked(path).relative_to(self.root).as_posix()

    def media_relative(self, relative: str) -> str:
        """An index path as a path under the media folder (what `/media/local/...` URLs carry)."""
        self.resolve(relative)
        return f"{FOLDER}/{relative}"

    def resolve(self, relative: str) -> Path:
        """A path from the index (or a media browser id) back to a file, refusing anything outside."""
        if not isinstance(relative, str) or not relative or "\x00" in relative or "\\" in relative:
            raise RecordingError(RecordingErrorKind.UNSAFE_PATH, "not a relative media path")
        pure = PurePosixPath(relative)
        if pure.is_absolute() or any(part in {"..", "."} for part in pure.parts):
            raise RecordingError(RecordingErrorKind.UNSAFE_PATH, "path climbs out of the media folder")
        return self.checked(self.root.joinpath(*pure.parts))

    def checked(self, path: Path) -> Path:
        """`path` itself, once its real location (links followed) is known to be inside the root."""
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        if real != real_root and not real.startswith(real_root + os.sep):
            raise RecordingError(RecordingErrorKind.UNSAFE_PATH, "path leaves the media folder")
        return path

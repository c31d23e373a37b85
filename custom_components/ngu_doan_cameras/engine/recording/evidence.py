"""Evidence export: footage of a camera over a time range, as files a court can check.

An export is a folder `exports/<export id>/` with
- the video: one MP4 per continuous run (usually one), stream copy of the recorded segments, from the
  key frame at or before the requested start to the requested end;
- `manifest.json`: who asked, for which case, camera, place and site, the requested and the covered
  range (UTC and local time), gaps, codec and resolution, and the SHA-256 of every video file and of
  every source segment;
- `SHA256SUMS`: the video files and the manifest, in the format `sha256sum -c SHA256SUMS` checks;
- `LEGAL_HOLD` while held (`RELEASED` once released): the hold survives a lost index.
The export and its source segments are held at once, before a byte is read, so retention cannot
take a segment from under an export. The folder is written under a temporary name and renamed when
complete: an export either exists whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import RecordingError, RecordingErrorKind
from .index import RecordingIndex
from .joiner import JoinedFile, join_run, runs
from .layout import RecordingLayout
from .mp4 import sync_folder
from .records import CONTINUITY_SECONDS, ExportInfo, SegmentInfo

_LOGGER = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
HOLD_MARKER = "LEGAL_HOLD"
RELEASED_MARKER = "RELEASED"
FORMAT = "ngu_doan_cameras evidence export, version 1"
MAX_TEXT = 200
DEFAULT_MAX_SECONDS = 4 * 3600.0
_SUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """A camera as the manifest names it."""

    camera_id: str
    name: str
    location: str = ""
    site: str = ""  # the site (police station, village) the camera belongs to


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What an export action asks for (times must carry their time zone)."""

    camera_id: str
    start: datetime
    end: datetime
    case_reference: str
    requested_by: str
    ha_user: str | None = None


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A finished export."""

    export_id: str
    folder: Path
    media_path: str  # the folder relative to the media folder
    videos: tuple[Path, ...]
    manifest: Path
    checksums: Path
    covered_start: float  # the key frame at or before the requested start
    covered_end: float
    gaps: tuple[tuple[float, float], ...]  # parts of the requested range without footage
    source_segments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A file whose content is not what the export recorded (actual None: the file is missing)."""

    name: str
    expected: str
    actual: str | None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What `verify_export` found."""

    export_id: str
    checked: tuple[str, ...]
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        """Every file is as exported."""
        return not self.mismatches


# --- export -------------------------------------------------------------------------------------------


def export_evidence(
    layout: RecordingLayout,
    index: RecordingIndex,
    request: ExportRequest,
    camera: CameraInfo | None,
    *,
    site: str = "",
    max_seconds: float = DEFAULT_MAX_SECONDS,
    clock: Callable[[], float] = time.time,
) -> ExportResult:
    """Export `request` (blocking: reads and writes gigabytes; run it in an executor).

    `camera` is the configured camera of `request.camera_id` (None: unknown). Raises RecordingError:
    invalid_camera_id, unknown_camera, invalid_time, invalid_range, range_too_long, invalid_text,
    outside_recording, storage_error.
    """
    layout.check_camera_id(request.camera_id)
    if camera is None or camera.camera_id != request.camera_id:
        raise RecordingError(RecordingErrorKind.UNKNOWN_CAMERA, "no such camera")
    start, end = _check_range(request, max_seconds)
    case_reference = _check_text(request.case_reference, "case reference")
    requested_by = _check_text(request.requested_by, "requester")
    ha_user = _check_text(request.ha_user, "user") if request.ha_user else None
    segments = index.covering(camera.camera_id, start, end)
    if not segments:
        raise RecordingError(RecordingErrorKind.OUTSIDE_RECORDING, "nothing recorded in that range")
    created = clock()
    export_id = layout.new_export_id(camera.camera_id, case_reference, created)
    held = set(index.hold_segments(export_id, [segment.path for segment in segments]))
    segments = [segment for segment in segments if segment.path in held]
    temporary = layout.export_temp_dir(export_id)
    try:
        if not segments:
            raise RecordingError(RecordingErrorKind.OUTSIDE_RECORDING, "the recordings of that range are gone")
        temporary.mkdir(parents=True)
        videos = _write_videos(layout, temporary, camera, segments, start=start, end=end, export_id=export_id)
        manifest = _manifest(
            layout,
            export_id,
            created=created,
            site=site,
            camera=camera,
            request=request,
            texts=(case_reference, requested_by, ha_user),
            videos=videos,
            segments=segments,
        )
        _write_text(temporary / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        names = [video.path.name for video in videos] + [MANIFEST]
        _write_text(temporary / CHECKSUMS, "".join(f"{sha256(temporary / name)}  {name}\n" for name in names))
        _write_text(temporary / HOLD_MARKER, json.dumps({"held_since": _stamp(layout, created)}) + "\n")
        sync_folder(temporary)
        folder = layout.export_dir(export_id)
        os.rename(temporary, folder)
        sync_folder(folder.parent)
    except BaseException as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        index.release_export(export_id)
        if isinstance(exc, OSError):
            raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"export failed: {exc}") from exc
        raise
    info = ExportInfo(
        export_id=export_id,
        camera=camera.camera_id,
        path=layout.relative(folder),
        created=created,
        start=videos[0].start,
        end=videos[-1].end,
        requested_start=start,
        requested_end=end,
        case_reference=case_reference,
        requested_by=requested_by,
        ha_user=ha_user,
        size=sum(entry.stat().st_size for entry in folder.iterdir()),
        held=True,
    )
    index.insert_export(info, [segment.path for segment in segments])
    _LOGGER.info("Evidence export %s written (%d video files)", export_id, len(videos))
    return ExportResult(
        export_id=export_id,
        folder=folder,
        media_path=layout.media_relative(info.path),
        videos=tuple(folder / video.path.name for video in videos),
        manifest=folder / MANIFEST,
        checksums=folder / CHECKSUMS,
        covered_start=info.start,
        covered_end=info.end,
        gaps=tuple(_gaps(videos, start, end)),
        source_segments=tuple(segment.path for segment in segments),
    )


def _check_range(request: ExportRequest, max_seconds: float) -> tuple[float, float]:
    if request.start.tzinfo is None or request.end.tzinfo is None:
        raise RecordingError(RecordingErrorKind.INVALID_TIME, "times need a time zone")
    start, end = request.start.timestamp(), request.end.timestamp()
    if end <= start:
        raise RecordingError(RecordingErrorKind.INVALID_RANGE, "end is not after start")
    if end - start > max_seconds:
        raise RecordingError(RecordingErrorKind.RANGE_TOO_LONG, f"at most {max_seconds:g} s")
    return start, end


def _check_text(value: str | None, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_TEXT or any(unicodedata.category(char) == "Cc" for char in text):
        raise RecordingError(
            RecordingErrorKind.INVALID_TEXT, f"{what}: 1..{MAX_TEXT} characters, no control characters"
        )
    return text


def _write_videos(
    layout: RecordingLayout,
    folder: Path,
    camera: CameraInfo,
    segments: list[SegmentInfo],
    *,
    start: float,
    end: float,
    export_id: str,
) -> list[JoinedFile]:
    videos: list[JoinedFile] = []
    for run in runs(segments):
        begin = max(start, run[0].start)
        name = f"{camera.camera_id}_{layout.local(begin).strftime('%Y%m%d-%H%M%S')}.mp4"
        path = folder / name
        if path.exists():  # two runs starting in one second (a very short drop)
            path = folder / f"{path.stem}-{len(videos)}.mp4"
        joined = join_run(
            run, layout.resolve, path, start=start, end=end, comment={"kind": "export", "export": export_id}
        )
        if joined is not None:
            videos.append(joined)
    if not videos:
        raise RecordingError(RecordingErrorKind.OUTSIDE_RECORDING, "no picture in that range")
    return videos


def _gaps(videos: list[JoinedFile], start: float, end: float) -> list[tuple[float, float]]:
    """Parts of [start, end) no video covers."""
    gaps = []
    cursor = start
    for video in videos:
        if video.start - cursor > CONTINUITY_SECONDS:
            gaps.append((cursor, video.start))
        cursor = max(cursor, video.end)
    if end - cursor > CONTINUITY_SECONDS:
        gaps.append((cursor, end))
    return gaps


def _stamp(layout: RecordingLayout, wall: float) -> dict[str, Any]:
    """A time as the manifest writes it: UTC, local, and seconds since the epoch."""
    return {
        "utc": datetime.fromtimestamp(wall, UTC).isoformat(),
        "local": layout.local(wall).isoformat(),
        "epoch": round(wall, 6),
    }


def _manifest(
    layout: RecordingLayout,
    export_id: str,
    *,
    created: float,
    site: str,
    camera: CameraInfo,
    request: ExportRequest,
    texts: tuple[str, str, str | None],
    videos: list[JoinedFile],
    segments: list[SegmentInfo],
) -> dict[str, Any]:
    case_reference, requested_by, ha_user = texts
    start, end = request.start.timestamp(), request.end.timestamp()
    return {
        "format": FORMAT,
        "export_id": export_id,
        "created": _stamp(layout, created),
        "site": site,
        "camera": {"id": camera.camera_id, "name": camera.name, "location": camera.location},
        "case_reference": case_reference,
        "requested_by": requested_by,
        "ha_user": ha_user,
        "requested_range": {"start": _stamp(layout, start), "end": _stamp(layout, end)},
        "covered_range": {"start": _stamp(layout, videos[0].start), "end": _stamp(layout, videos[-1].end)},
        "note": (
            "Stream copy of the recorded segments, not re-encoded. Video starts at the key frame at or before"
            " the requested start, so it may begin up to one key-frame interval earlier."
        ),
        "gaps": [{"start": _stamp(layout, a), "end": _stamp(layout, b)} for a, b in _gaps(videos, start, end)],
        "files": [
            {
                "name": video.path.name,
                "size": video.path.stat().st_size,
                "sha256": sha256(video.path),
                "start": _stamp(layout, video.start),
                "end": _stamp(layout, video.end),
                "video": {"codec": video.codec, "width": video.width, "height": video.height},
                "audio": (
                    {"codec": video.audio_codec, "sample_rate": video.audio_rate, "channels": video.audio_channels}
                    if video.audio_codec
                    else None
                ),
            }
            for video in videos
        ],
        "source_segments": [
            {
                "path": segment.path,
                "start": _stamp(layout, segment.start),
                "end": _stamp(layout, segment.end),
                "size": segment.size,
                "sha256": sha256(layout.resolve(segment.path)),
            }
            for segment in segments
        ],
    }


def _write_text(path: Path, text: str) -> None:
    with path.open("x", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


# --- verify and release -------------------------------------------------------------------------------


def verify_export(layout: RecordingLayout, export_id: str) -> VerifyReport:
    """Hash every file of an export again and report what differs (blocking).

    Checks the files of its SHA256SUMS, the manifest's files and its source segments (a source
    segment deleted after its hold was released is reported missing). Raises
    RecordingError(unknown_export).
    """
    folder = _existing_export(layout, export_id)
    checked: list[str] = []
    mismatches: list[Mismatch] = []

    def check(name: str, path: Path | None, expected: str) -> None:
        checked.append(name)
        actual = sha256(path) if path is not None and path.is_file() else None
        if actual != expected:
            mismatches.append(Mismatch(name, expected, actual))

    sums = _read_sums(folder / CHECKSUMS)
    if sums is None:
        mismatches.append(Mismatch(CHECKSUMS, "", None))
    for expected, name in sums or ():
        check(name, folder / name if _plain_name(name) else None, expected)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    for entry in manifest.get("files", []):
        name = str(entry.get("name", ""))
        check(name, folder / name if _plain_name(name) else None, str(entry.get("sha256")))
    for entry in manifest.get("source_segments", []):
        relative = str(entry.get("path", ""))
        try:
            path: Path | None = layout.resolve(relative)
        except RecordingError:
            path = None
        check(relative, path, str(entry.get("sha256")))
    return VerifyReport(export_id, tuple(checked), tuple(mismatches))


def release_hold(layout: RecordingLayout, index: RecordingIndex, export_id: str, released_by: str) -> None:
    """End an export's legal hold; retention may then delete it.

    Its source segments are released with it, unless another export holds them. Raises
    RecordingError(unknown_export, invalid_text).
    """
    who = _check_text(released_by, "released by")
    folder = _existing_export(layout, export_id)
    index.release_export(export_id)
    marker = folder / RELEASED_MARKER
    try:
        if not marker.exists():
            _write_text(marker, json.dumps({"released_by": who, "at": _stamp(layout, time.time())}, ensure_ascii=False))
        (folder / HOLD_MARKER).unlink(missing_ok=True)
    except OSError as exc:  # the index no longer holds it; the folder still says held until this works
        raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"cannot mark the release: {exc}") from exc
    _LOGGER.info("Legal hold of export %s released", export_id)


def _existing_export(layout: RecordingLayout, export_id: str) -> Path:
    folder = layout.export_dir(export_id)
    if not (folder / MANIFEST).is_file():
        raise RecordingError(RecordingErrorKind.UNKNOWN_EXPORT, "no such export")
    return folder


def _read_sums(path: Path) -> list[tuple[str, str]] | None:
    """(hash, name) of every line of a SHA256SUMS file; None if it cannot be read."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return [(match.group(1), match.group(2)) for line in lines if (match := _SUM_LINE.fullmatch(line))]


def _plain_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in {".", ".."}

"""Getting the index back in line with the files: repair after a crash, rebuild after a loss.

- `repair_open_files`: files the index still lists as being written belong to a run that died
  (killed, power cut). Each is cut back to its last complete fragment, measured, and marked truncated.
- `rebuild_index`: the index was missing, corrupt or of another schema. Every file of the layout is
  read (its own metadata says when it started and what it is), exports come back from their
  manifests, and legal holds from their `LEGAL_HOLD` markers, so a held file is never left unheld.
  Gaps are written down where consecutive segments do not meet.

Both are blocking and slow on a big folder (one file open per file): run on the maintenance thread.
Files being written now (`active`) are left alone.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RecordingError
from .evidence import HOLD_MARKER, MANIFEST
from .index import RecordingIndex
from .layout import MEDIA_KINDS, TEMP_PREFIX, RecordingLayout
from .probe import probe, trim_incomplete
from .records import CONTINUITY_SECONDS, ClipInfo, ExportInfo, FileState, SegmentInfo

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class RebuildReport:
    """What a rebuild found."""

    segments: int = 0
    clips: int = 0
    exports: int = 0
    gaps: int = 0
    unreadable: list[str] = field(default_factory=list)  # files FFmpeg cannot read (kept, not indexed)
    removed_empty: int = 0  # zero-byte files (killed before their header): nothing to keep


def repair_open_files(layout: RecordingLayout, index: RecordingIndex, active: Container[str] = ()) -> int:
    """Close the books on files left open by a run that died; returns how many were repaired."""
    repaired = 0
    open_files: list[tuple[SegmentInfo | ClipInfo, Callable[[str], None]]]
    open_files = [(segment, index.forget_segment) for segment in index.open_segments()]
    open_files += [(clip, index.forget_clip) for clip in index.open_clips()]
    for row, forget in open_files:
        if row.path in active:
            continue
        facts = _recover(layout, row.path)
        if facts is None:
            forget(row.path)
            continue
        size, duration = facts
        repaired += index.close_open(row.path, row.start + duration, size)
    return repaired


def _recover(layout: RecordingLayout, relative: str) -> tuple[int, float] | None:
    """Cut a file back to its complete fragments; (size, seconds of video), or None if nothing is left."""
    try:
        path = layout.resolve(relative)
        size = trim_incomplete(path) if path.exists() else 0
    except (OSError, RecordingError) as exc:
        _LOGGER.warning("Cannot repair %s: %s", relative, exc)
        return None
    facts = probe(path) if size else None
    if facts is None:
        path.unlink(missing_ok=True)
        return None
    _LOGGER.info("Repaired %s: %.1f s of video kept", relative, facts.duration)
    return size, facts.duration


def rebuild_index(layout: RecordingLayout, index: RecordingIndex, active: Container[str] = ()) -> RebuildReport:
    """Index every file of the layout that the index does not know (and settle rows left open)."""
    report = RebuildReport()
    repair_open_files(layout, index, active)
    for kind in MEDIA_KINDS:
        for folder in _day_folders(layout.root / kind):
            segments: list[SegmentInfo] = []
            clips: list[ClipInfo] = []
            for path in sorted(folder.glob("*.mp4")):
                relative = f"{kind}/{folder.parent.name}/{folder.name}/{path.name}"
                if relative not in active:
                    _read_file(layout, relative, path, segments=segments, clips=clips, report=report)
            index.insert_missing(segments, clips)
            report.segments += len(segments)
            report.clips += len(clips)
    report.gaps = _rebuild_gaps(index)
    report.exports = _rebuild_exports(layout, index)
    index.rebuild_done()
    _LOGGER.info("Recording index rebuilt: %s", report)
    return report


def _day_folders(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    return sorted(day for camera in base.iterdir() if camera.is_dir() for day in camera.iterdir() if day.is_dir())


def _read_file(
    layout: RecordingLayout,
    relative: str,
    path: Path,
    *,
    segments: list[SegmentInfo],
    clips: list[ClipInfo],
    report: RebuildReport,
) -> None:
    name = layout.parse_media_path(relative)
    if name is None:
        return
    try:
        original = path.stat().st_size
        size = trim_incomplete(path) if original else 0
    except FileNotFoundError:  # deleted since the folder was listed (a file that never got footage)
        return
    except OSError as exc:
        report.unreadable.append(f"{relative}: {exc}")
        return
    if size == 0:
        path.unlink(missing_ok=True)
        report.removed_empty += 1
        return
    facts = probe(path)
    if facts is None:
        report.unreadable.append(relative)
        return
    start = facts.start if facts.start is not None else name.local_start.timestamp()
    state: FileState = "complete" if size == original else "truncated"
    session = facts.comment.get("session")
    if name.kind == "recordings":
        segments.append(
            SegmentInfo(
                camera=name.camera_id,
                path=relative,
                day=name.day,
                start=start,
                end=start + facts.duration,
                size=size,
                state=state,
                session=session if isinstance(session, int) else None,
                codec=facts.codec,
                width=facts.width,
                height=facts.height,
                audio_codec=facts.audio_codec,
            )
        )
    else:
        trigger = facts.comment.get("trigger")
        clips.append(
            ClipInfo(
                camera=name.camera_id,
                path=relative,
                day=name.day,
                start=start,
                end=start + facts.duration,
                size=size,
                state=state,
                reason=str(facts.comment.get("reason", "unknown")),
                trigger=float(trigger) if isinstance(trigger, int | float) else start,
            )
        )


def _rebuild_gaps(index: RecordingIndex) -> int:
    """Make the gaps cover exactly the time between consecutive segments; returns how many were added."""
    index.fit_gaps()
    added = 0
    for camera in index.cameras():
        previous: SegmentInfo | None = None
        for day in index.days(camera):
            for segment in index.segments_of_day(camera, day):
                if previous is not None and segment.start - previous.end > CONTINUITY_SECONDS:
                    added += index.cover_hole(camera, previous.end, segment.start)
                previous = segment
    return added


def _rebuild_exports(layout: RecordingLayout, index: RecordingIndex) -> int:
    """Exports from their manifests; held ones hold their source segments again."""
    count = 0
    base = layout.exports_dir
    if not base.is_dir():
        return 0
    for folder in sorted(base.iterdir()):
        if folder.name.startswith(TEMP_PREFIX) or not folder.is_dir():
            continue
        try:
            layout.check_export_id(folder.name)
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            info = ExportInfo(
                export_id=folder.name,
                camera=str(manifest["camera"]["id"]),
                path=layout.relative(folder),
                created=float(manifest["created"]["epoch"]),
                start=float(manifest["covered_range"]["start"]["epoch"]),
                end=float(manifest["covered_range"]["end"]["epoch"]),
                requested_start=float(manifest["requested_range"]["start"]["epoch"]),
                requested_end=float(manifest["requested_range"]["end"]["epoch"]),
                case_reference=str(manifest["case_reference"]),
                requested_by=str(manifest["requested_by"]),
                ha_user=manifest.get("ha_user"),
                size=sum(entry.stat().st_size for entry in folder.iterdir()),
                held=(folder / HOLD_MARKER).exists(),
            )
        except (OSError, ValueError, KeyError, TypeError, RecordingError) as exc:
            _LOGGER.warning("Export folder %s is not readable: %s", folder.name, exc)
            continue
        index.insert_export(info, [str(entry["path"]) for entry in manifest.get("source_segments", [])])
        count += 1
    return count


def remove_temporary_exports(layout: RecordingLayout) -> int:
    """Delete export folders a dead run left half-written; returns how many."""
    base = layout.exports_dir
    if not base.is_dir():
        return 0
    removed = 0
    for folder in base.iterdir():
        if folder.name.startswith(TEMP_PREFIX) and folder.is_dir():
            shutil.rmtree(folder)
            removed += 1
    return removed

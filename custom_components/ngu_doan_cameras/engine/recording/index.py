"""The recording index: a SQLite database of segments, clips, exports, holds and gaps.

Browsing, retention and export ask the index, never the disk, so a media browser page costs a few
index lookups whatever the number of files. The files stay the record of truth: every file carries
its exact start in its own metadata, and legal holds are mirrored on disk, so a missing, corrupt or
deleted index is rebuilt from the files (see `rebuild.py`) and nothing held is ever forgotten.

Thread-safe: one connection guarded by a lock (the recorder's worker, retention and the HA layer's
executor jobs all call in); every call blocks on disk I/O, so none of them belongs on an event loop.
The connection checks on every call that the file it writes is still the file on disk: an index
deleted while running is noticed at once, replaced by a fresh one, and a rebuild is asked for.
"""

from __future__ import annotations

import heapq
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import RecordingError, RecordingErrorKind
from .records import CONTINUITY_SECONDS, ClipInfo, Deletable, ExportInfo, GapInfo, SegmentInfo
from .schema import CREATE, SCHEMA_VERSION

_LOGGER = logging.getLogger(__name__)

# Every query is a constant: no value is ever formatted into SQL (parameters only).
_SEGMENTS = (
    "SELECT camera, path, day, start_at, end_at, size, state, session, codec, width, height, audio_codec, holds, id"
    " FROM segments"
)
_CLIPS = "SELECT camera, path, day, start_at, end_at, size, state, reason, trigger_at, holds, id FROM clips"
_EXPORTS = (
    "SELECT id, camera, path, created_at, start_at, end_at, requested_start, requested_end, case_reference,"
    " requested_by, ha_user, size, held FROM exports"
)
# Skip-scans: one index seek per distinct value instead of reading every row.
_CAMERAS = (
    "WITH RECURSIVE c(x) AS (SELECT MIN(camera) FROM segments UNION ALL"
    " SELECT (SELECT MIN(camera) FROM segments WHERE camera > x) FROM c WHERE x IS NOT NULL)"
    " SELECT x FROM c WHERE x IS NOT NULL",
    "WITH RECURSIVE c(x) AS (SELECT MIN(camera) FROM clips UNION ALL"
    " SELECT (SELECT MIN(camera) FROM clips WHERE camera > x) FROM c WHERE x IS NOT NULL)"
    " SELECT x FROM c WHERE x IS NOT NULL",
)
_DAYS = {
    "segments": "WITH RECURSIVE d(x) AS (SELECT MIN(day) FROM segments WHERE camera = :c UNION ALL"
    " SELECT (SELECT MIN(day) FROM segments WHERE camera = :c AND day > x) FROM d WHERE x IS NOT NULL)"
    " SELECT x FROM d WHERE x IS NOT NULL",
    "clips": "WITH RECURSIVE d(x) AS (SELECT MIN(day) FROM clips WHERE camera = :c UNION ALL"
    " SELECT (SELECT MIN(day) FROM clips WHERE camera = :c AND day > x) FROM d WHERE x IS NOT NULL)"
    " SELECT x FROM d WHERE x IS NOT NULL",
}
# SQLite's primary result codes for a damaged file.
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def _segment(row: Sequence[Any]) -> SegmentInfo:
    return SegmentInfo(*row)


def _clip(row: Sequence[Any]) -> ClipInfo:
    return ClipInfo(*row)


def _export(row: Sequence[Any]) -> ExportInfo:
    return ExportInfo(
        export_id=row[0],
        camera=row[1],
        path=row[2],
        created=row[3],
        start=row[4],
        end=row[5],
        requested_start=row[6],
        requested_end=row[7],
        case_reference=row[8],
        requested_by=row[9],
        ha_user=row[10],
        size=row[11],
        held=bool(row[12]),
    )


def _corrupt(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _CORRUPT_CODES


class RecordingIndex:
    """The index database at `path` (created on first use)."""

    def __init__(self, path: Path, on_rebuild_needed: Callable[[], None] | None = None) -> None:
        self.path = path
        self._on_rebuild_needed = on_rebuild_needed
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._rebuild_needed = False

    # --- lifecycle ----------------------------------------------------------------------------------

    @property
    def rebuild_needed(self) -> bool:
        """True when the index was created, found corrupt or lost while files may exist on disk."""
        with self._lock:
            return self._rebuild_needed

    def rebuild_done(self) -> None:
        """The rebuild asked for has run."""
        with self._lock:
            self._rebuild_needed = False

    def ensure_open(self) -> None:
        """Open (or create) the database now; RecordingError(storage_error) if it cannot be."""
        self._run(lambda _db: None)

    def close(self) -> None:
        """Close the connection (the next call opens it again)."""
        with self._lock:
            self._close_db()

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._identity = None

    def _mark_rebuild(self) -> None:
        if self._rebuild_needed:
            return
        self._rebuild_needed = True
        if self._on_rebuild_needed is not None:
            self._on_rebuild_needed()

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_dev, stat.st_ino

    def _connection(self) -> sqlite3.Connection:
        if self._db is not None:
            if self._file_identity() == self._identity:
                return self._db
            # Deleted or replaced under us: writing on would fill an unlinked file nobody will read.
            _LOGGER.warning("The recording index %s vanished; starting a new one, rebuilt from the files", self.path)
            self._close_db()
            self._mark_rebuild()
        return self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists()
            try:
                db = self._connect(existed)
            except sqlite3.DatabaseError as exc:
                if not _corrupt(exc):
                    raise
                self._set_aside()
                existed = False
                db = self._connect(existed)
        except (OSError, sqlite3.Error) as exc:
            raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"cannot open the index: {exc}") from exc
        self._db = db
        self._identity = self._file_identity()
        if not existed:
            self._mark_rebuild()
        return db

    def _connect(self, existed: bool) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a power cut may lose the last transactions, never corrupt the file; the
            # files themselves are the record (rebuild), so the index need not fsync every row.
            db.execute("PRAGMA synchronous=NORMAL")
            version = self._schema_version(db)
            if version != SCHEMA_VERSION:
                db.executescript(CREATE)
                if existed:
                    _LOGGER.warning("Recording index schema %s is not %s: rebuilding it", version, SCHEMA_VERSION)
                    self._mark_rebuild()
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _schema_version(db: sqlite3.Connection) -> int | None:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:  # no meta table: a new (or foreign) database
            return None
        return int(row[0]) if row else None

    def _set_aside(self) -> None:
        """Move a corrupt database out of the way (kept for inspection) and forget its journal."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        _LOGGER.error("The recording index %s is corrupt; moved to %s and rebuilt from the files", self.path, aside)
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _run[T](self, work: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """Run `work` on the connection, in one transaction when writing.

        Failures become RecordingError(storage_error); a database found corrupt is set aside, a new
        one started (and a rebuild asked for), and the work retried once.
        """
        with self._lock:
            for attempt in (1, 2):
                db = self._connection()
                try:
                    if not write:
                        return work(db)
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(db)
                    except BaseException:
                        db.execute("ROLLBACK")
                        raise
                    db.execute("COMMIT")
                    return result
                except sqlite3.DatabaseError as exc:
                    if attempt == 1 and _corrupt(exc):
                        self._close_db()
                        self._set_aside()
                        self._mark_rebuild()
                        continue
                    if write:  # a row lost (disk full, I/O error): the files will bring it back
                        self._mark_rebuild()
                    raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"index: {exc}") from exc
            raise AssertionError("unreachable")  # pragma: no cover

    # --- writes: footage ---------------------------------------------------------------------------------

    def upsert_segment(self, segment: SegmentInfo) -> None:
        """Add or update a segment (keyed by path); a new segment ends its camera's gap."""

        def work(db: sqlite3.Connection) -> None:
            if db.execute("SELECT 1 FROM segments WHERE path = ?", (segment.path,)).fetchone() is None:
                self._end_gap(db, segment.camera, segment.start)  # new footage ends the camera's gap
            db.execute(
                "INSERT INTO segments (camera, path, day, start_at, end_at, size, state, session, codec, width,"
                " height, audio_codec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
                " camera = excluded.camera, day = excluded.day, start_at = excluded.start_at,"
                " end_at = excluded.end_at, size = excluded.size, state = excluded.state,"
                " session = excluded.session, codec = excluded.codec, width = excluded.width,"
                " height = excluded.height, audio_codec = excluded.audio_codec",
                (
                    segment.camera,
                    segment.path,
                    segment.day,
                    segment.start,
                    segment.end,
                    segment.size,
                    segment.state,
                    segment.session,
                    segment.codec,
                    segment.width,
                    segment.height,
                    segment.audio_codec,
                ),
            )

        self._run(work, write=True)

    def insert_missing(self, segments: Iterable[SegmentInfo], clips: Iterable[ClipInfo]) -> int:
        """Add rows for files the index does not know yet (rebuild); returns how many were added."""

        def work(db: sqlite3.Connection) -> int:
            added = 0
            for segment in segments:
                added += db.execute(
                    "INSERT OR IGNORE INTO segments (camera, path, day, start_at, end_at, size, state, session, codec,"
                    " width, height, audio_codec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        segment.camera,
                        segment.path,
                        segment.day,
                        segment.start,
                        segment.end,
                        segment.size,
                        segment.state,
                        segment.session,
                        segment.codec,
                        segment.width,
                        segment.height,
                        segment.audio_codec,
                    ),
                ).rowcount
            for clip in clips:
                added += db.execute(
                    "INSERT OR IGNORE INTO clips (camera, path, day, start_at, end_at, size, state, reason, trigger_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        clip.camera,
                        clip.path,
                        clip.day,
                        clip.start,
                        clip.end,
                        clip.size,
                        clip.state,
                        clip.reason,
                        clip.trigger,
                    ),
                ).rowcount
            return added

        return self._run(work, write=True)

    def close_open(self, path: str, end: float, size: int) -> bool:
        """Mark a segment or clip still open as truncated at `end` (repair); False if it is not open."""

        def work(db: sqlite3.Connection) -> bool:
            changed = 0
            for table in ("UPDATE segments", "UPDATE clips"):
                changed += db.execute(
                    table + " SET end_at = ?, size = ?, state = 'truncated' WHERE path = ? AND state = 'open'",
                    (end, size, path),
                ).rowcount
            return changed > 0

        return self._run(work, write=True)

    def upsert_clip(self, clip: ClipInfo) -> None:
        """Add or update a clip (keyed by path)."""
        self._run(
            lambda db: db.execute(
                "INSERT INTO clips (camera, path, day, start_at, end_at, size, state, reason, trigger_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET camera = excluded.camera,"
                " day = excluded.day, start_at = excluded.start_at, end_at = excluded.end_at,"
                " size = excluded.size, state = excluded.state, reason = excluded.reason,"
                " trigger_at = excluded.trigger_at",
                (
                    clip.camera,
                    clip.path,
                    clip.day,
                    clip.start,
                    clip.end,
                    clip.size,
                    clip.state,
                    clip.reason,
                    clip.trigger,
                ),
            ),
            write=True,
        )

    def open_gap(self, camera: str, start: float, reason: str) -> None:
        """Footage of `camera` stops at `start` for `reason` (camera_down, storage_error, stopped, ...).

        If the camera's footage is known to end earlier and no gap covers the time between (a gap
        row lost while the disk was full), the gap starts where the footage ends.
        """

        def work(db: sqlite3.Connection) -> None:
            if db.execute("SELECT 1 FROM gaps WHERE camera = ? AND end_at IS NULL", (camera,)).fetchone() is not None:
                return
            footage = db.execute("SELECT MAX(end_at) FROM segments WHERE camera = ?", (camera,)).fetchone()[0]
            covered = db.execute("SELECT MAX(end_at) FROM gaps WHERE camera = ?", (camera,)).fetchone()[0]
            begin = start
            if footage is not None and footage < start - CONTINUITY_SECONDS and (covered is None or covered <= footage):
                begin = footage
            db.execute("INSERT INTO gaps (camera, start_at, reason) VALUES (?, ?, ?)", (camera, begin, reason))

        self._run(work, write=True)

    @staticmethod
    def _end_gap(db: sqlite3.Connection, camera: str, at: float) -> None:
        """Close the camera's open gap at `at`.

        With none open (the process was killed), the time since the camera's last footage is written
        down as a gap of its own.
        """
        row = db.execute("SELECT id, start_at FROM gaps WHERE camera = ? AND end_at IS NULL", (camera,)).fetchone()
        if row is not None:
            if at - row[1] > CONTINUITY_SECONDS:
                db.execute("UPDATE gaps SET end_at = ? WHERE id = ?", (at, row[0]))
            else:
                db.execute("DELETE FROM gaps WHERE id = ?", (row[0],))
            return
        last = db.execute("SELECT MAX(end_at) FROM segments WHERE camera = ?", (camera,)).fetchone()[0]
        if last is not None and at - last > CONTINUITY_SECONDS:
            db.execute(
                "INSERT INTO gaps (camera, start_at, end_at, reason) VALUES (?, ?, ?, 'not_recording')",
                (camera, last, at),
            )

    def fit_gaps(self) -> int:
        """Start every gap where the footage it overlaps ends; returns how many moved.

        A gap written while the index was missing rows (disk full, index lost) can start before a
        segment the rebuild found again: footage is never hidden under a gap.
        """

        def work(db: sqlite3.Connection) -> int:
            moved = db.execute(
                "UPDATE gaps SET start_at = (SELECT MAX(s.end_at) FROM segments s WHERE s.camera = gaps.camera"
                " AND s.start_at <= gaps.start_at AND s.end_at > gaps.start_at) WHERE EXISTS (SELECT 1 FROM"
                " segments s WHERE s.camera = gaps.camera AND s.start_at <= gaps.start_at"
                " AND s.end_at > gaps.start_at)"
            ).rowcount
            db.execute("DELETE FROM gaps WHERE end_at IS NOT NULL AND end_at <= start_at")
            return moved

        return self._run(work, write=True)

    def cover_hole(self, camera: str, start: float, end: float) -> bool:
        """Make sure the gaps of `camera` cover [start, end), a time between two segments (rebuild).

        A gap that only covers part of it (written while rows were being lost) is stretched to the
        footage on both sides; with none, a gap of unknown reason is added. True if one was added.
        """

        def work(db: sqlite3.Connection) -> bool:
            rows = db.execute(
                "SELECT id, start_at, end_at FROM gaps WHERE camera = ? AND start_at < ?"
                " AND (end_at IS NULL OR end_at > ?) ORDER BY start_at",
                (camera, end, start),
            ).fetchall()
            if not rows:
                db.execute(
                    "INSERT INTO gaps (camera, start_at, end_at, reason) VALUES (?, ?, ?, 'unknown')",
                    (camera, start, end),
                )
                return True
            if rows[0][1] > start:
                db.execute("UPDATE gaps SET start_at = ? WHERE id = ?", (start, rows[0][0]))
            if rows[-1][2] is not None and rows[-1][2] < end:
                db.execute("UPDATE gaps SET end_at = ? WHERE id = ?", (end, rows[-1][0]))
            return False

        return self._run(work, write=True)

    def add_gap(self, gap: GapInfo) -> None:
        """Write down a gap as it is."""
        self._run(
            lambda db: db.execute(
                "INSERT INTO gaps (camera, start_at, end_at, reason) VALUES (?, ?, ?, ?)",
                (gap.camera, gap.start, gap.end, gap.reason),
            ),
            write=True,
        )

    # --- writes: exports, holds, deletion ---------------------------------------------------------------

    def insert_export(self, export: ExportInfo, segment_paths: Iterable[str]) -> None:
        """Add an export; when held, its source segments are held with it."""

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO exports (id, camera, path, created_at, start_at, end_at, requested_start,"
                " requested_end, case_reference, requested_by, ha_user, size, held)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    export.export_id,
                    export.camera,
                    export.path,
                    export.created,
                    export.start,
                    export.end,
                    export.requested_start,
                    export.requested_end,
                    export.case_reference,
                    export.requested_by,
                    export.ha_user,
                    export.size,
                    int(export.held),
                ),
            )
            for path in segment_paths if export.held else ():
                self._hold(db, export.export_id, path)

        self._run(work, write=True)

    @staticmethod
    def _hold(db: sqlite3.Connection, export_id: str, path: str) -> bool:
        row = db.execute("SELECT id FROM segments WHERE path = ?", (path,)).fetchone()
        if row is None:
            return False
        added = db.execute("INSERT OR IGNORE INTO holds VALUES (?, ?)", (export_id, row[0])).rowcount
        if added:
            db.execute("UPDATE segments SET holds = holds + 1 WHERE id = ?", (row[0],))
        return True

    def hold_segments(self, export_id: str, segment_paths: Iterable[str]) -> list[str]:
        """Hold segments for `export_id` in one transaction; returns the paths that are held.

        A segment retention deleted meanwhile is not held (and not returned).
        """
        return self._run(lambda db: [path for path in segment_paths if self._hold(db, export_id, path)], write=True)

    def release_export(self, export_id: str) -> bool:
        """End an export's legal hold and its segments'; False if there is no such export.

        The holds of an export that never finished are released all the same.
        """

        def work(db: sqlite3.Connection) -> bool:
            db.execute(
                "UPDATE segments SET holds = holds - 1 WHERE id IN (SELECT segment_id FROM holds WHERE export_id = ?)",
                (export_id,),
            )
            db.execute("DELETE FROM holds WHERE export_id = ?", (export_id,))
            return db.execute("UPDATE exports SET held = 0 WHERE id = ?", (export_id,)).rowcount > 0

        return self._run(work, write=True)

    def claim(self, items: Iterable[Deletable]) -> list[Deletable]:
        """Remove the rows of `items` still deletable (not held, not open); returns those.

        Only what is returned may be deleted from disk. One transaction, so an export that holds a
        segment either holds it before this (it stays) or finds it gone (and does not use it).
        """

        def work(db: sqlite3.Connection) -> list[Deletable]:
            claimed = []
            for item in items:
                if item.kind == "segment":
                    sql = "DELETE FROM segments WHERE path = ? AND holds = 0 AND state != 'open'"
                elif item.kind == "clip":
                    sql = "DELETE FROM clips WHERE path = ? AND holds = 0 AND state != 'open'"
                else:
                    sql = "DELETE FROM exports WHERE id = ? AND held = 0"
                if db.execute(sql, (item.key,)).rowcount:
                    claimed.append(item)
            return claimed

        return self._run(work, write=True)

    def forget_clip(self, path: str) -> None:
        """Remove a clip's row whatever its state (a clip that never got footage)."""
        self._run(lambda db: db.execute("DELETE FROM clips WHERE path = ?", (path,)), write=True)

    def forget_segment(self, path: str) -> None:
        """Remove a segment's row whatever its state (its file is gone or holds nothing)."""
        self._run(lambda db: db.execute("DELETE FROM segments WHERE path = ? AND holds = 0", (path,)), write=True)

    def release_orphan_holds(self) -> int:
        """Drop holds of exports that never finished (the process died mid-export); returns how many."""

        def work(db: sqlite3.Connection) -> int:
            db.execute(
                "UPDATE segments SET holds = holds - (SELECT COUNT(*) FROM holds WHERE holds.segment_id = segments.id"
                " AND export_id NOT IN (SELECT id FROM exports)) WHERE id IN (SELECT segment_id FROM holds"
                " WHERE export_id NOT IN (SELECT id FROM exports))"
            )
            return db.execute("DELETE FROM holds WHERE export_id NOT IN (SELECT id FROM exports)").rowcount

        return self._run(work, write=True)

    # --- queries: browsing ----------------------------------------------------------------------------

    def cameras(self) -> list[str]:
        """Cameras with segments or clips (a skip-scan: one index seek per camera, not a table scan)."""
        return self._run(lambda db: sorted({row[0] for query in _CAMERAS for row in db.execute(query)}))

    def days(self, camera: str) -> list[str]:
        """Days (local dates, oldest first) with segments of `camera`: one index seek per day."""
        return self._run(lambda db: [row[0] for row in db.execute(_DAYS["segments"], {"c": camera})])

    def clip_days(self, camera: str) -> list[str]:
        """Days with clips of `camera`."""
        return self._run(lambda db: [row[0] for row in db.execute(_DAYS["clips"], {"c": camera})])

    def segments_of_day(self, camera: str, day: str) -> list[SegmentInfo]:
        """The segments of one camera-day in time order (what a media browser day page lists)."""
        return self._run(
            lambda db: [
                _segment(row)
                for row in db.execute(
                    _SEGMENTS + " WHERE camera = ? AND day = ? ORDER BY start_at",
                    (camera, day),
                )
            ]
        )

    def clips_of_day(self, camera: str, day: str) -> list[ClipInfo]:
        """The clips of one camera-day in time order."""
        return self._run(
            lambda db: [
                _clip(row)
                for row in db.execute(_CLIPS + " WHERE camera = ? AND day = ? ORDER BY start_at", (camera, day))
            ]
        )

    def clip(self, path: str) -> ClipInfo | None:
        """One clip by its relative path."""
        return self._run(
            lambda db: next(
                (_clip(row) for row in db.execute(_CLIPS + " WHERE path = ?", (path,))),
                None,
            )
        )

    def segment(self, path: str) -> SegmentInfo | None:
        """One segment by its relative path."""
        return self._run(
            lambda db: next(
                (_segment(row) for row in db.execute(_SEGMENTS + " WHERE path = ?", (path,))),
                None,
            )
        )

    def exports(self) -> list[ExportInfo]:
        """Every export, newest first."""
        return self._run(lambda db: [_export(row) for row in db.execute(_EXPORTS + " ORDER BY created_at DESC, id")])

    def export(self, export_id: str) -> ExportInfo | None:
        """One export by id."""
        return self._run(
            lambda db: next(
                (_export(row) for row in db.execute(_EXPORTS + " WHERE id = ?", (export_id,))),
                None,
            )
        )

    def gaps(self, camera: str, start: float, end: float) -> list[GapInfo]:
        """Gaps of `camera` overlapping [start, end), oldest first."""
        return self._run(
            lambda db: [
                GapInfo(camera, *row)
                for row in db.execute(
                    "SELECT start_at, end_at, reason FROM gaps WHERE camera = ? AND start_at < ?"
                    " AND (end_at IS NULL OR end_at > ?) ORDER BY start_at",
                    (camera, end, start),
                )
            ]
        )

    # --- queries: export, retention, repair ----------------------------------------------------------

    def covering(self, camera: str, start: float, end: float) -> list[SegmentInfo]:
        """Finished segments of `camera` overlapping [start, end), in time order."""
        return self._run(
            lambda db: [
                _segment(row)
                for row in db.execute(
                    _SEGMENTS + " WHERE camera = ? AND end_at > ? AND start_at < ?"
                    " AND state != 'open' ORDER BY start_at",
                    (camera, start, end),
                )
            ]
        )

    def recorded_range(self, camera: str) -> tuple[float, float] | None:
        """First start and last end of `camera`'s segments, or None without any."""

        def work(db: sqlite3.Connection) -> tuple[float, float] | None:
            first = db.execute(
                "SELECT start_at FROM segments WHERE camera = ? ORDER BY day, start_at LIMIT 1", (camera,)
            ).fetchone()
            last = db.execute("SELECT MAX(end_at) FROM segments WHERE camera = ?", (camera,)).fetchone()
            return None if first is None else (first[0], last[0])

        return self._run(work)

    def open_segments(self) -> list[SegmentInfo]:
        """Segments still marked as being written (after a crash: to be repaired)."""
        return self._run(lambda db: [_segment(row) for row in db.execute(_SEGMENTS + " WHERE state = 'open'")])

    def open_clips(self) -> list[ClipInfo]:
        """Clips still marked as being written."""
        return self._run(lambda db: [_clip(row) for row in db.execute(_CLIPS + " WHERE state = 'open'")])

    def total_bytes(self) -> int:
        """Bytes of every indexed segment, clip and export."""
        return self._run(
            lambda db: int(
                db.execute(
                    "SELECT (SELECT COALESCE(SUM(size), 0) FROM segments) + (SELECT COALESCE(SUM(size), 0) FROM clips)"
                    " + (SELECT COALESCE(SUM(size), 0) FROM exports)"
                ).fetchone()[0]
            )
        )

    def oldest_deletable(self, limit: int, before: float | None = None) -> list[Deletable]:
        """Up to `limit` deletable files, oldest first across cameras and kinds.

        With `before`, only footage that ended (exports: that were made) before it.
        """
        bound = float("inf") if before is None else before

        def work(db: sqlite3.Connection) -> list[Deletable]:
            segments = [
                Deletable("segment", row[0], row[0], row[1], row[2])
                for row in db.execute(
                    "SELECT path, size, start_at FROM segments WHERE holds = 0 AND state != 'open' AND start_at < ?"
                    " AND end_at < ? ORDER BY start_at LIMIT ?",
                    (bound, bound, limit),
                )
            ]
            clips = [
                Deletable("clip", row[0], row[0], row[1], row[2])
                for row in db.execute(
                    "SELECT path, size, start_at FROM clips WHERE holds = 0 AND state != 'open' AND start_at < ?"
                    " AND end_at < ? ORDER BY start_at LIMIT ?",
                    (bound, bound, limit),
                )
            ]
            exports = [
                Deletable("export", row[0], row[1], row[2], row[3])
                for row in db.execute(
                    "SELECT id, path, size, created_at FROM exports WHERE held = 0 AND created_at < ?"
                    " ORDER BY created_at LIMIT ?",
                    (bound, limit),
                )
            ]
            return list(heapq.merge(segments, clips, exports, key=lambda item: item.start))[:limit]

        return self._run(work)

"""The recording index: a SQLite database of segments, clips, exports, holds and gaps.

Browsing, retention and export ask the index, never the disk, so a media browser page costs a few
index lookups whatever the number of files. The files stay the record of truth: every file carries
its exact start in its own metadata, and legal holds are mirrored on disk, so a missing, corrupt or
deleted index is rebuilt from the files (see `rebuild.py`) and nothing held is ever forgotten.

Three layers: database.py (the file: one guarded connection, corruption and deletion handled),
queries.py (what browsing, export and retention ask), and here the writes. Every method is
thread-safe and blocks on disk I/O: none of them belongs on an event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from .queries import IndexQueries
from .records import CONTINUITY_SECONDS, ClipInfo, Deletable, ExportInfo, SegmentInfo


class RecordingIndex(IndexQueries):
    """The index at `path`: the writes here, the questions in queries.py, the file in database.py."""

    # --- writes: footage ---------------------------------------------------------------------------------

    def upsert_segment(self, segment: SegmentInfo) -> None:
        """Add or update a segment (keyed by path); a new segment ends its camera's gap."""

        def work(db: sqlite3.Connection) -> None:
            if db.execute("SELECT 1 FROM segments WHERE path = ?", (segment.path,)).fetchone() is None:
                self._end_gap(db, segment.camera, segment.start)  # new footage ends the camera's gap
            db.execute(
                f"INSERT INTO segments {_SEGMENT_COLUMNS} ON CONFLICT(path) DO UPDATE SET"
                " camera = excluded.camera, day = excluded.day, start_at = excluded.start_at,"
                " end_at = excluded.end_at, size = excluded.size, state = excluded.state,"
                " session = excluded.session, codec = excluded.codec, width = excluded.width,"
                " height = excluded.height, audio_codec = excluded.audio_codec",
                _segment_row(segment),
            )

        self._run(work, write=True)

    def insert_missing(self, segments: Iterable[SegmentInfo], clips: Iterable[ClipInfo]) -> int:
        """Add rows for files the index does not know yet (rebuild); returns how many were added."""

        def work(db: sqlite3.Connection) -> int:
            added = 0
            for segment in segments:
                added += db.execute(
                    f"INSERT OR IGNORE INTO segments {_SEGMENT_COLUMNS}",
                    _segment_row(segment),
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


# A segment row in the order of its columns (upsert while recording, insert of what a rebuild found).
_SEGMENT_COLUMNS = (
    "(camera, path, day, start_at, end_at, size, state, session, codec, width, height, audio_codec)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _segment_row(segment: SegmentInfo) -> tuple[object, ...]:
    """The values of `_SEGMENT_COLUMNS` for `segment`."""
    return (
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
    )

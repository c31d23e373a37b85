"""What the index answers: the media browser's, export's, retention's and repair's questions.

Every query is a constant (no value is ever formatted into SQL) and is answered from an SQL index
(see schema.py); read-only, through the database's guarded connection.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Sequence
from typing import Any

from .database import IndexDatabase
from .records import ClipInfo, Deletable, ExportInfo, GapInfo, SegmentInfo

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


class IndexQueries(IndexDatabase):
    """The read side of the index."""

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
        """The segments of one camera-day in time order (the media browser lists an hour: segments_between)."""
        return self._run(
            lambda db: [
                _segment(row)
                for row in db.execute(
                    _SEGMENTS + " WHERE camera = ? AND day = ? ORDER BY start_at",
                    (camera, day),
                )
            ]
        )

    def segment_starts(self, camera: str, day: str) -> list[float]:
        """When each segment of one camera-day starts, in order: what a day page needs to list its hours.

        Read from the SQL index alone (no table rows, no row objects): far cheaper than the segments.
        """
        return self._run(
            lambda db: [
                row[0]
                for row in db.execute(
                    "SELECT start_at FROM segments WHERE camera = ? AND day = ? ORDER BY start_at", (camera, day)
                )
            ]
        )

    def segments_between(self, camera: str, day: str, start: float, end: float) -> list[SegmentInfo]:
        """The segments of one camera-day starting in [start, end), in time order (an hour of a day)."""
        return self._run(
            lambda db: [
                _segment(row)
                for row in db.execute(
                    _SEGMENTS + " WHERE camera = ? AND day = ? AND start_at >= ? AND start_at < ? ORDER BY start_at",
                    (camera, day, start, end),
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

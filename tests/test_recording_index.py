"""The SQLite index: schema, the queries the media browser, export and retention ask, holds, gaps,
and what happens to a corrupt, deleted, foreign or unwritable database file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine.recording import (
    ClipInfo,
    ExportInfo,
    RecordingError,
    RecordingErrorKind,
    RecordingIndex,
    SegmentInfo,
)
from custom_components.ngu_doan_cameras.engine.recording.records import Deletable

from .recording_support import WALL, small_disk

__all__ = ["small_disk"]  # fixtures


def segment(camera: str, start: float, length: float = 60.0, **changes: object) -> SegmentInfo:
    day = "2026-11-30" if start < WALL + 80_000 else "2026-12-01"
    values: dict[str, object] = {
        "camera": camera,
        "path": f"recordings/{camera}/{day}/{start:.0f}.mp4",
        "day": day,
        "start": start,
        "end": start + length,
        "size": 1000,
        "state": "complete",
        "session": 1,
        "codec": "h264",
        "width": 1920,
        "height": 1080,
        "audio_codec": None,
    }
    values.update(changes)
    return SegmentInfo(**values)  # type: ignore[arg-type]


def export(export_id: str, created: float = WALL, held: bool = True) -> ExportInfo:
    return ExportInfo(
        export_id,
        "cam1",
        f"exports/{export_id}",
        created,
        WALL,
        WALL + 60,
        WALL,
        WALL + 60,
        "case",
        "A",
        None,
        10,
        held,
    )


@pytest.fixture
def index(tmp_path: Path) -> RecordingIndex:
    made = RecordingIndex(tmp_path / "recordings.db")
    yield made  # type: ignore[misc]
    made.close()


def test_schema_and_journal(index: RecordingIndex) -> None:
    index.ensure_open()
    assert index.rebuild_needed  # a new database: whatever is on disk must be indexed
    index.rebuild_done()
    with sqlite3.connect(index.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"


def test_browsing_queries(index: RecordingIndex) -> None:
    rows = [segment("cam1", WALL + 60 * n) for n in range(3)] + [segment("cam2", WALL), segment("cam1", WALL + 90_000)]
    for row in rows:
        index.upsert_segment(row)
    index.upsert_clip(
        ClipInfo("cam3", "clips/cam3/2026-11-30/a.mp4", "2026-11-30", WALL, WALL + 5, 9, "complete", "motion", WALL + 2)
    )
    assert index.cameras() == ["cam1", "cam2", "cam3"]
    assert index.days("cam1") == ["2026-11-30", "2026-12-01"]
    assert index.days("nobody") == []
    assert index.clip_days("cam3") == ["2026-11-30"]
    day = index.segments_of_day("cam1", "2026-11-30")
    assert [row.start for row in day] == [WALL, WALL + 60, WALL + 120]
    assert [row.id for row in day] == [1, 2, 3]
    assert index.segment(day[0].path) == day[0]
    assert index.segment("recordings/none.mp4") is None
    assert [row.start for row in index.covering("cam1", WALL + 70, WALL + 130)] == [WALL + 60, WALL + 120]
    assert index.covering("cam1", WALL + 180, WALL + 200) == []
    assert index.recorded_range("cam1") == (WALL, WALL + 90_060)
    assert index.recorded_range("nobody") is None
    assert index.clips_of_day("cam3", "2026-11-30")[0].reason == "motion"
    assert index.total_bytes() == 5 * 1000 + 9
    # An update keyed by path keeps the row (and its id).
    index.upsert_segment(segment("cam1", WALL, size=5))
    assert index.segments_of_day("cam1", "2026-11-30")[0].size == 5
    assert index.insert_missing([segment("cam1", WALL, size=7), segment("cam1", WALL + 180)], []) == 1
    assert index.segments_of_day("cam1", "2026-11-30")[0].size == 5


def test_gaps(index: RecordingIndex) -> None:
    index.upsert_segment(segment("cam1", WALL, state="open"))
    index.upsert_segment(segment("cam1", WALL))
    index.open_gap("cam1", WALL + 60, "camera_down")
    index.open_gap("cam1", WALL + 65, "camera_down")  # already open: kept as it was
    index.upsert_segment(segment("cam1", WALL + 90, state="open"))  # footage again: the gap ends
    # The process died: no gap was opened, yet footage stopped at WALL + 150 and came back at +400.
    index.upsert_segment(segment("cam1", WALL + 90))
    index.upsert_segment(segment("cam1", WALL + 400, state="open"))
    # A gap shorter than the continuity tolerance is no gap.
    index.open_gap("cam1", WALL + 460, "camera_down")
    index.upsert_segment(segment("cam1", WALL + 460.1, state="open"))
    gaps = index.gaps("cam1", WALL, WALL + 1000)
    assert [(g.start - WALL, g.end - WALL, g.reason) for g in gaps if g.end is not None] == [
        (60, 90, "camera_down"),
        (150, 400, "not_recording"),
    ]
    assert len(gaps) == 2
    assert index.gaps("cam1", WALL + 95, WALL + 100) == []


def test_holds_claims_and_orphans(index: RecordingIndex) -> None:
    rows = [segment("cam1", WALL + 60 * n) for n in range(4)]
    for row in rows:
        index.upsert_segment(row)
    index.upsert_segment(segment("cam1", WALL + 240, state="open"))
    assert index.hold_segments("exp-a", [rows[1].path, rows[2].path, "recordings/gone.mp4"]) == [
        rows[1].path,
        rows[2].path,
    ]
    index.insert_export(export("exp-a"), [rows[1].path, rows[2].path])  # holding again changes nothing
    index.insert_export(export("exp-b"), [rows[2].path])
    assert [row.holds for row in index.segments_of_day("cam1", "2026-11-30")] == [0, 1, 2, 0, 0]
    candidates = index.oldest_deletable(10)
    assert [item.key for item in candidates] == [rows[0].path, rows[3].path]  # not held, not open
    assert index.oldest_deletable(10, before=WALL + 61) == [candidates[0]]
    held = Deletable("segment", rows[1].path, rows[1].path, 1000, WALL)
    assert index.claim([held, candidates[0]]) == [candidates[0]]  # a held row is never given up
    assert index.release_export("exp-a")
    assert not index.release_export("nobody")
    assert [row.holds for row in index.segments_of_day("cam1", "2026-11-30")] == [0, 1, 0, 0]
    exp_b = index.export("exp-b")
    assert exp_b is not None
    assert exp_b.held
    assert [item.export_id for item in index.exports()] == ["exp-a", "exp-b"]
    # Released, exp-a may go too, oldest first among everything deletable (it was made at WALL).
    assert index.oldest_deletable(10) == [
        Deletable("export", "exp-a", "exports/exp-a", 10, WALL),
        *(Deletable("segment", row.path, row.path, 1000, row.start) for row in (rows[1], rows[3])),
    ]
    # An export that died after taking its holds: its holds go at the next start.
    index.hold_segments("exp-dead", [rows[3].path])
    assert index.release_orphan_holds() == 1
    assert [row.holds for row in index.segments_of_day("cam1", "2026-11-30")] == [0, 1, 0, 0]
    assert index.claim([Deletable("export", "exp-a", "exports/exp-a", 10, WALL)])
    assert index.export("exp-a") is None


def test_repair_marks_open_files_truncated(index: RecordingIndex) -> None:
    index.upsert_segment(segment("cam1", WALL, state="open", length=0))
    index.upsert_clip(ClipInfo("cam1", "clips/c.mp4", "2026-11-30", WALL, WALL, 0, "open", "motion", WALL))
    assert [row.path for row in index.open_segments()] == [segment("cam1", WALL).path]
    assert [row.path for row in index.open_clips()] == ["clips/c.mp4"]
    assert index.close_open(segment("cam1", WALL).path, WALL + 12.5, 4321)
    assert index.close_open("clips/c.mp4", WALL + 3, 99)
    assert not index.close_open("clips/c.mp4", WALL + 4, 100)  # no longer open: left as repaired
    row = index.segments_of_day("cam1", "2026-11-30")[0]
    assert (row.state, row.end, row.size) == ("truncated", WALL + 12.5, 4321)
    clip = index.clip("clips/c.mp4")
    assert clip is not None
    assert (clip.state, clip.end) == ("truncated", WALL + 3)
    index.forget_clip("clips/c.mp4")
    index.forget_segment(row.path)
    assert index.clip("clips/c.mp4") is None
    assert index.days("cam1") == []


def test_corrupt_file_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "recordings.db"
    path.write_bytes(b"this is not a database" * 100)
    rebuilds: list[bool] = []
    index = RecordingIndex(path, on_rebuild_needed=lambda: rebuilds.append(True))
    index.upsert_segment(segment("cam1", WALL))
    assert index.rebuild_needed
    assert rebuilds
    assert [p.name.startswith("recordings.db.corrupt-") for p in tmp_path.iterdir()].count(True) == 1
    assert len(index.segments_of_day("cam1", "2026-11-30")) == 1
    index.close()


def test_damage_found_while_running_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "recordings.db"
    index = RecordingIndex(path)
    for n in range(3000):
        index.upsert_segment(segment("cam1", WALL + 60 * n))
    index.close()
    with sqlite3.connect(path) as db:  # everything into the main file, so the damage below is read
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(8 * page, len(data) - page, page):  # wreck every page after the first few
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    index = RecordingIndex(path)
    index.rebuild_done()
    assert index.segments_of_day("cam1", "2026-11-30") == []  # a fresh database answered
    assert index.rebuild_needed
    assert any(p.name.startswith("recordings.db.corrupt-") for p in tmp_path.iterdir())
    index.close()


def test_deleted_while_running_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "recordings.db"
    rebuilds: list[bool] = []
    index = RecordingIndex(path, on_rebuild_needed=lambda: rebuilds.append(True))
    index.upsert_segment(segment("cam1", WALL))
    index.rebuild_done()
    rebuilds.clear()
    path.unlink()
    index.upsert_segment(segment("cam1", WALL + 60))  # written to a new file, not the unlinked one
    assert rebuilds == [True]
    assert index.rebuild_needed
    assert path.exists()
    index.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 1


def test_another_schema_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "recordings.db"
    index = RecordingIndex(path)
    index.upsert_segment(segment("cam1", WALL))
    index.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    index = RecordingIndex(path)
    assert index.days("cam1") == []
    assert index.rebuild_needed
    index.close()


def test_a_refused_write_is_rolled_back_and_asks_for_a_rebuild(index: RecordingIndex) -> None:
    index.ensure_open()
    index.rebuild_done()
    index.upsert_segment(segment("cam1", WALL))
    bad = ClipInfo(None, "clips/x.mp4", "2026-11-30", WALL, WALL, 0, "open", "x", WALL)  # type: ignore[arg-type]
    with pytest.raises(RecordingError) as error:
        index.upsert_clip(bad)  # NOT NULL refuses it
    assert error.value.kind is RecordingErrorKind.STORAGE_ERROR
    assert index.rebuild_needed
    assert index.clip("clips/x.mp4") is None
    assert len(index.segments_of_day("cam1", "2026-11-30")) == 1


def test_unwritable_folder_is_a_storage_error(small_disk: Callable[[str], Path]) -> None:
    folder = small_disk("ro,size=1m")
    index = RecordingIndex(folder / "ngu_doan_cameras" / "recordings.db")
    with pytest.raises(RecordingError) as error:
        index.upsert_segment(segment("cam1", WALL))
    assert error.value.kind is RecordingErrorKind.STORAGE_ERROR
    index.close()


def test_the_browser_queries_use_their_indexes(index: RecordingIndex) -> None:
    """The plans, not the clock: every browsing and retention query is an index search."""
    index.ensure_open()
    db = sqlite3.connect(index.path)

    def plan(sql: str, *params: object) -> str:
        return " | ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params))

    assert "USING INDEX segments_by_day" in plan(
        "SELECT * FROM segments WHERE camera = ? AND day = ? ORDER BY start_at", "cam1", "2026-11-30"
    )
    assert "USING COVERING INDEX segments_by_day" in plan(
        "SELECT MIN(day) FROM segments WHERE camera = ? AND day > ?", "cam1", "2026-11-30"
    )
    assert "USING INDEX segments_deletable" in plan(
        "SELECT path FROM segments WHERE holds = 0 AND state != 'open' AND start_at < ? AND end_at < ?"
        " ORDER BY start_at LIMIT 10",
        1e12,
        1e12,
    )
    assert "USING INDEX segments_by_end" in plan(
        "SELECT * FROM segments WHERE camera = ? AND end_at > ? AND start_at < ? AND state != 'open' ORDER BY start_at",
        "cam1",
        WALL,
        WALL + 60,
    )
    db.close()

"""Rebuilding the index from the files: segments and clips with their exact times, gaps between
them, exports and their holds from the export folders, and rows a dead run left open."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

from custom_components.ngu_doan_cameras.engine.recording import (
    ExportRequest,
    RecordingIndex,
    RecordingLayout,
    SegmentInfo,
)
from custom_components.ngu_doan_cameras.engine.recording.rebuild import (
    rebuild_index,
    remove_temporary_exports,
    repair_open_files,
)
from custom_components.ngu_doan_cameras.engine.recording.records import ClipInfo

from .media_feed import open_feed
from .recording_support import (
    CAMERA,
    SHORT,
    VN,
    WALL,
    MakeRecorder,
    all_segments,
    av_clip,
    clip_folder,
    drain,
    make_recorder,
    wait_for,
)

__all__ = ["av_clip", "clip_folder", "make_recorder"]  # fixtures


def test_rebuild_restores_everything_the_files_know(make_recorder: MakeRecorder, av_clip: Path, tmp_path: Path) -> None:
    media = tmp_path / "media"
    recorder = make_recorder(media)
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:150])
        clip = camera.start_clip(duration=1.0, reason="motion")
        feed.play(camera, feed.packets[150:])
        feed.end(camera)
    with open_feed(av_clip, wall_start=WALL + 30, session_id=2) as feed:
        feed.run(camera)
    drain(recorder)
    request = ExportRequest(
        "cam1", datetime.fromtimestamp(WALL + 1, VN), datetime.fromtimestamp(WALL + 2, VN), "Vụ 1", "A", "trucban"
    )
    held = recorder.export_evidence(request)
    released = recorder.export_evidence(request)
    recorder.release_hold(released.export_id, "B")
    before_segments = all_segments(recorder)
    before_clips = recorder.index.clips_of_day("cam1", "2026-11-30")
    before_exports = {e.export_id: e for e in recorder.index.exports()}
    assert recorder.stop()
    # Half-written export folders and an unreadable one come along.
    (recorder.layout.exports_dir / ".tmp-20261130-000000_cam1_x_000000").mkdir()
    (recorder.layout.exports_dir / "20261130-000000_cam1_broken_000000").mkdir()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{recorder.layout.index_path}{suffix}").unlink(missing_ok=True)

    again = make_recorder(media)
    wait_for(lambda: again.status.last_rebuild is not None)
    report = again.status.last_rebuild
    assert report is not None
    assert (report.segments, report.clips, report.exports, report.gaps) == (6, 1, 2, 1)
    after = all_segments(again)
    assert [(r.path, r.start, r.end, r.session, r.width, r.audio_codec, r.holds) for r in after] == [
        (r.path, r.start, r.end, r.session, r.width, r.audio_codec, r.holds) for r in before_segments
    ]
    clips = again.index.clips_of_day("cam1", "2026-11-30")
    assert [(c.path, c.start, c.reason, c.trigger) for c in clips] == [
        (c.path, c.start, c.reason, c.trigger) for c in before_clips
    ]
    assert clip.clip_id == clips[0].path
    exports = {e.export_id: e for e in again.index.exports()}
    assert set(exports) == set(before_exports)
    assert exports[held.export_id].held
    assert not exports[released.export_id].held
    assert exports[held.export_id].case_reference == "Vụ 1"
    assert exports[held.export_id].start == before_exports[held.export_id].start
    gaps = again.index.gaps("cam1", WALL, WALL + 100)
    assert [(g.start, g.end, g.reason) for g in gaps] == [(WALL + 12, WALL + 30, "unknown")]
    assert not (again.layout.exports_dir / ".tmp-20261130-000000_cam1_x_000000").exists()


def test_open_rows_of_a_dead_run_are_settled(tmp_path: Path, av_clip: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    index = RecordingIndex(layout.index_path)
    shutil.copy(av_clip, tmp_path / "source.mp4")
    kept = layout.root / "recordings" / "cam1" / "2026-11-30" / "02-13-05.mp4"
    kept.parent.mkdir(parents=True)
    shutil.copy(av_clip, kept)

    def open_row(path: str) -> SegmentInfo:
        return SegmentInfo("cam1", path, "2026-11-30", WALL, WALL, 0, "open")

    index.upsert_segment(open_row("recordings/cam1/2026-11-30/02-13-05.mp4"))
    index.upsert_segment(open_row("recordings/cam1/2026-11-30/02-14-00.mp4"))  # its file is gone
    index.upsert_segment(open_row("recordings/cam1/2026-11-30/02-15-00.mp4"))  # being written now
    index.upsert_segment(open_row("../../etc/passwd"))  # a row no file of ours can have
    open_clip = layout.root / "clips" / "cam1" / "2026-11-30" / "02-17-00.mp4"
    open_clip.parent.mkdir(parents=True)
    shutil.copy(av_clip, open_clip)
    index.upsert_clip(
        ClipInfo("cam1", "clips/cam1/2026-11-30/02-17-00.mp4", "2026-11-30", WALL, WALL, 0, "open", "a", WALL)
    )
    index.upsert_clip(
        ClipInfo("cam1", "clips/cam1/2026-11-30/02-16-00.mp4", "2026-11-30", WALL, WALL, 0, "open", "motion", WALL)
    )
    active = {"recordings/cam1/2026-11-30/02-15-00.mp4"}
    assert repair_open_files(layout, index, active) == 2
    rows = {row.path: row for row in index.segments_of_day("cam1", "2026-11-30")}
    assert set(rows) == {"recordings/cam1/2026-11-30/02-13-05.mp4", "recordings/cam1/2026-11-30/02-15-00.mp4"}
    repaired = rows["recordings/cam1/2026-11-30/02-13-05.mp4"]
    assert (repaired.state, repaired.end - repaired.start) == ("truncated", 12.0)
    assert rows["recordings/cam1/2026-11-30/02-15-00.mp4"].state == "open"
    assert index.open_clips() == []
    clip = index.clip("clips/cam1/2026-11-30/02-17-00.mp4")
    assert clip is not None
    assert (clip.state, clip.end - clip.start) == ("truncated", 12.0)
    assert (tmp_path / "source.mp4").exists()
    index.close()


def test_what_the_rebuild_leaves_alone(tmp_path: Path, av_clip: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    day = layout.root / "recordings" / "cam1" / "2026-11-30"
    day.mkdir(parents=True)
    shutil.copy(av_clip, day / "not-a-time.mp4")  # not a name of ours: not indexed, not touched
    # A header and a fragment of nonsense: complete boxes, but FFmpeg cannot read them.
    (day / "02-13-05.mp4").write_bytes(
        b"\x00\x00\x00\x10ftypiso5\x00\x00\x00\x00"
        + b"\x00\x00\x00\x10moov"
        + b"\xff" * 8
        + b"\x00\x00\x00\x10mdat"
        + b"\xee" * 8
    )
    layout.exports_dir.mkdir(parents=True)
    (layout.exports_dir / "stray-file").write_text("x")
    index = RecordingIndex(layout.index_path)
    report = rebuild_index(layout, index)
    assert report.unreadable == ["recordings/cam1/2026-11-30/02-13-05.mp4"]
    assert (report.segments, report.exports) == (0, 0)
    assert (day / "not-a-time.mp4").exists()
    assert (day / "02-13-05.mp4").exists()  # kept for a person to look at
    index.close()


def test_remove_temporary_exports_without_exports(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    assert remove_temporary_exports(layout) == 0
    index = RecordingIndex(layout.index_path)
    report = rebuild_index(layout, index)
    assert (report.segments, report.clips, report.exports) == (0, 0, 0)
    index.close()


def test_an_export_manifest_that_is_not_ours_is_skipped(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.run(camera)
    drain(recorder)
    result = recorder.export_evidence(
        ExportRequest("cam1", datetime.fromtimestamp(WALL + 1, VN), datetime.fromtimestamp(WALL + 2, VN), "c", "A")
    )
    result.manifest.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    report = rebuild_index(recorder.layout, recorder.index)
    assert report.exports == 0

"""Retention by age, by quota and by free space: oldest first across cameras, held and open files
spared, on real recorded files (and a real small disk for free space)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine.recording import (
    CameraInfo,
    ExportRequest,
    Recorder,
    RecordingError,
    RecordingErrorKind,
    RecordingMode,
    Retention,
    RetentionSettings,
)

from .media_feed import open_feed
from .recording_support import (
    CAMERA,
    SHORT,
    VN,
    MakeRecorder,
    all_segments,
    av_clip,
    clip_folder,
    drain,
    make_recorder,
    remount,
    small_disk,
)

__all__ = ["av_clip", "clip_folder", "make_recorder", "small_disk"]  # fixtures

OTHER = CameraInfo("cam2", "Đoan Xá - Chợ", "Thôn Đoan Xá")
DAY = 86_400.0


def record(recorder: Recorder, clip: Path, camera: CameraInfo, wall: float, session: int = 1) -> None:
    sink = recorder.add_camera(camera, SHORT)
    with open_feed(clip, wall_start=wall, session_id=session) as feed:
        feed.run(sink)


def paths(recorder: Recorder) -> list[str]:
    return sorted(row.path for row in all_segments(recorder))


def retention(recorder: Recorder, **settings: float | None) -> Retention:
    limits = RetentionSettings(keep_days=None, quota_gb=None, min_free_gb=None)
    return Retention(recorder.layout, recorder.index, replace(limits, **settings), active=recorder.active)


def test_by_age_sparing_held_files(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    now = time.time()
    record(recorder, av_clip, CAMERA, now - 20 * DAY)  # three 4 s segments, 20 days old
    record(recorder, av_clip, OTHER, now - 13 * DAY)  # three, 13 days old
    drain(recorder)
    held = recorder.export_evidence(
        ExportRequest(
            "cam1",
            datetime.fromtimestamp(now - 20 * DAY + 1, VN),
            datetime.fromtimestamp(now - 20 * DAY + 2, VN),
            "case",
            "A",
        )
    )
    report = retention(recorder, keep_days=14).run_once()
    assert report.by_age == 2
    assert report.deleted == {"segment": 2, "clip": 0, "export": 0}
    assert report.unsatisfied == []
    left = paths(recorder)
    assert list(held.source_segments) == [path for path in left if "/cam1/" in path]
    assert len([path for path in left if "/cam2/" in path]) == 3
    on_disk = sorted(
        p.relative_to(recorder.layout.root).as_posix() for p in recorder.layout.root.glob("recordings/*/*/*.mp4")
    )
    assert on_disk == left


def test_by_quota_oldest_first_across_cameras(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    start = time.time() - 3600
    record(recorder, av_clip, CAMERA, start)
    record(recorder, av_clip, OTHER, start + 1)  # one second behind cam1
    drain(recorder)
    rows = all_segments(recorder)
    total = recorder.index.total_bytes()
    # Room for all but about two segments: the two oldest go, one of each camera.
    quota = total - rows[0].size - rows[1].size // 2
    report = retention(recorder, quota_gb=quota / 1e9).run_once()
    assert report.by_quota == 2
    assert report.freed_bytes == rows[0].size + rows[1].size
    assert {rows[0].camera, rows[1].camera} == {"cam1", "cam2"}
    assert paths(recorder) == sorted(row.path for row in rows[2:])
    assert report.total_bytes == total - report.freed_bytes
    assert report.total_bytes <= quota


def test_by_free_space_on_a_small_disk(
    make_recorder: MakeRecorder, av_clip: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("size=8m")
    recorder = make_recorder(disk)
    start = time.time() - 3600
    for n in range(3):
        record(recorder, av_clip, CAMERA, start + 100 * n, session=n + 1)  # 9 segments, about 2.9 MB
    drain(recorder)
    free = shutil.disk_usage(disk).free
    wanted = free + 1_000_000  # a million bytes more free than now: about three segments must go
    report = retention(recorder, min_free_gb=wanted / 1e9).run_once()
    assert report.unsatisfied == []
    assert shutil.disk_usage(disk).free >= wanted
    assert 3 <= report.by_free_space <= 5
    remaining = paths(recorder)
    assert len(remaining) == 9 - report.by_free_space
    # The oldest went first.
    assert remaining == sorted(remaining)[-len(remaining) :]
    assert min(remaining) > "recordings/cam1/" + datetime.fromtimestamp(start, VN).strftime("%Y-%m-%d/%H-%M-%S")


def test_open_and_held_files_are_never_deleted(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    wall = time.time() - 30 * DAY
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=wall) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[: len(feed.packets) // 2])  # still recording its second segment
        drain(recorder)
        report = retention(recorder, keep_days=1, quota_gb=0.0).run_once()
        current = camera.status.current_segment
        assert current is not None
        assert paths(recorder) == [current]  # the segment being written stays, whatever the limits
        assert recorder.layout.resolve(current).exists()
        assert report.by_age == 1
        feed.play(camera, feed.packets[len(feed.packets) // 2 :])
        feed.end(camera)
    drain(recorder)
    assert retention(recorder, keep_days=1).run_once().by_age == 2


def test_files_that_cannot_be_deleted_are_reported(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    record(recorder, av_clip, CAMERA, time.time() - 30 * DAY)
    drain(recorder)
    folder = next((recorder.layout.root / "recordings" / "cam1").iterdir())
    # That day's folder alone becomes read-only (a bind mount over itself); the index stays writable.
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        report = retention(recorder, keep_days=1).run_once()
    finally:
        subprocess.run(["umount", str(folder)], check=True)
    assert report.deleted["segment"] == 0
    assert len(report.errors) == 3  # each file said plainly, nothing raised
    assert "Read-only file system" in report.errors[0]


def test_an_unwritable_media_folder_stops_retention_with_a_storage_error(
    make_recorder: MakeRecorder, av_clip: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("size=8m")
    recorder = make_recorder(disk)
    record(recorder, av_clip, CAMERA, time.time() - 30 * DAY)
    drain(recorder)
    recorder.index.close()
    remount(disk, "ro")
    try:
        with pytest.raises(RecordingError) as error:
            Retention(recorder.layout, recorder.index, RetentionSettings(keep_days=1, min_free_gb=None)).run_once()
    finally:
        remount(disk, "rw")
    assert error.value.kind is RecordingErrorKind.STORAGE_ERROR
    assert len(paths(recorder)) == 3


def test_limits_that_cannot_be_met_are_reported(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    record(recorder, av_clip, CAMERA, time.time() - 3600)
    drain(recorder)
    rows = all_segments(recorder)
    recorder.index.hold_segments("case", [row.path for row in rows])  # everything held
    report = retention(recorder, quota_gb=1e-9, min_free_gb=1e6).run_once()
    assert report.unsatisfied == ["quota", "min_free"]
    assert report.deleted == {"segment": 0, "clip": 0, "export": 0}
    assert paths(recorder) == sorted(row.path for row in rows)


def test_clips_age_out_too(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    sink = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS))
    old = time.time() - 30 * DAY
    with open_feed(av_clip, wall_start=old) as feed:
        feed.start(sink)
        feed.play(sink, feed.packets[:60])
        clip = sink.start_clip(duration=1.0)
        feed.play(sink, feed.packets[60:])
        feed.end(sink)
    assert clip.wait(30) is not None
    report = retention(recorder, keep_days=14).run_once()
    assert report.deleted == {"segment": 0, "clip": 1, "export": 0}
    assert not clip.path.exists()
    assert not clip.path.parent.exists()

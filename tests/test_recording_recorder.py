"""The site recorder: threads started and joined, cameras, listeners, the bounded I/O queue, and the
maintenance thread (repair, rebuild, retention on its own)."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine.recording import (
    CameraInfo,
    ClipInfo,
    Recorder,
    RecordingError,
    RecordingErrorKind,
    RecordingMode,
    RetentionSettings,
)
from custom_components.ngu_doan_cameras.engine.recording.worker import IoWorker

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
    video_clip,
    wait_for,
)

__all__ = ["av_clip", "clip_folder", "make_recorder", "video_clip"]  # fixtures


def recorder_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("ngu_doan_recorder"))


def test_threads_start_once_and_are_joined(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, tz=VN)
    assert recorder.stop()  # never started: nothing to stop
    recorder.start()
    recorder.start()
    assert recorder_threads() == ["ngu_doan_recorder_io", "ngu_doan_recorder_maintenance"]
    assert recorder.status.running
    assert recorder.stop()
    assert recorder_threads() == []
    assert not recorder.status.running


def test_cameras(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    with pytest.raises(RecordingError) as error:
        recorder.add_camera(CameraInfo("../../etc", "x"))
    assert error.value.kind is RecordingErrorKind.INVALID_CAMERA_ID
    with pytest.raises(RecordingError) as error:
        recorder.camera("cam9")
    assert error.value.kind is RecordingErrorKind.UNKNOWN_CAMERA
    camera = recorder.add_camera(CAMERA, SHORT)
    again = recorder.add_camera(replace(CAMERA, name="Renamed"), replace(SHORT, mode=RecordingMode.EVENTS))
    assert again is camera
    assert recorder.camera("cam1") is camera
    assert camera.settings.mode is RecordingMode.EVENTS
    assert recorder.add_camera(CAMERA) is camera  # no settings: kept as they are
    assert camera.settings.mode is RecordingMode.EVENTS
    camera.update(SHORT)
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:50])
        assert recorder.status.cameras["cam1"].recording
        recorder.remove_camera("cam1")  # its file is finished where the footage is
        feed.play(camera, feed.packets[50:])  # ignored: the camera was removed
        feed.end(camera)
    recorder.remove_camera("cam1")
    drain(recorder)
    rows = all_segments(recorder)
    assert [(row.state, round(row.end - row.start, 3)) for row in rows] == [("complete", 3.333)]  # 50 frames
    gap = recorder.index.gaps("cam1", WALL, WALL + 60)[0]
    assert (gap.start, gap.end, gap.reason) == (rows[0].end, None, "stopped")
    assert "cam1" not in recorder.status.cameras


def test_stop_finishes_files_in_progress(tmp_path: Path, video_clip: Path) -> None:
    recorder = Recorder(tmp_path, tz=VN)
    recorder.start()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.CONTINUOUS))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:50])
        clip = camera.start_clip(duration=60)
        assert recorder.stop()
        feed.play(camera, feed.packets[50:])
    info = clip.wait(0)
    assert info is not None
    again = Recorder(tmp_path, tz=VN)  # the index on disk says the same
    assert [row.state for row in again.index.segments_of_day("cam1", "2026-11-30")] == ["complete"]
    assert [c.path for c in again.index.clips_of_day("cam1", "2026-11-30")] == [info.path]
    again.index.close()


def test_clip_listeners(make_recorder: MakeRecorder, video_clip: Path, caplog: pytest.LogCaptureFixture) -> None:
    recorder = make_recorder()
    seen: list[ClipInfo] = []
    removed: list[ClipInfo] = []

    def broken(_clip: ClipInfo) -> None:
        raise RuntimeError("listener bug")

    recorder.add_clip_listener(broken)
    recorder.add_clip_listener(seen.append)
    remove = recorder.add_clip_listener(removed.append)
    remove()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:30])
        clip = camera.start_clip(duration=0.5)
        feed.play(camera, feed.packets[30:])
        feed.end(camera)
    info = clip.wait(30)
    drain(recorder)
    assert seen == [info]
    assert removed == []
    assert "Clip listener failed" in caplog.text


def test_a_full_queue_runs_jobs_inline_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    worker = IoWorker(capacity=1)
    worker.start()
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def stuck() -> None:
        started.set()
        release.wait()

    worker.submit(stuck)
    started.wait(10)  # the worker is stuck on this
    worker.submit(lambda: ran.append("queued"))  # fills the queue
    wait_for(lambda: worker.pending == 1)
    worker.submit(lambda: ran.append("inline"))  # no room: runs here, now
    assert ran == ["inline"]
    assert worker.overflows == 1
    assert "queue full" in caplog.text
    worker.submit(lambda: 1 / 0)  # type: ignore[func-returns-value]
    release.set()
    assert worker.stop()
    assert ran == ["inline", "queued"]  # nothing dropped
    assert worker.failures == 1
    assert worker.stop()  # twice is fine
    worker.submit(lambda: ran.append("after stop"))  # runs inline
    assert ran[-1] == "after stop"


def test_maintenance_applies_retention_on_its_own(make_recorder: MakeRecorder, video_clip: Path) -> None:
    old = time.time() - 30 * 86_400
    recorder = make_recorder(retention=RetentionSettings(keep_days=14, min_free_gb=None), retention_interval=0.2)
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(video_clip, wall_start=old) as feed:
        feed.run(camera)
    drain(recorder)
    recorder.request_maintenance()
    wait_for(lambda: recorder.status.last_retention is not None and all_segments(recorder) == [])
    report = recorder.status.last_retention
    assert report is not None
    assert recorder.index.days("cam1") == []


def test_files_without_an_index_are_found_at_start(
    make_recorder: MakeRecorder, av_clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_recorder(tmp_path / "one")
    camera = first.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.run(camera)
    assert first.stop()
    # The recordings alone are copied to another media folder (a new disk, a restore from backup);
    # a stray empty file and a file FFmpeg cannot read come along.
    shutil.copytree(first.layout.root / "recordings", tmp_path / "two" / "ngu_doan_cameras" / "recordings")
    day = tmp_path / "two" / "ngu_doan_cameras" / "recordings" / "cam1" / "2026-11-30"
    (day / "02-20-00.mp4").write_bytes(b"")
    (day / "02-21-00.mp4").write_bytes(b"\x00\x00\x00\x08free" + b"x" * 100)
    (day / "notes.txt").write_text("not a recording")
    caplog.set_level(logging.INFO)
    second = make_recorder(tmp_path / "two")
    wait_for(lambda: second.status.last_rebuild is not None)
    rebuilt = second.status.last_rebuild
    assert rebuilt is not None
    # The empty file and the one without a header hold nothing playable: both removed.
    assert (rebuilt.segments, rebuilt.removed_empty, rebuilt.unreadable) == (3, 2, [])
    assert [(row.start - WALL, row.end - WALL) for row in all_segments(second)] == [(0, 4), (4, 8), (8, 12)]
    assert not (day / "02-20-00.mp4").exists()
    assert not (day / "02-21-00.mp4").exists()
    assert (day / "notes.txt").exists()
    assert "Recording index rebuilt" in caplog.text


def test_holds_of_an_export_that_died_are_released_at_start(
    make_recorder: MakeRecorder, video_clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_recorder(tmp_path / "m")
    camera = first.add_camera(CAMERA, SHORT)
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.run(camera)
    drain(first)
    paths = [row.path for row in all_segments(first)]
    first.index.hold_segments("20261130-021305_cam1_x_abcdef", paths)  # then the process died
    assert first.stop()
    caplog.set_level(logging.INFO)
    again = make_recorder(tmp_path / "m")
    wait_for(lambda: f"Released {len(paths)} holds" in caplog.text)
    assert all(row.holds == 0 for row in all_segments(again))


def test_a_new_session_without_the_end_of_the_last(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with (
        open_feed(video_clip, wall_start=WALL) as first,
        open_feed(video_clip, wall_start=WALL + 10, session_id=2) as second,
    ):
        first.start(camera)
        first.play(camera)
        second.run(camera)  # the reader never said the first one ended
    drain(recorder)
    gap = recorder.index.gaps("cam1", WALL, WALL + 100)[0]
    assert (gap.start, gap.end, gap.reason) == (WALL + 6.0, WALL + 10, "camera_down")
    camera.close()
    with open_feed(video_clip, wall_start=WALL + 20, session_id=3) as third:
        third.run(camera)  # closed: ignored
    drain(recorder)
    assert {row.session for row in all_segments(recorder)} == {1, 2}

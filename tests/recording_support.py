"""Fixtures and helpers shared by the recording tests (imported by each tests/test_recording_*.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custom_components.ngu_doan_cameras.engine.recording import (
    CameraInfo,
    CameraRecordingSettings,
    Recorder,
    RecorderSettings,
    RetentionSettings,
    SegmentInfo,
)

from .media_feed import ClipSpec, make_clip

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A recent wall time (so default retention would keep it), in whole seconds, 02:13:05 in Hải Phòng.
WALL = datetime(2026, 11, 30, 2, 13, 5, tzinfo=VN).timestamp()
NO_RETENTION = RetentionSettings(keep_days=None, quota_gb=None, min_free_gb=None)
CAMERA = CameraInfo("cam1", "Trúc - Ngã tư", "Thôn Trúc")
SHORT = CameraRecordingSettings(segment_seconds=4.0, pre_roll_seconds=3.0, post_roll_seconds=2.0, sync_seconds=1.0)

# 12 s, 640x360, 15 fps, a key frame every second, B-frames, AAC audio at 16 kHz.
AV_CLIP = ClipSpec()
VIDEO_ONLY = ClipSpec(audio=False, seconds=6)
SMALL = ClipSpec(size="320x180", seconds=6)


@pytest.fixture(scope="session")
def clip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("recording_clips")


@pytest.fixture(scope="session")
def av_clip(clip_folder: Path) -> Path:
    return make_clip(clip_folder, AV_CLIP)


@pytest.fixture(scope="session")
def video_clip(clip_folder: Path) -> Path:
    return make_clip(clip_folder, VIDEO_ONLY)


@pytest.fixture(scope="session")
def small_clip(clip_folder: Path) -> Path:
    return make_clip(clip_folder, SMALL)


type MakeRecorder = Callable[..., Recorder]


@pytest.fixture
def make_recorder(tmp_path: Path) -> Iterator[MakeRecorder]:
    """Started recorders on `tmp_path/media` (or another folder), stopped and joined after the test."""
    made: list[Recorder] = []

    def make(media: Path | None = None, **settings: object) -> Recorder:
        options: dict[str, object] = {"retention": NO_RETENTION, **settings}
        recorder = Recorder(
            media or tmp_path / "media",
            site_name="Công an xã Ngũ Đoan",
            tz=VN,
            settings=RecorderSettings(**options),  # type: ignore[arg-type]
        )
        recorder.start()
        made.append(recorder)
        return recorder

    yield make
    for recorder in made:
        assert recorder.stop()


def all_segments(recorder: Recorder) -> list[SegmentInfo]:
    """Every indexed segment of every camera, oldest first (through the browsing queries)."""
    index = recorder.index
    rows = [
        row for camera in index.cameras() for day in index.days(camera) for row in index.segments_of_day(camera, day)
    ]
    return sorted(rows, key=lambda row: row.start)


def drain(recorder: Recorder) -> None:
    """Wait until the recorder's worker has run everything queued so far (a marker job runs last)."""
    done: list[bool] = []
    recorder.worker.submit(lambda: done.append(True))
    wait_for(lambda: bool(done))


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount small tmpfs file systems (a real disk that fills up, or a read-only one); unmounted after.

    Needs CAP_SYS_ADMIN (the project's CI and dev machines run the tests as root)."""
    import subprocess

    mounted: list[Path] = []

    def mount(options: str) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def remount(folder: Path, options: str) -> None:
    """Change a small_disk mount's options (size, ro/rw) in place."""
    import subprocess

    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)

"""The on-disk layout: every path built in one place, nothing a caller passes leaves the media folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine.recording import RecordingError, RecordingErrorKind, RecordingLayout
from custom_components.ngu_doan_cameras.engine.recording.worker import ActiveFiles

from .recording_support import VN, WALL, remount, small_disk

__all__ = ["small_disk"]  # fixtures

BAD_NAMES = ["../../etc", "..", ".", "a/b", "a\\b", "", "cam 1", "cam.1", "cam\x00", "-cam", "trúc"]


def test_media_files_are_named_by_local_time_and_never_overwritten(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    active = ActiveFiles()
    made = []
    for _ in range(3):
        path, file = layout.create_media_file("recordings", "cam1", WALL + 0.9, active)
        file.write(b"x")
        file.close()
        made.append(layout.relative(path))
    assert made == [
        "recordings/cam1/2026-11-30/02-13-05.mp4",
        "recordings/cam1/2026-11-30/02-13-05-1.mp4",
        "recordings/cam1/2026-11-30/02-13-05-2.mp4",
    ]
    assert all(path in active for path in made)  # claimed before the file existed
    assert all(layout.resolve(path).read_bytes() == b"x" for path in made)
    clip, file = layout.create_media_file("clips", "cam1", WALL, active)
    file.close()
    assert layout.relative(clip) == "clips/cam1/2026-11-30/02-13-05.mp4"
    assert layout.media_relative(made[0]) == "ngu_doan_cameras/recordings/cam1/2026-11-30/02-13-05.mp4"
    assert layout.index_path == tmp_path / "ngu_doan_cameras" / "recordings.db"
    assert layout.day_of(WALL) == "2026-11-30"
    assert layout.local(WALL).isoformat() == "2026-11-30T02:13:05+07:00"


def test_a_failed_create_releases_its_claim(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    active = ActiveFiles()
    folder = layout.day_dir("recordings", "cam1", "2026-11-30")
    folder.parent.mkdir(parents=True)
    folder.write_bytes(b"")  # a file where the day folder should be
    with pytest.raises(OSError):
        layout.create_media_file("recordings", "cam1", WALL, active)
    assert len(active) == 0


def test_a_file_that_cannot_be_created_releases_its_claim(tmp_path: Path, small_disk: Callable[[str], Path]) -> None:
    disk = small_disk("size=1m")
    layout = RecordingLayout(disk, VN)
    layout.day_dir("recordings", "cam1", "2026-11-30").mkdir(parents=True)
    remount(disk, "ro")
    active = ActiveFiles()
    with pytest.raises(OSError, match="Read-only"):
        layout.create_media_file("recordings", "cam1", WALL, active)
    assert len(active) == 0


@pytest.mark.parametrize("name", BAD_NAMES)
def test_unsafe_camera_and_export_ids_are_refused(tmp_path: Path, name: str) -> None:
    layout = RecordingLayout(tmp_path, VN)
    with pytest.raises(RecordingError) as error:
        layout.check_camera_id(name)
    assert error.value.kind is RecordingErrorKind.INVALID_CAMERA_ID
    with pytest.raises(RecordingError) as error:
        layout.create_media_file("recordings", name, WALL, ActiveFiles())
    assert error.value.kind is RecordingErrorKind.INVALID_CAMERA_ID
    with pytest.raises(RecordingError) as error:
        layout.export_dir(name)
    assert error.value.kind is RecordingErrorKind.UNKNOWN_EXPORT
    assert not any(tmp_path.iterdir())  # nothing was created anywhere


def test_ids_have_a_length_limit(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    with pytest.raises(RecordingError):
        layout.check_camera_id("x" * 81)
    with pytest.raises(RecordingError):
        layout.check_export_id("x" * 201)


def test_good_ids(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    for name in ("cam1", "01JD2ABCDE", "cam_1-2", "C" * 80):
        assert layout.check_camera_id(name) == name
    export_id = layout.new_export_id("cam1", "Vụ 12/2026 - Đường 402 ../../etc", WALL)
    assert export_id.startswith("20261130-021305_cam1_vu-12-2026-duong-402-etc_")
    assert layout.export_dir(export_id) == tmp_path / "ngu_doan_cameras" / "exports" / export_id
    assert layout.export_temp_dir(export_id).name == f".tmp-{export_id}"
    assert layout.new_export_id("cam1", "???", WALL).split("_")[2] == "case"
    assert layout.new_export_id("cam1", "a", WALL) != layout.new_export_id("cam1", "a", WALL)


@pytest.mark.parametrize(
    "relative",
    ["../x", "/etc/passwd", "recordings/../../x", "a\\b", "", "a\x00b", "recordings/cam1/.."],
)
def test_paths_that_climb_out_are_refused(tmp_path: Path, relative: str) -> None:
    layout = RecordingLayout(tmp_path, VN)
    with pytest.raises(RecordingError) as error:
        layout.resolve(relative)
    assert error.value.kind is RecordingErrorKind.UNSAFE_PATH


def test_a_link_out_of_the_media_folder_is_refused(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path / "media", VN)
    outside = tmp_path / "outside"
    outside.mkdir()
    (layout.root / "recordings").mkdir(parents=True)
    os.symlink(outside, layout.root / "recordings" / "cam1")
    with pytest.raises(RecordingError) as error:
        layout.resolve("recordings/cam1/2026-11-30/02-13-05.mp4")
    assert error.value.kind is RecordingErrorKind.UNSAFE_PATH
    with pytest.raises(RecordingError):
        layout.create_media_file("recordings", "cam1", WALL, ActiveFiles())
    assert not any(outside.iterdir())
    with pytest.raises(RecordingError) as error:
        layout.day_dir("recordings", "cam2", "../../x")
    assert error.value.kind is RecordingErrorKind.UNSAFE_PATH


def test_media_names_are_read_back(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    name = layout.parse_media_path("recordings/cam1/2026-11-30/02-13-05-2.mp4")
    assert name is not None
    assert (name.kind, name.camera_id, name.day) == ("recordings", "cam1", "2026-11-30")
    assert name.local_start.timestamp() == WALL
    for other in (
        "recordings/cam1/2026-11-30/02-13-05.mkv",
        "exports/cam1/2026-11-30/02-13-05.mp4",
        "recordings/cam1/2026-02-30/02-13-05.mp4",
        "recordings/cam1/2026-11-30/25-13-05.mp4",
        "recordings/../2026-11-30/02-13-05.mp4",
        "recordings/cam1/02-13-05.mp4",
    ):
        assert layout.parse_media_path(other) is None, other


def test_system_time_zone_when_none_is_given(tmp_path: Path) -> None:
    layout = RecordingLayout(tmp_path)
    assert layout.local(WALL) == datetime.fromtimestamp(WALL).astimezone()
    name = layout.parse_media_path(f"clips/cam1/{layout.day_of(WALL)}/{layout.local(WALL):%H-%M-%S}.mp4")
    assert name is not None
    assert name.local_start.timestamp() == WALL

"""Faults: a recorder killed mid-segment, a disk that fills up, a read-only media folder, an index
deleted while running or corrupt at start. Real processes, real file systems (tmpfs), real files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import pytest

from custom_components.ngu_doan_cameras.engine.media import MediaPacket
from custom_components.ngu_doan_cameras.engine.recording import ExportRequest, RecordingMode
from custom_components.ngu_doan_cameras.engine.recording import segmenter as segmenter_module
from custom_components.ngu_doan_cameras.engine.recording.segmenter import STREAM_RETRY_SECONDS

from .media_feed import decode_count, open_feed, read_packets
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
    remount,
    small_disk,
    wait_for,
)

__all__ = ["av_clip", "clip_folder", "make_recorder", "small_disk"]  # fixtures

REPO = Path(__file__).resolve().parents[1]


def test_killed_mid_segment_leaves_a_playable_file_and_is_repaired(
    make_recorder: MakeRecorder, av_clip: Path, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.recording_child", str(media), str(av_clip), str(WALL), "9.5"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert line[0] == "READY", line
        relative = line[1]
        os.kill(child.pid, signal.SIGKILL)  # mid-segment: 8 s to 9.5 s of the third one were sent
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert relative == "recordings/cam1/2026-11-30/02-13-13.mp4"
    path = media / "ngu_doan_cameras" / relative
    # Plays to its last complete fragment (8 s to 9 s: the key frame at 9 s closed it), for PyAV ...
    assert decode_count(path) == 15
    # ... and for ffprobe, without an error.
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stderr == ""
    assert probe.stdout.split()[0] == "15"
    # A torn write on top (half a fragment header), as a power cut can leave.
    with path.open("ab") as file:
        file.write(b"\x00\x00\x10\x00moof\x00\x00")

    # The next run repairs it: cut back to the complete fragments, indexed as truncated.
    recorder = make_recorder(media)
    wait_for(lambda: recorder.index.segment(relative) is not None and recorder.index.open_segments() == [])
    row = recorder.index.segment(relative)
    assert row is not None
    assert row.state == "truncated"
    assert row.end - row.start == 1.0
    assert row.size == path.stat().st_size
    assert decode_count(path) == 15
    assert [r.state for r in all_segments(recorder)] == ["complete", "complete", "truncated"]
    # The time the process was dead is a gap, written down when the camera records again.
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL + 60, session_id=1) as feed:
        feed.run(camera)
    drain(recorder)
    gaps = recorder.index.gaps("cam1", WALL, WALL + 100)
    assert (gaps[0].start, gaps[0].end, gaps[0].reason) == (WALL + 9.0, WALL + 60, "not_recording")


def test_disk_full_mid_segment_then_space_returns(
    make_recorder: MakeRecorder, av_clip: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("size=4m")
    recorder = make_recorder(disk)
    camera = recorder.add_camera(CAMERA, replace(SHORT, retry_seconds=1.0))
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.run(camera)  # 12 s: three segments of about 320 kB
    drain(recorder)
    # Something else fills the disk, leaving room for about half a segment.
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(disk).free - 160_000))
    errors: set[str] = set()
    with open_feed(av_clip, wall_start=WALL + 12, session_id=2) as feed:
        feed.start(camera)
        for packet in feed.packets:
            camera.packet(packet, feed.session)
            errors.add(camera.status.storage_error or "")  # set on the reader's thread, at once
        feed.end(camera)
    drain(recorder)
    assert any("No space left on device" in error for error in errors)
    filler.unlink()  # space comes back (retention would do this)
    with open_feed(av_clip, wall_start=WALL + 24, session_id=3) as feed:
        feed.run(camera)
    drain(recorder)
    assert camera.status.storage_error is None
    # Every file on disk plays to its end: the one the disk filled up in, to its last fragment.
    files = sorted((disk / "ngu_doan_cameras" / "recordings").glob("cam1/*/*.mp4"))
    for file in files:
        packets = read_packets(file)
        assert decode_count(file) == sum(1 for p in packets if p[0] == "video") > 0, file.name
    # The index knows them all (rows that could not be written while the disk was full come back
    # by the rebuild the failure asked for).
    recorder.request_maintenance()
    wait_for(lambda: len(all_segments(recorder)) == len(files) and not recorder.index.rebuild_needed)
    rows = all_segments(recorder)
    cut_short = [row for row in rows if row.session == 2]
    assert len(cut_short) == 1
    assert 0 < cut_short[0].end - cut_short[0].start < 4.0
    # Recording resumed at the first key frame after the retry time (1 s after the last failure),
    # to the end of the footage.
    resumed = [row for row in rows if row.session == 3]
    assert [row.state for row in resumed] == ["complete"] * 3
    assert resumed[0].start <= WALL + 25
    assert resumed[-1].end == WALL + 36
    gaps = recorder.index.gaps("cam1", WALL, WALL + 100)
    # The gap runs from where the cut-short file ends (to within a frame: a row lost while the disk
    # was full comes back from the file itself) to where recording resumed.
    assert any(abs(gap.start - cut_short[0].end) < 0.1 and gap.end == resumed[0].start for gap in gaps)


def test_read_only_media_folder(make_recorder: MakeRecorder, av_clip: Path, small_disk: Callable[[str], Path]) -> None:
    disk = small_disk("ro,size=8m")
    recorder = make_recorder(disk)
    wait_for(lambda: recorder.status.index_error is not None)  # said, not raised
    camera = recorder.add_camera(CAMERA, replace(SHORT, retry_seconds=1.0))
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:60])
        error = camera.status.storage_error
        assert error is not None
        assert "Read-only file system" in error
        assert not camera.status.recording
        remount(disk, "rw")
        feed.play(camera, feed.packets[60:])
        assert camera.status.recording
        feed.end(camera)
    drain(recorder)
    rows = all_segments(recorder)
    assert rows
    assert rows[0].start >= WALL + 1.0  # from the first key frame after the retry time
    assert all(decode_count(recorder.layout.resolve(row.path)) > 0 for row in rows)


def test_index_deleted_while_running_is_rebuilt_with_its_holds(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.run(camera)
    drain(recorder)
    export = recorder.export_evidence(
        ExportRequest("cam1", datetime.fromtimestamp(WALL + 5, VN), datetime.fromtimestamp(WALL + 6, VN), "case 7", "A")
    )
    clip_camera = recorder.add_camera(replace(CAMERA, camera_id="cam2"), replace(SHORT, mode=RecordingMode.EVENTS))
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(clip_camera)
        feed.play(clip_camera, feed.packets[:100])
        clip = clip_camera.start_clip(duration=1.0, trigger=WALL + 4.0)
        feed.play(clip_camera, feed.packets[100:])
        feed.end(clip_camera)
    assert clip.wait(30) is not None
    before = all_segments(recorder)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{recorder.layout.index_path}{suffix}").unlink(missing_ok=True)
    # Recording goes on; its next write notices the index is gone, and a rebuild brings back the rest.
    with open_feed(av_clip, wall_start=WALL + 12, session_id=2) as feed:
        feed.run(camera)
    drain(recorder)
    wait_for(lambda: not recorder.index.rebuild_needed and len(all_segments(recorder)) == 6)
    after = all_segments(recorder)
    assert [row.path for row in after[:3]] == [row.path for row in before]
    assert [row.start for row in after[:3]] == [row.start for row in before]  # exact, from the files
    assert {row.path: row.held for row in after[:3]} == {row.path: row.held for row in before}
    assert sum(row.held for row in after) == 1
    info = recorder.index.export(export.export_id)
    assert info is not None
    assert info.held
    clips = recorder.index.clips_of_day("cam2", "2026-11-30")
    assert [(c.reason, c.trigger, c.start) for c in clips] == [("action", WALL + 4.0, WALL + 1.0)]


def test_corrupt_index_at_start_is_rebuilt(make_recorder: MakeRecorder, av_clip: Path, tmp_path: Path) -> None:
    recorder = make_recorder(tmp_path / "first")
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.run(camera)
    drain(recorder)
    assert recorder.stop()
    recorder.layout.index_path.write_bytes(b"\x00garbage" * 512)
    again = make_recorder(tmp_path / "first")
    wait_for(lambda: len(all_segments(again)) == 3 and not again.index.rebuild_needed)
    assert [row.state for row in all_segments(again)] == ["complete"] * 3
    assert any(p.name.startswith("recordings.db.corrupt-") for p in again.layout.root.iterdir())


def test_a_stream_the_muxer_refuses_is_tried_again_at_a_key_frame_soon(
    make_recorder: MakeRecorder, av_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FFmpeg refusing a session's stream (seen rarely under load: "[mp4] dimensions not set" on the first
    # segment) is not the disk failing: no 30 s wait, the next try is at a key frame 2 s later. The
    # refusal cannot be made on demand with a real stream: the first file's write raises it here.
    refused: list[float] = []
    write = segmenter_module.Mp4Writer.write

    def refuse_once(writer: Any, packet: MediaPacket) -> None:
        if not refused:
            refused.append(packet.wall)
            raise av.error.ValueError(22, "Invalid argument")
        write(writer, packet)

    monkeypatch.setattr(segmenter_module.Mp4Writer, "write", refuse_once)
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)  # retry_seconds: the default 30 s for the disk
    errors: set[str] = set()
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        for packet in feed.packets:
            camera.packet(packet, feed.session)
            errors.add(camera.status.storage_error or "")
        feed.end(camera)
    drain(recorder)
    assert any("Invalid argument" in error for error in errors)
    rows = all_segments(recorder)
    assert rows  # recording went on within the 12 s clip
    assert (
        refused[0] + STREAM_RETRY_SECONDS <= min(row.start for row in rows) <= refused[0] + STREAM_RETRY_SECONDS + 1.5
    )
    assert camera.status.storage_error is None

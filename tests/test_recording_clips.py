"""Event clips: pre-roll from before the trigger (from memory, also in events-only mode), several at
once, motion that extends a clip, and the refusals."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine.media import MediaPacket
from custom_components.ngu_doan_cameras.engine.recording import (
    ClipInfo,
    RecordingError,
    RecordingErrorKind,
    RecordingMode,
)

from .media_feed import Feed, decode_count, open_feed, read_packets
from .recording_support import (
    CAMERA,
    SHORT,
    VN,
    WALL,
    MakeRecorder,
    av_clip,
    clip_folder,
    drain,
    make_recorder,
    small_disk,
    video_clip,
)

__all__ = ["av_clip", "clip_folder", "make_recorder", "small_disk", "video_clip"]  # fixtures


def index_at(feed: Feed, seconds: float) -> int:
    """Index of the first packet at or after `seconds` into the session."""
    return next(i for i, packet in enumerate(feed.packets) if packet.wall >= WALL + seconds)


def expected_clip(feed: Feed, start_key: float, end: float) -> list[MediaPacket]:
    """What a clip from the key frame at `start_key` s to `end` s must hold, in order."""
    return [packet for packet in feed.packets if WALL + start_key <= packet.wall < WALL + end]


def assert_holds(path: Path, expected: list[MediaPacket]) -> None:
    """The file at `path` holds exactly `expected`, in order, track by track."""
    recorded = read_packets(path)
    for kind in ("video", "audio"):
        assert [p[5] for p in recorded if p[0] == kind] == [p.data for p in expected if p.kind == kind], kind


@pytest.mark.parametrize("mode", [RecordingMode.CONTINUOUS, RecordingMode.EVENTS])
def test_pre_roll_holds_footage_from_before_the_trigger(
    make_recorder: MakeRecorder, av_clip: Path, mode: RecordingMode
) -> None:
    recorder = make_recorder()
    done: list[ClipInfo] = []
    recorder.add_clip_listener(done.append)
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=mode))
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        trigger_at = index_at(feed, 8.2)
        feed.play(camera, feed.packets[:trigger_at])
        # Triggered at 8.2 s with 3 s of pre-roll: the clip starts at the key frame at or before 5.2 s.
        handle = camera.start_clip(duration=2.0, pre_roll=3.0, reason="action", trigger=WALL + 8.2)
        assert handle.start == WALL + 5.0
        assert handle.path.exists()  # the caller gets a real path at once
        assert handle.media_path == f"ngu_doan_cameras/{handle.clip_id}"
        feed.play(camera, feed.packets[trigger_at:])
        feed.end(camera)
        expected = expected_clip(feed, 5.0, 10.2)
    info = handle.wait(30)
    assert info is not None
    assert done == [info]
    assert (info.start, info.reason, info.state, info.trigger) == (WALL + 5.0, "action", "complete", WALL + 8.2)
    assert info.end == pytest.approx(WALL + 10.2, abs=0.07)
    assert info.path == "clips/cam1/2026-11-30/02-13-10.mp4"
    assert_holds(handle.path, expected)
    assert read_packets(handle.path)[0][4]  # a key frame first
    assert decode_count(handle.path) == sum(1 for p in expected if p.kind == "video")
    assert recorder.index.clips_of_day("cam1", "2026-11-30") == [replace(info, id=1)]
    has_segments = bool(recorder.index.days("cam1"))
    assert has_segments is (mode is RecordingMode.CONTINUOUS)


def test_several_clips_at_once(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS))
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[: index_at(feed, 4.5)])
        first = camera.start_clip(duration=4.0, pre_roll=1.0)  # trigger: the newest packet (4.5 s)
        feed.play(camera, feed.packets[index_at(feed, 4.5) : index_at(feed, 6.5)])
        second = camera.start_clip(duration=1.0, pre_roll=0.0, reason="doorbell")
        assert camera.status.active_clips == 2
        camera.extend_clip(first.clip_id, WALL + 10.0)
        feed.play(camera, feed.packets[index_at(feed, 6.5) :])
        feed.end(camera)
        first_expected = expected_clip(feed, 3.0, 10.0)
        assert second.trigger < WALL + 6.5  # the newest packet when it was asked for
        second_expected = expected_clip(feed, 6.0, second.trigger - WALL + 1.0)
    first_info, second_info = first.wait(30), second.wait(30)
    assert first_info is not None
    assert second_info is not None
    assert second_info.reason == "doorbell"
    assert_holds(first.path, first_expected)
    assert_holds(second.path, second_expected)
    assert first.path != second.path


def test_motion_clip_lasts_while_motion_goes_on(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS, pre_roll_seconds=1.0))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:30])
        clip = camera.motion(True, at=WALL + 2.0)
        assert clip is not None
        assert clip.reason == "motion"
        assert clip.start == WALL + 1.0
        feed.play(camera, feed.packets[30:40])
        assert camera.motion(False, at=WALL + 2.6) is clip  # post-roll 2 s: ends at 4.6 s ...
        feed.play(camera, feed.packets[40:50])
        assert camera.motion(True, at=WALL + 3.3) is clip  # ... but motion again: the same clip goes on
        feed.play(camera, feed.packets[50:60])
        camera.motion(False, at=WALL + 3.5)  # ends at 5.5 s
        feed.play(camera, feed.packets[60:])
        feed.end(camera)
        expected = expected_clip(feed, 1.0, 5.5)
    info = clip.wait(30)
    assert info is not None
    assert info.end == pytest.approx(WALL + 5.5, abs=0.07)
    assert_holds(clip.path, expected)
    assert camera.motion(False) is clip  # motion ending again changes nothing
    assert camera.status.active_clips == 0


def test_clip_refusals(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with pytest.raises(RecordingError) as error:
        camera.start_clip(duration=5)
    assert error.value.kind is RecordingErrorKind.NOT_STREAMING
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        # Connected, but no key frame yet (motion right as the camera connects): the clip waits for one.
        early = camera.start_clip(duration=0.5, pre_roll=0)
        feed.play(camera, feed.packets[:20])
        for bad in ({"duration": 0}, {"duration": 5, "pre_roll": -1}, {"duration": 5, "pre_roll": float("nan")}):
            with pytest.raises(RecordingError) as error:
                camera.start_clip(**bad)  # type: ignore[arg-type]
            assert error.value.kind is RecordingErrorKind.INVALID_DURATION
        # More pre-roll than the ring keeps gets what the ring has, not a refusal.
        greedy = camera.start_clip(duration=1, pre_roll=SHORT.pre_roll_seconds + 30)
        assert greedy.trigger - greedy.start <= SHORT.pre_roll_seconds + 2.5  # back to a key frame at most
        with pytest.raises(RecordingError) as error:
            camera.extend_clip("clips/cam1/2026-11-30/00-00-00.mp4", WALL + 99)
        assert error.value.kind is RecordingErrorKind.UNKNOWN_CLIP
        camera.update(replace(SHORT, mode=RecordingMode.OFF))
        with pytest.raises(RecordingError) as error:
            camera.start_clip(duration=5)
        assert error.value.kind is RecordingErrorKind.RECORDING_OFF
        feed.end(camera)
    early_info = early.wait(10)
    assert early_info is not None
    assert early_info.start == feed.packets[0].wall  # the stream's first key frame
    assert early_info.end > early_info.start


def test_session_end_finishes_clips(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:45])
        running = camera.start_clip(duration=60)
        feed.play(camera, feed.packets[45:50])
        # Asked, then the camera drops before another packet: it still gets its pre-roll.
        late = camera.start_clip(duration=60, pre_roll=1.0)
        feed.end(camera)
        late_expected = expected_clip(feed, 2.0, 60)
    info = running.wait(30)
    assert info is not None
    assert info.end == pytest.approx(WALL + 50 / 15, abs=0.01)  # where the footage stopped
    assert late.wait(30) is not None  # finished (closed by the worker) before its file is read
    assert_holds(late.path, late_expected[: len(late_expected) - (len(feed.packets) - 50)])
    drain(recorder)
    assert len(recorder.index.clips_of_day("cam1", "2026-11-30")) == 2
    assert not recorder.active


def test_a_clip_that_never_gets_footage_leaves_nothing(tmp_path: Path, video_clip: Path) -> None:
    """White box: a clip whose pre-roll is gone when its session ends (the ring was emptied) is
    removed, file and row, and its handle says so."""
    from custom_components.ngu_doan_cameras.engine.recording import RecordingIndex, RecordingLayout
    from custom_components.ngu_doan_cameras.engine.recording.clips import ClipRecorder
    from custom_components.ngu_doan_cameras.engine.recording.preroll import PreRollRing
    from custom_components.ngu_doan_cameras.engine.recording.settings import RecorderContext
    from custom_components.ngu_doan_cameras.engine.recording.worker import IoWorker

    layout = RecordingLayout(tmp_path, VN)
    index = RecordingIndex(layout.index_path)
    context = RecorderContext(layout, index, IoWorker())  # not started: jobs run inline
    clips = ClipRecorder("cam1", context, SHORT)
    ring = PreRollRing(3.0)
    with open_feed(video_clip, wall_start=WALL) as feed:
        for packet in feed.packets[:20]:
            ring.push(packet)
        handle = clips.start(ring, pre_roll=1.0, duration=5.0, reason="action", trigger=WALL + 1.2)
        assert handle.path.exists()
        assert index.clip(handle.clip_id) is not None
        clips.stop(feed.session, PreRollRing(3.0))
    assert handle.done
    assert handle.wait(0) is None
    assert not handle.path.exists()
    assert index.clip(handle.clip_id) is None
    assert handle.clip_id not in context.active
    index.close()


def test_pre_roll_ring_keeps_seconds_plus_one_gop(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS, pre_roll_seconds=3.0))
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        for packet in feed.packets:
            camera.packet(packet, feed.session)
            # Never less than the pre-roll (once there is that much), never more than pre-roll + a GOP.
            assert camera.status.preroll_seconds <= 3.0 + 1.0
        status = camera.status
        assert status.preroll_seconds >= 3.0 - 1 / 15
        # Its memory is the packets it holds (a key frame first), plus a fixed overhead per packet.
        held = list(camera._ring._packets)
        assert held[0].keyframe
        assert status.preroll_bytes == sum(len(p.data) for p in held) + 390 * len(held)
        feed.end(camera)
    assert camera.status.preroll_bytes == 0


def test_a_clip_entirely_in_the_past_is_cut_from_the_ring(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:60])  # 4 s
        clip = camera.start_clip(duration=0.5, pre_roll=0.0, trigger=WALL + 2.0)  # 2.0 to 2.5 s
        feed.play(camera, feed.packets[60:61])
        info = clip.wait(30)
        expected = expected_clip(feed, 2.0, 2.5)
        feed.play(camera, feed.packets[61:])
        feed.end(camera)
    assert info is not None
    assert_holds(clip.path, expected)


def test_a_clip_on_a_full_disk_stays_playable(
    make_recorder: MakeRecorder, av_clip: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("size=700k")
    recorder = make_recorder(disk)
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS))
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:30])
        long = camera.start_clip(duration=60)  # about 900 kB: more than the disk holds
        feed.play(camera, feed.packets[30:300])
        info = long.wait(30)
        assert info is not None
        assert info.state == "truncated"
        assert 1.0 < info.end - info.start < 11.0
        assert decode_count(long.path) == sum(1 for p in read_packets(long.path) if p[0] == "video")
        # The disk is now full to the last byte: the next clip cannot write even its header.
        filler = disk / "filler"
        with filler.open("wb") as file, contextlib.suppress(OSError):  # until "No space left on device"
            while True:
                file.write(b"\0" * 4096)
                file.flush()
        empty = camera.start_clip(duration=60, pre_roll=0)
        feed.play(camera, feed.packets[300:])
        feed.end(camera)
    assert empty.wait(30) is None
    assert not empty.path.exists()
    drain(recorder)
    filler.unlink()
    assert [clip.path for clip in recorder.index.clips_of_day("cam1", "2026-11-30")] == [info.path]


def test_a_clip_on_a_read_only_folder_is_refused(
    make_recorder: MakeRecorder, video_clip: Path, small_disk: Callable[[str], Path]
) -> None:
    recorder = make_recorder(small_disk("ro,size=1m"))
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.EVENTS))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:20])
        with pytest.raises(RecordingError) as error:
            camera.start_clip(duration=5)
        assert error.value.kind is RecordingErrorKind.STORAGE_ERROR
        assert "Read-only" in error.value.detail
        feed.end(camera)

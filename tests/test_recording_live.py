"""End to end against a live RTSP camera (the project's simulator): segments while it streams, a gap
while it is dropped, new segments when it is back; every thread joined at the end."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

import pytest

from custom_components.ngu_doan_cameras.engine import probe
from custom_components.ngu_doan_cameras.engine.reader import StreamReader

from .engine_helpers import FAST, RecordingSink
from .live_packets import LivePackets
from .media_feed import decode_count
from .recording_support import CAMERA, SHORT, MakeRecorder, all_segments, make_recorder, wait_for
from .simulator import CameraSimulator

__all__ = ["make_recorder"]  # fixtures


def test_live_camera_recorded_with_a_gap_while_dropped(
    make_recorder: MakeRecorder, own_simulator: CameraSimulator
) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, segment_seconds=2.0))
    with LivePackets(own_simulator.url("cam1"), camera) as live:
        wait_for(lambda: camera.status.segments >= 3)  # two finished, one in progress
        clip = camera.start_clip(duration=1.0, pre_roll=2.0)
        own_simulator.drop("cam1")
        wait_for(lambda: not camera.status.streaming)
        dropped_at = all_segments(recorder)
        own_simulator.restore("cam1")
        wait_for(lambda: live.sessions >= 2 and camera.status.segments >= len(dropped_at) + 2)
    assert recorder.stop()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("ngu_doan_recorder")]
    rows = all_segments(recorder)
    assert {row.session for row in rows} == {1, 2}
    assert all(row.state == "complete" for row in rows)
    assert all(decode_count(recorder.layout.resolve(row.path)) > 0 for row in rows)
    first = [row for row in rows if row.session == 1]
    second = [row for row in rows if row.session == 2]
    assert all(abs(b.start - a.end) < 1e-6 for a, b in itertools.pairwise(first))
    gaps = recorder.index.gaps("cam1", rows[0].start, rows[-1].end + 60)
    assert (gaps[0].start, gaps[0].end, gaps[0].reason) == (first[-1].end, second[0].start, "camera_down")
    assert (gaps[-1].start, gaps[-1].end) == (rows[-1].end, None)  # the reading stopped: open since
    info = clip.wait(10)
    assert info is not None
    assert decode_count(recorder.layout.resolve(info.path)) > 15  # pre-roll from before the drop


def test_a_camera_without_sub_stream_records_and_decodes_every_packet_of_one_session(
    make_recorder: MakeRecorder, audio_simulator: CameraSimulator
) -> None:
    # One session both decodes (stills, detection) and records. The muxer retimes the demuxer's packet
    # for its file and points it at the file's stream: decoding must have had it first, or frames are
    # lost and the ones decoded carry another file's times.
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, segment_seconds=1.0))
    reader = StreamReader("cam1", audio_simulator.url("cam2"), FAST)
    frame_pts: list[int | None] = []
    reader.add_frame_listener(lambda frame, _at: frame_pts.append(frame.pts))
    seen = RecordingSink()  # the packets as the fan-out handed them (their timestamps read before muxing)
    reader.add_packet_sink(seen)
    reader.add_packet_sink(camera)
    reader.start()
    try:
        wait_for(lambda: camera.status.segments >= 4)  # three boundaries crossed while decoding
    finally:
        assert reader.stop()
    assert recorder.stop()  # the last segments' index rows are written by the recorder's worker
    video = seen.packets("video")
    first_key = next(index for index, packet in enumerate(video) if packet.keyframe)
    last = max(pts for pts in frame_pts if pts is not None)
    decodable = [packet.pts for packet in video[first_key:] if packet.pts is not None and packet.pts <= last]
    assert len(decodable) > 45
    assert set(decodable) <= set(frame_pts)  # every packet decoded, at its own time
    rows = all_segments(recorder)
    assert len(rows) >= 3
    assert all(decode_count(recorder.layout.resolve(row.path)) > 0 for row in rows)


def test_a_session_opened_before_its_picture_size_was_known_is_opened_again_and_records(
    make_recorder: MakeRecorder, audio_simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under load, FFmpeg's quick look at a new session can end before it read a video packet (the first
    # half second held only sound): the session then has no picture size, and no MP4 can be written
    # from it (`[mp4] dimensions not set`) for as long as it lasts. A probe starved to its first
    # packet makes such a session every time (checked: width 0 in 10 of 10 opens of this camera).
    monkeypatch.setattr(probe, "PROBE_OPTIONS", {"analyzeduration": "1", "probesize": "32"})
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, segment_seconds=1.0))
    reader = StreamReader("cam1", audio_simulator.url("cam2"), FAST, decode=False)
    reader.add_packet_sink(camera)
    reader.start()
    try:
        wait_for(lambda: camera.status.segments >= 3)
    finally:
        assert reader.stop()
    assert reader.stats.reconnects == 0  # opened again at once, not after a failed session
    assert recorder.stop()
    rows = all_segments(recorder)
    assert len(rows) >= 2
    assert {(row.session, row.width, row.height) for row in rows} == {(1, 640, 360)}
    assert all(decode_count(recorder.layout.resolve(row.path)) > 0 for row in rows)

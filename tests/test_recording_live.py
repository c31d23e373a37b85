"""End to end against a live RTSP camera (the project's simulator): segments while it streams, a gap
while it is dropped, new segments when it is back; every thread joined at the end."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

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

"""Packet sinks (what recording stands on) against real cameras with sound: sessions, order, key frames, times."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import av
import pytest

from custom_components.ngu_doan_cameras.engine.media import MediaPacket
from custom_components.ngu_doan_cameras.engine.packets import WALL_DRIFT, PacketFanout, _WallClock
from custom_components.ngu_doan_cameras.engine.reader import StreamReader
from custom_components.ngu_doan_cameras.engine.site import CameraConfig, Site

from .engine_helpers import FAST, Call, RecordingSink, wait_for
from .recording_support import av_clip, clip_folder
from .simulator import CameraSimulator

__all__ = ["av_clip", "clip_folder"]  # fixtures

GOP = 30  # the simulator's key frame interval, in frames
FPS = 15


def check_session_calls(calls: list[Call]) -> None:
    """Every session: started first, then its packets, then ended (at most once, and last)."""
    current: int | None = None
    ended: set[int] = set()
    for call in calls:
        if call.what == "started":
            assert current is None, "a session started before the previous one ended"
            assert call.session_id not in ended
            current = call.session_id
        elif call.what == "packet":
            assert call.session_id == current, "a packet outside its session"
        else:
            assert call.session_id == current
            ended.add(call.session_id)
            current = None


def check_walls(packets: list[MediaPacket]) -> None:
    """Wall times never go back, and keep the stream's own spacing (the camera's 15 frames a second)."""
    walls = [packet.wall for packet in packets]
    assert walls == sorted(walls)
    # (The first packet after connecting may come without a timestamp: it takes its arrival time.)
    stamped = [(packet.wall, packet.seconds) for packet in packets if packet.seconds is not None]
    assert len(stamped) >= len(packets) - 1
    (first_wall, first_stamp), (last_wall, last_stamp) = stamped[0], stamped[-1]
    assert last_wall - first_wall == pytest.approx(last_stamp - first_stamp, abs=0.2)  # type: ignore[operator]


def test_sink_gets_sessions_packets_in_order_and_key_frames(audio_simulator: CameraSimulator) -> None:
    reader = StreamReader("cam1", audio_simulator.url("cam1/sub"), FAST)
    sink = RecordingSink()
    reader.add_packet_sink(sink)
    reader.start()
    try:
        wait_for(lambda: len(sink.packets("video")) >= 3 * GOP + 1)
    finally:
        assert reader.stop()
    calls = sink.snapshot()
    check_session_calls(calls)
    # One session, told first, ended when the reader stopped.
    assert calls[0].what == "started"
    assert calls[-1].what == "ended"
    assert sink.count("started") == sink.count("ended") == 1
    session = calls[0].session
    assert session is not None
    assert (session.codec, session.width, session.height, session.audio_codec) == ("h264", 320, 180, "aac")
    assert session.started_wall == pytest.approx(time.time(), abs=30)
    # Video and sound, interleaved as they arrived (not one stream after the other).
    video, audio = sink.packets("video"), sink.packets("audio")
    assert len(audio) >= len(video) // 2
    kinds = [packet.kind for packet in sink.packets()[: 2 * FPS]]
    assert {"video", "audio"} <= set(kinds)
    assert all(packet.size > 0 and len(packet.payload()) == packet.size for packet in video + audio)
    assert {packet.time_base.denominator for packet in audio} == {16000}
    # A key frame every GOP: the recorder cuts segments there.
    keyframes = [index for index, packet in enumerate(video) if packet.keyframe]
    assert len(keyframes) >= 3
    assert {b - a for a, b in itertools.pairwise(keyframes)} == {GOP}
    check_walls(video)
    check_walls(audio)
    assert video[0].wall >= session.started_wall


def test_sessions_end_on_drop_and_restart_and_a_new_one_begins(own_audio_simulator: CameraSimulator) -> None:
    reader = StreamReader("cam1", own_audio_simulator.url("cam1"), FAST, decode=False)
    sink = RecordingSink()
    reader.add_packet_sink(sink)
    reader.start()
    try:
        wait_for(lambda: len(sink.packets("video")) >= FPS)
        own_audio_simulator.drop("cam1")
        wait_for(lambda: sink.count("ended") == 1)
        own_audio_simulator.restore("cam1")
        wait_for(lambda: len(sink.packets("video", session_id=2)) >= FPS, timeout=20)
        # The camera reboots: its connection is cut, and it comes back on the same address.
        own_audio_simulator.restart()
        wait_for(lambda: sink.count("ended") == 2)
        wait_for(lambda: len(sink.packets("video", session_id=3)) >= FPS, timeout=30)
        assert reader.latest_frame() is None  # packet-only: nothing was decoded
        assert reader.stats.streaming
        assert (reader.stats.width, reader.stats.height) == (640, 360)
    finally:
        assert reader.stop()
    calls = sink.snapshot()
    check_session_calls(calls)
    assert [call.session_id for call in calls if call.what == "started"] == [1, 2, 3]
    assert calls[-1] == Call("ended", 3, session=calls[-1].session)
    for session_id in (1, 2, 3):
        check_walls(sink.packets("video", session_id=session_id))
        assert sink.packets("audio", session_id=session_id)


def test_a_sink_added_mid_session_is_told_first_and_a_removed_one_is_told_the_end(
    audio_simulator: CameraSimulator,
) -> None:
    reader = StreamReader("cam2", audio_simulator.url("cam2/sub"), FAST)
    first, late = RecordingSink(), RecordingSink()
    reader.add_packet_sink(first)
    reader.start()
    try:
        wait_for(lambda: len(first.packets()) >= 10)
        remove_late = reader.add_packet_sink(late)
        wait_for(lambda: len(late.packets()) >= 10)
        remove_late()
        wait_for(lambda: late.count("ended") == 1)
        count = len(late.packets())
        # Later packets reach the remaining sink only.
        seen = len(first.packets())
        wait_for(lambda: len(first.packets()) >= seen + 10)
        assert len(late.packets()) == count
    finally:
        assert reader.stop()
    calls = late.snapshot()
    check_session_calls(calls)
    assert calls[0].what == "started"
    assert calls[0].session_id == 1
    assert calls[0].session is first.snapshot()[0].session
    assert calls[-1].what == "ended"
    # The late sink's packets are the same objects the first sink got: one copy per packet.
    first_ids = {id(packet) for packet in first.packets()}
    assert all(id(packet) in first_ids for packet in late.packets())


def test_camera_records_from_its_main_stream_and_stops_with_the_site(audio_simulator: CameraSimulator) -> None:
    site = Site(
        [
            CameraConfig("a", "Cam A", audio_simulator.url("cam1"), sub_url=audio_simulator.url("cam1/sub")),
            CameraConfig("b", "Cam B", audio_simulator.url("cam2")),
        ],
        FAST,
    )
    with_sub, later, main_only = RecordingSink(), RecordingSink(), RecordingSink()
    site.camera("a").add_packet_sink(with_sub)  # before the start: its reader starts with the site
    site.start()
    try:
        site.camera("b").add_packet_sink(main_only)  # after: shares the watched reader's session
        site.camera("a").add_packet_sink(later)  # after: joins the main stream's running session
        wait_for(lambda: len(with_sub.packets("video")) >= FPS and len(main_only.packets("video")) >= FPS)
        wait_for(lambda: len(later.packets("video")) >= FPS and site.camera("a").stats.streaming)
        assert later.snapshot()[0].session is with_sub.snapshot()[0].session
        # Camera A watches its sub stream for stills and detection; recording gets the main stream.
        assert len(site.camera("a").readers) == 2
        assert site.camera("a").stats.width == 320
        session_a = with_sub.snapshot()[0].session
        assert session_a is not None
        assert (session_a.width, session_a.height, session_a.audio_codec) == (640, 360, "aac")
        assert site.camera("b").readers == (site.camera("b").reader,)
    finally:
        site.stop()
    assert with_sub.snapshot()[-1].what == "ended"
    assert main_only.snapshot()[-1].what == "ended"
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("ngu_doan_reader")]


def test_wall_clock_follows_the_stream_and_resets_when_it_drifts() -> None:
    clock = _WallClock()
    assert clock.wall(None, 100.0) == 100.0  # no timestamp yet: its arrival
    assert clock.wall(5.0, 100.5) == 100.5  # the anchor
    assert clock.wall(5.5, 100.6) == 101.0  # a burst: the stream's spacing, not the arrival's
    assert clock.wall(None, 100.7) == 101.0  # no timestamp: the previous one's
    # The stream jumps ahead (its clock reset): far from arrival, so the wall time follows arrival again...
    assert clock.wall(500.0, 101.2) == 101.2
    # ...and never goes back, even when arrival does not justify the stream's step back.
    assert clock.wall(500.0 - WALL_DRIFT / 4, 101.3) == 101.2
    assert clock.wall(500.1, 101.3) == pytest.approx(101.3)


def test_fanout_hands_the_demuxers_own_packets_over_in_batches_and_the_rest_at_the_end(av_clip: Path) -> None:
    # Packets "arrive" on the clip's own clock: sinks get each within the batch time, in order, with
    # no copy (the demuxer's packet itself), and what is still waiting when the connection ends.
    now = [1_000.0]
    fanout = PacketFanout("clip", clock=lambda: now[0], batch_seconds=0.5)
    sink = RecordingSink()
    fanout.add(sink)
    fed: list[tuple[av.Packet, float]] = []
    with av.open(str(av_clip)) as container:
        fanout.connected(container.streams.video[0], container.streams.audio[0])
        for packet in container.demux():
            if packet.size == 0 or packet.dts is None:
                continue
            now[0] = 1_000.0 + float(packet.dts * packet.time_base)
            fanout.packet(packet, packet.stream.type)  # type: ignore[arg-type]
            fed.append((packet, now[0]))
            overdue = sum(arrival < now[0] - 0.5 for _, arrival in fed)
            assert overdue <= sink.count("packet") <= len(fed)
        assert sink.count("packet") < len(fed)  # the last half second still waits ...
        fanout.disconnected()
    # ... and comes now: every packet once, in order, the demuxer's own.
    assert all(mine.data is theirs for mine, (theirs, _) in zip(sink.packets(), fed, strict=True))
    calls = sink.snapshot()
    check_session_calls(calls)
    assert (calls[0].what, calls[-1].what) == ("started", "ended")

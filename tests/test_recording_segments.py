"""Continuous recording: segments cut on key frames, nothing lost or doubled at a boundary, gaps, and
new segments for a new session, a new resolution, a broken stream clock and a clock set back."""

from __future__ import annotations

import itertools
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine.media import MediaPacket
from custom_components.ngu_doan_cameras.engine.recording import Recorder, RecordingMode, SegmentInfo

from .media_feed import decode_count, open_feed, read_packets
from .recording_support import (
    CAMERA,
    SHORT,
    WALL,
    MakeRecorder,
    all_segments,
    av_clip,
    clip_folder,
    drain,
    make_recorder,
    small_clip,
    video_clip,
)

__all__ = ["av_clip", "clip_folder", "make_recorder", "small_clip", "video_clip"]  # fixtures


def segments(recorder: Recorder) -> list[SegmentInfo]:
    return all_segments(recorder)


def test_segments_meet_exactly_and_every_packet_is_recorded_once(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.run(camera)
        sent = feed.packets
    drain(recorder)
    rows = segments(recorder)
    # 12 s with a key frame every second, cut at 4 s: three segments, each starting on a key frame.
    assert [round(row.end - row.start, 6) for row in rows] == [4.0, 4.0, 4.0]
    assert [row.state for row in rows] == ["complete"] * 3
    assert rows[0].start == WALL
    for before, after in itertools.pairwise(rows):
        assert after.start == before.end  # no gap, no overlap in the index
    assert {(row.codec, row.width, row.height, row.audio_codec) for row in rows} == {("h264", 640, 360, "aac")}
    # Names: local time (Hải Phòng) of each segment's first key frame; the index keeps UTC seconds.
    assert [row.path for row in rows] == [
        "recordings/cam1/2026-11-30/02-13-05.mp4",
        "recordings/cam1/2026-11-30/02-13-09.mp4",
        "recordings/cam1/2026-11-30/02-13-13.mp4",
    ]
    files = [recorder.layout.resolve(row.path) for row in rows]
    recorded = [read_packets(path) for path in files]

    # Every packet of the camera is in exactly one segment, in order (video and audio alike).
    for kind in ("video", "audio"):
        expected = [packet.data for packet in sent if packet.kind == kind]
        got = [data for packets in recorded for (k, _, _, _, _, data) in packets if k == kind]
        assert got == expected, kind

    # PyAV timestamps across each boundary: a segment's video ends exactly where the next starts
    # (4 s), and audio continues without a gap or an overlap (the camera's own spacing, 1024 samples).
    offset = Fraction(0)
    last_audio_end: Fraction | None = None
    for row, packets in zip(rows, recorded, strict=True):
        video = [p for p in packets if p[0] == "video"]
        audio = [p for p in packets if p[0] == "audio"]
        assert video[0][1] == 0
        assert video[0][4]  # starts on a key frame
        assert Fraction(video[-1][1] + video[-1][3], 90_000) == Fraction(4)
        first_audio = offset + Fraction(audio[0][1], 16_000)
        if last_audio_end is not None:
            assert first_audio == last_audio_end
        last_audio_end = offset + Fraction(audio[-1][1] + audio[-1][3], 16_000)
        offset += Fraction(4)
        assert decode_count(recorder.layout.resolve(row.path)) == len(video)

    # The session ended: its gap is open from the last segment's end.
    gaps = recorder.index.gaps("cam1", WALL, WALL + 100)
    assert [(gap.start, gap.end, gap.reason) for gap in gaps] == [(rows[-1].end, None, "camera_down")]


def test_reconnect_starts_a_new_segment_and_closes_the_gap(
    make_recorder: MakeRecorder, av_clip: Path, small_clip: Path
) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:100])  # the camera drops mid-segment
        feed.end(camera)
    # Back 30 s later with another resolution (a new session, as the reader reports it).
    with open_feed(small_clip, wall_start=WALL + 30, session_id=2) as feed:
        feed.run(camera)
    drain(recorder)
    rows = segments(recorder)
    first, second = [row for row in rows if row.session == 1], [row for row in rows if row.session == 2]
    assert first
    assert second
    assert {(row.width, row.height) for row in first} == {(640, 360)}
    assert {(row.width, row.height) for row in second} == {(320, 180)}
    assert second[0].start == WALL + 30
    assert decode_count(recorder.layout.resolve(first[-1].path)) > 0
    gaps = recorder.index.gaps("cam1", WALL, WALL + 100)
    assert [(gap.start, gap.end, gap.reason) for gap in gaps] == [
        (first[-1].end, WALL + 30, "camera_down"),
        (second[-1].end, None, "camera_down"),
    ]


def test_a_clock_set_back_never_overwrites(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, segment_seconds=60))
    # Two sessions anchored at the same wall time (the system clock was set back in between).
    for session_id in (1, 2):
        with open_feed(video_clip, wall_start=WALL, session_id=session_id) as feed:
            feed.run(camera)
    drain(recorder)
    rows = segments(recorder)
    assert [row.path for row in rows] == [
        "recordings/cam1/2026-11-30/02-13-05.mp4",
        "recordings/cam1/2026-11-30/02-13-05-1.mp4",
    ]
    assert all(decode_count(recorder.layout.resolve(row.path)) == 90 for row in rows)


def test_broken_stream_clock_and_missing_timestamps(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, segment_seconds=60))
    with open_feed(video_clip, wall_start=WALL) as feed:
        packets = feed.packets
        keys = [i for i, packet in enumerate(packets) if packet.keyframe]
        # Packets without any timestamp get the previous one's plus the usual step.
        untimed = [replace(packet, dts=None, pts=None) if i in {5, 6} else packet for i, packet in enumerate(packets)]
        # From the fourth key frame on, the camera's clock restarts at 0 (a reset).
        restart = keys[3]
        shift = untimed[restart].dts
        assert shift is not None
        broken = (
            untimed[:restart]
            + [
                replace(p, dts=p.dts - shift, pts=p.pts - shift)  # type: ignore[operator]
                for p in untimed[restart:]
            ]
        )
        feed.start(camera)
        feed.play(camera, broken)
        feed.end(camera)
    drain(recorder)
    rows = segments(recorder)
    assert len(rows) == 2  # the break ended the first file; the next key frame started the second
    assert [decode_count(recorder.layout.resolve(row.path)) for row in rows] == [restart, len(packets) - restart]
    assert camera.status.dropped_packets == 0


def test_mode_switches_end_and_start_segments(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, segment_seconds=60))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, feed.packets[:30])
        assert camera.status.recording
        camera.update(replace(camera.settings, mode=RecordingMode.EVENTS))
        assert not camera.status.recording
        feed.play(camera, feed.packets[30:60])
        camera.update(replace(camera.settings, mode=RecordingMode.CONTINUOUS))
        feed.play(camera, feed.packets[60:])
        feed.end(camera)
    drain(recorder)
    rows = segments(recorder)
    assert [round(row.end - row.start, 3) for row in rows] == [2.0, 2.0]  # the middle 2 s were not recorded
    gaps = recorder.index.gaps("cam1", WALL, WALL + 100)
    assert (gaps[0].start, gaps[0].end, gaps[0].reason) == (WALL + 2, WALL + 4, "mode_events")


def test_recording_off_ignores_packets(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, replace(SHORT, mode=RecordingMode.OFF))
    with open_feed(video_clip, wall_start=WALL) as feed:
        feed.run(camera)
    drain(recorder)
    assert segments(recorder) == []
    assert camera.status.preroll_bytes == 0


def test_packets_of_another_session_are_ignored(make_recorder: MakeRecorder, video_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with (
        open_feed(video_clip, wall_start=WALL, session_id=1) as old,
        open_feed(video_clip, wall_start=WALL + 60, session_id=2) as new,
    ):
        new.start(camera)
        old.play(camera)  # a late packet of a session the reader already replaced
        old.end(camera)  # and its late end: the live session goes on
        assert camera.status.streaming
        new.play(camera)
        new.end(camera)
    drain(recorder)
    assert {row.session for row in segments(recorder)} == {2}


def test_audio_waits_for_video_and_untimed_first_packets_are_dropped() -> None:
    from custom_components.ngu_doan_cameras.engine.recording.timing import PacketOrderer

    out: list[MediaPacket] = []
    breaks: list[bool] = []
    orderer = PacketOrderer(out.append, lambda: breaks.append(True), max_audio_wait=1.0)
    video_tb, audio_tb = Fraction(1, 90_000), Fraction(1, 16_000)

    def video(dts: int | None, key: bool = False) -> MediaPacket:
        return MediaPacket("video", b"v", dts, dts, 0, video_tb, key, 0.0)

    def audio(dts: int | None) -> MediaPacket:
        return MediaPacket("audio", b"a", dts, dts, 0, audio_tb, False, 0.0)

    orderer.push(audio(None))  # nothing to time it by
    orderer.push(video(0, key=True))
    orderer.push(audio(0))
    orderer.push(audio(1024))
    orderer.push(video(6000))  # releases video 0, then the audio before 6000/90000 s
    orderer.push(audio(1024))  # audio going back: dropped
    orderer.push(video(6000))  # the same time twice: moved one tick on
    for n in range(2, 40):  # video stalls while audio flows: audio goes out after 1 s anyway
        orderer.push(audio(1024 * n))
    orderer.flush()
    assert orderer.dropped == 2
    assert not breaks
    kinds = [(packet.kind, packet.dts, packet.duration) for packet in out]
    assert kinds[:3] == [("video", 0, 6000), ("audio", 0, 0), ("audio", 1024, 1024)]
    assert ("video", 6000, 1) in kinds
    assert ("video", 6001, 6000) in kinds  # flushed with the usual step
    assert [dts for kind, dts, _ in kinds if kind == "audio"] == [1024 * n for n in range(40)]


@pytest.mark.parametrize("jump", [-90_000, 90_000 * 11])
def test_a_video_clock_jump_is_a_break(jump: int) -> None:
    from custom_components.ngu_doan_cameras.engine.recording.timing import PacketOrderer

    out: list[MediaPacket] = []
    breaks: list[bool] = []
    orderer = PacketOrderer(out.append, lambda: breaks.append(True))
    tb = Fraction(1, 90_000)
    for dts in (0, 6000, 12000, 12000 + jump, 18000 + jump):
        orderer.push(MediaPacket("video", b"v", dts, dts, 0, tb, dts == 0, 0.0))
    orderer.flush()
    assert breaks == [True]
    assert [(p.dts, p.duration) for p in out] == [
        (0, 6000),
        (6000, 6000),
        (12000, 6000),
        (12000 + jump, 6000),
        (18000 + jump, 6000),
    ]


def test_audio_mp4_cannot_hold_is_left_out(
    make_recorder: MakeRecorder, clip_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """G.711 (what many cameras send) has no place in MP4, and recording never re-encodes."""
    import subprocess

    alaw = clip_folder / "alaw.mkv"
    if not alaw.exists():
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15"),
                *("-f", "lavfi", "-i", "sine=sample_rate=8000", "-t", "3", "-c:v", "libx264", "-g", "15"),
                *("-bf", "0", "-c:a", "pcm_alaw", str(alaw)),
            ],
            check=True,
        )
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(alaw, wall_start=WALL) as feed:
        assert feed.session.audio_codec == "pcm_alaw"
        feed.run(camera)
        video = len(feed.video)
    drain(recorder)
    rows = segments(recorder)
    assert [row.audio_codec for row in rows] == [None]
    assert rows[0].end - rows[0].start == pytest.approx(3.0, abs=0.002)  # Matroska keeps milliseconds
    packets = read_packets(recorder.layout.resolve(rows[0].path))
    assert {kind for kind, *_ in packets} == {"video"}
    assert len(packets) == video
    assert "pcm_alaw audio, which MP4 cannot hold" in caplog.text


def test_h265_is_tagged_for_browsers(make_recorder: MakeRecorder, clip_folder: Path) -> None:
    import subprocess

    hevc = clip_folder / "hevc.mp4"
    if not hevc.exists():
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15"),
                *("-t", "2", "-c:v", "libx265", "-x265-params", "log-level=error", "-g", "15", str(hevc)),
            ],
            check=True,
        )
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(hevc, wall_start=WALL) as feed:
        feed.run(camera)
        frames = len(feed.video)
    drain(recorder)
    path = recorder.layout.resolve(segments(recorder)[0].path)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,codec_tag_string", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "hevc,hvc1"
    assert decode_count(path) == frames

"""The file level: the fragment walk that repairs cut-short files, what a file says about itself,
and the MP4 writer's guards (white box, real files)."""

from __future__ import annotations

import struct
import subprocess
from fractions import Fraction
from pathlib import Path

from custom_components.ngu_doan_cameras.engine.media import MediaPacket
from custom_components.ngu_doan_cameras.engine.recording.layout import RecordingLayout
from custom_components.ngu_doan_cameras.engine.recording.mp4 import Mp4Writer, sync_folder
from custom_components.ngu_doan_cameras.engine.recording.probe import complete_prefix, probe, trim_incomplete
from custom_components.ngu_doan_cameras.engine.recording.worker import ActiveFiles

from .media_feed import decode_count, open_feed, read_packets
from .recording_support import VN, WALL, av_clip, clip_folder, video_clip

__all__ = ["av_clip", "clip_folder", "video_clip"]  # fixtures


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def large_box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload


def test_the_fragment_walk(tmp_path: Path) -> None:
    path = tmp_path / "f.mp4"
    head = box(b"ftyp", b"iso5") + box(b"moov", b"x" * 20)
    fragment = box(b"moof", b"y" * 12) + large_box(b"mdat", b"z" * 30)
    cases = {
        # complete fragments only: all of it
        head + fragment + fragment: len(head) + 2 * len(fragment),
        # a fragment whose data was cut: back to the one before
        head + fragment + fragment[:-5]: len(head) + len(fragment),
        # a lone moof (its mdat never written): not kept
        head + fragment + box(b"moof", b"y" * 12): len(head) + len(fragment),
        # a header cut inside a large size field
        head + fragment + b"\x00\x00\x00\x01mdat\x00\x00": len(head) + len(fragment),
        # a box that runs "to the end of the file"
        head + struct.pack(">I4s", 0, b"mdat") + b"tail": len(head) + 12,
        # a size smaller than a header is garbage
        head + fragment + struct.pack(">I4s", 3, b"junk") + b"more": len(head) + len(fragment),
        # no header (moov) at all: nothing playable
        box(b"ftyp", b"iso5") + fragment: 0,
        # a header whose first fragment never made it: nothing playable either
        head + fragment[:-5]: 0,
    }
    for data, expected in cases.items():
        path.write_bytes(data)
        assert complete_prefix(path) == expected
        assert trim_incomplete(path) == expected
        assert path.stat().st_size == expected


def test_what_files_say_about_themselves(tmp_path: Path, av_clip: Path) -> None:
    # A Matroska copy: no per-stream duration, the container's is used.
    mkv = tmp_path / "copy.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(av_clip), "-c", "copy", str(mkv)], check=True)
    facts = probe(mkv)
    assert facts is not None
    assert facts.start is None  # no comment of ours
    assert (facts.codec, facts.width, facts.height, facts.audio_codec) == ("h264", 640, 360, "aac")
    assert 11.9 < facts.duration < 12.2
    # A comment that is not ours.
    commented = tmp_path / "commented.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(av_clip), "-c", "copy", "-metadata", "comment=hello", str(commented)],
        check=True,
    )
    facts = probe(commented)
    assert facts is not None
    assert facts.comment == {}
    # Audio only, and not media at all.
    audio = tmp_path / "audio.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(av_clip), "-vn", "-c", "copy", str(audio)], check=True)
    assert probe(audio) is None
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    assert probe(junk) is None


def test_writer_guards(tmp_path: Path, video_clip: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    with open_feed(video_clip, wall_start=WALL) as feed:
        path, file = layout.create_media_file("clips", "cam1", WALL, ActiveFiles())
        first = feed.packets[0]
        writer = Mp4Writer(path, file, feed.session, first, fragment_seconds=1.0, comment={"kind": "test"})
        # Audio in a session without an audio track, and audio from before the file's start: skipped.
        writer.write(MediaPacket("audio", b"\x00" * 10, 0, 0, 1024, Fraction(1, 16000), False, WALL))
        for packet in feed.packets[:30]:
            writer.write(packet)
        assert writer.flushed
        assert writer.packets == 30
        writer.sync()
        assert writer.close() == path.stat().st_size
    writer.sync()  # a closed file: nothing to do, and no error
    assert decode_count(path) == 30
    assert all(kind == "video" for kind, *_ in read_packets(path))
    sync_folder(tmp_path / "no such folder")  # best effort, never an error


def test_audio_from_before_a_file_starts_is_not_written(tmp_path: Path, av_clip: Path) -> None:
    layout = RecordingLayout(tmp_path, VN)
    with open_feed(av_clip, wall_start=WALL) as feed:
        keyframe = feed.keyframes()[2]  # a file starting at 2 s
        path, file = layout.create_media_file("recordings", "cam1", keyframe.wall, ActiveFiles())
        writer = Mp4Writer(path, file, feed.session, keyframe, fragment_seconds=1.0, comment={})
        early = next(p for p in feed.audio if p.wall < keyframe.wall - 0.5)
        writer.write(keyframe)
        writer.write(early)
        writer.close()
    assert [kind for kind, *_ in read_packets(path)] == ["video"]

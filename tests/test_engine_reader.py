"""The shared stream reader against real RTSP cameras: frames, stats, stills, reconnects, clean stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import av
import pytest

from custom_components.ngu_doan_cameras.engine.backoff import Backoff
from custom_components.ngu_doan_cameras.engine.errors import StreamErrorKind
from custom_components.ngu_doan_cameras.engine.reader import ReaderSettings, StreamReader
from custom_components.ngu_doan_cameras.engine.site import CameraConfig, Site
from custom_components.ngu_doan_cameras.engine.stats import ReaderState, StreamStats
from custom_components.ngu_doan_cameras.engine.stills import JpegEncoder, StillImageSource, scaled_size

from .helpers import jpeg_size
from .simulator import CameraSimulator

FAST = ReaderSettings(open_timeout=5.0, read_timeout=2.0, backoff=Backoff(base=0.2, cap=1.0))


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_reader_streams_publishes_stats_and_stops(simulator: CameraSimulator) -> None:
    states: list[StreamStats] = []
    reader = StreamReader("cam1", simulator.url("cam1/sub"), FAST, on_state=states.append)
    frames: list[int] = []
    packets: list[int] = []
    remove_frame = reader.add_frame_listener(lambda frame, _at: frames.append(frame.width))
    reader.add_packet_listener(lambda packet: packets.append(packet.size))
    reader.start()
    reader.start()  # idempotent
    try:
        wait_for(lambda: reader.stats.frames >= 30)
        stats = reader.stats
        assert stats.state is ReaderState.STREAMING
        assert (stats.codec, stats.width, stats.height) == ("h264", 320, 180)
        assert stats.fps is not None
        assert 10 <= stats.fps <= 30
        assert stats.bitrate_kbps is not None
        assert stats.bitrate_kbps > 0
        assert stats.last_frame_at is not None
        assert abs(stats.last_frame_at - time.time()) < 2
        assert frames
        assert set(frames) == {320}
        assert packets
        remove_frame()
        count = len(frames)
        time.sleep(0.3)
        assert len(frames) == count
        first = reader.latest_frame()
        assert first is not None
        wait_for(lambda: reader.latest_frame()[0] != first[0])  # type: ignore[index]
    finally:
        assert reader.stop()
    assert [s.state for s in states] == [ReaderState.STREAMING, ReaderState.STOPPED]
    assert not [t for t in threading.enumerate() if t.name.startswith("ngu_doan_reader")]


def test_reader_reconnects_after_camera_drops(own_simulator: CameraSimulator) -> None:
    states: list[ReaderState] = []
    reader = StreamReader("cam2", own_simulator.url("cam2"), FAST, on_state=lambda s: states.append(s.state))
    reader.start()
    try:
        wait_for(lambda: reader.stats.streaming)
        own_simulator.drop("cam2")
        wait_for(lambda: reader.stats.state is ReaderState.DISCONNECTED)
        assert reader.stats.error in {StreamErrorKind.CANNOT_CONNECT, StreamErrorKind.TIMEOUT}
        # While dropped, the mount is gone: retries fail with "not found", and keep counting.
        wait_for(lambda: reader.stats.reconnects >= 2)
        own_simulator.restore("cam2")
        wait_for(lambda: reader.stats.streaming, timeout=20)
        assert reader.stats.error is None
    finally:
        assert reader.stop()
    assert states[:2] == [ReaderState.STREAMING, ReaderState.DISCONNECTED]
    assert states[-2:] == [ReaderState.STREAMING, ReaderState.STOPPED]


def test_reader_marks_frozen_camera_disconnected_within_read_timeout(own_simulator: CameraSimulator) -> None:
    reader = StreamReader("cam1", own_simulator.url("cam1/sub"), FAST)
    reader.start()
    try:
        wait_for(lambda: reader.stats.streaming)
        own_simulator.freeze("cam1")
        wait_for(lambda: reader.stats.state is ReaderState.DISCONNECTED, timeout=10)
        lost_at = time.time()
        last_frame_at = reader.stats.last_frame_at
        assert last_frame_at is not None
        # Read timeout 2 s: the camera counts as lost that long after its last frame (plus slack).
        assert lost_at - last_frame_at < FAST.read_timeout + 1.0
        assert reader.stats.error is StreamErrorKind.TIMEOUT
        own_simulator.thaw("cam1")
        wait_for(lambda: reader.stats.streaming, timeout=20)
    finally:
        assert reader.stop()


def test_site_stills_are_encoded_once_per_frame_and_scaled(simulator: CameraSimulator) -> None:
    site = Site(
        [
            CameraConfig("a", "Cam A", simulator.url("cam1"), sub_url=simulator.url("cam1/sub")),
            CameraConfig("b", "Cam B", simulator.url("cam2")),
        ],
        FAST,
    )
    seen: list[tuple[str, ReaderState]] = []
    site.on_state = lambda camera_id, stats: seen.append((camera_id, stats.state))
    site.start()
    try:
        wait_for(lambda: all(camera.stats.streaming for camera in site.cameras.values()))
        cam_a = site.camera("a")
        # The sub stream is watched when there is one; the main stream otherwise.
        assert (cam_a.stats.width, cam_a.stats.height) == (320, 180)
        assert (site.camera("b").stats.width, site.camera("b").stats.height) == (640, 360)
        image = cam_a.still_image()
        assert image is not None
        assert jpeg_size(image) == (320, 180)
        small = site.camera("b").still_image(width=160)
        assert small is not None
        assert jpeg_size(small) == (160, 90)
        # Same frame, same size: served from the cache, not encoded again.
        stills = StillImageSource(lambda: (7, site.camera("b").reader.latest_frame()[1]))  # type: ignore[index]
        assert stills.jpeg() == stills.jpeg()
        assert stills.encodes == 1
        stills.jpeg(width=320)
        assert stills.encodes == 2
    finally:
        site.stop()
    assert ("a", ReaderState.STREAMING) in seen
    assert ("b", ReaderState.STOPPED) in seen


def test_scaled_size_keeps_aspect_and_never_upscales() -> None:
    assert scaled_size(1920, 1080, 640, None) == (640, 360)
    assert scaled_size(1920, 1080, 640, 100) == (176, 100)
    assert scaled_size(640, 360, 1920, 1080) == (640, 360)
    assert scaled_size(640, 360, None, None) == (640, 360)


def test_ffmpeg_jpeg_fallback_makes_a_decodable_image() -> None:
    frame = av.VideoFrame(64, 48, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    encoder = JpegEncoder()
    encoder._turbo = None  # as on a machine without libjpeg-turbo
    assert jpeg_size(encoder.encode(frame)) == (64, 48)


@pytest.mark.parametrize("path", ["missing", "silent"])
def test_reader_keeps_retrying_a_bad_camera_and_stops_promptly(simulator: CameraSimulator, path: str) -> None:
    reader = StreamReader(path, simulator.url(path), ReaderSettings(open_timeout=2.0, read_timeout=2.0))
    reader.start()
    try:
        wait_for(lambda: reader.stats.state is ReaderState.DISCONNECTED, timeout=10)
        assert reader.stats.error in {StreamErrorKind.NOT_FOUND, StreamErrorKind.TIMEOUT}
    finally:
        started = time.monotonic()
        assert reader.stop()
        assert time.monotonic() - started < 5
    assert reader.stats.state is ReaderState.STOPPED
    assert reader.stats.frames == 0

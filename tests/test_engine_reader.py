"""The shared stream reader against real RTSP cameras: frames, stats, stills, reconnects, clean stop."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import av
import pytest

from custom_components.ngu_doan_cameras.engine import session_socket
from custom_components.ngu_doan_cameras.engine.errors import StreamErrorKind
from custom_components.ngu_doan_cameras.engine.reader import ReaderSettings, StreamReader
from custom_components.ngu_doan_cameras.engine.site import CameraConfig, Site
from custom_components.ngu_doan_cameras.engine.stats import ReaderState, StreamStats
from custom_components.ngu_doan_cameras.engine.stills import JpegEncoder, StillImageSource, scaled_size

from .conftest import SilentServer
from .engine_helpers import FAST, RecordingSink, wait_for
from .helpers import jpeg_size
from .simulator import CameraSimulator


def test_reader_streams_publishes_stats_and_stops(simulator: CameraSimulator) -> None:
    states: list[StreamStats] = []
    reader = StreamReader("cam1", simulator.url("cam1/sub"), FAST, on_state=states.append)
    frames: list[int] = []
    sink = RecordingSink()
    remove_frame = reader.add_frame_listener(lambda frame, _at: frames.append(frame.width))
    reader.add_packet_sink(sink)
    started = time.time()
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
        assert started <= stats.last_frame_at <= time.time()  # wall clock of a frame of this run
        assert frames
        assert set(frames) == {320}
        wait_for(lambda: bool(sink.packets("video")))  # sinks get packets in batches (packets.BATCH_SECONDS)
        remove_frame()
        count = len(frames)
        published = reader.stats.frames
        wait_for(lambda: reader.stats.frames >= published + 5)  # frames went on...
        assert len(frames) <= count + 1  # ...but not to the removed listener (one may have been in flight)
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


WATCHDOG = "socket_watchdog"


@pytest.fixture(params=[WATCHDOG, "pyav_read_timeout"])
def stuck_read_ender(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a stuck read ends: the watchdog shutting the session's socket down (found through
    /proc), and PyAV's read timeout where that socket cannot be found (here: made unavailable)."""
    if request.param != WATCHDOG:
        monkeypatch.setattr(session_socket, "rtsp_endpoint", lambda _url: None)
    return str(request.param)


def assert_ended_by(reader: StreamReader, ender: str) -> None:
    """The stuck session was ended the way `ender` says."""
    assert reader.watched is (ender == WATCHDOG)
    assert (reader.sessions_cut > 0) is (ender == WATCHDOG)


def test_reader_marks_frozen_camera_disconnected_within_read_timeout(
    own_simulator: CameraSimulator, stuck_read_ender: str
) -> None:
    reader = StreamReader("cam1", own_simulator.url("cam1/sub"), FAST)
    reader.start()
    try:
        wait_for(lambda: reader.stats.streaming)
        own_simulator.freeze("cam1")
        wait_for(lambda: reader.stats.state is ReaderState.DISCONNECTED, timeout=10)
        assert_ended_by(reader, stuck_read_ender)
        lost_at = time.time()
        last_frame_at = reader.stats.last_frame_at
        assert last_frame_at is not None
        # Read timeout 2 s: the camera counts as lost about that long after its last frame (the bound is
        # generous for a loaded machine; a reader that missed the stall would never get here).
        assert lost_at - last_frame_at < 3 * FAST.read_timeout
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
    encoder = JpegEncoder(use_turbo=False)  # as on a machine without libjpeg-turbo
    assert jpeg_size(encoder.encode(frame)) == (64, 48)


@pytest.mark.parametrize("path", ["missing", "silent"])
def test_reader_keeps_retrying_a_bad_camera_and_stops_promptly(simulator: CameraSimulator, path: str) -> None:
    reader = StreamReader(path, simulator.url(path), ReaderSettings(open_timeout=2.0, read_timeout=2.0))
    reader.start()
    try:
        wait_for(lambda: reader.stats.state is ReaderState.DISCONNECTED, timeout=10)
        assert reader.stats.error in {StreamErrorKind.NOT_FOUND, StreamErrorKind.TIMEOUT}
    finally:
        assert reader.stop()  # joined within one open timeout plus slack (its max_stop_seconds)
    assert reader.stats.state is ReaderState.STOPPED
    assert reader.stats.frames == 0


class StateLog:
    """A reader's state changes, each with the wall time it was reported at."""

    def __init__(self) -> None:
        self.changes: list[tuple[float, StreamStats]] = []

    def __call__(self, stats: StreamStats) -> None:
        self.changes.append((time.time(), stats))

    def first(self, state: ReaderState, after: int = 0) -> tuple[float, StreamStats] | None:
        return next(((at, stats) for at, stats in self.changes[after:] if stats.state is state), None)


def stream_until_lost(sim: CameraSimulator, reader: StreamReader, log: StateLog, trouble: str) -> StreamStats:
    """Stream, cause `trouble` on cam1, and return the reader's stats when the camera counts as lost."""
    wait_for(lambda: reader.stats.streaming and reader.stats.frames >= 15)
    sim.command(f"{trouble} cam1")
    wait_for(lambda: log.first(ReaderState.DISCONNECTED) is not None, timeout=20)
    lost = log.first(ReaderState.DISCONNECTED)
    assert lost is not None
    lost_at, stats = lost
    assert stats.last_frame_at is not None
    # Lost about one frame timeout after the last frame (generous slack for a loaded machine), not never.
    assert lost_at - stats.last_frame_at < 3 * FAST.read_timeout
    return stats


@pytest.mark.parametrize("decode", [True, False], ids=["decoding", "packet_only"])
def test_audio_only_stall_ends_the_session_within_the_frame_timeout(
    own_audio_simulator: CameraSimulator, decode: bool
) -> None:
    # The camera keeps sending sound, so FFmpeg's read timeout never fires: only the frame watchdog
    # (packet-only readers: the video packet watchdog) sees the picture has stopped.
    log = StateLog()
    reader = StreamReader("cam1", own_audio_simulator.url("cam1"), FAST, on_state=log, decode=decode)
    reader.start()
    try:
        stats = stream_until_lost(own_audio_simulator, reader, log, "stall")
        assert stats.error is StreamErrorKind.TIMEOUT
        # Reconnecting while stalled ends the same way, again and again.
        wait_for(lambda: reader.stats.reconnects >= 2, timeout=20)
        assert reader.stats.error is StreamErrorKind.TIMEOUT
        own_audio_simulator.thaw("cam1")
        wait_for(lambda: reader.stats.streaming, timeout=20)
        assert reader.stats.error is None
    finally:
        assert reader.stop()


def test_video_that_never_decodes_ends_the_session_as_corrupt(
    own_audio_simulator: CameraSimulator, stuck_read_ender: str
) -> None:
    log = StateLog()
    reader = StreamReader("cam1", own_audio_simulator.url("cam1/sub"), FAST, on_state=log)
    reader.start()
    try:
        stats = stream_until_lost(own_audio_simulator, reader, log, "corrupt")
        # Packets kept coming at the normal rate; none gave a picture. A glitch, not a wrong address.
        assert stats.error is StreamErrorKind.CORRUPT
        assert stats.decode_errors > 0
        assert reader.watched is (stuck_read_ender == WATCHDOG)
        own_audio_simulator.uncorrupt("cam1")
        wait_for(lambda: reader.stats.streaming, timeout=20)
        assert reader.stats.error is None
    finally:
        assert reader.stop()


def test_failing_listeners_and_sinks_are_logged_once_and_the_stream_goes_on(
    audio_simulator: CameraSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    states: list[ReaderState] = []
    reader = StreamReader("cam2", audio_simulator.url("cam2/sub"), FAST, on_state=lambda s: states.append(s.state))
    frames: list[float] = []

    def broken_listener(_frame: av.VideoFrame, _at: float) -> None:
        raise RuntimeError("listener bug")

    class BrokenSink(RecordingSink):
        def session_started(self, session) -> None:  # type: ignore[no-untyped-def]
            super().session_started(session)
            raise ValueError("sink bug")

        def packet(self, packet, session) -> None:  # type: ignore[no-untyped-def]
            super().packet(packet, session)
            raise ValueError("sink bug")

    sink = BrokenSink()
    reader.add_frame_listener(broken_listener)
    reader.add_frame_listener(lambda _frame, at: frames.append(at))  # after the broken one: still called
    reader.add_packet_sink(sink)
    reader.start()
    try:
        wait_for(lambda: len(frames) >= 45)
        wait_for(lambda: sink.count("packet") >= 45)  # (sinks get packets in batches, within half a second)
        assert reader.stats.streaming
        assert reader.stats.reconnects == 0
        assert sink.count("started") == 1
    finally:
        assert reader.stop()
    assert states == [ReaderState.STREAMING, ReaderState.STOPPED]
    failures = [record for record in caplog.records if "failed (the stream goes on)" in record.getMessage()]
    assert [record.levelname for record in failures] == ["ERROR", "ERROR"]  # once per consumer and session
    assert {type(record.exc_info[1]) for record in failures if record.exc_info} == {RuntimeError, ValueError}


def mpegts_clip(frames: int = 15) -> bytes:
    """A short H.264 clip in MPEG-TS (streamable over plain HTTP)."""
    import io

    import numpy as np

    out = io.BytesIO()
    with av.open(out, "w", format="mpegts") as container:
        stream = container.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            planes = np.full((72, 64), 16 + 10 * index, dtype=np.uint8)  # I420: 48 rows of Y, then U and V
            container.mux(stream.encode(av.VideoFrame.from_ndarray(planes, format="yuv420p")))
        container.mux(stream.encode(None))
    return out.getvalue()


@pytest.fixture
def switchable_server(socket_enabled: None) -> Iterator[tuple[str, dict[str, bytes]]]:
    """An HTTP server answering every GET with `body["now"]`: a video clip, or a web page once changed."""
    import http.server

    body = {"now": mpegts_clip()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = body["now"]
            self.send_response(200)
            self.send_header("Content-Type", "video/mp2t" if data.startswith(b"G") else "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            """Keep request lines out of the test output."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="switchable_server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/stream.ts", body
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_undecodable_data_from_a_stream_that_gave_video_is_corrupt_not_not_video(
    switchable_server: tuple[str, dict[str, bytes]],
) -> None:
    url, body = switchable_server
    reader = StreamReader("web", url, FAST)
    reader.start()
    try:
        wait_for(lambda: reader.stats.frames > 0)  # it gave video (the clip ends, the reader reopens it)
        body["now"] = b"<html><body>Camera web interface</body></html>"
        wait_for(lambda: reader.stats.error not in {None, StreamErrorKind.CANNOT_CONNECT}, timeout=20)
        # The same address gave video before: a glitch that may heal (no repair issue at once).
        assert reader.stats.error is StreamErrorKind.CORRUPT
    finally:
        assert reader.stop()
    # An address that never gave video is what NOT_VIDEO means (a web page pasted as the stream URL).
    fresh = StreamReader("web", url, FAST)
    fresh.start()
    try:
        wait_for(lambda: fresh.stats.state is ReaderState.DISCONNECTED)
        assert fresh.stats.error is StreamErrorKind.NOT_VIDEO
    finally:
        assert fresh.stop()


def test_site_stop_joins_hung_readers_against_one_deadline(
    silent_server: SilentServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Three cameras that accept the connection and never answer: each reader hangs in its open.
    settings = ReaderSettings(open_timeout=60.0, read_timeout=2.0)
    site = Site(
        [CameraConfig(str(n), f"Cam {n}", f"rtsp://127.0.0.1:{silent_server.port}/cam{n}") for n in range(3)],
        settings,
    )
    site.start()
    try:
        wait_for(lambda: silent_server.connections == 3)
        # A short stop budget the hung readers cannot meet; every join is recorded.
        budget = 1.0
        monkeypatch.setattr(StreamReader, "max_stop_seconds", property(lambda _self: budget))
        joins: list[tuple[float, float | None]] = []
        join = StreamReader.join

        def recorded_join(self: StreamReader, timeout: float | None = None) -> bool:
            joins.append((time.monotonic(), timeout))
            return join(self, timeout)

        monkeypatch.setattr(StreamReader, "join", recorded_join)
        stopping = time.monotonic()
        site.stop()
        # One shared deadline: no join waits past it (one after another, three hung readers used to
        # cost three budgets).
        assert len(joins) == 3
        for called_at, timeout in joins:
            assert timeout is not None
            assert called_at + timeout <= stopping + budget + 0.1
        assert sum("did not stop in time" in record.getMessage() for record in caplog.records) == 3
    finally:
        silent_server.hang_up()  # EOF: the readers give up their open and end
        for camera in site.cameras.values():
            assert camera.reader.join(30)


def test_probe_of_a_camera_sending_only_sound_times_out(own_audio_simulator: CameraSimulator) -> None:
    # Testing a camera before saving it (the config flow) must not hang on one whose video stalled
    # while its sound goes on (PyAV skips the sound packets internally when asked for video only).
    from custom_components.ngu_doan_cameras.engine.errors import StreamError
    from custom_components.ngu_doan_cameras.engine.probe import probe_stream

    assert probe_stream(own_audio_simulator.url("cam1"), timeout=3.0).codec == "h264"
    own_audio_simulator.stall("cam1")
    with pytest.raises(StreamError) as failure:
        probe_stream(own_audio_simulator.url("cam1"), timeout=3.0)
    assert failure.value.kind is StreamErrorKind.TIMEOUT


def test_a_probe_ended_before_the_picture_size_is_made_again_with_ffmpegs_own_budget(
    audio_simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The config flow shows the size it found: a quick probe that ended on a sound packet (starved here
    # to its first packet, which leaves the size unknown every time) must not report a 0x0 camera.
    from custom_components.ngu_doan_cameras.engine import probe

    monkeypatch.setattr(probe, "PROBE_OPTIONS", {"analyzeduration": "1", "probesize": "32"})
    info = probe.probe_stream(audio_simulator.url("cam1"), timeout=5.0)
    assert (info.codec, info.width, info.height) == ("h264", 640, 360)


def test_stalling_a_camera_without_sound_is_refused(simulator: CameraSimulator) -> None:
    with pytest.raises(RuntimeError, match="has no audio"):
        simulator.stall("cam1")


def open_beside_a_stranger(
    monkeypatch: pytest.MonkeyPatch, port: int, *, keep: bool
) -> tuple[list[socket.socket], list[str]]:
    """Make the first session's search take another connection to the camera for the session's socket.

    Another connection from this process (Home Assistant's own live view, say) comes at the moment the
    session opens, before FFmpeg's: the search sees it first. `keep`: it stays (else it is gone by the
    time the session is open). Returns the stranger (once made) and the URLs opened.
    """
    strangers: list[socket.socket] = []
    opens: list[str] = []
    real_open = av.open

    def opening(url: str, *args: Any, **kwargs: Any) -> Any:
        if not strangers:
            stranger = socket.create_connection(("127.0.0.1", port))
            strangers.append(stranger)
            wait_for(lambda: os.fstat(stranger.fileno()).st_ino in session_socket._claimed)
            if not keep:
                stranger.close()
        opens.append(url)
        return real_open(url, *args, **kwargs)

    monkeypatch.setattr(av, "open", opening)
    return strangers, opens


@pytest.mark.usefixtures("socket_enabled")
def test_a_session_whose_socket_is_not_known_is_read_under_the_read_timeout(
    simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The socket the search found is gone once the session is open: which one is the session's is not
    # known, so it is opened again the old way.
    _, opens = open_beside_a_stranger(monkeypatch, simulator.port, keep=False)
    reader = StreamReader("cam1", simulator.url("cam1/sub"), FAST)
    reader.start()
    try:
        wait_for(lambda: reader.stats.streaming and reader.stats.frames >= 5)
        assert len(opens) == 2
        assert not reader.watched
    finally:
        assert reader.stop()
    assert reader.sessions_cut == 0


@pytest.mark.usefixtures("socket_enabled")
def test_a_stuck_session_that_took_another_connection_for_its_socket_still_ends(
    own_simulator: CameraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    strangers, opens = open_beside_a_stranger(monkeypatch, own_simulator.port, keep=True)
    reader = StreamReader("cam1", own_simulator.url("cam1/sub"), FAST)
    reader.start()
    try:
        wait_for(lambda: reader.stats.streaming)
        assert reader.watched
        assert len(opens) == 1
        own_simulator.freeze("cam1")
        # The watchdog shuts the wrong socket down, and when the read still does not return, every
        # connection to the camera that is no session's: the stuck session ends all the same.
        wait_for(lambda: reader.stats.state is ReaderState.DISCONNECTED, timeout=20)
        assert reader.stats.error is StreamErrorKind.TIMEOUT
        assert strangers[0].recv(1) == b""  # the stranger was shut down first
        own_simulator.thaw("cam1")
        wait_for(lambda: reader.stats.streaming, timeout=20)
    finally:
        assert reader.stop()
        strangers[0].close()


def test_stop_ends_a_stuck_session_at_once_without_reporting_a_failure(own_simulator: CameraSimulator) -> None:
    # The frame timeout is long: only the watchdog shutting the session's socket down ends the read.
    reader = StreamReader("cam1", own_simulator.url("cam1/sub"), ReaderSettings(open_timeout=5.0, read_timeout=60.0))
    reader.start()
    try:
        wait_for(lambda: reader.stats.streaming)
        own_simulator.freeze("cam1")
    finally:
        reader.request_stop()
        # Well within the 60 s read timeout (the bound is generous for a loaded machine).
        assert reader.join(30)
        own_simulator.thaw("cam1")
    assert reader.watched
    assert reader.sessions_cut == 1
    assert reader.stats.state is ReaderState.STOPPED
    assert reader.stats.error is None

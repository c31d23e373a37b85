"""Fixtures: real Home Assistant (test plugin) against real RTSP cameras (the project's simulator)."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant

# Imported early on purpose: binds `custom_components` to this repository before the plugin's
# testing_config/ lands on sys.path (see shared/ENVIRONMENT.md).
from custom_components.ngu_doan_cameras import const
from custom_components.ngu_doan_cameras.const import DOMAIN

from .blocking import LoopGuard
from .helpers import serving_http
from .simulator import CameraSimulator

SIM_USER = "admin"
SIM_PASSWORD = "p@ss:w#rd/%1"  # every character that breaks naive URL building


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load this repository's custom integration."""


@pytest.fixture(autouse=True)
def isolated_media_folder(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Every Home Assistant test records, and files snapshots, into a media folder of its own.

    The test plugin's default config folder is shared by every run on the machine: recordings, the
    index and snapshots of one test would be seen by the next.
    """
    if "hass" in request.fixturenames:
        hass: HomeAssistant = request.getfixturevalue("hass")
        hass.config.media_dirs = {"local": str(tmp_path / "media")}


@pytest.fixture(autouse=True)
def short_probe_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flows wait 10 s for a silent camera in real life; 3 s proves the same here."""
    monkeypatch.setattr(const, "PROBE_TIMEOUT", 3.0)


@pytest.fixture(scope="session")
def simulator() -> Iterator[CameraSimulator]:
    """Four open cameras with sub streams, shared by the tests that only read from them."""
    with CameraSimulator(cameras=4, sub=True) as sim:
        yield sim


@pytest.fixture(scope="session")
def auth_simulator() -> Iterator[CameraSimulator]:
    """Two cameras behind digest auth, with a password full of URL-special characters."""
    with CameraSimulator(cameras=2, sub=True, user=SIM_USER, password=SIM_PASSWORD) as sim:
        yield sim


@pytest.fixture
def own_simulator() -> Generator[CameraSimulator]:
    """A simulator of the test's own, for tests that drop or freeze cameras."""
    with CameraSimulator(cameras=2, sub=True) as sim:
        yield sim


@pytest.fixture(scope="session")
def audio_simulator() -> Iterator[CameraSimulator]:
    """Two cameras with sound (AAC) on their main and sub streams, shared by tests that only read."""
    with CameraSimulator(cameras=2, sub=True, audio=True) as sim:
        yield sim


@pytest.fixture
def own_audio_simulator() -> Generator[CameraSimulator]:
    """A simulator with sound of the test's own, for tests that stall, corrupt or restart cameras."""
    with CameraSimulator(cameras=2, sub=True, audio=True) as sim:
        yield sim


def camera_data(sim: CameraSimulator, n: int = 1, *, sub: bool = True, **extra: Any) -> dict[str, Any]:
    """Subentry data of simulator camera `n`."""
    data: dict[str, Any] = {
        "name": f"Camera {n}",
        "location": "Đường 402",
        "main_url": sim.url(f"cam{n}"),
        "sub_url": sim.url(f"cam{n}/sub") if sub else "",
        "still_url": "",
        "username": sim.user or "",
        "password": sim.password or "",
    }
    data.update(extra)
    return data


__all__ = ["DOMAIN", "SIM_PASSWORD", "SIM_USER", "camera_data"]


TINY_JPEG_SIZE = (32, 24)


def tiny_jpeg() -> bytes:
    """A real JPEG, made by FFmpeg, for the fake snapshot endpoint."""
    import io

    import av

    frame = av.VideoFrame(*TINY_JPEG_SIZE, "yuvj420p")
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    out = io.BytesIO()
    with av.open(out, "w", format="mjpeg") as container:
        stream = container.add_stream("mjpeg")
        stream.width, stream.height, stream.pix_fmt = *TINY_JPEG_SIZE, "yuvj420p"
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


@pytest.fixture
def http_server(socket_enabled: None) -> Iterator[str]:
    """A camera's web server: an HTML page (what users paste by mistake instead of a stream URL)
    and a snapshot at /snap.jpg behind basic auth (SIM_USER / SIM_PASSWORD)."""
    import base64
    import http.server

    jpeg = tiny_jpeg()
    expected = "Basic " + base64.b64encode(f"{SIM_USER}:{SIM_PASSWORD}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/snap.jpg":
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(jpeg, "image/jpeg")
                return
            self._send(b"<html><body>Camera web interface</body></html>", "text/html")

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            """Keep request lines out of the test output."""

    with serving_http(Handler, "http_server") as url:
        yield url


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word (a hung camera)."""

    def __init__(self) -> None:
        import socket
        import threading

        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="silent_server")
        self._thread.start()

    @property
    def connections(self) -> int:
        """How many clients are connected (and waiting for an answer that never comes)."""
        with self._lock:
            return len(self._connections)

    def _serve(self) -> None:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                ready = {key.fileobj for key, _ in selector.select()}
                if self._wake_reader in ready:
                    return
                connection, _ = self._listener.accept()
                with self._lock:
                    self._connections.append(connection)

    def hang_up(self) -> None:
        """Close every connection: the clients get EOF (and give up at once)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    def stop(self) -> None:
        """Stop accepting, hang up on everyone, join the thread."""
        self._wake_writer.send(b"x")
        self._thread.join()
        self.hang_up()
        for sock in (self._listener, self._wake_reader, self._wake_writer):
            sock.close()


@pytest.fixture
def silent_server(socket_enabled: None) -> Iterator[SilentServer]:
    """A server that accepts and never answers; stopped and joined in teardown."""
    server = SilentServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def loop_guard(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopGuard]:
    """Fail the test if blocking work (library loading, subprocesses, FFmpeg opens, sockets, sleeps, thread
    joins, file I/O) runs on the event loop's thread; call `assert_clean()` after the steps to check."""
    guard = LoopGuard(hass.loop_thread_id)
    guard.install(monkeypatch)
    yield guard
    guard.assert_clean()

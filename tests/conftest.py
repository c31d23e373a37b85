"""Fixtures: real Home Assistant (test plugin) against real RTSP cameras (the project's simulator)."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

# Imported early on purpose: binds `custom_components` to this repository before the plugin's
# testing_config/ lands on sys.path (see shared/ENVIRONMENT.md).
from custom_components.ngu_doan_cameras import const
from custom_components.ngu_doan_cameras.const import DOMAIN

from .simulator import CameraSimulator

SIM_USER = "admin"
SIM_PASSWORD = "p@ss:w#rd/%1"  # every character that breaks naive URL building


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load this repository's custom integration."""


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


@pytest.fixture
def http_page(socket_enabled: None) -> Iterator[str]:
    """A plain web page (what users paste by mistake instead of a stream URL)."""
    import http.server
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body>Camera web interface</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, name="http_page")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

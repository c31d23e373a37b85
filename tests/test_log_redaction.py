"""FFmpeg's own log, turned all the way up, never shows a password: real sessions against real servers.

PyAV logs through `libav.<component>` loggers, one per FFmpeg component. Home Assistant's `stream`
turns them on when its logger is at debug; here they are turned up further (TRACE: requests and
their headers), as someone chasing a camera problem would.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from urllib.parse import quote

import av
import av.logging
import pytest

from custom_components.ngu_doan_cameras.engine.probe import probe_stream
from custom_components.ngu_doan_cameras.engine.urls import with_credentials
from custom_components.ngu_doan_cameras.log_redaction import install_log_redaction

from .conftest import SIM_PASSWORD, SIM_USER
from .simulator import CameraSimulator


def secrets(user: str, password: str) -> list[str]:
    """Every form the password takes on the wire: raw, percent-encoded, and in a Basic header."""
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [password, quote(password, safe=""), quote(password), basic]


def assert_hidden(text: str, user: str = SIM_USER, password: str = SIM_PASSWORD) -> None:
    for secret in secrets(user, password):
        assert secret not in text, f"{secret!r} in the log"


@pytest.fixture
def ffmpeg_debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """FFmpeg at its most verbose into caplog, with the integration's redaction installed; restored afterwards."""
    install_log_redaction()
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.TRACE)  # TRACE: FFmpeg logs the RTSP requests it sends, headers and all
    caplog.set_level(1, logger="libav")  # PyAV sets `libav` to WARNING when imported; caplog restores it
    try:
        yield caplog
    finally:
        av.logging.set_level(previous)


@pytest.mark.usefixtures("socket_enabled")
def test_rtsp_session_with_digest_auth(
    auth_simulator: CameraSimulator, ffmpeg_debug_log: pytest.LogCaptureFixture
) -> None:
    url = with_credentials(auth_simulator.url("cam1"), SIM_USER, SIM_PASSWORD)
    assert probe_stream(url, timeout=5.0).codec == "h264"
    rtsp = [record.getMessage() for record in ffmpeg_debug_log.records if record.name == "libav.rtsp"]
    # Positive marker: FFmpeg did log its authenticated requests (DESCRIBE, SETUP, PLAY), headers hidden.
    authorized = [message for message in rtsp if "Authorization: ***" in message]
    assert len(authorized) >= 3
    text = ffmpeg_debug_log.text
    assert 'username="' not in text
    assert 'response="' not in text
    assert_hidden(text)


@pytest.mark.usefixtures("socket_enabled")
def test_http_session_with_basic_auth(http_server: str, ffmpeg_debug_log: pytest.LogCaptureFixture) -> None:
    """FFmpeg logs the URL it opens (`Opening 'http://user:pass@...'`) and the Basic header it sends."""
    url = with_credentials(f"{http_server}/snap.jpg", SIM_USER, SIM_PASSWORD)
    with av.open(url, timeout=5.0) as container:
        assert container.streams.video
    messages = [record.getMessage() for record in ffmpeg_debug_log.records]
    assert f"Opening 'http://***@127.0.0.1:{http_server.rsplit(':', 1)[1]}/snap.jpg' for reading" in messages
    assert any("Authorization: ***" in message for message in messages)
    assert_hidden(ffmpeg_debug_log.text)


def test_every_libav_component_and_the_stream_component(caplog: pytest.LogCaptureFixture) -> None:
    """Redaction sits in the record factory: it reaches `libav.<anything>`, which a filter on `libav` does not."""
    install_log_redaction()
    caplog.set_level(1)
    caplog.set_level(1, logger="libav")
    password = "p@ss:w#rd/%1"
    lines = {
        "libav.AVIOContext": f"Opening 'rtsp://admin:{quote(password, safe='')}@10.0.0.5/x' for reading",
        "libav.some_future_component": f"GET /snap.cgi?usr=admin&pwd={quote(password)} HTTP/1.1",
        "libav.http": "request: GET /\r\nAuthorization: Basic " + secrets("admin", password)[3] + "\r\nHost: h",
        "homeassistant.components.stream.stream.camera_1": f"Error opening stream rtsp://cam/live?user=admin&password={password}",
    }
    for name, line in lines.items():
        logging.getLogger(name).debug("%s", line)
    assert [record.name for record in caplog.records] == list(lines)
    assert_hidden(caplog.text, "admin", password)
    assert "rtsp://***@10.0.0.5/x" in caplog.text
    assert "?usr=***&pwd=*** HTTP/1.1" in caplog.text
    assert "Authorization: ***\r\nHost: h" in caplog.text


def test_installed_once_and_other_loggers_untouched(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    factory = logging.getLogRecordFactory()
    install_log_redaction()
    assert logging.getLogRecordFactory() is factory
    caplog.set_level(logging.INFO)
    message = "not a stream: rtsp://user:secret@example.invalid/"
    logging.getLogger("some.other.library").info(message)
    (record,) = caplog.records
    assert record.msg is message  # other loggers' records are not even looked at

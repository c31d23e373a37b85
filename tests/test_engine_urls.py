"""URL handling: credentials kept apart, percent-encoded when used, redacted everywhere else."""

from __future__ import annotations

import random

from custom_components.ngu_doan_cameras.engine.backoff import Backoff
from custom_components.ngu_doan_cameras.engine.urls import (
    NVR_TEMPLATES,
    channel_urls,
    credentials_in_url,
    redact_url,
    strip_credentials,
    url_identity,
    with_credentials,
)


def test_redact_hides_credentials_inside_any_text() -> None:
    text = "open rtsp://admin:p@ss:w#rd@10.0.0.5:554/Streaming/Channels/101 failed; http://u:x@h/a"
    redacted = redact_url(text)
    assert "p@ss" not in redacted
    assert "admin" not in redacted
    assert "rtsp://***@10.0.0.5:554/Streaming/Channels/101" in redacted
    assert "http://***@h/a" in redacted
    assert redact_url("rtsp://10.0.0.5/live") == "rtsp://10.0.0.5/live"


def test_credentials_are_percent_encoded_and_stripped() -> None:
    url = with_credentials("rtsp://10.0.0.5:554/cam", "ad min", "p@ss:w#rd/%1")
    assert url == "rtsp://ad%20min:p%40ss%3Aw%23rd%2F%251@10.0.0.5:554/cam"
    assert strip_credentials(url) == "rtsp://10.0.0.5:554/cam"
    assert credentials_in_url(url) == ("ad%20min", "p%40ss%3Aw%23rd%2F%251")
    assert with_credentials("rtsp://h/x", None, "ignored") == "rtsp://h/x"
    assert with_credentials("rtsp://old:pw@h/x", "new", None) == "rtsp://new@h/x"
    assert strip_credentials("rtsp://u:p@[fe80::1]:8554/a") == "rtsp://[fe80::1]:8554/a"


def test_url_identity_ignores_credentials_case_and_default_port() -> None:
    assert url_identity("rtsp://u:p@CAM.local/live") == url_identity("rtsp://cam.local:554/live")
    assert url_identity("rtsp://h/a?channel=1") != url_identity("rtsp://h/a?channel=2")
    assert url_identity("http://h") == "http://h:80/"


def test_nvr_vendor_templates() -> None:
    assert channel_urls(NVR_TEMPLATES["hikvision"], "10.0.0.2", 554, 3) == (
        "rtsp://10.0.0.2:554/Streaming/Channels/301",
        "rtsp://10.0.0.2:554/Streaming/Channels/302",
    )
    assert channel_urls(NVR_TEMPLATES["dahua"], "nvr", 8554, 12) == (
        "rtsp://nvr:8554/cam/realmonitor?channel=12&subtype=0",
        "rtsp://nvr:8554/cam/realmonitor?channel=12&subtype=1",
    )


def test_backoff_is_capped_exponential_with_jitter() -> None:
    backoff = Backoff(base=1.0, cap=30.0, rng=random.Random(1))
    delays = [backoff.delay(n) for n in range(10)]
    for n, delay in enumerate(delays):
        ceiling = min(30.0, 2.0**n)
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 30.0
    # Jitter: two readers failing together do not retry in lock-step.
    other = Backoff(base=1.0, cap=30.0, rng=random.Random(2))
    assert [other.delay(n) for n in range(10)] != delays

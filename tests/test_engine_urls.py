"""URL handling: credentials kept apart, percent-encoded when used, redacted everywhere else.

Stream URLs are typed by people: passwords with `@ : # / %` typed straight into the URL, credentials in
the query string (HTTP snapshot URLs), ports out of range, IPv6 hosts. None of it may raise from these
helpers, and no password may survive in what they return for storing, comparing or logging.
"""

from __future__ import annotations

import random
import string
from urllib.parse import quote

import pytest

from custom_components.ngu_doan_cameras.engine import urls
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

RAW_PASSWORD_URL = "rtsp://admin:p@ss:w#rd/1@host:554/Streaming/Channels/101"


def secret_forms(password: str) -> list[str]:
    """The ways a password can show up: as typed, and percent-encoded as in a URL."""
    return [password, quote(password, safe=""), quote(password)]


def test_redact_hides_credentials_inside_any_text() -> None:
    text = "open rtsp://admin:p@ss:w#rd@10.0.0.5:554/Streaming/Channels/101 failed; http://u:x@h/a"
    redacted = redact_url(text)
    assert "p@ss" not in redacted
    assert "admin" not in redacted
    assert "rtsp://***@10.0.0.5:554/Streaming/Channels/101" in redacted
    assert "http://***@h/a" in redacted
    assert redact_url("rtsp://10.0.0.5/live") == "rtsp://10.0.0.5/live"


def test_redact_hides_a_raw_password_with_a_slash() -> None:
    redacted = redact_url(f"Opening '{RAW_PASSWORD_URL}' for reading")
    assert "w#rd" not in redacted
    assert "ss:" not in redacted
    assert redacted == "Opening 'rtsp://***@host:554/Streaming/Channels/101' for reading"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("http://h/s.cgi?loginpas=p@ss:w#rd/%1&x=1 failed", "http://h/s.cgi?loginpas=***&x=1 failed"),
        # Ambiguous (an "@" after a "?", then something like a host): everything after the scheme goes.
        ("http://h/s.cgi?pwd=p@ss.com", "http://***"),
        ("rtsp://admin:a?b@host/x", "rtsp://***"),
        ("rtsp://admin:secret@[::1", "rtsp://***@[::1"),
        ("Connection to tcp://127.0.0.1:1?timeout=0 failed", "Connection to tcp://127.0.0.1:1?timeout=0 failed"),
        ("GET /snap.cgi?user=admin&PWD=x HTTP/1.1", "GET /snap.cgi?user=***&PWD=*** HTTP/1.1"),
    ],
)
def test_redact_when_the_at_sign_is_not_where_it_should_be(text: str, redacted: str) -> None:
    assert redact_url(text) == redacted


def test_credentials_are_percent_encoded_and_stripped() -> None:
    url = with_credentials("rtsp://10.0.0.5:554/cam", "ad min", "p@ss:w#rd/%1")
    assert url == "rtsp://ad%20min:p%40ss%3Aw%23rd%2F%251@10.0.0.5:554/cam"
    assert strip_credentials(url) == "rtsp://10.0.0.5:554/cam"
    # Decoded: what goes into the user name and password fields.
    assert credentials_in_url(url) == ("ad min", "p@ss:w#rd/%1")
    assert with_credentials("rtsp://h/x", None, "ignored") == "rtsp://h/x"
    assert with_credentials("rtsp://old:pw@h/x", "new", None) == "rtsp://new@h/x"
    assert strip_credentials("rtsp://u:p@[fe80::1]:8554/a") == "rtsp://[fe80::1]:8554/a"


def test_a_password_typed_unencoded_into_the_url_is_found() -> None:
    # urlsplit cuts this at "#" and the first "@": `.port` raised and the traceback showed the password.
    assert strip_credentials(RAW_PASSWORD_URL) == "rtsp://host:554/Streaming/Channels/101"
    assert credentials_in_url(RAW_PASSWORD_URL) == ("admin", "p@ss:w#rd/1")
    assert url_identity(RAW_PASSWORD_URL) == "rtsp://host:554/Streaming/Channels/101"
    assert urls.split_credentials(RAW_PASSWORD_URL) == (
        "rtsp://host:554/Streaming/Channels/101",
        "admin",
        "p@ss:w#rd/1",
    )
    # Every character a password may hold, typed raw: the URL still points at the right host.
    for password in ("a@b", "a:b", "a#b", "a/b", "a%b", "a?b", "%zz", "@:#/%?", "p@ss:w#rd/%1", "Mật khẩu 1"):
        url = f"rtsp://admin:{password}@10.0.0.5:554/live"
        assert urls.split_credentials(url) == ("rtsp://10.0.0.5:554/live", "admin", password), password
        encoded = f"rtsp://admin:{quote(password, safe='')}@10.0.0.5:554/live"
        assert urls.split_credentials(encoded) == ("rtsp://10.0.0.5:554/live", "admin", password), password
    # A user name with "/" does not turn the password into a path: "@" always ends the user info.
    assert urls.split_credentials("rtsp://ad/min:pw@10.0.0.5/live") == ("rtsp://10.0.0.5/live", "ad/min", "pw")
    # A fragment is never sent to a camera; it is dropped rather than keep what followed a raw "#".
    assert urls.split_credentials("http://10.0.0.5/s.cgi?user=a&pwd=b#c") == (
        "http://10.0.0.5/s.cgi?user=&pwd=",
        "a",
        "b",
    )


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://host:99999/x",
        "rtsp://host:-1/",
        "rtsp://host:abc/",
        "rtsp://host:0/x",
        "rtsp://host:65536/x",
        "rtsp://[::1/x",
        "rtsp://::1]/x",
        "rtsp://[nothex]:554/x",
        "rtsp:/x",
        "rtsp://",
        "rtsp:///path",
        "",
        "host/path",
        "://host/x",
        "rtsp://ho st/x",
        "rtsp://host/x y",
        "rtsp://host/x\n",
        "rtsp://host\x00/x",
        pytest.param("rtsp://" + "h" * 300 + "/x", id="host-300-chars"),
        pytest.param("rtsp://host/" + "x" * 5000, id="url-5000-chars"),
        "rtsp://u:p@host:99999/x",
        "rtsp://admin:pw@ho st/x",
        "http://cam/snap.cgi?email=a@",
    ],
)
def test_unusable_urls_are_an_error_not_a_crash(url: str) -> None:
    # The helpers used on stored or logged URLs never raise, whatever the text.
    strip_credentials(url)
    url_identity(url)
    credentials_in_url(url)
    redact_url(url)
    with_credentials(url, "admin", "pw")
    # Parsing says plainly that this is not a URL the integration can use (the form's `invalid_url`).
    with pytest.raises(urls.UrlError):
        urls.parse_url(url)


def test_ipv6_hosts_and_ports() -> None:
    parsed = urls.parse_url("rtsp://admin:pw@[::1]:8554/x?a=1")
    assert (parsed.host, parsed.port, parsed.path, parsed.query) == ("::1", 8554, "/x", "a=1")
    assert url_identity("rtsp://[::1]/x") == "rtsp://[::1]:554/x"
    assert with_credentials("rtsp://[::1]:8554/x", "u", "p") == "rtsp://u:p@[::1]:8554/x"
    assert urls.url_address("RTSP://Cam.Local/a") == urls.url_address("rtsp://cam.local:554/b")
    assert urls.url_address("rtsp://cam.local:8554/a") != urls.url_address("rtsp://cam.local/a")


def test_helpers_never_raise_and_never_return_the_password() -> None:
    rng = random.Random(20261130)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " \t\n\x00\x7fđếẫ📷\u202e"
    password = "Pw@:#/%?&=Zq7"
    fixed = [
        f"rtsp://admin:{password}@10.0.0.5:554/x",
        f"rtsp://admin:{quote(password, safe='')}@10.0.0.5/x",
        f"http://10.0.0.5/snap.cgi?user=admin&pwd={quote(password, safe='')}",
        f"http://10.0.0.5/snap.cgi?loginuse=admin&loginpas={quote(password)}",
    ]
    texts = fixed + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    texts += [f"rtsp://{text}" for text in texts[4:500]]
    # An escape that is not UTF-8 is taken as typed.
    assert credentials_in_url("rtsp://admin:%ff%fe@h/x") == ("admin", "%ff%fe")
    assert urls.with_query_credentials("not a url?user=&pwd=", "admin", password) == "not a url?user=&pwd="
    assert urls.url_address("rtsp://h:99999/x") == ""
    for text in texts:
        stripped = strip_credentials(text)
        identity = url_identity(text)
        redacted = redact_url(text)
        _user, secret = credentials_in_url(text)
        with_credentials(text, "admin", password)
        if text in fixed:
            assert secret == password
            for shown in (stripped, identity, redacted):
                assert not any(form in shown for form in secret_forms(password)), (text, shown)


@pytest.mark.parametrize(
    ("user_param", "password_param"),
    [("user", "pwd"), ("username", "password"), ("usr", "pwd"), ("loginuse", "loginpas"), ("account", "passwd")],
)
def test_query_credentials_are_split_filled_in_and_redacted(user_param: str, password_param: str) -> None:
    password = "p@ss w&rd=1"
    typed = f"http://10.0.0.5/snap.cgi?{user_param}=admin&{password_param}={quote(password, safe='')}&res=1"
    clean, user, secret = urls.split_credentials(typed)
    assert clean == f"http://10.0.0.5/snap.cgi?{user_param}=&{password_param}=&res=1"
    assert (user, secret) == ("admin", password)
    assert credentials_in_url(typed) == ("admin", password)
    # At connect time the camera's credentials go back in, encoded.
    filled = urls.with_query_credentials(clean, "admin", password)
    assert filled == f"http://10.0.0.5/snap.cgi?{user_param}=admin&{password_param}=p%40ss%20w%26rd%3D1&res=1"
    assert with_credentials(clean, "admin", password).endswith(filled.removeprefix("http://10.0.0.5"))
    # Redacted in any text, whatever the case of the parameter name.
    for text in (typed, filled, typed.upper()):
        redacted = redact_url(f"GET {text} failed")
        assert "admin" not in redacted.lower()
        assert not any(form.lower() in redacted.lower() for form in secret_forms(password))
    # Which camera this is does not depend on the credentials in it.
    assert url_identity(typed) == url_identity(clean) == url_identity(filled.replace("admin", "other"))
    assert url_identity(typed) == "http://10.0.0.5:80/snap.cgi?" + f"{user_param}=&{password_param}=&res=1"


def test_rtsp_url_with_query_credentials_keeps_other_parameters() -> None:
    typed = "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0&user=admin&password=x"
    clean, user, secret = urls.split_credentials(typed)
    assert clean == "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0&user=&password="
    assert (user, secret) == ("admin", "x")
    assert url_identity(typed) != url_identity(typed.replace("channel=1", "channel=2"))


def test_nvr_host_field() -> None:
    assert urls.parse_host("10.0.0.2").netloc == "10.0.0.2"
    parsed = urls.parse_host("admin:p@ss/1@10.0.0.2")
    assert (parsed.netloc, parsed.username, parsed.password) == ("10.0.0.2", "admin", "p@ss/1")
    parsed = urls.parse_host("rtsp://admin:pw@nvr.local:8554/")
    assert (parsed.host, parsed.port, parsed.username) == ("nvr.local", 8554, "admin")
    assert urls.parse_host("::1").netloc == "[::1]"
    assert urls.parse_host("[fe80::2]:554").netloc == "[fe80::2]:554"
    for bad in ("", "10.0.0.2/Streaming/Channels/101", "http://10.0.0.2", "10.0.0.2?x=1", "a b", "host:99999"):
        with pytest.raises(urls.UrlError):
            urls.parse_host(bad)


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

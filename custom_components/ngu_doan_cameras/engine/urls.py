"""Stream URLs: credentials kept apart from URLs, put in only when connecting, redacted everywhere else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

# scheme://user:password@host  ->  scheme://***@host. Matches inside any text (log lines, error messages).
# Greedy up to the last "@" before the path, so an unencoded "@" in a password is hidden too.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s]*)@")


def redact_url(text: str) -> str:
    """Hide user names and passwords of every URL found in `text`."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


def strip_credentials(url: str) -> str:
    """Return `url` without any user info (what we store and show)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def credentials_in_url(url: str) -> tuple[str | None, str | None]:
    """User name and password typed into a URL, if any (so the form can move them to their own fields)."""
    parts = urlsplit(url)
    return parts.username, parts.password


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """Put percent-encoded credentials into `url` so `@ : # /` in passwords survive."""
    if not username:
        return url
    parts = urlsplit(strip_credentials(url))
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit((parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, parts.fragment))


def url_identity(url: str) -> str:
    """A comparable identity for a stream URL: scheme, host, port, path and query, no credentials."""
    parts = urlsplit(strip_credentials(url.strip()))
    scheme = parts.scheme.lower()
    default_port = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}.get(scheme)
    port = parts.port or default_port
    host = (parts.hostname or "").lower()
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{host}:{port}{parts.path or '/'}{query}"


@dataclass(frozen=True, slots=True)
class NvrTemplate:
    """How a recorder vendor names its channels' main and sub streams."""

    main: str
    sub: str | None


NVR_TEMPLATES: dict[str, NvrTemplate] = {
    "hikvision": NvrTemplate(
        main="rtsp://{host}:{port}/Streaming/Channels/{ch}01",
        sub="rtsp://{host}:{port}/Streaming/Channels/{ch}02",
    ),
    "dahua": NvrTemplate(
        main="rtsp://{host}:{port}/cam/realmonitor?channel={ch}&subtype=0",
        sub="rtsp://{host}:{port}/cam/realmonitor?channel={ch}&subtype=1",
    ),
}


def channel_urls(template: NvrTemplate, host: str, port: int, channel: int) -> tuple[str, str | None]:
    """Main and sub stream URL of one recorder channel."""
    values = {"host": host, "port": port, "ch": channel}
    sub = template.sub.format(**values) if template.sub else None
    return template.main.format(**values), sub

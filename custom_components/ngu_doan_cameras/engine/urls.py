"""Stream URLs: credentials kept apart from URLs, put in only when connecting, redacted everywhere else.

URLs here are typed by people, so the parser expects passwords typed straight into them: `@ : # / %`
unencoded, or percent-encoded. It finds the user info at the LAST `@` that is followed by a valid host
(an `@` anywhere else must be written `%40`), checks host and port, and raises `UrlError` for anything
it cannot use. The helpers that work on stored or logged text (`strip_credentials`, `url_identity`,
`redact_url`, ...) never raise, whatever the string.

Some cameras take credentials in the query string (`snapshot.cgi?user=admin&pwd=...`). Those values
are treated like user info: split out into the camera's fields, stored as empty parameters
(`?user=&pwd=`) and filled in again when connecting.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import string
from dataclasses import dataclass, replace
from typing import Final
from urllib.parse import quote, unquote

MAX_URL_LENGTH: Final = 2048
MAX_HOST_LENGTH: Final = 253
DEFAULT_PORTS: Final = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}

# Query parameters cameras take credentials in (compared case-insensitively).
USER_PARAMS: Final = frozenset({"user", "username", "usr", "loginuse", "account", "login", "user_name"})
PASSWORD_PARAMS: Final = frozenset({"pwd", "password", "passwd", "pass", "loginpas", "pw", "psw"})
# Redacted in logs and diagnostics too, though they are not moved to the password field.
_SECRET_PARAMS: Final = USER_PARAMS | PASSWORD_PARAMS | {"auth", "token", "key", "secret"}

_SCHEME_CHARS = frozenset(string.ascii_letters + string.digits + "+.-")
_HOST_CHARS = frozenset(string.ascii_letters + string.digits + "-._~")
_URL_SPECIALS = frozenset("@/?#[] ")  # in user info these only appear when it was typed unencoded
# A URL inside free text (a log line) ends at whitespace or a quote.
_URL_TOKEN = re.compile(r"[^\s'\"<>`]*")
# One fixed word among alternatives, then a character class: no nested quantifiers, linear. The value
# runs to the next "&" or whitespace: "#", "@" or "/" typed raw in a password are hidden with it.
_SECRET_PARAM = re.compile(
    r"(?i)(?<=[?&])(" + "|".join(sorted(_SECRET_PARAMS, key=len, reverse=True)) + r")=[^&\s'\"<>`]+"
)


class UrlError(ValueError):
    """A text that is not a URL this integration can use (never contains the text itself)."""


@dataclass(frozen=True, slots=True)
class Url:
    """A parsed URL; `username` and `password` decoded, `host` without IPv6 brackets."""

    scheme: str
    host: str
    port: int | None = None
    path: str = ""
    query: str = ""
    fragment: str = ""
    username: str | None = None
    password: str | None = None

    @property
    def netloc(self) -> str:
        """Host (bracketed when IPv6) and port, no credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port is not None else host

    def text(self, *, with_userinfo: bool = False) -> str:
        """The URL as a string; user info (percent-encoded) only when asked for."""
        userinfo = ""
        if with_userinfo and self.username:
            userinfo = quote(self.username, safe="")
            if self.password:
                userinfo += ":" + quote(self.password, safe="")
            userinfo += "@"
        query = f"?{self.query}" if self.query else ""
        fragment = f"#{self.fragment}" if self.fragment else ""
        return f"{self.scheme}://{userinfo}{self.netloc}{self.path}{query}{fragment}"


def parse_url(text: str) -> Url:
    """Parse a URL typed by a person. Raises UrlError."""
    if len(text) > MAX_URL_LENGTH:
        raise UrlError("too long")
    if not text.isprintable():
        raise UrlError("control characters")
    scheme, separator, rest = text.partition("://")
    if not separator or not scheme or not scheme[0].isalpha() or not set(scheme) <= _SCHEME_CHARS:
        raise UrlError("no scheme")
    userinfo, host, port, tail = _split_authority(rest)
    if any(char.isspace() for char in tail):
        raise UrlError("space in path")
    before_fragment, _, fragment = tail.partition("#")
    path, _, query = before_fragment.partition("?")
    username, password = _decode_userinfo(userinfo)
    return Url(scheme.lower(), host, port, path, query, fragment, username, password)


def _split_authority(rest: str) -> tuple[str | None, str, int | None, str]:
    """User info, host, port and what follows. The user info ends at the last `@` before a valid host."""
    at = rest.rfind("@")
    while at != -1:
        hostport = _host_and_port(rest[at + 1 :])
        if hostport is not None:
            return (rest[:at], *hostport)
        at = rest.rfind("@", 0, at)
    if "@" in rest:
        raise UrlError("no host after the user info")
    hostport = _host_and_port(rest)
    if hostport is None:
        raise UrlError("bad host or port")
    return (None, *hostport)


def _host_and_port(text: str) -> tuple[str, int | None, str] | None:
    """`host[:port]` at the start of `text` and the rest (empty or starting with / ? #), or None."""
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            return None
        host = text[1:end]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
        after = text[end + 1 :]
    else:
        end = 0
        while end < len(text) and end <= MAX_HOST_LENGTH and text[end] in _HOST_CHARS:
            end += 1
        host, after = text[:end], text[end:]
        if not host or len(host) > MAX_HOST_LENGTH or not any(char.isalnum() for char in host):
            return None
    port: int | None = None
    if after.startswith(":"):
        digits_end = 1
        while digits_end < min(len(after), 7) and after[digits_end] in string.digits:
            digits_end += 1
        if digits_end > 1:
            port = int(after[1:digits_end])
            if not 1 <= port <= 65535:
                return None
        after = after[digits_end:]
    if after and after[0] not in "/?#":
        return None
    return host, port, after


def _decode_userinfo(userinfo: str | None) -> tuple[str | None, str | None]:
    if userinfo is None:
        return None, None
    user, colon, password = userinfo.partition(":")
    return _decode_part(user), _decode_part(password) if colon else None


def _decode_part(part: str) -> str:
    """Percent-decoded, unless it was plainly typed unencoded (a `@ / # ...` or a `%` that escapes nothing)."""
    if set(part) & _URL_SPECIALS or not _valid_escapes(part):
        return part
    try:
        return unquote(part, errors="strict")
    except UnicodeDecodeError:
        return part


def _valid_escapes(part: str) -> bool:
    at = part.find("%")
    while at != -1:
        if len(part) < at + 3 or not all(char in string.hexdigits for char in part[at + 1 : at + 3]):
            return False
        at = part.find("%", at + 3)
    return True


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL to store (no user info, credential query values emptied, no fragment) and the credentials.

    User info wins over query parameters when both are there. Raises UrlError.
    """
    parsed = parse_url(url)
    query, query_user, query_password = _split_query_credentials(parsed.query)
    username = parsed.username if parsed.username else query_user
    password = parsed.password if parsed.password else query_password
    # A fragment is never sent to a camera; dropping it also drops what followed a raw "#" in a password.
    clean = replace(parsed, username=None, password=None, query=query, fragment="")
    return clean.text(), username or None, password or None


def _split_query_credentials(query: str) -> tuple[str, str | None, str | None]:
    if not query:
        return query, None, None
    user: str | None = None
    password: str | None = None
    params = []
    for param in query.split("&"):
        name, equals, value = param.partition("=")
        kind = _credential_kind(name)
        if not (kind and equals):
            params.append(param)
            continue
        decoded = unquote(value)
        if kind == "user":
            user = user or decoded
        else:
            password = password or decoded
        params.append(f"{name}=")
    return "&".join(params), user, password


def _credential_kind(name: str) -> str | None:
    name = name.lower()
    if name in USER_PARAMS:
        return "user"
    if name in PASSWORD_PARAMS:
        return "password"
    return None


def credentials_in_url(url: str) -> tuple[str | None, str | None]:
    """User name and password typed into a URL (user info or query), decoded; (None, None) if none or unusable."""
    try:
        _, username, password = split_credentials(url)
    except UrlError:
        return None, None
    return username, password


def strip_credentials(url: str) -> str:
    """`url` without user info or credential query values (what we store and show). Never raises."""
    try:
        return split_credentials(url)[0]
    except UrlError:
        return redact_url(url)


def with_query_credentials(url: str, username: str | None, password: str | None) -> str:
    """`url` without user info, its empty credential parameters (`?user=&pwd=`) filled with these credentials.

    For HTTP clients that answer auth challenges themselves. Never raises: an unusable URL is returned redacted.
    """
    try:
        parsed = parse_url(url)
    except UrlError:
        return redact_url(url)
    return replace(parsed, username=None, password=None, query=_fill_query(parsed.query, username, password)).text()


def _fill_query(query: str, username: str | None, password: str | None) -> str:
    if not query:
        return query
    params = []
    for param in query.split("&"):
        name, equals, value = param.partition("=")
        kind = _credential_kind(name)
        fill = username if kind == "user" else password if kind == "password" else None
        params.append(f"{name}={quote(fill, safe='')}" if equals and not value and fill else param)
    return "&".join(params)


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """`url` for connecting: percent-encoded user info (so `@ : # /` in passwords survive) and query credentials.

    Never raises: an unusable URL comes back as it is (the connection then fails with a clear error).
    """
    try:
        parsed = parse_url(url)
    except UrlError:
        return url
    filled = replace(
        parsed, username=username or None, password=password, query=_fill_query(parsed.query, username, password)
    )
    return filled.text(with_userinfo=True)


def url_address(url: str) -> str:
    """Scheme, host and port of `url` (default port filled in): which device it points at. Never raises."""
    try:
        parsed = parse_url(url.strip())
    except UrlError:
        return ""
    return f"{parsed.scheme}://{_identity_netloc(parsed)}"


def url_identity(url: str) -> str:
    """A comparable identity for a stream URL: scheme, host, port, path and query, no credentials.

    Never raises; an unusable URL is its own (redacted) text.
    """
    try:
        parsed = parse_url(url.strip())
    except UrlError:
        return redact_url(url.strip())
    query, _, _ = _split_query_credentials(parsed.query)
    query = f"?{query}" if query else ""
    return f"{parsed.scheme}://{_identity_netloc(parsed)}{parsed.path or '/'}{query}"


def _identity_netloc(parsed: Url) -> str:
    port = parsed.port or DEFAULT_PORTS.get(parsed.scheme)
    return replace(parsed, host=parsed.host.lower(), port=port).netloc


def parse_host(text: str) -> Url:
    """A recorder's address as typed into the host field: `host`, `host:port`, `user:pw@host`, `rtsp://...`.

    Returns it as an rtsp URL without path. Raises UrlError for anything else (a path, another scheme).
    """
    text = text.strip()
    with contextlib.suppress(ValueError):
        text = f"[{ipaddress.IPv6Address(text)}]"  # a bare IPv6 address
    parsed = parse_url(text if "://" in text else f"rtsp://{text}")
    if parsed.scheme not in ("rtsp", "rtsps") or parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        raise UrlError("not a host")
    return replace(parsed, path="")


def redact_url(text: str) -> str:
    """Hide user names and passwords of every URL in `text`, and credential values of query strings.

    Reads the text once. A URL is taken to end at whitespace or a quote, and its user info to end at its
    last `@` followed by a host (a password may hold `@ : # /`). When that `@` comes after a `?`, it may
    be in a query value as well as in a password: then everything after the scheme is hidden.
    """
    parts: list[str] = []
    done = 0
    start = text.find("://")
    while start != -1:
        begin = start + 3
        end = _URL_TOKEN.match(text, begin).end()  # type: ignore[union-attr]  # matches the empty string too
        at = text.rfind("@", begin, end)
        if at != -1:
            after_host = _host_and_port(text[at + 1 : end]) is not None
            if "?" not in text[begin:at]:
                parts += [text[done:begin], "***"]
                done = at
            elif after_host:
                parts += [text[done:begin], "***"]
                done = end
            # else: an "@" inside a query value; the query redaction below hides that value whole.
        start = text.find("://", max(end, begin))
    parts.append(text[done:])
    return _SECRET_PARAM.sub(r"\1=***", "".join(parts))


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

"""Why a stream could not be opened or read, as a small set of kinds the user can act on.

PyAV's exception texts contain the URL, password included, so they are never shown or logged as they
are: `describe` gives a safe one-line description instead.
"""

from __future__ import annotations

import errno
from enum import StrEnum

import av

from .urls import redact_url


class StreamErrorKind(StrEnum):
    """What went wrong, in the words the config flow and repairs use (translation keys)."""

    CANNOT_CONNECT = "cannot_connect"
    INVALID_AUTH = "invalid_auth"
    NOT_FOUND = "stream_not_found"
    NOT_VIDEO = "not_video"
    UNSUPPORTED_CODEC = "unsupported_codec"
    TIMEOUT = "timeout"
    # Data that does not decode, from a stream that has given video before (a glitching camera or
    # link): transient, unlike NOT_VIDEO, which is for an address that never gave video.
    CORRUPT = "corrupt"
    UNKNOWN = "unknown"


class StreamError(Exception):
    """A stream failure with its kind and a description that is safe to log."""

    def __init__(self, kind: StreamErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail


_TIMEOUT_ERRNOS = {errno.ETIMEDOUT, errno.EINTR}  # FFmpeg's interrupt callback surfaces as EXIT/EINTR
_CONNECT_ERRNOS = {
    errno.ECONNREFUSED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ECONNRESET,
    errno.EPIPE,
    errno.EADDRNOTAVAIL,
    errno.ENOENT,
    errno.EIO,
}


def classify(exc: BaseException) -> StreamErrorKind:
    """Map a PyAV/FFmpeg (or socket) exception to a kind."""
    if isinstance(exc, StreamError):
        return exc.kind
    if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return StreamErrorKind.INVALID_AUTH
    if isinstance(exc, av.error.HTTPNotFoundError):
        return StreamErrorKind.NOT_FOUND
    if isinstance(exc, av.error.ExitError | TimeoutError):
        return StreamErrorKind.TIMEOUT
    if isinstance(exc, av.error.InvalidDataError | av.error.HTTPBadRequestError):
        return StreamErrorKind.NOT_VIDEO
    if isinstance(exc, av.error.DecoderNotFoundError):
        return StreamErrorKind.UNSUPPORTED_CODEC
    code = getattr(exc, "errno", None)
    # A camera that never answers PLAY surfaces as EPERM: a stuck camera, not a refused password.
    if code in _TIMEOUT_ERRNOS or code == errno.EPERM:
        return StreamErrorKind.TIMEOUT
    if code in _CONNECT_ERRNOS or isinstance(exc, ConnectionError | av.error.HTTPClientError | OSError):
        return StreamErrorKind.CANNOT_CONNECT
    return StreamErrorKind.UNKNOWN


def describe(exc: BaseException) -> str:
    """One line about `exc` without the URL or credentials it may carry."""
    if isinstance(exc, StreamError):
        return redact_url(str(exc))
    strerror = getattr(exc, "strerror", None)
    text = strerror if strerror else str(exc)
    return redact_url(f"{type(exc).__name__}: {text}")

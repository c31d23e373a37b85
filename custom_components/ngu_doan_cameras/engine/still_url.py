"""A camera's own still-image URL (HTTP snapshot), used when its stream has no fresh frame."""

from __future__ import annotations

import urllib.error
import urllib.request

from .errors import StreamError, StreamErrorKind
from .urls import with_query_credentials

MAX_STILL_BYTES = 10 * 1024 * 1024


def fetch_still(url: str, username: str | None, password: str | None, timeout: float = 5.0) -> bytes:
    """GET a JPEG snapshot, answering basic or digest auth challenges. Blocking: run in an executor.

    Cameras that take credentials in the query string get them there (`?user=&pwd=` filled in).
    """
    url = with_query_credentials(url, username, password)
    handlers: list[urllib.request.BaseHandler] = []
    if username:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, username, password or "")
        handlers += [urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)]
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=timeout) as response:
            content_type = response.headers.get_content_type()
            body: bytes = response.read(MAX_STILL_BYTES + 1)
    except urllib.error.HTTPError as exc:
        kind = StreamErrorKind.INVALID_AUTH if exc.code in (401, 403) else StreamErrorKind.CANNOT_CONNECT
        raise StreamError(kind, f"HTTP {exc.code}") from None
    except TimeoutError:
        raise StreamError(StreamErrorKind.TIMEOUT, "still image timed out") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise StreamError(StreamErrorKind.CANNOT_CONNECT, type(exc).__name__) from None
    if not content_type.startswith("image/") or len(body) > MAX_STILL_BYTES:
        raise StreamError(StreamErrorKind.NOT_VIDEO, f"not an image ({content_type})")
    return body

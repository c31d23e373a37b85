"""Keep passwords out of the log.

FFmpeg, through PyAV, logs to `libav.<component>` loggers (`libav.rtsp`, `libav.http`,
`libav.AVIOContext`, ... one per FFmpeg component, more with every FFmpeg release) once its logging
is turned up (Home Assistant's `stream` does that when its logger is at debug). Those lines carry
the URLs it opens, credentials included, and the requests it sends, `Authorization` headers included.
Home Assistant's `stream` logs the stream source it was given, and redacts only some query parameters.

A filter on the `libav` logger would not see its children's records, so the redaction sits in the
log record factory instead: every record is made there, whatever its logger. Records of other
loggers pass with one `str.startswith` of their name. Installed once per process, idempotently.
This integration's own code never formats a URL with credentials into a message: it logs
`engine.errors.describe` output.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from .engine.urls import redact_url

# Loggers whose messages may hold stream URLs or request headers.
REDACTED_LOGGERS: Final = ("libav", "homeassistant.components.stream")
# "Authorization: Basic <base64>" or "Authorization: Digest username=..., response=..." up to the line's end.
_AUTHORIZATION = re.compile(r"(?i)\b((?:proxy-)?authorization:[ \t]*)[^\r\n]+")
_MARK: Final = "_ngu_doan_redacts_credentials"


def redact_secrets(text: str) -> str:
    """`text` without URL credentials, credential query values or Authorization header values."""
    return _AUTHORIZATION.sub(r"\1***", redact_url(text))


def _redacting(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        if record.name.startswith(REDACTED_LOGGERS):
            message = record.getMessage()
            redacted = redact_secrets(message)
            if redacted != message:
                record.msg = redacted
                record.args = None
        return record

    setattr(make_record, _MARK, True)
    return make_record


def install_log_redaction() -> None:
    """Wrap the log record factory once (a second call, or a second copy of this module, changes nothing)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, _MARK, False):
        logging.setLogRecordFactory(_redacting(factory))

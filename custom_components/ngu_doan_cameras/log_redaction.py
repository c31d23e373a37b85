"""Keep passwords out of the log.

FFmpeg, through PyAV's `libav.<component>` loggers, prints the URLs it opens, credentials included,
when its logging is turned up (Home Assistant's `stream` does that when its logger is at debug). A
filter on those loggers rewrites every `scheme://user:pass@` to `scheme://***@`. Filters do not
apply to child loggers, so each component that handles URLs is named. This integration's own code
never formats a URL with credentials into a message: it logs `engine.errors.describe` output.
"""

from __future__ import annotations

import logging

from .engine.urls import redact_url

_LOGGERS = (
    "libav",
    "libav.AVFormatContext",
    "libav.rtsp",
    "libav.tcp",
    "libav.tls",
    "libav.http",
    "libav.hls",
)


class RedactUrlCredentials(logging.Filter):
    """Rewrites the record's message with credentials redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact and let the record through."""
        message = record.getMessage()
        redacted = redact_url(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_FILTER = RedactUrlCredentials()


def install_log_redaction() -> None:
    """Attach the filter once to each logger that may see a stream URL."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)

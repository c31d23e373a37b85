"""Stream statistics measured by a reader over a sliding window."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from .errors import StreamErrorKind

WINDOW_SECONDS = 5.0


class ReaderState(StrEnum):
    """Lifecycle of a stream reader."""

    IDLE = "idle"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    DISCONNECTED = "disconnected"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class StreamStats:
    """A consistent snapshot of one reader, safe to hand to another thread."""

    state: ReaderState
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    bitrate_kbps: float | None = None
    last_frame_at: float | None = None  # wall clock (time.time()), for display
    frames: int = 0
    reconnects: int = 0
    decode_errors: int = 0
    error: StreamErrorKind | None = None
    error_detail: str | None = None

    @property
    def streaming(self) -> bool:
        """True while frames arrive."""
        return self.state is ReaderState.STREAMING


class RateWindow:
    """Counts events and bytes over the last few seconds (fps and bitrate).

    Times are the stream's own timestamps where it has them: a camera delivers a burst of buffered
    frames right after connecting, and arrival times would count that burst as a high frame rate.
    """

    def __init__(self, seconds: float = WINDOW_SECONDS) -> None:
        self._seconds = seconds
        self._events: deque[tuple[float, int]] = deque()
        self._bytes = 0

    def add(self, now: float, size: int = 0) -> None:
        """Record one event of `size` bytes at time `now` (seconds)."""
        if self._events and now < self._events[-1][0]:
            self.clear()  # timestamps jumped back: the camera restarted its clock
        self._events.append((now, size))
        self._bytes += size
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._events and now - self._events[0][0] > self._seconds:
            _, size = self._events.popleft()
            self._bytes -= size

    def clear(self) -> None:
        """Forget everything (after a reconnect)."""
        self._events.clear()
        self._bytes = 0

    def rate(self) -> float | None:
        """Events per second, or None before there is enough to measure."""
        span = self._span()
        return (len(self._events) - 1) / span if span else None

    def byte_rate(self) -> float | None:
        """Bytes per second, or None before there is enough to measure."""
        span = self._span()
        return self._bytes / span if span else None

    def _span(self) -> float | None:
        if len(self._events) < 2:
            return None
        span = self._events[-1][0] - self._events[0][0]
        return span if span > 0 else None

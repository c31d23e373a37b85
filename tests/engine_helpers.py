"""Helpers for engine tests (no Home Assistant): waiting on reader threads, a recording packet sink."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from custom_components.ngu_doan_cameras.engine.backoff import Backoff
from custom_components.ngu_doan_cameras.engine.media import MediaPacket, StreamSession
from custom_components.ngu_doan_cameras.engine.reader import ReaderSettings

# A 2 s frame timeout and quick retries: outages are seen, and healed, within seconds.
FAST = ReaderSettings(open_timeout=5.0, read_timeout=2.0, backoff=Backoff(base=0.2, cap=1.0))


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll `predicate` (state changed on another thread) until it holds; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@dataclass(frozen=True)
class Call:
    """One call a sink received: "started", "packet" or "ended"."""

    what: str
    session_id: int
    packet: MediaPacket | None = None
    session: StreamSession | None = None


@dataclass
class RecordingSink:
    """A packet sink that remembers every call, in order (calls come from the reader thread)."""

    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def session_started(self, session: StreamSession) -> None:
        self._add(Call("started", session.session_id, session=session))

    def packet(self, packet: MediaPacket, session: StreamSession) -> None:
        self._add(Call("packet", session.session_id, packet=packet))

    def session_ended(self, session: StreamSession) -> None:
        self._add(Call("ended", session.session_id, session=session))

    def _add(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def snapshot(self) -> list[Call]:
        with self.lock:
            return list(self.calls)

    def count(self, what: str) -> int:
        return sum(call.what == what for call in self.snapshot())

    def packets(self, kind: str | None = None, session_id: int | None = None) -> list[MediaPacket]:
        return [
            call.packet
            for call in self.snapshot()
            if call.packet is not None
            and (kind is None or call.packet.kind == kind)
            and (session_id is None or call.session_id == session_id)
        ]

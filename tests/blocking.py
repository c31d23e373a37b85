"""Catch blocking work on Home Assistant's event loop thread (the `loop_guard` fixture in conftest.py).

Loading a C library (ctypes, which may run `ldconfig` through a subprocess), starting a process,
opening a stream with FFmpeg, connecting a socket, sleeping, joining a thread or touching files on the
loop's thread freezes every integration for that long. The guard wraps those calls: made from the
loop's thread they are recorded (with where they came from), from any other thread they pass.
The test fails when any was recorded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import pathlib
import socket
import subprocess
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import av
import pytest

# (owner, attribute): what counts as blocking here.
BLOCKING_CALLS: tuple[tuple[Any, str], ...] = (
    (subprocess.Popen, "__init__"),
    (ctypes.util, "find_library"),
    (ctypes.CDLL, "__init__"),
    (av, "open"),
    (socket.socket, "connect"),
    (socket.socket, "connect_ex"),
    (time, "sleep"),
    (threading.Thread, "join"),
    (pathlib.Path, "write_bytes"),
    (pathlib.Path, "read_bytes"),
)


class LoopGuard:
    """Records blocking calls made on one thread (the event loop's)."""

    def __init__(self, loop_thread_id: int) -> None:
        self.loop_thread_id = loop_thread_id
        self.calls: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap every blocking call; monkeypatch undoes it after the test."""
        for owner, attribute in BLOCKING_CALLS:
            monkeypatch.setattr(owner, attribute, self._guarded(owner, attribute))
        # Modules that imported `find_library` by name (PyTurboJPEG does) keep their own reference.
        try:
            import turbojpeg
        except ImportError:  # pragma: no cover - PyTurboJPEG comes with Home Assistant's camera
            return
        monkeypatch.setattr(turbojpeg, "find_library", self._guarded(turbojpeg, "find_library"))

    def _guarded(self, owner: Any, attribute: str) -> Callable[..., Any]:
        original = getattr(owner, attribute)
        name = f"{getattr(owner, '__name__', owner)}.{attribute}"

        @functools.wraps(original)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == self.loop_thread_id:
                self.calls.append(f"{name} on the event loop, from:\n{_where()}")
            return original(*args, **kwargs)

        return guarded

    def assert_clean(self) -> None:
        """Fail the test if blocking work ran on the event loop; forget what was reported."""
        calls, self.calls = self.calls, []
        assert not calls, "blocking calls on the event loop:\n\n" + "\n\n".join(calls)


def _where() -> str:
    """The caller's stack, innermost last, without this module's and the test plugins' frames."""
    frames = [
        frame
        for frame in traceback.extract_stack()[:-2]
        if "/tests/blocking.py" not in frame.filename and "/_pytest/" not in frame.filename
    ]
    return "".join(traceback.format_list(frames[-12:]))

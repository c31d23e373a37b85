"""The recorder's I/O thread, for what must not hold up a camera's reader.

Closing and fsyncing files and writing the index are queued here.

The queue is bounded so a stuck disk cannot eat memory. When it is full the job is not dropped: it
runs on the caller's thread (the reader waits for once), and the overflow is counted and logged, so a
disk too slow for the site shows up in the status instead of as lost footage.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from .errors import RecordingError

_LOGGER = logging.getLogger(__name__)

type Job = Callable[[], None]
_STOP = object()


class IoWorker:
    """One thread running jobs in the order they were submitted."""

    def __init__(self, name: str = "ngu_doan_recorder_io", capacity: int = 256) -> None:
        self.name = name
        self._queue: queue.Queue[Job | object] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.overflows = 0  # jobs run on the submitting thread because the queue was full
        self.failures = 0  # jobs that raised (logged)

    @property
    def pending(self) -> int:
        """Jobs waiting."""
        return self._queue.qsize()

    def start(self) -> None:
        """Start the thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def submit(self, job: Job) -> None:
        """Run `job` on the worker; inline when the queue is full or the worker is not running."""
        with self._lock:  # so no job can slip in behind stop()'s end marker
            if self._thread is not None:
                try:
                    self._queue.put_nowait(job)
                except queue.Full:
                    self.overflows += 1
                    _LOGGER.warning(
                        "Recorder I/O queue full (%d jobs): running a job on the camera's thread (overflow %d)",
                        self._queue.maxsize,
                        self.overflows,
                    )
                else:
                    return
        self._call(job)

    def stop(self, timeout: float = 30.0) -> bool:
        """Run what is queued, then end the thread; True when it ended within `timeout`."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return True
        self._queue.put(_STOP)  # after every job already queued
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            self._call(job)  # type: ignore[arg-type]

    def _call(self, job: Job) -> None:
        try:
            job()
        except RecordingError as exc:  # storage trouble: already explained, no traceback needed
            self.failures += 1
            _LOGGER.warning("Recorder I/O job failed: %s", exc)
        except Exception:
            self.failures += 1
            _LOGGER.exception("Recorder I/O job failed")


class ActiveFiles:
    """Relative paths of files being written: retention and the rebuild leave them alone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: set[str] = set()

    def claim(self, path: str) -> bool:
        """`path` is about to be written; False if it already is (by someone else)."""
        with self._lock:
            if path in self._paths:
                return False
            self._paths.add(path)
            return True

    def discard(self, path: str) -> None:
        """`path` is finished."""
        with self._lock:
            self._paths.discard(path)

    def __contains__(self, path: object) -> bool:
        with self._lock:
            return path in self._paths

    def __len__(self) -> int:
        with self._lock:
            return len(self._paths)

"""Drive tools/camera_simulator.py (a live GStreamer RTSP server) from tests.

The simulator needs PyGObject, which only Debian's system Python has, so it
runs as a child process of ``/usr/bin/python3`` and is controlled over its
stdin/stdout line protocol. Everything here is synchronous and thread-free:
Home Assistant's test plugin fails tests that leave threads behind.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import quote

from tools.process_stats import cpu_seconds

REPO_ROOT = Path(__file__).resolve().parents[1]
SIMULATOR_SCRIPT = REPO_ROOT / "tools" / "camera_simulator.py"
SYSTEM_PYTHON = "/usr/bin/python3"
HOST = "127.0.0.1"

READY_TIMEOUT = 20.0
COMMAND_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
RESTART_ATTEMPTS = 5


class CameraSimulator:
    """A running RTSP camera simulator; use as a context manager or start/stop."""

    def __init__(
        self,
        cameras: int = 2,
        *,
        sub: bool = False,
        user: str | None = None,
        password: str | None = None,
        config: list[dict[str, Any]] | None = None,
        width: int = 640,
        height: int = 360,
        fps: int = 15,
        audio: bool = False,
        scene: str = "",
    ) -> None:
        if (user is None) != (password is None):
            raise ValueError("user and password go together")
        self.cameras = cameras
        self.sub = sub
        self.user = user
        self.password = password
        self.config = config
        self.width = width
        self.height = height
        self.fps = fps
        self.audio = audio
        self.scene = scene  # "" (the moving ball the tests rely on), "street", "village" or "night"
        self.host = HOST
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._config_path: Path | None = None
        self._stdout_buffer = b""

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> Self:
        """Spawn the simulator and wait until it serves (on a free port, or on `port` once it has one)."""
        if self._process is not None:
            raise RuntimeError("simulator already started")
        command = [
            SYSTEM_PYTHON,
            str(SIMULATOR_SCRIPT),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--width",
            str(self.width),
            "--height",
            str(self.height),
            "--fps",
            str(self.fps),
        ]
        if self.config is not None:
            if self._config_path is None:
                with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="camera_simulator_", delete=False) as file:
                    json.dump(self.config, file)
                self._config_path = Path(file.name)
            command += ["--config", str(self._config_path)]
        else:
            command += ["--cameras", str(self.cameras)]
            if self.sub:
                command.append("--sub")
        if self.audio:
            command.append("--audio")
        if self.scene:
            command += ["--scene", self.scene]
        if self.user is not None and self.password is not None:
            command += ["--user", self.user, "--password", self.password]

        # A file rather than a pipe: nobody drains stderr while tests run, and
        # a full pipe would block the simulator. Its tail explains failures.
        self._stderr = tempfile.TemporaryFile(prefix="camera_simulator_stderr_")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=_system_python_env(),
            cwd=REPO_ROOT,
        )
        try:
            line = self._read_line(READY_TIMEOUT)
            words = line.split() if line is not None else []
            if len(words) != 2 or words[0] != "READY":
                state = "timed out" if self._process.poll() is None else f"exited with {self._process.returncode}"
                raise RuntimeError(
                    f"camera simulator did not become ready ({state}, got {line!r})\n{self.stderr_tail()}"
                )
            self.port = int(words[1])
        except BaseException:
            if self.port:
                self._end_process()  # a restart: keep the port and config for another attempt
            else:
                self.stop()
            raise
        return self

    def stop(self) -> None:
        """Ask the simulator to quit, kill it if it does not; idempotent. A later start() picks a new port."""
        self._end_process()
        if self._config_path is not None:
            self._config_path.unlink(missing_ok=True)
            self._config_path = None
        self.port = 0

    def restart(self) -> None:
        """Stop the simulator and start it again on the same port: a camera (or recorder) rebooting.

        Every client loses its connection; the cameras come back fresh (not dropped, frozen, stalled
        or corrupt), as after a power cycle.
        """
        if self._process is None:
            raise RuntimeError("simulator is not running")
        self._end_process()
        # The port was free a moment ago, but another process may grab it while nobody listens
        # (an outgoing connection's ephemeral port): retry a few times before giving up.
        for attempt in range(RESTART_ATTEMPTS):
            try:
                self.start()
                return
            except RuntimeError:
                if attempt == RESTART_ATTEMPTS - 1:
                    raise
                time.sleep(0.5)

    def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            try:
                if process.poll() is None and process.stdin is not None:
                    process.stdin.write(b"quit\n")
                    process.stdin.flush()
            except OSError:
                pass  # Already gone; the wait below reaps it.
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._stdout_buffer = b""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers for tests --------------------------------------------------

    def url(self, path: str = "cam1", *, with_credentials: bool = False) -> str:
        """RTSP URL of a mount, optionally with percent-encoded credentials."""
        credentials = ""
        if with_credentials:
            if self.user is None or self.password is None:
                raise ValueError("simulator has no credentials")
            credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@"
        return f"rtsp://{credentials}{self.host}:{self.port}/{path.strip('/')}"

    def drop(self, path: str) -> None:
        """Disconnect the camera's clients and answer 404 until restored."""
        self.command(f"drop {path}")

    def restore(self, path: str) -> None:
        """Serve a dropped camera again."""
        self.command(f"restore {path}")

    def freeze(self, path: str) -> None:
        """Keep clients connected but stop sending frames."""
        self.command(f"freeze {path}")

    def thaw(self, path: str) -> None:
        """Resume frames (and sound) after freeze() or stall()."""
        self.command(f"thaw {path}")

    def stall(self, path: str) -> None:
        """Stop the pictures but keep the sound flowing (only for cameras with audio)."""
        self.command(f"stall {path}")

    def corrupt(self, path: str) -> None:
        """Keep sending video packets at the normal rate, with payloads that never decode into a picture."""
        self.command(f"corrupt {path}")

    def uncorrupt(self, path: str) -> None:
        """Real pictures again, from the next key frame."""
        self.command(f"uncorrupt {path}")

    def command(self, line: str) -> None:
        """Send one control command and wait for its "ok" answer."""
        process = self._process
        if process is None or process.stdin is None:
            raise RuntimeError("simulator is not running")
        try:
            process.stdin.write(line.encode() + b"\n")
            process.stdin.flush()
        except OSError as err:
            raise RuntimeError(f"simulator is gone ({err})\n{self.stderr_tail()}") from err
        answer = self._read_line(COMMAND_TIMEOUT)
        if answer != f"ok {line}":
            raise RuntimeError(f"simulator command {line!r} failed: {answer!r}\n{self.stderr_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the simulator process has used (for the demo's measurements)."""
        return cpu_seconds(self._process.pid) if self._process is not None else 0.0

    def stderr_tail(self, lines: int = 30) -> str:
        """Last lines the simulator logged, for failure messages."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        self._stderr.seek(0, os.SEEK_END)
        return "\n".join(text.splitlines()[-lines:])

    def _read_line(self, timeout: float) -> str | None:
        """Next stdout line, or None on EOF/timeout; never blocks past timeout."""
        process = self._process
        if process is None or process.stdout is None:
            return None
        fd = process.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._stdout_buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None
                # os.read instead of the buffered file object: it returns what
                # is available now instead of waiting for a full buffer.
                data = os.read(fd, 4096)
                if not data:
                    return None
                self._stdout_buffer += data
        line, self._stdout_buffer = self._stdout_buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace").strip()


def _system_python_env() -> dict[str, str]:
    """The caller's environment minus what would point Debian's Python 3.11
    at the venv's (3.13) packages."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"):
        env.pop(name, None)
    return env

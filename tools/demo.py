"""Run the demo: the camera simulator with Ngũ Đoan's 17 cameras, and Home Assistant configured for them.

    ./scripts/develop            Home Assistant on http://127.0.0.1:8123, until Ctrl-C
    ./scripts/develop --check    headless: wait until every camera streams, print a table and the
                                 measurements, exit 0 only if all 17 stream and give a decodable still

Run with the project's venv Python (scripts/develop does).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.demo_site import CAMERAS, simulator_config, write_config  # noqa: E402
from tools.process_stats import cpu_seconds  # noqa: E402
from tools.simulator_client import CameraSimulator  # noqa: E402

CLIENT_ID = "http://127.0.0.1/"
DEMO_USER = {"name": "Trực ban", "username": "trucban", "password": "ngudoan-demo", "language": "vi"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HomeAssistantProcess:
    """`hass` as a child process on a config folder."""

    def __init__(self, config_dir: Path, port: int, log_path: Path) -> None:
        self.config_dir = config_dir
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.token: str | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "hass"), "-c", str(self.config_dir), "--skip-pip"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )

    def wait_until_up(self, timeout: float = 180.0) -> float:
        """Block until HTTP answers; returns the monotonic time it first did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Home Assistant exited with {self.process.returncode}; see {self.log_path}")
            # Refused or timed out: Home Assistant is still starting.
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                urllib.request.urlopen(f"{self.base}/api/onboarding", timeout=2) as response,
            ):
                if response.status == 200:
                    return time.monotonic()
            time.sleep(0.05)
        raise TimeoutError("Home Assistant did not start")

    def onboard(self) -> None:
        """Create the duty officer's account (first run only) so the UI opens without setup screens.

        The location and analytics steps are marked done in the config folder (see demo_site).
        """
        steps = self.get_json("/api/onboarding", auth=False)
        if any(step["step"] == "user" and not step["done"] for step in steps):
            code = self.post_json("/api/onboarding/users", {"client_id": CLIENT_ID, **DEMO_USER}, auth=False)
            self.token = self.token_from_code(code["auth_code"])
            self.post_json("/api/onboarding/integration", {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID})

    def login(self) -> None:
        """A token for the demo user (password login, as the UI would)."""
        if self.token:
            return
        flow = self.post_json(
            "/auth/login_flow",
            {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
            auth=False,
        )
        result = self.post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": CLIENT_ID, "username": DEMO_USER["username"], "password": DEMO_USER["password"]},
            auth=False,
        )
        self.token = self.token_from_code(result["result"])

    def token_from_code(self, code: str) -> str:
        body = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID})
        request = urllib.request.Request(f"{self.base}/auth/token", data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.load(response)["access_token"])

    def request(self, path: str, data: Any = None, *, auth: bool = True) -> urllib.request.Request:
        headers = {"Content-Type": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps(data).encode() if data is not None else None
        return urllib.request.Request(f"{self.base}{path}", data=body, headers=headers)

    def get_json(self, path: str, *, auth: bool = True) -> Any:
        with urllib.request.urlopen(self.request(path, auth=auth), timeout=10) as response:
            return json.load(response)

    def post_json(self, path: str, data: Any, *, auth: bool = True) -> Any:
        with urllib.request.urlopen(self.request(path, data, auth=auth), timeout=10) as response:
            return json.load(response)

    def get_bytes(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.request(path), timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, b""

    def cpu_seconds(self) -> float:
        """User + system CPU time of the hass process so far."""
        assert self.process is not None
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Decode a JPEG for real; None when it is not one."""
    import av

    try:
        with av.open(io.BytesIO(data), format="mjpeg") as container:
            frame = next(container.decode(video=0))
            return frame.width, frame.height
    except Exception:
        return None


def camera_entities(hass: HomeAssistantProcess) -> dict[str, str]:
    """Demo camera name -> its main camera entity id."""
    names = {camera.name for camera in CAMERAS}
    return {
        state["attributes"].get("friendly_name"): state["entity_id"]
        for state in hass.get_json("/api/states")
        if state["entity_id"].startswith("camera.") and state["attributes"].get("friendly_name") in names
    }


def wait_for_stills(
    hass: HomeAssistantProcess, up_at: float, timeout: float
) -> dict[str, tuple[float, tuple[int, int]]]:
    """Poll each camera's still through Home Assistant until all decode; seconds after HTTP was up."""
    stills: dict[str, tuple[float, tuple[int, int]]] = {}
    deadline = up_at + timeout
    entities: dict[str, str] = {}
    while time.monotonic() < deadline and len(stills) < len(CAMERAS):
        if len(entities) < len(CAMERAS):
            entities = camera_entities(hass)
        for name, entity_id in entities.items():
            if name in stills:
                continue
            status, body = hass.get_bytes(f"/api/camera_proxy/{entity_id}")
            size = jpeg_size(body) if status == 200 else None
            if size is not None:
                stills[name] = (time.monotonic() - up_at, size)
        time.sleep(0.05)
    return stills


def wait_until_running(hass: HomeAssistantProcess, timeout: float = 120.0) -> float:
    """Block until Home Assistant says it has started (every integration set up); monotonic time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hass.get_json("/api/config").get("state") == "RUNNING":
            return time.monotonic()
        time.sleep(0.05)
    raise TimeoutError("Home Assistant did not finish starting")


def state_of(states: dict[str, dict[str, Any]], entity_id: str) -> str:
    return str(states.get(entity_id, {}).get("state", "-"))


def area_of(hass: HomeAssistantProcess, entity_id: str) -> str:
    request = hass.request("/api/template", {"template": f"{{{{ area_name('{entity_id}') }}}}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def latency_ms(hass: HomeAssistantProcess, entity_id: str, count: int = 100, width: int | None = None) -> list[float]:
    query = f"?width={width}" if width else ""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status, _body = hass.get_bytes(f"/api/camera_proxy/{entity_id}{query}")
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200
        time.sleep(0.02)
    return samples


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]


def create_dashboard(hass: HomeAssistantProcess) -> dict[str, Any]:
    """The duty dashboard, made by the integration's own action (what a user's one step runs)."""
    answer = hass.post_json("/api/services/ngu_doan_cameras/create_dashboard?return_response", {"language": "vi"})
    return dict(answer["service_response"]["dashboards"][0])


def open_dashboard(url: str) -> None:
    """Open the duty screen in the desktop's browser, when there is a desktop."""
    print(f"demo: duty dashboard (Trực ban): {url}")
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        webbrowser.open(url)


def check(hass: HomeAssistantProcess, sim: CameraSimulator, up_at: float) -> bool:
    """Everything --check measures and prints; True when all 17 cameras stream with a decodable still."""
    hass.onboard()
    hass.login()
    running_at = wait_until_running(hass)
    dashboard = create_dashboard(hass)
    stills = wait_for_stills(hass, up_at, timeout=120)
    time.sleep(6)  # let the frame rate sensors fill their 5 s window
    entities = camera_entities(hass)
    states = {state["entity_id"]: state for state in hass.get_json("/api/states")}
    ok = True
    print(f"{'camera':<28} {'area':<20} {'connected':<9} {'fps':>5} {'still':>9} {'first still':>11}")
    for camera in CAMERAS:
        entity_id = entities.get(camera.name, "")
        object_id = entity_id.removeprefix("camera.")
        connected = state_of(states, f"binary_sensor.{object_id}_connectivity")
        fps = state_of(states, f"sensor.{object_id}_frame_rate")
        area = area_of(hass, entity_id) if entity_id else "-"
        seen = stills.get(camera.name)
        still = f"{seen[1][0]}x{seen[1][1]}" if seen else "none"
        first = f"{seen[0]:.2f} s" if seen else "-"
        good = connected == "on" and seen is not None and area == camera.area
        ok &= good
        print(f"{camera.name:<28} {area:<20} {connected:<9} {fps:>5} {still:>9} {first:>11}")
    results: dict[str, Any] = {"cameras_ok": sum(1 for c in CAMERAS if c.name in stills), "cameras": len(CAMERAS)}
    results["dashboard"] = {"url_path": dashboard["url_path"], "cameras": dashboard["cameras"]}
    ok &= dashboard["cameras"] == len(CAMERAS)
    if len(stills) == len(CAMERAS):
        last = max(t for t, _ in stills.values())
        results["home_assistant_running_after_http_up_s"] = round(running_at - up_at, 2)
        results["all_stills_after_http_up_s"] = round(last, 2)
        results["all_stills_after_running_s"] = round(last - (running_at - up_at), 2)
    if entities:
        first_entity = entities[CAMERAS[0].name]
        full = latency_ms(hass, first_entity)
        scaled = latency_ms(hass, first_entity, width=160)
        results["still_latency_ms"] = {"median": round(statistics.median(full), 1), "p95": round(p95(full), 1)}
        results["still_latency_width160_ms"] = {
            "median": round(statistics.median(scaled), 1),
            "p95": round(p95(scaled), 1),
        }
    time.sleep(5)
    cpu_before, wall_before = hass.cpu_seconds(), time.monotonic()
    sim_before = sim.cpu_seconds()
    time.sleep(30)
    wall = time.monotonic() - wall_before
    results["ha_idle_cpu_fraction_of_one_core"] = round((hass.cpu_seconds() - cpu_before) / wall, 3)
    results["simulator_cpu_fraction_of_one_core"] = round((sim.cpu_seconds() - sim_before) / wall, 3)
    print(json.dumps(results, ensure_ascii=False))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="headless self-check, then exit")
    parser.add_argument("--port", type=int, default=None, help="Home Assistant port (8123; a free one with --check)")
    parser.add_argument("--config", type=Path, default=REPO / "demo", help="Home Assistant config folder")
    args = parser.parse_args()

    port = args.port or (free_port() if args.check else 8123)
    temp = tempfile.TemporaryDirectory(prefix="ngu_doan_demo_") if args.check else None
    config_dir = Path(temp.name) if temp else args.config
    log_path = config_dir / "demo-hass.log"
    sim = CameraSimulator(config=simulator_config())
    hass: HomeAssistantProcess | None = None
    try:
        sim.start()
        write_config(config_dir, f"rtsp://127.0.0.1:{sim.port}", port)
        hass = HomeAssistantProcess(config_dir, port, log_path)
        print(f"demo: simulator serving {len(CAMERAS)} cameras on rtsp://127.0.0.1:{sim.port}; starting Home Assistant")
        hass.start()
        up_at = hass.wait_until_up()
        if args.check:
            return 0 if check(hass, sim, up_at) else 1
        hass.onboard()
        hass.login()
        wait_until_running(hass)
        open_dashboard(f"{hass.base}/{create_dashboard(hass)['url_path']}")
        print(f"demo: Home Assistant is up on http://127.0.0.1:{port} (log: {log_path}); Ctrl-C stops everything")
        assert hass.process is not None
        hass.process.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if hass is not None:
            hass.stop()
        sim.stop()
        if temp is not None:
            if args.check and log_path.exists():
                errors = [line for line in log_path.read_text(errors="replace").splitlines() if "ERROR" in line]
                if errors:
                    print("demo: errors in Home Assistant's log:\n" + "\n".join(errors[-20:]))
            temp.cleanup()


if __name__ == "__main__":
    sys.exit(main())

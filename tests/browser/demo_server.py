"""The running demo for the browser test: the simulator's 17 cameras and Home Assistant, headless.

Started by `dashboard.test.mjs` with the project's venv Python. It starts the demo as `./scripts/develop`
does (tools/demo.py: same config, same simulator scenes), waits until every camera gives a still
through Home Assistant, makes the duty dashboard with the integration's action, and prints one line

    READY {"url": ..., "token": ..., "dashboard": ..., "groups": [...], "cameras": {...}, "timings": {...}}

Then it answers commands on stdin, one line each, with one line `ok <json>` or `error <reason>`:

    drop <camera name>      the camera disappears from the network (the simulator drops it)
    restore <camera name>   it comes back
    snapshot                the newest motion snapshot (waits for one): camera name, entity, URL
    quit                    stop everything (also on end of input)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from homeassistant.util.package import is_docker_env  # noqa: E402

from tools.demo import (  # noqa: E402
    HomeAssistantProcess,
    camera_entities,
    create_dashboard,
    free_port,
    wait_for_stills,
    wait_until_running,
)
from tools.demo_site import CAMERAS, simulator_config, write_config  # noqa: E402
from tools.simulator_client import CameraSimulator  # noqa: E402

SNAPSHOT_TIMEOUT = 120.0
FRAME_TIMEOUT = 5  # the demo site's frame timeout (tools/demo_site.py)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def log(line: str) -> None:
    sys.stderr.write(f"demo_server: {line}\n")
    sys.stderr.flush()


def groups() -> list[dict[str, Any]]:
    """The areas in the commune's order, each with its cameras: what the dashboard must show."""
    ordered: dict[str, list[str]] = {}
    for camera in CAMERAS:
        ordered.setdefault(camera.area, []).append(camera.name)
    return [{"area": area, "cameras": names} for area, names in ordered.items()]


def camera_ids(hass: HomeAssistantProcess, entities: dict[str, str]) -> dict[str, str]:
    """Camera id (its folder of motion snapshots) -> camera name, from the devices' identifiers."""
    ids = {}
    for name, entity_id in entities.items():
        template = f"{{{{ (device_attr(device_id('{entity_id}'), 'identifiers') | list | first)[1] }}}}"
        request = hass.request("/api/template", {"template": template})
        with urllib.request.urlopen(request, timeout=10) as response:
            ids[response.read().decode()] = name
    return ids


def newest_snapshot(media: Path, names: dict[str, str]) -> tuple[str, str] | None:
    """(camera name, URL) of the newest motion snapshot, if any."""
    pictures = sorted(media.glob("ngu_doan_cameras/motion/*/*.jpg"), key=lambda path: path.name)
    for picture in reversed(pictures):
        if picture.parent.name in names:
            return names[picture.parent.name], "/media/local/" + picture.relative_to(media).as_posix()
    return None


def serve(hass: HomeAssistantProcess, sim: CameraSimulator) -> None:
    # Home Assistant's local media folder as it chooses it (the demo configures none): /media in a container.
    media = Path("/media") if is_docker_env() else hass.config_dir / "media"
    entities = camera_entities(hass)
    paths = {camera.name: f"cam{n}" for n, camera in enumerate(CAMERAS, start=1)}
    names = camera_ids(hass, entities)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        try:
            if command == "quit":
                say("ok {}")
                return
            if command in ("drop", "restore"):
                getattr(sim, command)(paths[argument])
                say("ok " + json.dumps({"at": time.time()}))
            elif command == "snapshot":
                deadline = time.monotonic() + SNAPSHOT_TIMEOUT
                found = newest_snapshot(media, names)
                while found is None and time.monotonic() < deadline:
                    time.sleep(0.5)
                    found = newest_snapshot(media, names)
                if found is None:
                    raise TimeoutError("no motion snapshot yet")
                name, url = found
                say("ok " + json.dumps({"camera": name, "entity": entities[name], "url": url}, ensure_ascii=False))
            else:
                say(f"error unknown command {line.strip()!r}")
        except Exception as err:
            say(f"error {err!r}")


def main() -> int:
    started = time.monotonic()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ngu_doan_browser_") as temp:
        config_dir = Path(temp)
        sim = CameraSimulator(config=simulator_config())
        hass = HomeAssistantProcess(config_dir, port, config_dir / "demo-hass.log")
        try:
            sim.start()
            write_config(config_dir, f"rtsp://127.0.0.1:{sim.port}", port)
            hass.start()
            up_at = hass.wait_until_up()
            hass.onboard()
            hass.login()
            wait_until_running(hass)
            stills = wait_for_stills(hass, up_at, timeout=120)
            if len(stills) != len(CAMERAS):
                raise RuntimeError(f"only {len(stills)} of {len(CAMERAS)} cameras give a still")
            dashboard = create_dashboard(hass)
            ready = {
                "url": hass.base,
                "token": hass.token,
                "dashboard": dashboard["url_path"],
                "frame_timeout": FRAME_TIMEOUT,
                "groups": groups(),
                "timings": {
                    "home_assistant_up_s": round(up_at - started, 1),
                    "all_stills_s": round(time.monotonic() - started, 1),
                },
            }
            say("READY " + json.dumps(ready, ensure_ascii=False))
            serve(hass, sim)
            return 0
        except Exception as err:
            log(f"failed: {err!r}")
            log_path = config_dir / "demo-hass.log"
            if log_path.exists():
                errors = [line for line in log_path.read_text(errors="replace").splitlines() if "ERROR" in line]
                log("\n".join(errors[-20:]))
            say(f"error {err!r}")
            return 1
        finally:
            hass.stop()
            sim.stop()


if __name__ == "__main__":
    sys.exit(main())

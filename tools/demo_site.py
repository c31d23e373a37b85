"""The demo site: Ngũ Đoan commune's 17 camera points, watched from the commune police office.

Road 402 crosses the commune from the Tân Phong side to the Đại Hà side; the other cameras watch the
entrances and alleys of the villages Đương Thắng, Đại Thắng, Trúc, Tiền Anh and Đồng Rồi, and the
police office's own gate. Each point has a main stream (live view) and a sub stream (stills).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SITE_NAME = "Công an xã Ngũ Đoan"
DOMAIN = "ngu_doan_cameras"


@dataclass(frozen=True)
class DemoCamera:
    """One camera point: its name on the dashboard and the area it belongs to."""

    name: str
    area: str


ROAD = "Đường 402"
CAMERAS: tuple[DemoCamera, ...] = (
    DemoCamera("402 - Giáp Tân Phong", ROAD),
    DemoCamera("402 - Ngã ba Đương Thắng", ROAD),
    DemoCamera("402 - Chợ Ngũ Đoan", ROAD),
    DemoCamera("402 - UBND xã", ROAD),
    DemoCamera("402 - Trường học", ROAD),
    DemoCamera("402 - Giáp Đại Hà", ROAD),
    DemoCamera("Đương Thắng - Cổng làng", "Thôn Đương Thắng"),
    DemoCamera("Đương Thắng - Ngõ xóm", "Thôn Đương Thắng"),
    DemoCamera("Đại Thắng - Cổng làng", "Thôn Đại Thắng"),
    DemoCamera("Đại Thắng - Nhà văn hóa", "Thôn Đại Thắng"),
    DemoCamera("Trúc - Cổng làng", "Thôn Trúc"),
    DemoCamera("Trúc - Ngã tư", "Thôn Trúc"),
    DemoCamera("Tiền Anh - Cổng làng", "Thôn Tiền Anh"),
    DemoCamera("Tiền Anh - Trạm bơm", "Thôn Tiền Anh"),
    DemoCamera("Đồng Rồi - Cổng làng", "Thôn Đồng Rồi"),
    DemoCamera("Đồng Rồi - Đường ra đồng", "Thôn Đồng Rồi"),
    DemoCamera("Trụ sở - Cổng", "Trụ sở Công an xã"),
)


# What each camera sees in the demo (simulator scenes, in the order of CAMERAS): the road's shop houses,
# the villages' lanes, some in the night's infrared grey; passers-by per loop of 20-28 s (0: a quiet spot).
SCENES: tuple[tuple[str, int], ...] = (
    ("street", 1), ("night", 0), ("street", 1), ("street", 0), ("night", 0), ("street", 0),
    ("village", 1), ("night", 0), ("village", 0), ("village", 0), ("night", 1), ("village", 0),
    ("village", 0), ("night", 0), ("village", 1), ("night", 0), ("street", 0),
)  # fmt: skip


def simulator_config(width: int = 640, height: int = 360, fps: int = 15) -> list[dict[str, Any]]:
    """The simulator's camera list: /cam1../cam17, each with a sub stream and its scene."""
    return [
        {
            "path": f"cam{n}",
            "label": camera.name,
            "width": width,
            "height": height,
            "fps": fps,
            "scene": scene,
            "passers": passers,
            "sub": {"width": 320, "height": 180, "fps": fps},
        }
        for n, (camera, (scene, passers)) in enumerate(zip(CAMERAS, SCENES, strict=True), start=1)
    ]


def config_entries_storage(rtsp_base: str) -> dict[str, Any]:
    """`.storage/core.config_entries` with the site and its 17 cameras, as the config flow would save them."""
    now = datetime.now(UTC).isoformat()
    subentries = [
        {
            "data": {
                "name": camera.name,
                "location": camera.area,
                "main_url": f"{rtsp_base}/cam{n}",
                "sub_url": f"{rtsp_base}/cam{n}/sub",
                "still_url": "",
                "username": "",
                "password": "",
            },
            "subentry_id": uuid.uuid4().hex,
            "subentry_type": "camera",
            "title": camera.name,
            "unique_id": f"{rtsp_base}/cam{n}",
        }
        for n, camera in enumerate(CAMERAS, start=1)
    ]
    entry = {
        "created_at": now,
        "data": {"site_name": SITE_NAME},
        "discovery_keys": {},
        "disabled_by": None,
        "domain": DOMAIN,
        "entry_id": uuid.uuid4().hex,
        "minor_version": 1,
        "modified_at": now,
        "options": {"frame_timeout": 5},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": subentries,
        "title": SITE_NAME,
        "unique_id": "cong-an-xa-ngu-doan",
        "version": 1,
    }
    return {"version": 1, "minor_version": 5, "key": "core.config_entries", "data": {"entries": [entry]}}


CONFIGURATION_YAML = """\
# Demo Home Assistant for ngu_doan_cameras (written by ./scripts/develop; safe to delete).
homeassistant:
  name: "Công an xã Ngũ Đoan"
  latitude: 20.74
  longitude: 106.66
  elevation: 3
  unit_system: metric
  time_zone: Asia/Ho_Chi_Minh
  country: VN
  language: vi
  currency: VND
  auth_providers:
    - type: trusted_networks
      trusted_networks: [127.0.0.1/32, "::1/128"]
      allow_bypass_login: true
    - type: homeassistant
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
history:
logbook:
media_source:
stream:
logger:
  default: warning
  logs:
    custom_components.ngu_doan_cameras: info
"""


def write_config(config_dir: Path, rtsp_base: str, port: int) -> None:
    """A Home Assistant config folder with the integration installed and the site configured."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(CONFIGURATION_YAML.replace("{port}", str(port)), encoding="utf-8")
    components = config_dir / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / DOMAIN
    target = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN
    if not link.is_symlink():
        link.symlink_to(target, target_is_directory=True)
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        # Location and analytics are settled here; only the account is left (scripts/develop makes it
        # through the onboarding API). Skipping the location step keeps core from adding its default
        # integrations (weather, radio, text-to-speech), which a police station's demo does not need.
        onboarding.write_text(
            json.dumps(
                {"version": 4, "minor_version": 1, "key": "onboarding", "data": {"done": ["core_config", "analytics"]}}
            ),
            encoding="utf-8",
        )
    entries = storage / "core.config_entries"
    current = json.loads(entries.read_text(encoding="utf-8")) if entries.exists() else None
    # Keep an existing demo's ids (and so its devices and dashboards); only the port of the simulator moves.
    if current is None or not _same_cameras(current):
        entries.write_text(
            json.dumps(config_entries_storage(rtsp_base), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    else:
        for entry in current["data"]["entries"]:
            for n, sub in enumerate(entry["subentries"], start=1):
                sub["data"]["main_url"] = f"{rtsp_base}/cam{n}"
                sub["data"]["sub_url"] = f"{rtsp_base}/cam{n}/sub"
                sub["unique_id"] = f"{rtsp_base}/cam{n}"
        entries.write_text(json.dumps(current, ensure_ascii=False, indent=2), encoding="utf-8")


def _same_cameras(storage: dict[str, Any]) -> bool:
    entries = [e for e in storage.get("data", {}).get("entries", []) if e.get("domain") == DOMAIN]
    return len(entries) == 1 and [s["title"] for s in entries[0]["subentries"]] == [c.name for c in CAMERAS]

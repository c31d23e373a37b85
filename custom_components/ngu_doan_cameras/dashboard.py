"""The duty dashboard ("Trực ban"), generated from a site's cameras and areas.

`build_dashboard` is the one function that makes it (the `create_dashboard` action and the demo go
through it): `site_layout` reads what the site is (cameras in the site's order, each in its device's
area, the entity ids of what it shows) and `dashboard_config` turns that into a Lovelace configuration.

The main view is a sections view for a 1920x1080 monitor (three columns; a phone shows one):
one section per area, in the order the site lists its cameras (the commune's order), each a grid of
camera tiles two to a column (the road's six cameras in one row across the screen); after the first
area, the open alerts, two rows high beside the next areas; last, recording and storage. Each camera has its
own page (a subview): the live picture, its state, its recent motion snapshots, and the way to its
recorded video in the media browser.

Home Assistant's own cards do most of it (headings, badges, tiles, the live picture, the entity
filter). Three small custom cards (`frontend/ngu-doan-cards.js`) do what they cannot:
- `ngu-doan-camera-tile`: a camera's refreshed still whose whole frame turns red (offline),
  orange (lens covered or camera moved) or amber (motion now) with a badge; a picture card can only
  colour its own entity's icons, not the tile by the state of the camera's other sensors.
- `ngu-doan-alerts`: the open alerts, newest first, each with its snapshot, camera, time and an
  acknowledge button; no built-in card lists the items of an attribute with a button each.
- `ngu-doan-snapshots`: a camera's newest motion snapshots from the media folder; no built-in card
  shows files of a folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from homeassistant.components.media_player.const import MediaType
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import slugify

from .const import CONF_LOCATION, DOMAIN, SNAPSHOT_FOLDER
from .dashboard_text import dashboard_text
from .data import NguDoanConfigEntry, camera_subentries
from .entity_ids import camera_entity_id
from .media_ids import MEDIA_SOURCE_PREFIX
from .media_nodes import SITE, camera_identifier

MAIN_VIEW_PATH: Final = "truc-ban"
URL_PATH_PREFIX: Final = "truc-ban-"
ICON: Final = "mdi:cctv"
CARD_PREFIX: Final = "custom:ngu-doan-"
MAX_COLUMNS: Final = 3
TILES_PER_COLUMN: Final = 2  # camera tiles side by side in one column of the sections view
SNAPSHOTS_SHOWN: Final = 12
STORAGE_SENSORS: Final = ("storage_used", "free_space", "oldest_recording")  # unique id keys of the site's sensors
# The media browser at this integration's recordings (the media source owns what is under it).
MEDIA_BROWSER_PATH: Final = "/media-browser/browser/" + quote(f"app,{MEDIA_SOURCE_PREFIX}", safe="")


@dataclass(frozen=True, slots=True)
class CameraTile:
    """One camera as the dashboard shows it: its name and the entities behind its tile."""

    camera_id: str
    name: str
    path: str  # its own page under the dashboard
    camera: str
    motion: str | None
    tamper: str | None
    connectivity: str | None
    recording: str | None
    recording_mode: str | None
    recordings: str  # its recordings in the media browser


@dataclass(frozen=True, slots=True)
class AreaGroup:
    """The cameras of one area (None: cameras in no area), in the site's order."""

    area: str | None
    cameras: tuple[CameraTile, ...]


@dataclass(frozen=True, slots=True)
class SiteLayout:
    """What the dashboard is made of."""

    title: str
    url_path: str
    areas: tuple[AreaGroup, ...]
    open_alerts: str | None
    recording_problem: str | None
    storage: tuple[tuple[str, str | None], ...]  # (text key, entity id): storage used, free space, oldest recording

    @property
    def cameras(self) -> tuple[CameraTile, ...]:
        """Every camera, area by area."""
        return tuple(camera for group in self.areas for camera in group.cameras)


def dashboard_url_path(entry: NguDoanConfigEntry) -> str:
    """The site's dashboard address: stable across renames (the site's unique id does not change)."""
    return URL_PATH_PREFIX + slugify(entry.unique_id or entry.entry_id, separator="-")


def build_dashboard(hass: HomeAssistant, entry: NguDoanConfigEntry, language: str) -> dict[str, Any]:
    """The site's duty dashboard, as a Lovelace configuration in `language` (`vi` or `en`)."""
    return dashboard_config(site_layout(hass, entry), language)


def camera_recordings_path(entry_id: str, camera_id: str) -> str:
    """The media browser opened at the camera's own recordings, with the way back up to the site and the root.

    The frontend reads each path step as `<content type>,<media id>` (what it shows as the way back).
    """
    site = f"{SITE}/{entry_id}"
    steps = (
        f"app,{MEDIA_SOURCE_PREFIX}",
        f"{MediaType.PLAYLIST},{MEDIA_SOURCE_PREFIX}/{site}",
        f"{MediaType.PLAYLIST},{MEDIA_SOURCE_PREFIX}/{camera_identifier(site, camera_id)}",
    )
    return "/media-browser/browser/" + "/".join(quote(step, safe="") for step in steps)


def site_layout(hass: HomeAssistant, entry: NguDoanConfigEntry) -> SiteLayout:
    """The site's cameras grouped by area (areas in order of their first camera), with their entities."""
    groups: dict[str | None, list[CameraTile]] = {}
    paths: set[str] = set()
    for subentry in camera_subentries(entry):
        camera_id = subentry.subentry_id
        camera = camera_entity_id(hass, Platform.CAMERA, camera_id, "main")
        if camera is None:
            continue  # its entities are not registered (yet): nothing to show
        name, area = _device_name_and_area(hass, camera_id, subentry.title, subentry.data.get(CONF_LOCATION) or "")
        tile = CameraTile(
            camera_id=camera_id,
            name=name,
            path=_unique_path(name, paths),
            camera=camera,
            motion=camera_entity_id(hass, Platform.BINARY_SENSOR, camera_id, "motion"),
            tamper=camera_entity_id(hass, Platform.BINARY_SENSOR, camera_id, "tamper"),
            connectivity=camera_entity_id(hass, Platform.BINARY_SENSOR, camera_id, "connectivity"),
            recording=camera_entity_id(hass, Platform.SENSOR, camera_id, "recording"),
            recording_mode=camera_entity_id(hass, Platform.SELECT, camera_id, "recording_mode"),
            recordings=camera_recordings_path(entry.entry_id, camera_id),
        )
        groups.setdefault(area, []).append(tile)
    # Cameras in no area go last, whatever their place in the list.
    ordered = [AreaGroup(area, tuple(tiles)) for area, tiles in groups.items() if area is not None]
    if None in groups:
        ordered.append(AreaGroup(None, tuple(groups[None])))
    entities = er.async_get(hass)

    def site_entity(platform: Platform, key: str) -> str | None:
        return entities.async_get_entity_id(platform, DOMAIN, f"{entry.entry_id}_{key}")

    storage = tuple((key, site_entity(Platform.SENSOR, key)) for key in STORAGE_SENSORS)
    return SiteLayout(
        title=entry.title,
        url_path=dashboard_url_path(entry),
        areas=tuple(ordered),
        open_alerts=site_entity(Platform.SENSOR, "open_alerts"),
        recording_problem=site_entity(Platform.BINARY_SENSOR, "recording_problem"),
        storage=storage,
    )


def _device_name_and_area(hass: HomeAssistant, camera_id: str, name: str, location: str) -> tuple[str, str | None]:
    """The camera's name and area as its device shows them (the user may have renamed or moved it there)."""
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, camera_id)})
    area = ar.async_get(hass).async_get_area(device.area_id) if device and device.area_id else None
    shown = (device.name_by_user or device.name) if device else None
    return shown or name, area.name if area else location or None


def _unique_path(name: str, taken: set[str]) -> str:
    """A view path from the camera's name; recorders name channels alike, so repeats get a number."""
    base = slugify(name, separator="-") or "camera"
    path, number = base, 1
    while path in taken or path == MAIN_VIEW_PATH:
        number += 1
        path = f"{base}-{number}"
    taken.add(path)
    return path


# --- the configuration ------------------------------------------------------------------------------


def dashboard_config(layout: SiteLayout, language: str) -> dict[str, Any]:
    """The Lovelace configuration of a site's dashboard."""
    return {
        "title": dashboard_text(language, "title"),
        "views": [
            _main_view(layout, language),
            *(_camera_view(layout, camera, language) for camera in layout.cameras),
        ],
    }


def _main_view(layout: SiteLayout, language: str) -> dict[str, Any]:
    area_sections = [_area_section(layout, group, language) for group in layout.areas]
    # The alerts come right after the first area: at the left, under the first row of cameras.
    sections = [*area_sections[:1], _alerts_section(layout, language), *area_sections[1:]]
    sections.append(_recording_section(layout, language))
    view: dict[str, Any] = {
        "title": layout.title,
        "path": MAIN_VIEW_PATH,
        "icon": ICON,
        "type": "sections",
        "max_columns": MAX_COLUMNS,
        "dense_section_placement": True,
        "badges": [
            {
                "type": "entity",
                "entity": entity_id,
                "name": dashboard_text(language, key),
                "show_name": True,
                "show_state": True,
                "show_icon": True,
            }
            for key, entity_id in (("open_alerts", layout.open_alerts), ("recording_problem", layout.recording_problem))
            if entity_id
        ],
        "sections": sections,
    }
    return view


def _heading(text: str, icon: str) -> dict[str, Any]:
    return {"type": "heading", "heading": text, "heading_style": "title", "icon": icon}


def _area_section(layout: SiteLayout, group: AreaGroup, language: str) -> dict[str, Any]:
    count = len(group.cameras)
    span = min(MAX_COLUMNS, max(1, -(-count // TILES_PER_COLUMN)))
    return {
        "type": "grid",
        "column_span": span,
        "cards": [
            _heading(group.area or dashboard_text(language, "no_area"), "mdi:map-marker"),
            *(_camera_tile(layout, camera) for camera in group.cameras),
        ],
    }


def _camera_tile(layout: SiteLayout, camera: CameraTile) -> dict[str, Any]:
    tile: dict[str, Any] = {
        "type": f"{CARD_PREFIX}camera-tile",
        "name": camera.name,
        "camera": camera.camera,
        "navigation_path": f"/{layout.url_path}/{camera.path}",
        "grid_options": {"columns": 12 // TILES_PER_COLUMN, "rows": "auto"},
    }
    for key in ("motion", "tamper", "connectivity", "recording"):
        if entity_id := getattr(camera, key):
            tile[key] = entity_id
    return tile


def _alerts_section(layout: SiteLayout, language: str) -> dict[str, Any]:
    cards: list[dict[str, Any]] = [_heading(dashboard_text(language, "alerts"), "mdi:bell-alert")]
    if layout.open_alerts:
        cards.append(
            {
                "type": f"{CARD_PREFIX}alerts",
                "entity": layout.open_alerts,
                "cameras": {camera.camera_id: f"/{layout.url_path}/{camera.path}" for camera in layout.cameras},
                "media_browser": MEDIA_BROWSER_PATH,
                "grid_options": {"columns": "full", "rows": "auto"},
            }
        )
    return {"type": "grid", "row_span": 2, "cards": cards}


def _recording_section(layout: SiteLayout, language: str) -> dict[str, Any]:
    cards: list[dict[str, Any]] = [_heading(dashboard_text(language, "recording_section"), "mdi:record-rec")]
    cards.extend(
        {"type": "tile", "entity": entity_id, "name": dashboard_text(language, key), "grid_options": {"columns": 6}}
        for key, entity_id in (("recording_problem", layout.recording_problem), *layout.storage)
        if entity_id
    )
    recording = [camera.recording for camera in layout.cameras if camera.recording]
    if recording:
        # Only the cameras that cannot record as they should; nothing when all is well.
        cards.append(
            {
                "type": "entity-filter",
                "entities": recording,
                "conditions": [{"condition": "state", "state": ["error", "waiting"]}],
                "show_empty": False,
                "grid_options": {"columns": "full"},
            }
        )
    return {"type": "grid", "cards": cards}


def _camera_view(layout: SiteLayout, camera: CameraTile, language: str) -> dict[str, Any]:
    entities = (("motion", camera.motion), ("tamper", camera.tamper), ("connectivity", camera.connectivity))
    status: list[dict[str, Any]] = [
        {"type": "tile", "entity": entity_id, "name": dashboard_text(language, key), "grid_options": {"columns": 6}}
        for key, entity_id in (*entities, ("recording", camera.recording))
        if entity_id
    ]
    if camera.recording_mode:
        status.append(
            {
                "type": "tile",
                "entity": camera.recording_mode,
                "name": dashboard_text(language, "recording_mode"),
                "features": [{"type": "select-options"}],
                "grid_options": {"columns": 12},
            }
        )
    status.append(
        {
            "type": "button",
            "name": dashboard_text(language, "clips"),
            "icon": "mdi:filmstrip-box-multiple",
            "tap_action": {"action": "navigate", "navigation_path": camera.recordings},
            "grid_options": {"columns": 12, "rows": 2},
        }
    )
    return {
        "title": camera.name,
        "path": camera.path,
        "icon": ICON,
        "subview": True,
        "back_path": f"/{layout.url_path}/{MAIN_VIEW_PATH}",
        "type": "sections",
        "max_columns": 3,
        "sections": [
            {
                "type": "grid",
                "column_span": 2,
                "cards": [
                    _heading(camera.name, "mdi:cctv"),
                    {
                        "type": "picture-entity",
                        "entity": camera.camera,
                        "camera_view": "live",
                        "show_name": False,
                        "show_state": False,
                        "grid_options": {"columns": "full"},
                    },
                ],
            },
            {"type": "grid", "cards": [_heading(dashboard_text(language, "status"), "mdi:list-status"), *status]},
            {
                "type": "grid",
                "column_span": 3,
                "cards": [
                    _heading(dashboard_text(language, "snapshots"), "mdi:image-multiple"),
                    {
                        "type": f"{CARD_PREFIX}snapshots",
                        "folder": f"{SNAPSHOT_FOLDER}/{camera.camera_id}",
                        "count": SNAPSHOTS_SHOWN,
                        "grid_options": {"columns": "full", "rows": "auto"},
                    },
                ],
            },
        ],
    }

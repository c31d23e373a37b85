"""The duty dashboard: generated from a site's cameras and areas, created in Home Assistant's own dashboards
(Lovelace's collection, its panel, its stored configuration) by the `create_dashboard` action, idempotently;
its cards served by the integration and loaded by the frontend."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, DATA_PANELS
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.components.lovelace.dashboard import LovelaceStorage
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.ngu_doan_cameras.const import DOMAIN
from custom_components.ngu_doan_cameras.dashboard import MAIN_VIEW_PATH, MEDIA_BROWSER_PATH, build_dashboard
from custom_components.ngu_doan_cameras.frontend import CARDS_URL

from .helpers import make_site, setup_site, unload_site

URL_PATH = "truc-ban-cong-an-xa-ngu-doan"


def nowhere(n: int, location: str) -> dict[str, Any]:
    """A camera whose address answers nothing: the dashboard is made from the site, not from video."""
    return {
        "name": f"Camera {n}",
        "location": location,
        "main_url": f"rtsp://127.0.0.1:9/cam{n}",
        "sub_url": "",
        "still_url": "",
        "username": "",
        "password": "",
    }


# The commune's order: the road first, then a village, back on the road, a camera with no place.
CAMERAS = [
    nowhere(1, "Đường 402"),
    nowhere(2, "Thôn Trúc"),
    nowhere(3, "Đường 402"),
    nowhere(4, ""),
    nowhere(5, "Thôn Trúc"),
]


@pytest.fixture
async def lovelace(hass: HomeAssistant) -> None:
    """Home Assistant's dashboards, as every installation has them."""
    assert await async_setup_component(hass, "lovelace", {})


async def create(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    response = await hass.services.async_call(DOMAIN, "create_dashboard", data, blocking=True, return_response=True)
    assert response is not None
    return list(response["dashboards"])  # type: ignore[arg-type]


def sections(view: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each section's heading and the names (tiles) or types (other cards) of its cards."""
    return [
        (
            section["cards"][0]["heading"],
            [card.get("name") or card["type"] for card in section["cards"][1:]],
        )
        for section in view["sections"]
    ]


async def test_layout_groups_cameras_by_area_in_the_sites_order(hass: HomeAssistant, lovelace: None) -> None:
    hass.config.language = "vi"
    entry = make_site(hass, CAMERAS)
    await setup_site(hass, entry)

    config = build_dashboard(hass, entry, "vi")
    main, *pages = config["views"]
    assert config["title"] == "Trực ban"
    assert main["path"] == MAIN_VIEW_PATH
    assert main["type"] == "sections"
    assert sections(main) == [
        ("Đường 402", ["Camera 1", "Camera 3"]),
        ("Cảnh báo đang mở", ["custom:ngu-doan-alerts"]),
        ("Thôn Trúc", ["Camera 2", "Camera 5"]),
        ("Chưa xếp khu vực", ["Camera 4"]),
        (
            "Ghi hình và lưu trữ",
            ["Sự cố ghi hình", "Dung lượng video ghi", "Ổ đĩa còn trống", "Video cũ nhất", "entity-filter"],
        ),
    ]
    road = main["sections"][0]["cards"][1]
    assert road == {
        "type": "custom:ngu-doan-camera-tile",
        "name": "Camera 1",
        "camera": "camera.camera_1",
        "motion": "binary_sensor.camera_1_motion",
        "tamper": "binary_sensor.camera_1_tamper",
        "connectivity": "binary_sensor.camera_1_connectivity",
        "recording": "sensor.camera_1_recording",
        "navigation_path": f"/{URL_PATH}/camera-1",
        "grid_options": {"columns": 6, "rows": "auto"},
    }
    assert [(badge["entity"], badge["name"]) for badge in main["badges"]] == [
        ("sensor.cong_an_xa_ngu_doan_open_alerts", "Cảnh báo mở"),
        ("binary_sensor.cong_an_xa_ngu_doan_recording_problem", "Sự cố ghi hình"),
    ]
    # Sections span as many of the three columns as their cameras need, two tiles to a column.
    assert [section.get("column_span", 1) for section in main["sections"]] == [1, 1, 1, 1, 1]
    assert main["sections"][1]["row_span"] == 2
    alerts = main["sections"][1]["cards"][1]
    assert alerts["entity"] == "sensor.cong_an_xa_ngu_doan_open_alerts"
    assert alerts["cameras"][entry.subentries[next(iter(entry.subentries))].subentry_id] == f"/{URL_PATH}/camera-1"
    recording = [card["entity"] for card in main["sections"][-1]["cards"][1:-1]]
    assert recording == [
        "binary_sensor.cong_an_xa_ngu_doan_recording_problem",
        "sensor.cong_an_xa_ngu_doan_recordings_storage",
        "sensor.cong_an_xa_ngu_doan_free_disk_space",
        "sensor.cong_an_xa_ngu_doan_oldest_recording",
    ]
    assert main["sections"][-1]["cards"][-1]["entities"] == [f"sensor.camera_{n}_recording" for n in (1, 3, 2, 5, 4)]

    # One page per camera, area by area: what a tile's tap opens.
    assert [page["path"] for page in pages] == ["camera-1", "camera-3", "camera-2", "camera-5", "camera-4"]
    page = pages[0]
    assert page["subview"] is True
    assert page["back_path"] == f"/{URL_PATH}/{MAIN_VIEW_PATH}"
    live, status, snapshots = (section["cards"] for section in page["sections"])
    assert live[1] == {
        "type": "picture-entity",
        "entity": "camera.camera_1",
        "camera_view": "live",
        "show_name": False,
        "show_state": False,
        "grid_options": {"columns": "full"},
    }
    assert [(card.get("entity"), card["name"]) for card in status[1:]] == [
        ("binary_sensor.camera_1_motion", "Chuyển động"),
        ("binary_sensor.camera_1_tamper", "Phá hoại"),
        ("binary_sensor.camera_1_connectivity", "Kết nối"),
        ("sensor.camera_1_recording", "Ghi hình"),
        ("select.camera_1_recording_mode", "Chế độ ghi hình"),
        (None, "Video đã ghi (trình duyệt media)"),
    ]
    camera_id = next(iter(entry.subentries))
    # The camera's own recordings, the site and the root before it (the media browser's way back).
    path = status[-1]["tap_action"]["navigation_path"]
    assert status[-1]["tap_action"]["action"] == "navigate"
    assert path.startswith(MEDIA_BROWSER_PATH + "/")
    assert [unquote(step) for step in path.removeprefix("/media-browser/browser/").split("/")] == [
        "app,media-source://ngu_doan_cameras",
        f"playlist,media-source://ngu_doan_cameras/site/{entry.entry_id}",
        f"playlist,media-source://ngu_doan_cameras/site/{entry.entry_id}/{camera_id}",
    ]
    assert snapshots[1]["folder"] == f"ngu_doan_cameras/motion/{camera_id}"

    await unload_site(hass, entry)


async def test_layout_follows_areas_and_names_set_in_home_assistant(hass: HomeAssistant, lovelace: None) -> None:
    """A device moved to another area or renamed by the user shows there, under that name."""
    entry = make_site(hass, CAMERAS[:3])
    await setup_site(hass, entry)
    devices = dr.async_get(hass)
    second = devices.async_get_device(identifiers={(DOMAIN, list(entry.subentries)[1])})
    assert second is not None
    office = ar.async_get(hass).async_create("Trụ sở Công an xã")
    devices.async_update_device(second.id, area_id=office.id, name_by_user="Cổng trụ sở")

    main = build_dashboard(hass, entry, "en")["views"][0]
    assert sections(main)[:3] == [
        ("Đường 402", ["Camera 1", "Camera 3"]),
        ("Open alerts", ["custom:ngu-doan-alerts"]),
        ("Trụ sở Công an xã", ["Cổng trụ sở"]),
    ]
    await unload_site(hass, entry)


async def test_cameras_named_alike_and_cameras_without_entities(hass: HomeAssistant, lovelace: None) -> None:
    """Two recorders both have a "Camera 01": each gets its own page. A camera whose entities are gone
    (removed by the user) has no tile."""
    entry = make_site(
        hass,
        [
            {**nowhere(1, "Đường 402"), "name": "Camera 01"},
            {**nowhere(2, "Thôn Trúc"), "name": "Camera 01"},
            nowhere(3, "Thôn Trúc"),
        ],
    )
    await setup_site(hass, entry)
    er.async_get(hass).async_remove("camera.camera_3")
    pages = build_dashboard(hass, entry, "vi")["views"][1:]
    assert [(page["title"], page["path"]) for page in pages] == [
        ("Camera 01", "camera-01"),
        ("Camera 01", "camera-01-2"),
    ]
    await unload_site(hass, entry)


async def test_create_is_idempotent_and_uses_lovelaces_own_collection(
    hass: HomeAssistant, lovelace: None, hass_ws_client: WebSocketGenerator
) -> None:
    hass.config.language = "vi"
    entry = make_site(hass, CAMERAS)
    await setup_site(hass, entry)

    first = await create(hass)
    assert first == [
        {"site": entry.title, "url_path": URL_PATH, "created": True, "changed": True, "cameras": 5},
    ]
    # Lovelace registered the panel and holds the configuration the generator made.
    panel = hass.data[DATA_PANELS][URL_PATH]
    assert (panel.sidebar_title, panel.sidebar_icon, panel.require_admin) == ("Trực ban", "mdi:cctv", False)
    store = hass.data[LOVELACE_DATA].dashboards[URL_PATH]
    assert isinstance(store, LovelaceStorage)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": URL_PATH})
    answer = await client.receive_json()
    assert answer["success"]
    assert answer["result"] == build_dashboard(hass, entry, "vi")

    # Again: nothing new, nothing saved.
    assert await create(hass, site=entry.entry_id) == [{**first[0], "created": False, "changed": False}]
    await client.send_json_auto_id({"type": "lovelace/dashboards/list"})
    listed = (await client.receive_json())["result"]
    assert [item["url_path"] for item in listed] == [URL_PATH]

    # The dashboard is an item of Lovelace's own collection: Settings -> Dashboards can delete it.
    await client.send_json_auto_id({"type": "lovelace/dashboards/delete", "dashboard_id": listed[0]["id"]})
    assert (await client.receive_json())["success"]
    assert URL_PATH not in hass.data[DATA_PANELS]
    assert (await create(hass))[0]["created"] is True

    # The site changes (a camera renamed): the same dashboard is brought up to date.
    subentry = entry.subentries[next(iter(entry.subentries))]
    hass.config_entries.async_update_subentry(entry, subentry, data={**subentry.data, "name": "402 - Chợ"})
    await hass.async_block_till_done()
    again = await create(hass, language="en")
    assert again == [{**first[0], "created": False, "changed": True}]
    assert [path for path, store in hass.data[LOVELACE_DATA].dashboards.items() if store.config] == [URL_PATH]
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": URL_PATH})
    saved = (await client.receive_json())["result"]
    assert saved["title"] == "Duty"
    assert saved["views"][0]["sections"][0]["cards"][1]["name"] == "402 - Chợ"
    assert hass.data[DATA_PANELS][URL_PATH].sidebar_title == "Duty"
    await unload_site(hass, entry)


async def test_a_dashboard_made_in_the_ui_at_the_sites_address_is_filled(
    hass: HomeAssistant, lovelace: None, hass_ws_client: WebSocketGenerator
) -> None:
    """Someone made an empty dashboard at that address (Settings -> Dashboards): it gets the site's screen."""
    entry = make_site(hass, CAMERAS[:1])
    await setup_site(hass, entry)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "lovelace/dashboards/create", "url_path": URL_PATH, "title": "Trực ban"})
    assert (await client.receive_json())["success"]
    answer = await create(hass, language="vi")
    assert (answer[0]["created"], answer[0]["changed"]) == (False, True)
    config = await hass.data[LOVELACE_DATA].dashboards[URL_PATH].async_load(False)
    assert config == build_dashboard(hass, entry, "vi")
    await unload_site(hass, entry)


async def test_a_yaml_dashboard_at_the_sites_address(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    """A YAML dashboard took the address after the site's was made: said, not overwritten."""
    hass_storage["lovelace_dashboards"] = {
        "version": 1,
        "minor_version": 1,
        "key": "lovelace_dashboards",
        "data": {
            "items": [
                {
                    "id": URL_PATH,
                    "url_path": URL_PATH,
                    "title": "Trực ban",
                    "mode": "storage",
                    "icon": "mdi:cctv",
                    "show_in_sidebar": True,
                    "require_admin": False,
                }
            ]
        },
    }
    yaml_dashboard = {"mode": "yaml", "filename": "truc_ban.yaml", "title": "YAML", "show_in_sidebar": True}
    assert await async_setup_component(hass, "lovelace", {"lovelace": {"dashboards": {URL_PATH: yaml_dashboard}}})
    entry = make_site(hass, CAMERAS[:1])
    await setup_site(hass, entry)
    with pytest.raises(HomeAssistantError) as err:
        await create(hass, language="en")
    assert err.value.translation_key == "dashboard_path_taken"
    await unload_site(hass, entry)


async def test_site_without_cameras(hass: HomeAssistant, lovelace: None) -> None:
    entry = make_site(hass, [])
    await setup_site(hass, entry)
    assert await create(hass, site=entry.entry_id, language="en") == [
        {"site": entry.title, "url_path": URL_PATH, "created": True, "changed": True, "cameras": 0}
    ]
    config = await hass.data[LOVELACE_DATA].dashboards[URL_PATH].async_load(False)
    assert [view["path"] for view in config["views"]] == [MAIN_VIEW_PATH]
    assert sections(config["views"][0]) == [
        ("Open alerts", ["custom:ngu-doan-alerts"]),
        ("Recording and storage", ["Recording problem", "Recordings", "Free disk space", "Oldest recording"]),
    ]
    await unload_site(hass, entry)


async def test_every_site_gets_its_own_dashboard(hass: HomeAssistant, lovelace: None) -> None:
    hass.config.language = "vi-VN"
    road = make_site(hass, CAMERAS[:1], title="Công an xã Ngũ Đoan")
    other = make_site(hass, [{**CAMERAS[1], "main_url": "rtsp://127.0.0.1:9/other"}], title="Công an xã Đại Hà")
    await setup_site(hass, road)  # sets up every site of the integration
    assert other.state is ConfigEntryState.LOADED
    answers = await create(hass)
    assert [(answer["url_path"], answer["cameras"]) for answer in answers] == [
        (URL_PATH, 1),
        ("truc-ban-cong-an-xa-dai-ha", 1),
    ]
    assert hass.data[DATA_PANELS]["truc-ban-cong-an-xa-dai-ha"].sidebar_title == "Trực ban - Công an xã Đại Hà"
    assert await hass.config_entries.async_unload(road.entry_id)
    await unload_site(hass, other)


async def test_bad_requests_are_translated_errors(hass: HomeAssistant) -> None:
    # No site running at all.
    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError) as err:
        await create(hass)
    assert err.value.translation_key == "no_site_loaded"

    entry = make_site(hass, CAMERAS[:1])
    await setup_site(hass, entry)
    # Dashboards not set up (a headless installation).
    with pytest.raises(HomeAssistantError) as err:
        await create(hass)
    assert err.value.translation_key == "dashboards_unavailable"

    assert await async_setup_component(hass, "lovelace", {})
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, site="not-a-site")
    assert (err.value.translation_key, err.value.translation_placeholders) == ("site_not_found", {"site": "not-a-site"})

    # Another panel already has the address.
    hass.data[DATA_PANELS][URL_PATH] = hass.data[DATA_PANELS]["lovelace"]
    with pytest.raises(HomeAssistantError) as err:
        await create(hass, site=entry.entry_id)
    assert (err.value.translation_key, err.value.translation_placeholders) == (
        "dashboard_path_taken",
        {"url_path": URL_PATH},
    )
    del hass.data[DATA_PANELS][URL_PATH]

    await unload_site(hass, entry)
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, site=entry.entry_id)
    assert err.value.translation_key == "site_not_loaded_dashboard"


async def test_cards_are_served_and_loaded_by_the_frontend(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    loaded = [url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if url.startswith(CARDS_URL)]
    assert len(loaded) == 1
    client = await hass_client()
    response = await client.get(loaded[0])
    assert response.status == 200
    body = await response.text()
    for card in ("ngu-doan-camera-tile", "ngu-doan-alerts", "ngu-doan-snapshots"):
        assert f'["{card}",' in body

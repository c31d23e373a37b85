"""Config flows against real cameras: a site, its cameras, a recorder's channels, and every error path."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ngu_doan_cameras.const import (
    CONF_FRAME_TIMEOUT,
    CONF_SITE_NAME,
    DOMAIN,
    SUBENTRY_CAMERA,
)

from .blocking import LoopGuard
from .conftest import SIM_PASSWORD, SIM_USER, camera_data
from .helpers import SITE, make_site
from .simulator import CameraSimulator


def camera_form(sim: CameraSimulator, n: int = 1, **extra: Any) -> dict[str, Any]:
    data = camera_data(sim, n, **extra)
    return {key: value for key, value in data.items() if value != ""}


async def start_site_flow(hass: HomeAssistant, name: str = SITE) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_SITE_NAME: name})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["nvr", "camera", "no_cameras"]
    return result["flow_id"]


async def unload_all(hass: HomeAssistant) -> None:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("socket_enabled")
async def test_site_with_one_camera(
    hass: HomeAssistant, auth_simulator: CameraSimulator, loop_guard: LoopGuard
) -> None:
    flow_id = await start_site_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    assert result["step_id"] == "camera"
    result = await hass.config_entries.flow.async_configure(flow_id, camera_form(auth_simulator, 1))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    entry = result["result"]
    assert entry.title == SITE
    assert entry.data == {CONF_SITE_NAME: SITE}
    assert entry.options == {CONF_FRAME_TIMEOUT: 5}
    (subentry,) = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_CAMERA
    assert subentry.title == "Camera 1"
    assert subentry.data["password"] == SIM_PASSWORD
    assert "@" not in subentry.data["main_url"]
    await hass.async_block_till_done()
    loop_guard.assert_clean()  # the camera was probed, and the site set up, off the event loop
    await unload_all(hass)


@pytest.mark.usefixtures("socket_enabled")
async def test_credentials_typed_into_the_url_move_to_their_fields(
    hass: HomeAssistant, auth_simulator: CameraSimulator
) -> None:
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    form = {
        "name": "Cổng UBND",
        "main_url": auth_simulator.url("cam2", with_credentials=True),
    }
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    (subentry,) = result["result"].subentries.values()
    assert subentry.data["username"] == SIM_USER
    assert subentry.data["password"] == SIM_PASSWORD
    assert subentry.data["main_url"] == auth_simulator.url("cam2")
    await hass.async_block_till_done()
    await unload_all(hass)


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"password": "wrong"}, "main_url", "invalid_auth"),
        ({"main_url": "rtsp://127.0.0.1:1/cam1"}, "main_url", "cannot_connect"),
        ({"main_url": "ftp://127.0.0.1/cam1"}, "main_url", "invalid_url"),
        ({"main_url": "not a url"}, "main_url", "invalid_url"),
        ({"main_url": "{sim}/nothing-here"}, "main_url", "stream_not_found"),
        ({"main_url": "{sim}/silent"}, "main_url", "timeout"),
        ({"sub_url": "{sim}/cam1"}, "sub_url", "same_as_main"),
        ({"sub_url": "rtsp://127.0.0.1:1/sub"}, "sub_url", "cannot_connect"),
        ({"still_url": "http://127.0.0.1:1/snap.jpg"}, "still_url", "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("socket_enabled")
async def test_camera_errors_are_specific(
    hass: HomeAssistant, auth_simulator: CameraSimulator, change: dict[str, str], field: str, error: str
) -> None:
    base = f"rtsp://127.0.0.1:{auth_simulator.port}"
    form = camera_form(auth_simulator, 1) | {key: value.format(sim=base) for key, value in change.items()}
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    # Nothing typed is lost: the form comes back filled in (but the password is never sent back).
    suggested = {
        marker.schema: (marker.description or {}).get("suggested_value") for marker in result["data_schema"].schema
    }
    assert suggested["main_url"] == form["main_url"]
    assert suggested["name"] == form["name"]
    assert "password" not in {k for k, v in suggested.items() if v}
    result = await hass.config_entries.flow.async_configure(flow_id, camera_form(auth_simulator, 1))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await unload_all(hass)


@pytest.mark.usefixtures("socket_enabled")
async def test_h265_camera_is_accepted_and_an_http_page_is_not_video(
    hass: HomeAssistant, simulator: CameraSimulator, http_server: str
) -> None:
    http_page = f"{http_server}/index.html"
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    result = await hass.config_entries.flow.async_configure(flow_id, {"name": "Trạm", "main_url": http_page})
    assert result["errors"] == {"main_url": "not_video"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"name": "Trạm", "main_url": simulator.url("h265")}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    await unload_all(hass)


@pytest.mark.usefixtures("socket_enabled")
async def test_nvr_step_creates_one_camera_per_channel(hass: HomeAssistant, auth_simulator: CameraSimulator) -> None:
    flow_id = await start_site_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "nvr"})
    assert result["step_id"] == "nvr"
    nvr = {
        "host": "127.0.0.1",
        "port": auth_simulator.port,
        "username": SIM_USER,
        "password": SIM_PASSWORD,
        "vendor": "custom",
        "main_template": "/cam{ch}",
        "sub_template": "rtsp://{host}:{port}/cam{ch}/sub",
        "channels": 2,
        "name_prefix": "Kênh",
        "location": "Thôn Trúc",
    }
    result = await hass.config_entries.flow.async_configure(flow_id, nvr | {"password": "wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, nvr | {"main_template": "/cam"})
    assert result["errors"] == {"main_template": "invalid_template"}
    result = await hass.config_entries.flow.async_configure(flow_id, nvr | {"main_template": ""})
    assert result["errors"] == {"main_template": "invalid_template"}
    result = await hass.config_entries.flow.async_configure(flow_id, nvr | {"sub_template": "/x{nope}{ch}"})
    assert result["errors"] == {"sub_template": "invalid_template"}
    result = await hass.config_entries.flow.async_configure(flow_id, nvr)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    subentries = sorted(result["result"].subentries.values(), key=lambda sub: sub.title)
    assert [sub.title for sub in subentries] == ["Kênh 01", "Kênh 02"]
    assert subentries[1].data["main_url"] == auth_simulator.url("cam2")
    assert subentries[1].data["sub_url"] == auth_simulator.url("cam2/sub")
    assert subentries[0].data["location"] == "Thôn Trúc"
    await hass.async_block_till_done()
    await unload_all(hass)


async def test_site_without_cameras_and_duplicate_site(hass: HomeAssistant) -> None:
    flow_id = await start_site_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "no_cameras"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].subentries == {}
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: " công an xã ngũ đoan "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await unload_all(hass)


@pytest.mark.usefixtures("socket_enabled")
async def test_subentry_flows_add_change_and_refuse_duplicates(hass: HomeAssistant, simulator: CameraSimulator) -> None:
    entry = make_site(hass, [camera_data(simulator, 1)])
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CAMERA), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "camera"})
    # The same camera again is refused, on the field that repeats it.
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], camera_form(simulator, 1))
    assert result["errors"] == {"main_url": "already_configured"}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], camera_form(simulator, 2))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert len(entry.subentries) == 2

    # A recorder's channels: those already configured are skipped.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CAMERA), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "nvr"})
    nvr = {"host": "127.0.0.1", "port": simulator.port, "vendor": "custom", "main_template": "/cam{ch}", "channels": 4}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], nvr)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    assert sorted(sub.data["main_url"] for sub in entry.subentries.values()) == [
        simulator.url(f"cam{n}") for n in range(1, 5)
    ]
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CAMERA), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "nvr"})
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], nvr)
    assert result["errors"] == {"base": "already_configured"}

    # Change a camera: rename, move; an empty password keeps the old one.
    first = next(sub for sub in entry.subentries.values() if sub.title == "Camera 1")
    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, first.subentry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["connection", "detection"]
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "connection"})
    assert result["step_id"] == "connection"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"main_url": simulator.url("cam2")} | {"name": "x"}
    )
    assert result["errors"] == {"main_url": "already_configured"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Ngã ba Đại Thắng",
            "location": "Đại Thắng",
            "main_url": simulator.url("cam1"),
            "sub_url": simulator.url("cam1/sub"),
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    changed = entry.subentries[first.subentry_id]
    assert changed.title == "Ngã ba Đại Thắng"
    assert changed.data["location"] == "Đại Thắng"
    await unload_all(hass)


async def test_reconfigure_renames_site_and_options(hass: HomeAssistant) -> None:
    entry = make_site(hass, [])
    other = MockConfigEntry(domain=DOMAIN, title="Thôn Trúc", unique_id="thon_truc", data={CONF_SITE_NAME: "Thôn Trúc"})
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_SITE_NAME: "Thôn Trúc"})
    assert result["errors"] == {CONF_SITE_NAME: "site_exists"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_SITE_NAME: "Công an xã"})
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "Công an xã"
    assert entry.unique_id == "cong_an_xa"

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_FRAME_TIMEOUT: 9})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_FRAME_TIMEOUT: 9}
    await hass.async_block_till_done()
    await unload_all(hass)

"""Config flows against real cameras: a site, its cameras, a recorder's channels, and every error path."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ngu_doan_cameras.const import (
    CONF_FRAME_TIMEOUT,
    CONF_SITE_NAME,
    DEFAULT_SITE_RECORDING,
    DOMAIN,
    SUBENTRY_CAMERA,
)
from custom_components.ngu_doan_cameras.engine.still_url import fetch_still

from .blocking import LoopGuard
from .conftest import SIM_PASSWORD, SIM_USER, camera_data, tiny_jpeg
from .helpers import SITE, jpeg_size, make_site, serving_http
from .simulator import CameraSimulator

MISSING_X265 = (
    "the camera simulator does not serve /h265: GStreamer's x265enc element is missing. "
    "Install the Debian package gstreamer1.0-plugins-bad (./scripts/setup installs it)."
)


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
    # A new site records like the station's recorder: continuously, 14 days, above 2 GB free.
    assert entry.options == {CONF_FRAME_TIMEOUT: 5, "recording": DEFAULT_SITE_RECORDING}
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
    # The simulator serves /h265 only when x265enc is installed; a 404 here is a broken test bed, said plainly.
    assert result.get("errors") != {"main_url": "stream_not_found"}, MISSING_X265
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
    assert result["menu_options"] == ["connection", "detection", "recording"]
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

    # A site made before recording existed keeps it off until someone turns it on.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_FRAME_TIMEOUT: 9})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_FRAME_TIMEOUT: 9, "recording": {**DEFAULT_SITE_RECORDING, "mode": "off"}}
    await hass.async_block_till_done()

    # The recording section: values out of bounds are refused; good ones reach the shared recorder at once.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    recording = {**DEFAULT_SITE_RECORDING, "mode": "events", "retention_days": 7, "quota_gb": 50, "min_free_gb": 5}
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_FRAME_TIMEOUT: 9, "recording": {**recording, "retention_days": 0}}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FRAME_TIMEOUT: 9, "recording": recording}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["recording"] == recording
    # Every site records into one media folder: the most careful limits of the two sites apply (Thôn Trúc
    # keeps the default 14 days; this site's quota and free-space floor are the stricter ones).
    retention = entry.runtime_data.recorder.settings.retention
    assert (retention.keep_days, retention.quota_gb, retention.min_free_gb) == (14, 50, 5)
    await unload_all(hass)


@pytest.mark.usefixtures("socket_enabled")
async def test_a_password_typed_unencoded_into_the_url(hass: HomeAssistant, auth_simulator: CameraSimulator) -> None:
    """`rtsp://admin:p@ss:w#rd/%1@host/...`: urlsplit cut it at "#" and the first "@" (a 500 with the password
    in the traceback). It is split at the last "@" before the host, and the credentials move to their fields."""
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    typed = f"rtsp://{SIM_USER}:{SIM_PASSWORD}@127.0.0.1:{auth_simulator.port}/cam1"
    result = await hass.config_entries.flow.async_configure(flow_id, {"name": "Cổng", "main_url": typed})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    (subentry,) = result["result"].subentries.values()
    assert subentry.data["main_url"] == auth_simulator.url("cam1")
    assert (subentry.data["username"], subentry.data["password"]) == (SIM_USER, SIM_PASSWORD)
    await hass.async_block_till_done()
    await unload_all(hass)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"main_url": "rtsp://127.0.0.1:99999/x"}, "main_url"),
        ({"main_url": "rtsp://127.0.0.1:-1/"}, "main_url"),
        ({"main_url": "rtsp://127.0.0.1:abc/"}, "main_url"),
        ({"main_url": "rtsp://[::1/x"}, "main_url"),
        ({"main_url": "rtsp:/x"}, "main_url"),
        ({"main_url": "javascript:alert(1)"}, "main_url"),
        ({"main_url": "file:///etc/passwd"}, "main_url"),
        ({"main_url": "   "}, "main_url"),
        ({"sub_url": "rtsp://u:p@127.0.0.1:65536/x"}, "sub_url"),
        ({"still_url": "rtsp://127.0.0.1:1/snap"}, "still_url"),
    ],
)
async def test_unusable_urls_are_a_form_error(hass: HomeAssistant, change: dict[str, str], field: str) -> None:
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    form = {"name": "Cổng", "main_url": "rtsp://127.0.0.1:1/cam"} | change
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "invalid_url"}


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("   ", "invalid_name"),
        ("x" * 101, "invalid_name"),
        ("Cổng\nlàng", "invalid_name"),
        ("Cổng\x00", "invalid_name"),
    ],
)
async def test_names_are_checked(hass: HomeAssistant, name: str, error: str) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_SITE_NAME: name})
    assert result["errors"] == {CONF_SITE_NAME: error}
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    result = await hass.config_entries.flow.async_configure(flow_id, {"name": name, "main_url": "rtsp://127.0.0.1:1/x"})
    assert result["errors"] == {"name": error}


@pytest.mark.usefixtures("socket_enabled")
async def test_recorder_address_with_credentials_and_port(hass: HomeAssistant, auth_simulator: CameraSimulator) -> None:
    """An address typed as `admin:pw@host:port` (or a whole rtsp:// URL) never puts a password in a channel URL."""
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "nvr"})
    nvr = {"port": 554, "vendor": "custom", "main_template": "/cam{ch}", "channels": 2}
    typed = f"{SIM_USER}:{SIM_PASSWORD}@127.0.0.1:{auth_simulator.port}"
    for host, extra, field, error in (
        ("127.0.0.1/Streaming/Channels/101", {}, "host", "invalid_host"),
        ("http://127.0.0.1", {}, "host", "invalid_host"),
        (typed, {"username": "other"}, "host", "credentials_conflict"),
        (typed, {"password": "other"}, "host", "credentials_conflict"),
        (typed, {"port": 8554}, "host", "port_conflict"),
        (
            "127.0.0.1",
            {"main_template": "rtsp://u:p@{host}:{port}/cam{ch}", "username": "x"},
            "main_template",
            "credentials_conflict",
        ),
        ("127.0.0.1", {"main_template": "/cam{ch:>99999999}"}, "main_template", "invalid_template"),
        ("127.0.0.1", {"main_template": "/cam{ch.__class__}"}, "main_template", "invalid_template"),
        ("127.0.0.1", {"main_template": "/cam{ch}{"}, "main_template", "invalid_template"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, nvr | {"host": host} | extra)
        assert result["errors"] == {field: error}, host
        # What was typed comes back, but not the password in it.
        assert SIM_PASSWORD not in str(shown_values(result))
    result = await hass.config_entries.flow.async_configure(flow_id, nvr | {"host": f"rtsp://{typed}/"})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    for subentry in result["result"].subentries.values():
        assert subentry.data["main_url"] in (auth_simulator.url("cam1"), auth_simulator.url("cam2"))
        assert (subentry.data["username"], subentry.data["password"]) == (SIM_USER, SIM_PASSWORD)
    await hass.async_block_till_done()
    await unload_all(hass)


@pytest.mark.usefixtures("socket_enabled")
async def test_changing_the_address_does_not_keep_the_password(
    hass: HomeAssistant, simulator: CameraSimulator, own_simulator: CameraSimulator
) -> None:
    """An empty password field keeps the stored password only for the same device (address) and user name."""
    entry = make_site(hass, [camera_data(simulator, 1, username="admin", password="bí mật")])
    (subentry,) = entry.subentries.values()

    async def change(form: dict[str, Any]) -> dict[str, Any]:
        result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, subentry.subentry_id)
        result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "connection"})
        result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
        assert result["type"] is FlowResultType.ABORT, result.get("errors")
        return dict(entry.subentries[subentry.subentry_id].data)

    # Same camera (same host and port), another path: the password is kept.
    data = await change({"name": "Cổng", "main_url": simulator.url("cam2"), "username": "admin"})
    assert data["password"] == "bí mật"
    # Another user name: an empty field means no password.
    data = await change({"name": "Cổng", "main_url": simulator.url("cam2"), "username": "khach"})
    assert data["password"] == ""
    await change({"name": "Cổng", "main_url": simulator.url("cam2"), "username": "admin", "password": "bí mật"})
    # Another device: the old password is not sent to it.
    data = await change({"name": "Cổng", "main_url": own_simulator.url("cam1"), "username": "admin"})
    assert data["main_url"] == own_simulator.url("cam1")
    assert data["password"] == ""


@pytest.fixture
def query_auth_server(socket_enabled: None) -> Iterator[str]:
    """A camera web server whose snapshot wants the credentials in the query string (`?user=...&pwd=...`)."""
    jpeg = tiny_jpeg()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            if query.get("user") != [SIM_USER] or query.get("pwd") != [SIM_PASSWORD]:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(jpeg)))
            self.end_headers()
            self.wfile.write(jpeg)

        def log_message(self, *args: Any) -> None:
            """Keep request lines (credentials in them) out of the test output."""

    with serving_http(Handler, "query_auth_server") as url:
        yield url


@pytest.mark.usefixtures("socket_enabled")
async def test_credentials_in_a_query_string_are_kept_apart(
    hass: HomeAssistant, auth_simulator: CameraSimulator, query_auth_server: str
) -> None:
    flow_id = await start_site_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "camera"})
    still = f"{query_auth_server}/snap.cgi?user={SIM_USER}&pwd={quote(SIM_PASSWORD, safe='')}&res=1"
    form = {"name": "Cổng", "main_url": auth_simulator.url("cam1"), "still_url": still}
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    (subentry,) = result["result"].subentries.values()
    # Stored without the values; the camera's credentials are filled in when fetching.
    assert subentry.data["still_url"] == f"{query_auth_server}/snap.cgi?user=&pwd=&res=1"
    assert (subentry.data["username"], subentry.data["password"]) == (SIM_USER, SIM_PASSWORD)
    image = await hass.async_add_executor_job(
        fetch_still, subentry.data["still_url"], subentry.data["username"], subentry.data["password"]
    )
    assert jpeg_size(image) == (32, 24)
    await hass.async_block_till_done()
    await unload_all(hass)


async def test_zones_and_masks_can_be_cleared(hass: HomeAssistant) -> None:
    """The frontend leaves an emptied optional field out of what it sends: absent means cleared, not kept."""
    detection = {"zones": "Cổng: 0,0 1,0 1,1 0,1", "masks": "0,0 0.5,0 0.5,0.5"}
    entry = make_site(hass, [camera_data_without_probe(detection=detection)])
    (subentry,) = entry.subentries.values()
    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, subentry.subentry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "detection"})
    suggested = {
        marker.schema: (marker.description or {}).get("suggested_value") for marker in result["data_schema"].schema
    }
    assert suggested["zones"] == detection["zones"]
    form = {"enabled": True, "sensitivity": 50, "min_size": 60, "off_delay": 5, "max_fps": 5}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["reason"] == "reconfigure_successful"
    stored = entry.subentries[subentry.subentry_id].data["detection"]
    assert (stored["zones"], stored["masks"]) == ("", "")


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"masks": "[1,2,3]"}, "masks", "invalid_polygons"),
        ({"masks": "[null]"}, "masks", "invalid_polygons"),
        ({"zones": '{"a": 5}'}, "zones", "invalid_polygons"),
        ({"zones": '[[["x","y"]]]'}, "zones", "invalid_polygons"),
        ({"masks": "[[[1e400, 0],[1,0],[1,1]]]"}, "masks", "invalid_polygons"),
        ({"masks": "[[[NaN, 0],[1,0],[1,1]]]"}, "masks", "invalid_polygons"),
        ({"zones": "[" * 2000 + "]" * 2000}, "zones", "invalid_polygons"),
        ({"zones": "1" * 800}, "zones", "invalid_polygons"),
        ({"zones": "0,0 1,0 1,1\n" * 21}, "zones", "polygons_too_large"),
        ({"masks": "0.5,0.5 " * 1000}, "masks", "polygons_too_large"),
    ],
)
async def test_bad_zones_and_masks_are_a_form_error(
    hass: HomeAssistant, change: dict[str, str], field: str, error: str
) -> None:
    entry = make_site(hass, [camera_data_without_probe()])
    (subentry,) = entry.subentries.values()
    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, subentry.subentry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "detection"})
    form = {"enabled": True, "sensitivity": 50, "min_size": 60, "off_delay": 5, "max_fps": 5} | change
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["errors"] == {field: error}
    placeholders = result["description_placeholders"]
    if error == "invalid_polygons":
        # What is wrong, in words from the translations (Home Assistant's language, English here).
        assert placeholders["problem"].startswith(("line ", "near "))
    assert placeholders["max_polygons"] == "20"


async def test_numbers_that_are_not_numbers_are_refused(hass: HomeAssistant) -> None:
    """NaN passes Home Assistant's number selector; stored, it broke the next setup or raised in the flow."""
    entry = make_site(hass, [camera_data_without_probe()])
    (subentry,) = entry.subentries.values()
    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, subentry.subentry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "detection"})
    form = {"enabled": True, "sensitivity": 50, "min_size": float("nan"), "off_delay": 5, "max_fps": 5}
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {CONF_FRAME_TIMEOUT: float("nan")})
    assert entry.options == {CONF_FRAME_TIMEOUT: 5}


def shown_values(result: Any) -> dict[str, Any]:
    """What a form sends back to the browser: defaults and suggested values of its fields."""
    shown = {}
    for marker in result["data_schema"].schema:
        default = marker.default() if callable(marker.default) else None
        shown[marker.schema] = (marker.description or {}).get("suggested_value", default)
    return shown


def camera_data_without_probe(**extra: Any) -> dict[str, Any]:
    """A stored camera on a closed port: for flows that do not open its stream."""
    return {
        "name": "Camera 1",
        "location": "",
        "main_url": "rtsp://127.0.0.1:1/cam1",
        "sub_url": "",
        "still_url": "",
        "username": "",
        "password": "",
    } | extra

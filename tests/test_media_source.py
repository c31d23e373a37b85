"""The media browser against a real index and real files, through Home Assistant's own media_source.

Footage comes two ways: written by the engine's recorder from a real H.264/AAC clip (two days ago, at
02:13 and 14:13, a motion clip, an evidence export, and a camera no site has any more), and recorded
live from the simulator by a running site (the ids `record_clip`, the motion event and `export_evidence`
hand out). Pages are read through `media_source/browse_media` on the websocket, videos resolved through
`media_source/resolve_media` and fetched from Home Assistant's HTTP server with the signed URL.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from homeassistant.components import media_source
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.ngu_doan_cameras.const import DOMAIN, EVENT_MOTION
from custom_components.ngu_doan_cameras.engine.recording import (
    CameraInfo,
    ExportRequest,
    Recorder,
    RecorderSettings,
    RecordingIndex,
    RecordingLayout,
    SegmentInfo,
)
from custom_components.ngu_doan_cameras.engine.recording.database import IndexDatabase
from custom_components.ngu_doan_cameras.media_tree import CameraRef, MediaTree, labels_for

from .conftest import camera_data
from .helpers import FAST_DETECTION, FAST_RECORDING, make_site, setup_site, unload_site, wait_for_state, wait_until
from .media_feed import open_feed
from .recording_support import NO_RETENTION, SHORT, av_clip, clip_folder, drain
from .simulator import CameraSimulator

__all__ = ["av_clip", "clip_folder"]  # fixtures

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SOURCE = f"media-source://{DOMAIN}"
REMOVED_CAMERA = "01JREMOVEDCAMERA0000000000"  # footage of a camera no site has any more
CASE = "Vụ 12/2026 - trộm xe"
DASH = "\u2013"  # between two times in titles
HOUR_02, HOUR_14 = f"02:00{DASH}03:00", f"14:00{DASH}15:00"
RECORDING_OFF = {**FAST_RECORDING, "retention_days": 30}


# --- Home Assistant with its own media folder -----------------------------------------------------------


@pytest.fixture
async def media_hass(hass: HomeAssistant, tmp_path: Path) -> HomeAssistant:
    """Home Assistant in Vietnam's time zone with media_source, and a media folder of this test's own
    (the test plugin's default is a folder every test run on the machine shares)."""
    hass.config.media_dirs = {"local": str(tmp_path / "media")}
    await hass.config.async_set_time_zone("Asia/Ho_Chi_Minh")
    assert await async_setup_component(hass, "media_source", {})
    return hass


@pytest.fixture
def off_loop(hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Index queries, and links followed, files checked or folders listed in the test's media folder, made
    on the event loop's thread: there must be none (SQLite and the disk block). Narrower than the
    `loop_guard` fixture, which would also catch the test's own HTTP and websocket clients."""
    calls: list[str] = []

    def guard(owner: Any, name: str, *, any_path: bool = False) -> None:
        original = getattr(owner, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            on_loop = threading.get_ident() == hass.loop_thread_id
            if on_loop and (any_path or str(args[0]).startswith(str(tmp_path))):
                calls.append(f"{name}({args[0]!r})")
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, guarded)

    guard(IndexDatabase, "_run", any_path=True)
    guard(Path, "is_file")
    guard(os, "scandir")
    guard(os.path, "realpath")
    yield calls
    assert not calls, f"blocking calls on the event loop: {calls}"


def site_with(hass: HomeAssistant, sim: CameraSimulator, numbers: list[int], title: str, **recording: Any) -> Any:
    entry = make_site(hass, [camera_data(sim, n) for n in numbers], title=title)
    options = {**entry.options, "recording": {**RECORDING_OFF, **recording}}
    hass.config_entries.async_update_entry(entry, options=options)
    return entry


def camera_ids(entry: MockConfigEntry) -> list[str]:
    """The site's camera ids in the order of their names."""
    return [sub.subentry_id for sub in sorted(entry.subentries.values(), key=lambda sub: sub.title)]


# --- the websocket and HTTP, as the media browser uses them -----------------------------------------------


class Browser:
    """The media browser panel's calls: browse, resolve, and fetch what it plays."""

    def __init__(self, hass: HomeAssistant, ws: Any, anonymous: Any, user: Any) -> None:
        self.hass = hass
        self.ws = ws
        self.anonymous = anonymous  # an HTTP client without credentials (what a signed URL is for)
        self.user = user  # an HTTP client with the user's token

    async def call(self, kind: str, identifier: str) -> dict[str, Any]:
        content_id = f"{SOURCE}/{identifier}" if identifier else SOURCE
        await self.ws.send_json_auto_id({"type": f"media_source/{kind}", "media_content_id": content_id})
        return dict(await self.ws.receive_json())

    async def browse(self, identifier: str = "") -> dict[str, Any]:
        answer = await self.call("browse_media", identifier)
        assert answer["success"], answer
        return dict(answer["result"])

    async def titles(self, identifier: str = "") -> list[str]:
        return [child["title"] for child in (await self.browse(identifier))["children"]]

    async def child(self, identifier: str, title: str) -> str:
        """The identifier of the child called `title` (without the scheme and domain)."""
        page = await self.browse(identifier)
        found = [child for child in page["children"] if child["title"] == title]
        assert len(found) == 1, (title, [child["title"] for child in page["children"]])
        return str(found[0]["media_content_id"]).removeprefix(f"{SOURCE}/")

    async def resolve(self, identifier: str) -> URL:
        answer = await self.call("resolve_media", identifier)
        assert answer["success"], answer
        assert answer["result"]["mime_type"] == "video/mp4"
        return URL(answer["result"]["url"])

    async def play(self, identifier: str, media: Path) -> bytes:
        """Resolve and fetch a video as the browser would: the signed URL alone is enough, and it serves
        that very file; without the signature the same URL is refused."""
        url = await self.resolve(identifier)
        assert url.path.startswith("/media/local/ngu_doan_cameras/")
        assert "authSig" in url.query
        response = await self.anonymous.get(str(url))
        assert response.status == 200
        assert response.headers["Content-Type"] == "video/mp4"
        body = await response.read()
        file = media / url.path.removeprefix("/media/local/")
        assert body == await self.hass.async_add_executor_job(file.read_bytes)
        assert (await self.anonymous.get(url.path)).status == 401
        assert (await self.user.get(url.path)).status == 200  # a logged-in user needs no signature
        return body


@pytest.fixture
async def browser(media_hass: HomeAssistant, hass_ws_client: Any, hass_client_no_auth: Any, hass_client: Any) -> Any:
    # HTTP clients start the server: made once the integration (which needs `http`) is set up.
    async def make() -> Browser:
        return Browser(media_hass, await hass_ws_client(media_hass), await hass_client_no_auth(), await hass_client())

    return make


# --- footage written by the engine ------------------------------------------------------------------------


@dataclass(frozen=True)
class Footage:
    day: str  # the day of camera 1's footage (two days ago)
    next_day: str  # the removed camera's
    export_id: str
    export_video: str  # its video's name


def write_footage(media: Path, clip: Path, camera_id: str) -> Footage:
    """Camera 1 at 02:13:05 and 14:13:05 two days ago (4 s segments of a 12 s clip), a motion clip
    triggered at 02:13:13 with 3 s before it, an export of 02:13:10.3-02:13:15.5; the removed camera the
    next day. Written by the engine's recorder, stopped before Home Assistant opens the same index."""
    two_days_ago = datetime.now(VN).date() - timedelta(days=2)
    early = datetime.combine(two_days_ago, time(2, 13, 5), VN).timestamp()
    settings = RecorderSettings(retention=NO_RETENTION)
    recorder = Recorder(media, site_name="Công an xã Ngũ Đoan", tz=VN, settings=settings)
    recorder.start()
    try:
        camera = recorder.add_camera(CameraInfo(camera_id, "Camera 1", "Đường 402"), SHORT)
        with open_feed(clip, wall_start=early) as feed:
            feed.start(camera)
            trigger = next(i for i, packet in enumerate(feed.packets) if packet.wall >= early + 8.2)
            feed.play(camera, feed.packets[:trigger])
            handle = camera.start_clip(duration=2.0, pre_roll=3.0, reason="motion", trigger=early + 8.2)
            feed.play(camera, feed.packets[trigger:])
            feed.end(camera)
        assert handle.wait(30) is not None
        with open_feed(clip, wall_start=early + 12 * 3600, session_id=2) as feed:
            feed.run(camera)
        removed = recorder.add_camera(CameraInfo(REMOVED_CAMERA, "Camera cũ"), SHORT)
        with open_feed(clip, wall_start=early + 86_400, session_id=3) as feed:
            feed.run(removed)
        drain(recorder)
        export = recorder.export_evidence(
            ExportRequest(
                camera_id,
                datetime.fromtimestamp(early + 5.3, VN),
                datetime.fromtimestamp(early + 10.5, VN),
                CASE,
                "Thiếu úy Nguyễn Văn A",
                "trucban",
            )
        )
    finally:
        assert recorder.stop()
    return Footage(
        day=two_days_ago.isoformat(),
        next_day=(two_days_ago + timedelta(days=1)).isoformat(),
        export_id=export.export_id,
        export_video=export.videos[0].name,
    )


@dataclass(frozen=True)
class Sites:
    """Two running sites over engine-written footage (site A: cameras 1 and 2; site B: camera 3)."""

    a: MockConfigEntry
    b: MockConfigEntry
    camera_1: str
    camera_3: str
    footage: Footage
    media: Path


@pytest.fixture
async def sites(
    media_hass: HomeAssistant, simulator: CameraSimulator, av_clip: Path, tmp_path: Path, socket_enabled: None
) -> AsyncIterator[Sites]:
    hass = media_hass
    media = tmp_path / "media"
    site_a = site_with(hass, simulator, [1, 2], "Trạm A")
    site_b = site_with(hass, simulator, [3], "Trạm B")
    camera_1 = camera_ids(site_a)[0]
    footage = await hass.async_add_executor_job(write_footage, media, av_clip, camera_1)
    await setup_site(hass, site_a)  # the integration's setup loads every site
    assert site_b.state is ConfigEntryState.LOADED
    yield Sites(site_a, site_b, camera_1, camera_ids(site_b)[0], footage, media)
    if site_b.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(site_b.entry_id)
    await unload_site(hass, site_a)


async def test_tree_pages_and_signed_playback(
    media_hass: HomeAssistant, browser: Any, sites: Sites, off_loop: list[str], tmp_path: Path
) -> None:
    hass = media_hass
    site_a, site_b, camera_1, camera_3 = sites.a, sites.b, sites.camera_1, sites.camera_3
    footage, media = sites.footage, sites.media
    ui = await browser()

    # The root: the sites by name, then the camera no site has any more, then the evidence.
    root = await ui.browse()
    assert root["title"] == "Ngũ Đoan Cameras"
    assert [child["title"] for child in root["children"]] == [
        "Trạm A",
        "Trạm B",
        "Removed cameras",
        "Evidence exports",
    ]
    assert all(child["can_expand"] and not child["can_play"] for child in root["children"])

    # Site → its cameras by name (and place) → the days with footage, newest first.
    site_page = await ui.child("", "Trạm A")
    assert site_page == f"site/{site_a.entry_id}"
    assert await ui.titles(site_page) == ["Camera 1 (Đường 402)", "Camera 2 (Đường 402)"]
    camera_page = await ui.child(site_page, "Camera 1 (Đường 402)")
    assert camera_page == f"site/{site_a.entry_id}/{camera_1}"
    assert await ui.titles(camera_page) == [footage.day]
    assert await ui.titles(await ui.child(site_page, "Camera 2 (Đường 402)")) == []

    # A day → its event clips, then its hours; an hour → its segments, each titled by its start and length.
    day_page = await ui.child(camera_page, footage.day)
    assert await ui.titles(day_page) == ["Event clips (1)", HOUR_02, HOUR_14]
    hour_page = await ui.child(day_page, HOUR_02)
    assert hour_page == f"{camera_page}/{footage.day}/02"
    hour = await ui.browse(hour_page)
    assert hour["title"] == f"Camera 1 (Đường 402) · {footage.day} {HOUR_02}"
    assert [child["title"] for child in hour["children"]] == ["02:13:05 (4 s)", "02:13:09 (4 s)", "02:13:13 (4 s)"]
    assert all(child["can_play"] and not child["can_expand"] for child in hour["children"])
    segment = str(hour["children"][1]["media_content_id"]).removeprefix(f"{SOURCE}/")
    assert segment == f"file/recordings/{camera_1}/{footage.day}/02-13-09.mp4"
    assert await ui.titles(f"{day_page}/14") == ["14:13:05 (4 s)", "14:13:09 (4 s)", "14:13:13 (4 s)"]
    assert await ui.titles(f"{day_page}/03") == []  # an hour without footage is an empty page

    # Each plays through Home Assistant's HTTP server: signed URL, the file's own bytes.
    body = await ui.play(segment, media)
    assert (await ui.browse(segment))["title"] == f"{footage.day} 02:13:09 (4 s)"
    assert body[4:8] == b"ftyp"
    clips_page = await ui.child(day_page, "Event clips (1)")
    assert clips_page == f"{day_page}/clips"
    assert await ui.titles(clips_page) == ["02:13:10 (5 s, motion)"]
    clip = await ui.child(clips_page, "02:13:10 (5 s, motion)")
    assert clip == f"file/clips/{camera_1}/{footage.day}/02-13-10.mp4"
    await ui.play(clip, media)
    # Browsing a video's own id (what a notification links) shows that video, playable.
    linked = await ui.browse(clip)
    assert (linked["title"], linked["can_play"]) == (f"{footage.day} 02:13:10 (5 s, motion)", True)

    # Evidence: every export, newest first, titled by what it covers, the camera and the case.
    exports = await ui.browse(await ui.child("", "Evidence exports"))
    (export,) = exports["children"]
    export_page = str(export["media_content_id"]).removeprefix(f"{SOURCE}/")
    assert export_page == f"file/exports/{footage.export_id}"  # the id export_evidence answers
    assert export["title"].startswith(f"{footage.day} 02:13:10{DASH}02:13:1")
    assert export["title"].endswith(f" · Camera 1 (Đường 402) · {CASE}")
    assert await ui.titles(export_page) == [footage.export_video]  # videos only: not the manifest or the sums
    export_video = await ui.child(export_page, footage.export_video)
    await ui.play(export_video, media)
    assert (await ui.browse(export_video))["title"] == footage.export_video

    # The removed camera: listed by its id, with its footage browsable and playable like any other.
    removed = await ui.child("", "Removed cameras")
    assert await ui.titles(removed) == [REMOVED_CAMERA]
    removed_camera = await ui.child(removed, REMOVED_CAMERA)
    assert removed_camera == f"removed/{REMOVED_CAMERA}"
    assert await ui.titles(removed_camera) == [footage.next_day]
    removed_hour = await ui.child(await ui.child(removed_camera, footage.next_day), HOUR_02)
    await ui.play(await ui.child(removed_hour, "02:13:05 (4 s)"), media)
    # A camera of another site is not the removed cameras', nor this site's.
    assert not (await ui.call("browse_media", f"removed/{camera_1}"))["success"]
    assert not (await ui.call("browse_media", f"site/{site_b.entry_id}/{camera_1}"))["success"]
    assert await ui.titles(f"site/{site_b.entry_id}") == ["Camera 3 (Đường 402)"]
    assert await ui.titles(f"site/{site_b.entry_id}/{camera_3}") == []

    # In Vietnamese the fixed labels are Vietnamese; times and days read the same.
    hass.config.language = "vi"
    assert (await ui.titles())[2:] == ["Camera đã gỡ", "Chứng cứ trích xuất"]
    assert await ui.titles(day_page) == ["Đoạn video sự việc (1)", HOUR_02, HOUR_14]
    assert await ui.titles(clips_page) == ["02:13:10 (5 s, chuyển động)"]

    # Folders are not videos.
    for folder in (day_page, export_page):
        answer = await ui.call("resolve_media", folder)
        assert answer["error"]["code"] == "resolve_media_failed", answer
        assert answer["error"]["message"] == "That is a folder of recordings, not a video"

    # Without a "local" media folder Home Assistant serves no recordings: playing says what to do.
    hass.config.media_dirs = {"nas": str(tmp_path / "nas")}
    answer = await ui.call("resolve_media", segment)
    assert answer["error"]["message"].startswith('Home Assistant\'s media folders (media_dirs) have no "local"')
    hass.config.media_dirs = {"local": str(media)}

    assert not off_loop
    assert await hass.config_entries.async_unload(site_b.entry_id)
    await unload_site(hass, site_a)

    # With no site running, the media browser says so instead of failing.
    answer = await ui.call("browse_media", "")
    assert answer["error"] == {"code": "browse_media_failed", "message": "No Ngũ Đoan Cameras site is running"}
    with pytest.raises(media_source.Unresolvable) as refused:
        await media_source.async_resolve_media(hass, f"{SOURCE}/{segment}", None)
    assert refused.value.translation_key == "no_site_loaded"


# --- what no client may reach ------------------------------------------------------------------------------


def plant_links(sites: Sites) -> Path:
    """Links inside the recordings folder that point out of it, named like a segment and like an export's
    video; returns the file they point at."""
    outside = sites.media.parent / "outside.mp4"
    outside.write_bytes(b"not footage of this integration")
    root = sites.media / "ngu_doan_cameras"
    (root / "recordings" / sites.camera_1 / sites.footage.day / "03-00-00.mp4").symlink_to(outside)
    (root / "exports" / sites.footage.export_id / "leak.mp4").symlink_to(outside)
    return outside


async def test_identifiers_outside_the_recordings_are_refused(
    media_hass: HomeAssistant, browser: Any, sites: Sites, off_loop: list[str]
) -> None:
    hass = media_hass
    a, b, camera_1, day, export_id = sites.a.entry_id, sites.b.entry_id, sites.camera_1, sites.footage.day, ""
    export_id = sites.footage.export_id
    await hass.async_add_executor_job(plant_links, sites)
    unsafe = [
        "file/../../etc/passwd",
        "file/recordings/../../../etc/passwd",
        f"file/recordings/{camera_1}/{day}/../../../../../etc/passwd",
        "file//etc/passwd",
        f"file/recordings/{camera_1}\x00/{day}/02-13-05.mp4",
        "file/recordings\\..\\..\\etc\\passwd",
        f"file/recordings/{camera_1}/{day}/03-00-00.mp4",  # the planted link
        f"file/exports/{export_id}/leak.mp4",  # likewise, in an export
        f"file/exports/{export_id}/../../recordings.db",
        f"site/{a}/{'x' * 700}",
    ]
    unknown = [
        "nonsense",
        "site",
        "site/",
        f"site/{a}/..",
        f"site/{a}/../{camera_1}",
        f"site/{a}/{camera_1}/yesterday",
        f"site/{a}/{camera_1}/2026-13-45",
        f"site/{a}/{camera_1}/{day}/24",
        f"site/{a}/{camera_1}/{day}/clips/x",
        "removed/..",
        "exports/x",
        "file/exports",
        f"file/exports/.tmp-{export_id}",
        f"file/exports/{export_id}/manifest.json",
        f"file/exports/{export_id}/SHA256SUMS",
        f"file/exports/20260101-000000_cam_case_abcdef/{sites.footage.export_video}",  # of no export
        f"file/recordings/{camera_1}/{day}/04-00-00.mp4",  # likewise
        f"file/recordings/{camera_1}/{day}",
        f"file/motion/{camera_1}/snapshot.jpg",
        "file/recordings.db",
    ]
    # Well formed folders that are not there: nothing to list (and a folder is never a video).
    missing_folders = [
        "site/01JUNKNOWNENTRY0000000000",
        f"site/{b}/{camera_1}",  # a camera of another site
        f"removed/{camera_1}",  # a camera a site has
        "file/exports/20260101-000000_cam_case_abcdef",  # an export never made
    ]
    cases = [
        *((identifier, "recording_unsafe_path", "recording_unsafe_path") for identifier in unsafe),
        *((identifier, "media_unknown_item", "media_unknown_item") for identifier in unknown),
        *((identifier, "media_unknown_item", "media_not_playable") for identifier in missing_folders),
    ]
    for identifier, browse_key, resolve_key in cases:
        with pytest.raises(BrowseError) as browsing:
            await media_source.async_browse_media(hass, f"{SOURCE}/{identifier}")
        with pytest.raises(media_source.Unresolvable) as resolving:
            await media_source.async_resolve_media(hass, f"{SOURCE}/{identifier}", None)
        keys = (browsing.value.translation_key, resolving.value.translation_key)
        assert keys == (browse_key, resolve_key), identifier

    # On the websocket: a clear message, never an exception (nor the file the link points at).
    ui = await browser()
    answer = await ui.call("resolve_media", f"file/recordings/{camera_1}/{day}/03-00-00.mp4")
    assert answer["error"] == {
        "code": "resolve_media_failed",
        "message": "That name would lead outside the recordings folder",
    }
    answer = await ui.call("browse_media", f"site/{b}/{camera_1}")
    assert answer["error"] == {
        "code": "browse_media_failed",
        "message": "There is no such recording, clip or export (retention may have deleted it)",
    }
    # The export's page lists its real video only, not the link planted beside it.
    assert await ui.titles(f"file/exports/{export_id}") == [sites.footage.export_video]

    # A clip file the index has not heard of yet (a clip asked a moment ago) plays already.
    fresh = f"file/clips/{camera_1}/{day}/05-00-00.mp4"
    clip = sites.media / "ngu_doan_cameras" / fresh.removeprefix("file/")
    await hass.async_add_executor_job(clip.write_bytes, b"\x00\x00\x00\x18ftypisom")
    assert (await ui.browse(fresh))["title"] == f"{day} 05-00-00.mp4"
    assert await ui.play(fresh, sites.media) == b"\x00\x00\x00\x18ftypisom"

    # An export whose folder went missing is not there; one whose folder is no folder cannot be read.
    folder = sites.media / "ngu_doan_cameras" / "exports" / export_id
    await hass.async_add_executor_job(folder.rename, sites.media / "moved")
    answer = await ui.call("browse_media", f"file/exports/{export_id}")
    assert answer["error"]["message"] == "There is no such recording, clip or export (retention may have deleted it)"
    await hass.async_add_executor_job(folder.write_bytes, b"")
    answer = await ui.call("browse_media", f"file/exports/{export_id}")
    assert (
        answer["error"]["message"] == "The recordings folder cannot be written or read (disk full, read-only or gone)"
    )


# --- live footage: the ids the actions and the motion event hand out -------------------------------------


async def complete_segment(hass: HomeAssistant, entry: MockConfigEntry, camera_id: str) -> Any:
    """Wait (at most a minute) for a camera's first complete segment in the index."""
    index = entry.runtime_data.recorder.index

    def complete() -> Any:
        for day in index.days(camera_id):
            for segment in index.segments_of_day(camera_id, day):
                if segment.state == "complete":
                    return segment
        return None

    async with asyncio.timeout(60):
        while (segment := await hass.async_add_executor_job(complete)) is None:
            await asyncio.sleep(0.2)
    return segment


async def test_action_and_event_ids_play(media_hass: HomeAssistant, browser: Any, simulator: CameraSimulator) -> None:
    hass = media_hass
    media = Path(hass.config.media_dirs["local"])
    motions: list[Event[Any]] = []

    @callback
    def record_motion(event: Event[Any]) -> None:
        if event.data.get("clip_media_id"):
            motions.append(event)

    hass.bus.async_listen(EVENT_MOTION, record_motion)
    # Detection starts off: motion that starts before the main stream records has no clip to link.
    detection_off = {**FAST_DETECTION, "enabled": False}
    entry = make_site(hass, [camera_data(simulator, n, detection=detection_off) for n in (1, 2)])
    options = {**entry.options, "recording": {**RECORDING_OFF, "mode": "continuous"}}
    hass.config_entries.async_update_entry(entry, options=options)
    await setup_site(hass, entry)
    camera_1, camera_2 = camera_ids(entry)
    ui = await browser()
    index = entry.runtime_data.recorder.index
    await wait_for_state(hass, "sensor.camera_1_recording", "recording", timeout=60)
    await wait_for_state(hass, "sensor.camera_2_recording", "recording", timeout=60)
    await hass.services.async_call("switch", "turn_on", {"entity_id": "switch.camera_1_detection"}, blocking=True)

    # A clip on request: its id plays, with the file's bytes once it is complete.
    response = await hass.services.async_call(
        DOMAIN, "record_clip", {"entity_id": "camera.camera_2", "pre_roll": 3, "duration": 2},
        blocking=True, return_response=True,
    )  # fmt: skip
    assert response is not None
    clip = str(response["camera.camera_2"]["media_id"]).removeprefix(f"{SOURCE}/")
    async with asyncio.timeout(60):
        while (info := await hass.async_add_executor_job(index.clip, clip.removeprefix("file/"))) is None or (
            info.state != "complete"
        ):
            await asyncio.sleep(0.2)
    await ui.play(clip, media)
    assert (await ui.browse(clip))["can_play"]

    # The motion event's clip (still being written while the picture moves): browsable and served.
    await wait_until(lambda: any(event.data["camera_id"] == camera_1 for event in motions), timeout=60)
    motion_clip = str(motions[0].data["clip_media_id"]).removeprefix(f"{SOURCE}/")
    assert motion_clip.startswith(f"file/clips/{camera_1}/")
    assert (await ui.browse(motion_clip))["can_play"]
    url = await ui.resolve(motion_clip)
    response_motion = await ui.anonymous.get(str(url))
    assert response_motion.status == 200
    assert response_motion.headers["Content-Type"] == "video/mp4"

    # Continuous footage shows up in the tree under today and its hour, and plays.
    segment = await complete_segment(hass, entry, camera_2)
    local = datetime.fromtimestamp(segment.start, VN)
    hour_page = f"site/{entry.entry_id}/{camera_2}/{segment.day}/{local:%H}"
    assert (
        await ui.child(f"site/{entry.entry_id}/{camera_2}", segment.day)
        == f"site/{entry.entry_id}/{camera_2}/{segment.day}"
    )
    hour_ids = [child["media_content_id"] for child in (await ui.browse(hour_page))["children"]]
    assert f"{SOURCE}/file/{segment.path}" in hour_ids
    await ui.play(f"file/{segment.path}", media)

    # Evidence exported by the action: its id is the export's folder, whose video plays.
    answer = await hass.services.async_call(
        DOMAIN, "export_evidence",
        {
            "camera": "camera.camera_2",
            "start": datetime.fromtimestamp(segment.start + 1, VN),
            "end": datetime.fromtimestamp(segment.end - 1, VN),
            "case_reference": CASE,
            "requested_by": "Thiếu úy Nguyễn Văn A",
        },
        blocking=True, return_response=True,
    )  # fmt: skip
    assert answer is not None
    export = str(answer["media_id"]).removeprefix(f"{SOURCE}/")
    assert export == f"file/exports/{answer['export_id']}"
    (video,) = await ui.titles(export)
    assert video in answer["files"]
    await ui.play(await ui.child(export, video), media)
    await unload_site(hass, entry)


# --- the wall clock --------------------------------------------------------------------------------------------


def test_hours_follow_the_wall_clock_across_a_clock_change(tmp_path: Path) -> None:
    """On 2026-10-25 Berlin's clocks go back from 03:00 to 02:00: the hour 02:00-03:00 happens twice, and
    its page lists both, in time order (the day page shows it once)."""
    berlin = ZoneInfo("Europe/Berlin")
    layout = RecordingLayout(tmp_path, berlin)
    index = RecordingIndex(layout.index_path)
    first = datetime(2026, 10, 25, 1, 30, tzinfo=berlin).timestamp()
    names: set[str] = set()
    rows = []
    for number in range(11):  # every 20 minutes for 3 h 40 min of real time
        start = first + number * 1200
        name = f"{layout.local(start):%H-%M-%S}"
        name = f"{name}-1" if name in names else name  # the layout's name for a time that came back
        names.add(name)
        rows.append(SegmentInfo("cam1", f"recordings/cam1/2026-10-25/{name}.mp4", "2026-10-25", start, start + 1200,
                                1000, "complete"))  # fmt: skip
    assert index.insert_missing(rows, ()) == 11
    tree = MediaTree(index, layout, labels_for("en-GB"))
    camera = CameraRef("site/x/cam1", "cam1", "Cam")
    try:
        assert [child.title for child in tree.day(camera, "2026-10-25").children or ()] == [
            f"01:00{DASH}02:00",
            f"02:00{DASH}03:00",
            f"03:00{DASH}04:00",
        ]
        hours = {
            hour: [child.title for child in tree.hour(camera, "2026-10-25", hour).children or ()] for hour in (1, 2, 3)
        }
    finally:
        index.close()
    assert hours[1] == ["01:30:00 (1200 s)", "01:50:00 (1200 s)"]
    assert hours[2] == [f"02:{minute}:00 (1200 s)" for minute in ("10", "30", "50", "10", "30", "50")]
    assert hours[3] == ["03:10:00 (1200 s)", "03:30:00 (1200 s)", "03:50:00 (1200 s)"]
    assert labels_for("vi-VN").clips == "Đoạn video sự việc"
    assert labels_for(None).clips == "Event clips"

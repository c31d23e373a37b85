"""Recording in Home Assistant against real cameras: continuous segments, clips, evidence, entities, options.

A site records the simulator's cameras (main stream with sound, sub stream for detection); what the
officer would do is done through Home Assistant's own interfaces: the select, the options form, the
actions; and what is written is checked on disk with PyAV and `sha256sum`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ngu_doan_cameras.const import DOMAIN, EVENT_MOTION, SUBENTRY_CAMERA
from custom_components.ngu_doan_cameras.problems import EVENT_PROBLEM
from custom_components.ngu_doan_cameras.recording_actions import EVENT_EVIDENCE

from .conftest import camera_data
from .helpers import (
    FAST_DETECTION,
    FAST_RECORDING,
    make_site,
    reader_threads,
    setup_site,
    unload_site,
    wait_for_state,
    wait_until,
)
from .recording_support import remount, small_disk
from .simulator import CameraSimulator

__all__ = ["small_disk"]  # a fixture

RECORDING = {**FAST_RECORDING, "mode": "continuous"}


@pytest.fixture(scope="module")
def sound_simulator() -> Iterator[CameraSimulator]:
    """Two cameras with sub streams and sound (the main stream is what gets recorded)."""
    with CameraSimulator(cameras=2, sub=True, audio=True) as sim:
        yield sim


def recording_site(hass: HomeAssistant, sim: CameraSimulator, **recording: Any) -> MockConfigEntry:
    # Detection starts off: motion is only asked for once the main streams record (see the test).
    detection_off = {**FAST_DETECTION, "enabled": False}
    entry = make_site(
        hass, [camera_data(sim, 1, detection=detection_off), camera_data(sim, 2, detection=detection_off)]
    )
    hass.config_entries.async_update_entry(entry, options={**entry.options, "recording": {**RECORDING, **recording}})
    return entry


def media_root(hass: HomeAssistant) -> Path:
    return Path(hass.config.media_dirs["local"]) / "ngu_doan_cameras"


def play(path: Path) -> tuple[float, set[str]]:
    """Decode a file for real, to its end: its video's duration in seconds and the kinds of its streams."""
    with av.open(str(path)) as container:
        kinds = {stream.type for stream in container.streams}
        video = container.streams.video[0]
        times = [float(frame.time) for frame in container.decode(video) if frame.time is not None]
    assert times, f"{path} has no video"
    return max(times) - min(times), kinds


async def finished_segment(hass: HomeAssistant, entry: MockConfigEntry, camera_id: str) -> Path:
    """Wait (at most a minute) for a camera's first complete segment in the index; its file."""
    index = entry.runtime_data.recorder.index
    layout = entry.runtime_data.recorder.layout

    def complete() -> str | None:
        for day in index.days(camera_id):
            for segment in index.segments_of_day(camera_id, day):
                if segment.state == "complete":
                    return segment.path
        return None

    async with asyncio.timeout(60):
        while (path := await hass.async_add_executor_job(complete)) is None:
            await asyncio.sleep(0.2)
    return layout.resolve(path)


@pytest.mark.usefixtures("socket_enabled")
async def test_continuous_recording_clips_and_entities(
    hass: HomeAssistant,
    sound_simulator: CameraSimulator,
    hass_admin_user: MockUser,
    hass_client: ClientSessionGenerator,
) -> None:
    motions: list[Event[Any]] = []
    evidence: list[Event[Any]] = []

    @callback
    def record_evidence(event: Event[Any]) -> None:
        evidence.append(event)

    hass.bus.async_listen(EVENT_EVIDENCE, record_evidence)

    @callback
    def record_motion(event: Event[Any]) -> None:
        motions.append(event)

    hass.bus.async_listen(EVENT_MOTION, record_motion)
    entry = recording_site(hass, sound_simulator)
    await setup_site(hass, entry)
    site = entry.runtime_data.site
    camera_1, camera_2 = (sub.subentry_id for sub in sorted(entry.subentries.values(), key=lambda sub: sub.title))

    # Each camera records its main stream on a session of its own; the sub stream feeds detection.
    await wait_for_state(hass, "sensor.camera_1_recording", "recording", timeout=30)
    await wait_for_state(hass, "sensor.camera_2_recording", "recording", timeout=30)
    assert len(reader_threads()) == 4
    assert hass.states.get("camera.camera_1").state == "recording"
    assert hass.states.get("select.camera_1_recording_mode").state == "continuous"
    assert hass.states.get("binary_sensor.cong_an_xa_ngu_doan_recording_problem").state == "off"

    # Motion (the simulator's picture always moves) starts a clip, and the event links it.
    await hass.services.async_call("switch", "turn_on", {"entity_id": "switch.camera_1_detection"}, blocking=True)
    await wait_until(lambda: any(event.data["camera_id"] == camera_1 for event in motions), timeout=30)
    motion = next(event for event in motions if event.data["camera_id"] == camera_1)
    assert motion.data["clip_media_id"].startswith(f"media-source://{DOMAIN}/file/clips/{camera_1}/")
    assert motion.data["clip_url"].startswith(f"/media/local/ngu_doan_cameras/clips/{camera_1}/")

    # The action: a clip of camera 2 with 3 s from before the call, 2 s long, answered at once.
    response = await hass.services.async_call(
        DOMAIN, "record_clip", {"entity_id": "camera.camera_2", "pre_roll": 3, "duration": 2},
        blocking=True, return_response=True,
    )  # fmt: skip
    assert response is not None
    clip = response["camera.camera_2"]
    assert clip["media_id"].startswith(f"media-source://{DOMAIN}/file/clips/{camera_2}/")
    assert clip["url"].startswith("/media/local/ngu_doan_cameras/clips/")
    clip_path = Path(clip["path"])
    clip_id = clip["media_id"].removeprefix(f"media-source://{DOMAIN}/file/")
    index = entry.runtime_data.recorder.index

    def clip_state() -> str | None:
        info = index.clip(clip_id)
        return info.state if info else None

    async with asyncio.timeout(30):
        while await hass.async_add_executor_job(clip_state) != "complete":
            await asyncio.sleep(0.2)
    duration, kinds = await hass.async_add_executor_job(play, clip_path)
    assert duration >= 4.0  # 3 s before the call (from the key frame before them) and 2 s after
    assert kinds == {"video", "audio"}

    # A full segment, playable, with sound, in the documented place.
    segment = await finished_segment(hass, entry, camera_2)
    assert segment.parent.parent == media_root(hass) / "recordings" / camera_2
    assert segment.parent.name in {dt_util.now().strftime("%Y-%m-%d"), dt_util.now().date().isoformat()}
    duration, kinds = await hass.async_add_executor_job(play, segment)
    assert 8.0 <= duration <= 14.0  # about the 10 s asked, cut at a key frame (every 2 s)
    assert kinds == {"video", "audio"}

    # Evidence: the segment's footage exported for a case, by an officer, checked, then released.
    info = await hass.async_add_executor_job(
        entry.runtime_data.recorder.index.segment, segment.relative_to(media_root(hass)).as_posix()
    )
    assert info is not None
    start = datetime.fromtimestamp(info.start + 2, UTC)
    end = datetime.fromtimestamp(info.end - 2, UTC)
    officer = Context(user_id=hass_admin_user.id)
    export = await hass.services.async_call(
        DOMAIN,
        "export_evidence",
        {"camera": "camera.camera_2", "start": start, "end": end, "case_reference": "Vụ 12/2026",
         "requested_by": "Thượng úy Nguyễn Văn A"},
        blocking=True, return_response=True, context=officer,
    )  # fmt: skip
    assert export is not None
    folder = Path(export["folder"])
    assert folder.parent == media_root(hass) / "exports"
    assert export["media_id"] == f"media-source://{DOMAIN}/file/exports/{export['export_id']}"
    assert datetime.fromisoformat(export["covered_start"]) <= start  # from the key frame at or before it
    assert export["gaps"] == []

    def check_sums() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False
        )

    checked = await hass.async_add_executor_job(check_sums)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    manifest = json.loads(await hass.async_add_executor_job((folder / "manifest.json").read_text))
    assert manifest["case_reference"] == "Vụ 12/2026"
    assert manifest["ha_user"] == "Mock User"
    verify = await hass.services.async_call(
        DOMAIN, "verify_evidence", {"export_id": export["export_id"]}, blocking=True, return_response=True
    )
    assert verify == {"export_id": export["export_id"], "ok": True, "checked": verify["checked"], "mismatches": []}
    video = folder / export["files"][0]

    def change_a_byte() -> None:
        data = bytearray(video.read_bytes())
        data[len(data) // 2] ^= 0xFF
        video.write_bytes(bytes(data))

    await hass.async_add_executor_job(change_a_byte)
    verify = await hass.services.async_call(
        DOMAIN, "verify_evidence", {"export_id": export["export_id"]}, blocking=True, return_response=True
    )
    assert verify is not None
    assert verify["ok"] is False
    assert {mismatch["file"] for mismatch in verify["mismatches"]} == {video.name}  # (as listed and as summed)
    await hass.services.async_call(
        DOMAIN, "release_hold", {"export_id": export["export_id"]}, blocking=True, context=officer
    )
    assert [event.data["action"] for event in evidence] == ["export", "verify", "verify", "release"]
    assert evidence[0].context.user_id == hass_admin_user.id  # the logbook names the officer

    # Requests that cannot be met are translated errors; nothing outside the media folder is reached.
    bad_requests = [
        ("export_evidence", {"start": end, "end": start}, "recording_invalid_range"),
        ("export_evidence", {"end": start + timedelta(hours=2)}, "recording_range_too_long"),
        ("export_evidence", {"start": start - timedelta(days=400), "end": start - timedelta(days=400, minutes=-5)},
         "recording_outside_recording"),
        ("export_evidence", {"camera": "light.kitchen"}, "camera_not_found"),
        ("verify_evidence", {"export_id": "../../etc"}, "recording_unknown_export"),
        ("release_hold", {"export_id": "không-có"}, "recording_unknown_export"),
    ]  # fmt: skip
    base = {"camera": "camera.camera_2", "start": start, "end": end, "case_reference": "x", "requested_by": "y"}
    for action, change, key in bad_requests:
        data = {**base, **change} if action == "export_evidence" else change
        with pytest.raises(ServiceValidationError) as refused:
            await hass.services.async_call(DOMAIN, action, data, blocking=True, return_response=True)
        assert refused.value.translation_key == key, (action, change)

    # Storage sensors read the folder (refreshed here rather than waiting a minute).
    await entry.runtime_data.storage.async_refresh()
    await hass.async_block_till_done()
    assert float(hass.states.get("sensor.cong_an_xa_ngu_doan_recordings_storage").state) > 0
    assert float(hass.states.get("sensor.cong_an_xa_ngu_doan_free_disk_space").state) > 0
    assert hass.states.get("sensor.cong_an_xa_ngu_doan_oldest_recording").state not in {"unknown", "unavailable"}

    # Diagnostics show what each camera's recorder does, and the shared recorder's queue and index.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["cameras"][camera_2]["recording"]["mode"] == "continuous"
    assert diagnostics["cameras"][camera_2]["recording"]["streaming"] is True
    assert diagnostics["recorder"]["running"] is True
    assert diagnostics["recorder"]["queue_overflows"] == 0

    # Events only, from the select: camera 1 stops writing segments and keeps its session; the other
    # camera is not touched.
    readers_before = {camera_id: camera.readers for camera_id, camera in site.cameras.items()}
    await hass.services.async_call(
        "select", "select_option", {"entity_id": "select.camera_1_recording_mode", "option": "events"}, blocking=True
    )
    await hass.async_block_till_done()
    # The motion that goes on keeps its clip going; no more segments are written.
    await wait_for_state(hass, "sensor.camera_1_recording", "clip", timeout=30)
    assert not site.camera(camera_1).recording.status.recording  # type: ignore[union-attr]
    assert {camera_id: camera.readers for camera_id, camera in site.cameras.items()} == readers_before
    assert hass.states.get("sensor.camera_2_recording").state == "recording"

    # Off, from the camera's Reconfigure > Recording: its main-stream session is closed (cheap cameras allow
    # few sessions); detection goes on.
    result = await entry.start_subentry_reconfigure_flow(hass, SUBENTRY_CAMERA, camera_1)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"next_step_id": "recording"})
    assert result["step_id"] == "recording"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"mode": "off", "motion_clips": False}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[camera_1].data["recording"] == {"mode": "off", "motion_clips": False}
    assert hass.states.get("sensor.camera_1_recording").state == "off"
    assert site.camera(camera_1).readers == (readers_before[camera_1][0],)
    assert len(reader_threads()) == 3
    assert hass.states.get("camera.camera_1").state != "recording"
    await unload_site(hass, entry)
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("ngu_doan_recorder")]


@pytest.mark.usefixtures("socket_enabled")
async def test_full_disk_is_a_problem_with_a_repair_and_an_alert_until_space_returns(
    hass: HomeAssistant, sound_simulator: CameraSimulator, small_disk: Callable[[str], Path]
) -> None:
    disk = await hass.async_add_executor_job(small_disk, "size=1m")
    hass.config.media_dirs = {"local": str(disk)}
    problems: list[dict[str, Any]] = []

    @callback
    def record_problem(event: Event[dict[str, Any]]) -> None:
        if event.data["kind"] == "recording":
            problems.append(event.data)

    hass.bus.async_listen(EVENT_PROBLEM, record_problem)
    entry = recording_site(hass, sound_simulator, segment_seconds=60)
    await setup_site(hass, entry)
    problem_sensor = "binary_sensor.cong_an_xa_ngu_doan_recording_problem"
    await wait_for_state(hass, "sensor.camera_1_recording", "recording", timeout=30)

    # The little disk fills: both cameras say so, the site's problem sensor and a repair say what to do,
    # and the log gets an alert per camera.
    coordinator = entry.runtime_data.coordinator
    async with asyncio.timeout(90):
        while hass.states.get(problem_sensor).state != "on":
            await coordinator.async_refresh()
            await asyncio.sleep(0.5)
    assert (
        hass.states.get("sensor.camera_1_recording").state == "error"
        or hass.states.get("sensor.camera_2_recording").state == "error"
    )
    assert set(hass.states.get(problem_sensor).attributes["cameras"].values()) == {"storage"}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"recording_storage_{entry.entry_id}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    alerts = hass.states.get("sensor.cong_an_xa_ngu_doan_open_alerts").attributes["open"]
    assert {alert["kind"] for alert in alerts} == {"recording_failed"}
    assert problems[0]["state"] == "start"
    assert problems[0]["detail"] == "storage"

    # Space comes back: recording resumes by itself, the problem and the repair go, the alert says it ended.
    await hass.async_add_executor_job(remount, disk, "size=200m")
    async with asyncio.timeout(120):
        while hass.states.get(problem_sensor).state != "off":
            await coordinator.async_refresh()
            await asyncio.sleep(0.5)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"recording_storage_{entry.entry_id}") is None
    await wait_for_state(hass, "sensor.camera_1_recording", "recording", timeout=60)
    assert [problem["state"] for problem in problems][-1] == "end"
    await unload_site(hass, entry)

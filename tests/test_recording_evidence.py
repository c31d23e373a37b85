"""Evidence export: cut to the range by stream copy, manifest, SHA256SUMS that `sha256sum -c`
accepts, verify that catches a changed byte, legal hold against retention, and the refusals."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import av
import pytest

from custom_components.ngu_doan_cameras.engine.recording import (
    ExportRequest,
    ExportResult,
    Recorder,
    RecordingError,
    RecordingErrorKind,
    RetentionSettings,
)

from .media_feed import Feed, decode_count, open_feed, read_packets
from .recording_support import (
    CAMERA,
    SHORT,
    VN,
    WALL,
    MakeRecorder,
    av_clip,
    clip_folder,
    drain,
    make_recorder,
    small_clip,
)

__all__ = ["av_clip", "clip_folder", "make_recorder", "small_clip"]  # fixtures


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(WALL + seconds, VN)


def request(begin: float, finish: float, **changes: object) -> ExportRequest:
    """An export request from `begin` to `finish` seconds into the recording."""
    base = ExportRequest(
        camera_id="cam1",
        start=at(begin),
        end=at(finish),
        case_reference="Vụ 12/2026 - trộm xe",
        requested_by="Thiếu úy Nguyễn Văn A",
        ha_user="trucban",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def recorded(make_recorder: MakeRecorder, clip: Path, **settings: object) -> tuple[Recorder, list[object]]:
    """A recorder that recorded `clip` (12 s: segments 0-4, 4-8, 8-12 s); the feed's packets."""
    recorder = make_recorder(**settings)
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(clip, wall_start=WALL) as feed:
        feed.run(camera)
        packets = list(feed.packets)
    drain(recorder)
    return recorder, packets


def sha256sum_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False)


def test_export_is_cut_to_the_range_hashed_and_held(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, packets = recorded(make_recorder, av_clip)
    result = recorder.export_evidence(request(5.3, 10.5))

    # One file, from the key frame at or before the start (5 s) to the requested end, over a boundary.
    assert result.folder == recorder.layout.exports_dir / result.export_id
    assert result.media_path == f"ngu_doan_cameras/exports/{result.export_id}"
    assert [video.name for video in result.videos] == ["cam1_20261130-021310.mp4"]
    assert result.covered_start == WALL + 5.0
    assert result.covered_end == pytest.approx(WALL + 10.5 + 1 / 30, abs=1 / 30)
    assert result.gaps == ()
    video = result.videos[0]
    in_range = [p for p in packets if WALL + 5.0 <= p.wall < WALL + 10.5]  # type: ignore[attr-defined]
    got = read_packets(video)
    for kind in ("video", "audio"):
        assert [p[5] for p in got if p[0] == kind] == [p.data for p in in_range if p.kind == kind], kind  # type: ignore[attr-defined]
    video_times = [p[1] for p in got if p[0] == "video"]
    assert video_times[0] == 0
    assert got[0][4]
    assert {b - a for a, b in itertools.pairwise(video_times)} == {6000}  # even across 8 s
    assert decode_count(video) == len(video_times) == 83
    with av.open(str(video)) as container:
        assert container.streams.video[0].codec_context.width == 640
        assert container.streams.audio[0].codec_context.name == "aac"

    # The manifest says who, what, where and exactly which time, and hashes every file.
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["camera"] == {"id": "cam1", "name": "Trúc - Ngã tư", "location": "Thôn Trúc"}
    assert manifest["site"] == "Công an xã Ngũ Đoan"
    assert (manifest["case_reference"], manifest["requested_by"], manifest["ha_user"]) == (
        "Vụ 12/2026 - trộm xe",
        "Thiếu úy Nguyễn Văn A",
        "trucban",
    )
    assert manifest["requested_range"]["start"]["local"] == "2026-11-30T02:13:10.300000+07:00"
    assert manifest["requested_range"]["start"]["utc"] == "2026-11-29T19:13:10.300000+00:00"
    assert manifest["covered_range"]["start"]["epoch"] == WALL + 5.0
    assert manifest["files"][0]["video"] == {"codec": "h264", "width": 640, "height": 360}
    assert manifest["files"][0]["audio"] == {"codec": "aac", "sample_rate": 16000, "channels": 1}
    sources = [entry["path"] for entry in manifest["source_segments"]]
    assert sources == ["recordings/cam1/2026-11-30/02-13-09.mp4", "recordings/cam1/2026-11-30/02-13-13.mp4"]
    assert list(result.source_segments) == sources

    # sha256sum -c accepts it; verify agrees; a changed byte is caught by both.
    check = sha256sum_check(result.folder)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 2
    report = recorder.verify_export(result.export_id)
    assert report.ok
    assert set(report.checked) >= {video.name, "manifest.json", *sources}
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01
    video.write_bytes(bytes(data))
    assert sha256sum_check(result.folder).returncode != 0
    report = recorder.verify_export(result.export_id)
    assert not report.ok
    assert {mismatch.name for mismatch in report.mismatches} == {video.name}
    assert all(mismatch.actual not in {None, mismatch.expected} for mismatch in report.mismatches)

    # Held: the export and its two source segments; the first segment is not.
    export = recorder.index.export(result.export_id)
    assert export is not None
    assert export.held
    held = {row.path: row.held for row in recorder.index.segments_of_day("cam1", "2026-11-30")}
    assert held == {"recordings/cam1/2026-11-30/02-13-05.mp4": False, **dict.fromkeys(sources, True)}
    assert (result.folder / "LEGAL_HOLD").exists()


def test_retention_spares_held_files_until_released(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip)
    result = recorder.export_evidence(request(5.3, 10.5))
    recorder.settings = replace(recorder.settings, retention=RetentionSettings(keep_days=0, min_free_gb=None))
    report = recorder.run_retention()
    assert report.deleted == {"segment": 1, "clip": 0, "export": 0}
    left = [row.path for row in recorder.index.segments_of_day("cam1", "2026-11-30")]
    assert left == list(result.source_segments)
    assert all(recorder.layout.resolve(path).exists() for path in left)

    recorder.release_hold(result.export_id, "Đại úy Trần Văn B")
    assert not (result.folder / "LEGAL_HOLD").exists()
    released = json.loads((result.folder / "RELEASED").read_text(encoding="utf-8"))
    assert released["released_by"] == "Đại úy Trần Văn B"
    export = recorder.index.export(result.export_id)
    assert export is not None
    assert not export.held
    report = recorder.run_retention()
    assert report.deleted == {"segment": 2, "clip": 0, "export": 1}
    assert recorder.index.days("cam1") == []
    assert not result.folder.exists()
    assert not (recorder.layout.root / "recordings" / "cam1").exists()  # empty folders pruned


def test_export_across_a_gap_makes_one_file_per_run(
    make_recorder: MakeRecorder, av_clip: Path, small_clip: Path
) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.run(camera)
    with open_feed(small_clip, wall_start=WALL + 20, session_id=2) as feed:
        feed.run(camera)
    drain(recorder)
    result = recorder.export_evidence(request(10.0, 23.0))
    assert [video.name for video in result.videos] == ["cam1_20261130-021315.mp4", "cam1_20261130-021325.mp4"]
    assert result.gaps == ((WALL + 12.0, WALL + 20.0),)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert [entry["video"]["width"] for entry in manifest["files"]] == [640, 320]
    assert len(manifest["gaps"]) == 1
    assert [decode_count(video) for video in result.videos] == [30, 45]
    assert sha256sum_check(result.folder).returncode == 0


def test_two_exports_of_one_range_at_once(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip)
    results: list[ExportResult] = []
    errors: list[BaseException] = []

    def export() -> None:
        try:
            results.append(recorder.export_evidence(request(1.0, 11.0)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({result.folder for result in results}) == 2
    assert all(recorder.verify_export(result.export_id).ok for result in results)
    # Both hold the same segments: releasing one keeps them held by the other.
    recorder.release_hold(results[0].export_id, "A")
    assert all(row.holds == 1 for row in recorder.index.covering("cam1", WALL + 1, WALL + 11))


def test_export_refusals(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip, max_export_seconds=60.0)
    naive = datetime(2026, 11, 30, 2, 13, 10)
    cases: list[tuple[ExportRequest, RecordingErrorKind]] = [
        (request(8, 4), RecordingErrorKind.INVALID_RANGE),
        (request(4, 4), RecordingErrorKind.INVALID_RANGE),
        (request(0, 61), RecordingErrorKind.RANGE_TOO_LONG),
        (request(0, 4, camera_id="cam2"), RecordingErrorKind.UNKNOWN_CAMERA),
        (request(0, 4, camera_id="../../etc"), RecordingErrorKind.INVALID_CAMERA_ID),
        (request(0, 4, camera_id="cam1/../../x"), RecordingErrorKind.INVALID_CAMERA_ID),
        (request(0, 4, start=naive), RecordingErrorKind.INVALID_TIME),
        (request(100, 140), RecordingErrorKind.OUTSIDE_RECORDING),
        (request(-100, -50), RecordingErrorKind.OUTSIDE_RECORDING),
        (request(0, 4, case_reference=""), RecordingErrorKind.INVALID_TEXT),
        (request(0, 4, case_reference="x" * 201), RecordingErrorKind.INVALID_TEXT),
        (request(0, 4, requested_by="a\x00b"), RecordingErrorKind.INVALID_TEXT),
        (request(0, 4, requested_by="a\nb"), RecordingErrorKind.INVALID_TEXT),
    ]
    for bad, kind in cases:
        with pytest.raises(RecordingError) as error:
            recorder.export_evidence(bad)
        assert error.value.kind is kind, bad
    for bad_id in ("../../etc", "../exports", "", "a/b", "x" * 300):
        with pytest.raises(RecordingError) as error:
            recorder.verify_export(bad_id)
        assert error.value.kind is RecordingErrorKind.UNKNOWN_EXPORT
        with pytest.raises(RecordingError) as error:
            recorder.release_hold(bad_id, "A")
        assert error.value.kind is RecordingErrorKind.UNKNOWN_EXPORT
    with pytest.raises(RecordingError) as error:
        recorder.release_hold("20261130-000000_cam1_case_000000", "A")
    assert error.value.kind is RecordingErrorKind.UNKNOWN_EXPORT
    # Nothing was written by any refusal, and no hold is left behind.
    assert not recorder.layout.exports_dir.exists() or not any(recorder.layout.exports_dir.iterdir())
    assert all(row.holds == 0 for row in recorder.index.segments_of_day("cam1", "2026-11-30"))
    # A case reference full of path tricks is only a name: the folder stays inside exports/.
    result = recorder.export_evidence(request(0, 4, case_reference="../../etc/passwd"))
    assert result.folder.parent == recorder.layout.exports_dir
    assert "etc-passwd" in result.export_id
    assert json.loads(result.manifest.read_text(encoding="utf-8"))["case_reference"] == "../../etc/passwd"


def test_verify_reports_missing_and_tampered_listings(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip)
    result = recorder.export_evidence(request(0.5, 3.5))
    # A SHA256SUMS edited to point outside the export, and a source segment deleted by hand.
    sums = result.checksums.read_text(encoding="utf-8")
    result.checksums.write_text(sums + f"{'0' * 64}  ../../recordings.db\n", encoding="utf-8")
    recorder.layout.resolve(result.source_segments[0]).unlink()
    report = recorder.verify_export(result.export_id)
    names = {(mismatch.name, mismatch.actual) for mismatch in report.mismatches}
    assert ("../../recordings.db", None) in names
    assert (result.source_segments[0], None) in names
    result.checksums.unlink()
    assert ("SHA256SUMS", None) in {(m.name, m.actual) for m in recorder.verify_export(result.export_id).mismatches}


def test_export_skips_a_segment_retention_took_first(make_recorder: MakeRecorder, av_clip: Path) -> None:
    """Holds are taken in the index before a byte is read: a segment already claimed by retention is
    simply not part of the export (and the export says what it covers)."""
    recorder, _ = recorded(make_recorder, av_clip)
    first = recorder.index.covering("cam1", WALL, WALL + 1)[0]
    from custom_components.ngu_doan_cameras.engine.recording.records import Deletable

    assert recorder.index.claim([Deletable("segment", first.path, first.path, first.size, first.start)])
    result = recorder.export_evidence(request(1.0, 6.0))
    assert result.covered_start == WALL + 4.0
    assert result.gaps == ((WALL + 1.0, WALL + 4.0),)


def test_manifest_times_are_utc_and_local(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip)
    result = recorder.export_evidence(request(0, 2, start=datetime.fromtimestamp(WALL, UTC)))
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["requested_range"]["start"] == {
        "utc": "2026-11-29T19:13:05+00:00",
        "local": "2026-11-30T02:13:05+07:00",
        "epoch": WALL,
    }
    assert Feed  # the helper type stays imported for readers of this file


def test_export_past_the_recorded_end_says_so(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip)
    result = recorder.export_evidence(request(10.0, 20.0))
    assert result.covered_end == WALL + 12.0
    assert result.gaps == ((WALL + 12.0, WALL + 20.0),)
    # Every segment of a range already given up to retention: nothing left to export.
    from custom_components.ngu_doan_cameras.engine.recording.records import Deletable

    rows = recorder.index.covering("cam1", WALL, WALL + 4)
    assert recorder.index.claim([Deletable("segment", row.path, row.path, row.size, row.start) for row in rows])
    with pytest.raises(RecordingError) as error:
        recorder.export_evidence(request(1.0, 2.0))
    assert error.value.kind is RecordingErrorKind.OUTSIDE_RECORDING


def test_export_on_an_unwritable_exports_folder(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip)
    folder = recorder.layout.exports_dir
    folder.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        with pytest.raises(RecordingError) as error:
            recorder.export_evidence(request(1.0, 2.0))
    finally:
        subprocess.run(["umount", str(folder)], check=True)
    assert error.value.kind is RecordingErrorKind.STORAGE_ERROR
    assert list(folder.iterdir()) == []
    assert all(row.holds == 0 for row in recorder.index.covering("cam1", WALL, WALL + 12))  # holds given back


def test_two_runs_starting_in_one_second(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder = make_recorder()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(av_clip, wall_start=WALL) as feed:
        feed.start(camera)
        feed.play(camera, [p for p in feed.packets if p.wall < WALL + 11.5])
        feed.end(camera)
    with open_feed(av_clip, wall_start=WALL + 11.8, session_id=2) as feed:  # back 0.3 s later
        feed.run(camera)
    drain(recorder)
    result = recorder.export_evidence(request(11.05, 13.0))
    assert [video.name for video in result.videos] == ["cam1_20261130-021316.mp4", "cam1_20261130-021316-1.mp4"]
    assert recorder.verify_export(result.export_id).ok


def test_verify_with_a_broken_manifest(make_recorder: MakeRecorder, av_clip: Path) -> None:
    recorder, _ = recorded(make_recorder, av_clip)
    result = recorder.export_evidence(request(1.0, 2.0))
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    manifest["source_segments"][0]["path"] = "../../../etc/passwd"
    result.manifest.write_text(json.dumps(manifest), encoding="utf-8")
    names = {(m.name, m.actual is None) for m in recorder.verify_export(result.export_id).mismatches}
    assert names == {("manifest.json", False), ("../../../etc/passwd", True)}
    result.manifest.write_text("{ not json", encoding="utf-8")
    assert {m.name for m in recorder.verify_export(result.export_id).mismatches} == {"manifest.json"}

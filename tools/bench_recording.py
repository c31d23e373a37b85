"""Recording cost, measured side by side in one run (machines are noisy: compare ratios, not seconds).

    .venv/bin/python tools/bench_recording.py [--export-minutes 60] [--repeats 3]

1. CPU of recording one 1080p 4 Mb/s stream with AAC audio (5 minutes: a 60 s clip looped) into
   60 s segments, each run in a process of its own (CPU counted after imports), against
   `ffmpeg -c copy -f segment` on the same input. A third line gives the bare PyAV demux with the
   reader's packet copy: what a camera's reader spends anyway, recording or not.
2. Pre-roll ring memory per camera in events-only mode: 10 s of pre-roll at 4 Mb/s, GOP 2 s (the
   ring's own count, and what tracemalloc sees).
3. The index with 30 days x 17 cameras x 1440 one-minute segments (734,400 rows): listing one
   camera-day, the days of a camera, an export's covering query, retention's oldest deletable files
   (first call after opening, and the median of 20).
4. Exporting one hour of one camera (stream copy, manifest, SHA-256 of every file): seconds.
The last line printed is one JSON object. Functions are importable: `record_cpu`, `ffmpeg_segments_cpu`,
`demux_cpu`, `preroll_memory`, `index_listing`, `export_hour`.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.bench import OUT, child_cpu  # noqa: E402

CLIP_SECONDS = 60
LOOPS = 5  # the recorded input: 5 minutes
WALL = 1_796_000_000.0  # 2026-12-01, a fixed wall clock for the recorded files


def make_inputs() -> tuple[Path, Path]:
    """A 60 s 1080p 4 Mb/s clip with AAC audio (GOP 2 s), and the same looped to 5 minutes."""
    OUT.mkdir(exist_ok=True)
    clip = OUT / "rec_1080p_av.mp4"
    if not clip.exists():
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y"),
                *("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=15"),
                *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000"),
                *("-t", str(CLIP_SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-b:v", "4M"),
                *("-g", "30", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", str(clip)),
            ],
            check=True,
        )
    looped = OUT / "rec_1080p_av_5min.mp4"
    if not looped.exists():
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-stream_loop", str(LOOPS - 1)),
                *("-i", str(clip), "-c", "copy", str(looped)),
            ],
            check=True,
        )
    return clip, looped


def packets(path: Path) -> Any:
    """(session, packet iterator) of a file, copied like the reader copies them (a generator)."""
    import av

    from custom_components.ngu_doan_cameras.engine.media import MediaPacket, StreamSession

    container = av.open(str(path))
    video = container.streams.video[0]
    audio = container.streams.audio[0] if container.streams.audio else None
    session = StreamSession(
        1,
        WALL,
        video.codec_context.name,
        video.codec_context.width,
        video.codec_context.height,
        audio.codec_context.name if audio is not None else None,
        video,
        audio,
    )

    def generate() -> Any:
        try:
            for packet in container.demux():
                if packet.size == 0:
                    continue
                stamp = packet.dts if packet.dts is not None else packet.pts
                yield MediaPacket(
                    packet.stream.type,  # type: ignore[arg-type]
                    bytes(packet),
                    packet.pts,
                    packet.dts,
                    packet.duration or 0,
                    packet.time_base,
                    packet.is_keyframe,
                    WALL + float(stamp * packet.time_base),
                )
        finally:
            container.close()

    return session, generate()


# --- 1. CPU ------------------------------------------------------------------------------------------


def record_worker(path: Path, out: Path) -> None:
    """Child: record `path` through the engine (continuous, 60 s segments); prints its CPU as JSON."""
    from custom_components.ngu_doan_cameras.engine.recording import (
        CameraInfo,
        CameraRecordingSettings,
        Recorder,
        RecorderSettings,
        RetentionSettings,
    )

    recorder = Recorder(out, settings=RecorderSettings(retention=RetentionSettings(None, None, None)))
    session, stream = packets(path)
    start = resource.getrusage(resource.RUSAGE_SELF)
    recorder.start()
    camera = recorder.add_camera(CameraInfo("bench", "bench"), CameraRecordingSettings())
    camera.session_started(session)
    count = 0
    for packet in stream:
        camera.packet(packet, session)
        count += 1
    camera.session_ended(session)
    recorder.stop()
    end = resource.getrusage(resource.RUSAGE_SELF)
    files = sorted(out.glob("ngu_doan_cameras/recordings/bench/*/*.mp4"))
    user, system = end.ru_utime - start.ru_utime, end.ru_stime - start.ru_stime
    print(json.dumps({"cpu": user + system, "user": user, "system": system, "packets": count, "segments": len(files)}))


def demux_worker(path: Path) -> None:
    """Child: the bare demux with the reader's packet copy; prints its CPU as JSON."""
    session, stream = packets(path)
    start = resource.getrusage(resource.RUSAGE_SELF)
    count = sum(1 for _ in stream)
    end = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"cpu": (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime), "packets": count}))
    del session


def record_cpu(path: Path) -> float:
    """CPU seconds the engine spends recording `path` (a process of its own)."""
    with tempfile.TemporaryDirectory(dir=OUT) as out:
        _, output = child_cpu([sys.executable, __file__, "--record-worker", str(path), "--out", out])
    return float(json.loads(output.strip().splitlines()[-1])["cpu"])


def demux_cpu(path: Path) -> float:
    """CPU seconds of the bare demux + packet copy of `path`."""
    _, output = child_cpu([sys.executable, __file__, "--demux-worker", str(path)])
    return float(json.loads(output.strip().splitlines()[-1])["cpu"])


def ffmpeg_segments_cpu(path: Path) -> float:
    """CPU seconds of `ffmpeg -c copy` cutting `path` into 60 s MP4 segments."""
    with tempfile.TemporaryDirectory(dir=OUT) as out:
        cpu, _ = child_cpu(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0", "-c", "copy"),
                *("-f", "segment", "-segment_time", "60", "-reset_timestamps", "1", "-segment_format", "mp4"),
                f"{out}/%03d.mp4",
            ]
        )
    return cpu


# --- 2. pre-roll memory --------------------------------------------------------------------------------


def preroll_memory(path: Path, seconds: float = 10.0) -> dict[str, float]:
    """Memory of a camera's pre-roll ring fed `path` (packets made one by one, held only by the ring)."""
    from custom_components.ngu_doan_cameras.engine.recording.preroll import PreRollRing

    session, stream = packets(path)
    ring = PreRollRing(seconds)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    data = held = 0
    for packet in stream:
        ring.push(packet)
        if packet.wall - WALL > 3 * seconds:
            break
    traced = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    held = len(ring._packets)  # noqa: SLF001 - the bench looks inside to count
    data = sum(len(packet.data) for packet in ring._packets)  # noqa: SLF001
    del session
    return {
        "ring_mb": ring.nbytes / 1e6,
        "traced_mb": traced / 1e6,
        "seconds_held": ring.span,
        "packets": held,
        "overhead_bytes_per_packet": (traced - data) / held,
    }


# --- 3. index listing ------------------------------------------------------------------------------------


def index_listing(days: int = 30, cameras: int = 17) -> dict[str, float]:
    """Milliseconds of the media browser's and retention's queries on a site-sized index."""
    from custom_components.ngu_doan_cameras.engine.recording import RecordingIndex

    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        path = Path(folder) / "recordings.db"
        index = RecordingIndex(path)
        index.ensure_open()
        index.close()
        start = time.perf_counter()
        with sqlite3.connect(path) as db:
            db.executemany(
                "INSERT INTO segments (camera, path, day, start_at, end_at, size, state, session, codec, width,"
                " height, audio_codec) VALUES (?, ?, ?, ?, ?, 30000000, 'complete', 1, 'h264', 1920, 1080, 'aac')",
                (
                    (
                        f"camera{c:02d}",
                        f"recordings/camera{c:02d}/2026-11-{d + 1:02d}/{m // 60:02d}-{m % 60:02d}-00.mp4",
                        f"2026-11-{d + 1:02d}",
                        WALL + d * 86_400 + m * 60,
                        WALL + d * 86_400 + m * 60 + 60,
                    )
                    for d in range(days)
                    for c in range(cameras)
                    for m in range(1440)
                ),
            )
        build = time.perf_counter() - start
        index = RecordingIndex(path)
        rows = days * cameras * 1440

        def timed(call: Any) -> tuple[float, float, Any]:
            first_start = time.perf_counter()
            result = call()
            first = (time.perf_counter() - first_start) * 1000
            runs = []
            for _ in range(20):
                run_start = time.perf_counter()
                call()
                runs.append((time.perf_counter() - run_start) * 1000)
            return first, statistics.median(runs), result

        day_first, day_median, day_rows = timed(lambda: index.segments_of_day("camera09", "2026-11-15"))
        days_first, days_median, day_list = timed(lambda: index.days("camera09"))
        cover_first, cover_median, _ = timed(
            lambda: index.covering("camera09", WALL + 14 * 86_400 + 36_000, WALL + 14 * 86_400 + 39_600)
        )
        old_first, old_median, _ = timed(lambda: index.oldest_deletable(200))
        cams_first, cams_median, _ = timed(index.cameras)
        index.close()
        assert len(day_rows) == 1440
        assert len(day_list) == days
    return {
        "rows": rows,
        "build_seconds": build,
        "camera_day_first_ms": day_first,
        "camera_day_median_ms": day_median,
        "days_first_ms": days_first,
        "days_median_ms": days_median,
        "covering_hour_median_ms": cover_median,
        "covering_hour_first_ms": cover_first,
        "oldest_deletable_200_median_ms": old_median,
        "oldest_deletable_first_ms": old_first,
        "cameras_median_ms": cams_median,
        "cameras_first_ms": cams_first,
    }


# --- 4. export --------------------------------------------------------------------------------------------


def export_hour(clip: Path, minutes: int = 60) -> dict[str, float]:
    """Seconds to export `minutes` of one 1080p 4 Mb/s camera with its manifest and hashes."""
    from datetime import datetime

    from custom_components.ngu_doan_cameras.engine.recording import (
        CameraInfo,
        CameraRecordingSettings,
        ExportRequest,
        Recorder,
        RecorderSettings,
        RetentionSettings,
    )

    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        source = Path(folder) / "input.mp4"
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-stream_loop", str(minutes - 1)),
                *("-i", str(clip), "-c", "copy", str(source)),
            ],
            check=True,
        )
        settings = RecorderSettings(retention=RetentionSettings(None, None, None), max_export_seconds=minutes * 60)
        recorder = Recorder(Path(folder) / "media", settings=settings)
        recorder.start()
        camera = recorder.add_camera(CameraInfo("bench", "Bench", "Đường 402"), CameraRecordingSettings())
        session, stream = packets(source)
        camera.session_started(session)
        for packet in stream:
            camera.packet(packet, session)
        camera.session_ended(session)
        source.unlink()
        request = ExportRequest(
            "bench",
            datetime.fromtimestamp(WALL + 0.5).astimezone(),
            datetime.fromtimestamp(WALL + minutes * 60 - 0.5).astimezone(),
            "bench",
            "bench",
        )
        _drain(recorder)  # every segment closed and indexed
        start = time.perf_counter()
        result = recorder.export_evidence(request)
        seconds = time.perf_counter() - start
        size = sum(video.stat().st_size for video in result.videos)
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=result.folder, capture_output=True, check=False)
        recorder.stop()
    return {
        "export_seconds": seconds,
        "exported_mb": size / 1e6,
        "source_segments": len(result.source_segments),
        "sha256sum_ok": float(check.returncode == 0),
        "mb_per_second": size / 1e6 / seconds,
    }


def _drain(recorder: Any) -> None:
    """Wait for the recorder's worker to run what is queued (a marker job runs last)."""
    import threading

    done = threading.Event()
    recorder.worker.submit(done.set)
    done.wait(600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--export-minutes", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--record-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--demux-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.record_worker:
        record_worker(args.record_worker, args.out)
        return 0
    if args.demux_worker:
        demux_worker(args.demux_worker)
        return 0

    clip, looped = make_inputs()
    seconds = CLIP_SECONDS * LOOPS
    runs: dict[str, list[float]] = {"ffmpeg": [], "ours": [], "demux": []}
    for _ in range(args.repeats):  # in turns, the least of each: the run least disturbed by the machine
        runs["ffmpeg"].append(ffmpeg_segments_cpu(looped))
        runs["ours"].append(record_cpu(looped))
        runs["demux"].append(demux_cpu(looped))
    ffmpeg, ours, demux = min(runs["ffmpeg"]), min(runs["ours"]), min(runs["demux"])
    print(
        f"recording 1080p 4 Mb/s + AAC, {seconds} s into 60 s segments (CPU s per s of video, least of {args.repeats})"
    )
    print(f"  ffmpeg -c copy -f segment     {ffmpeg / seconds:.5f}   1.00")
    print(f"  this engine (demux + record)  {ours / seconds:.5f}   {ours / ffmpeg:.2f}")
    print(f"  demux + packet copy alone     {demux / seconds:.5f}   {demux / ffmpeg:.2f}")
    ring = preroll_memory(clip)
    print(
        f"pre-roll ring, 10 s at 4 Mb/s: {ring['ring_mb']:.2f} MB counted, {ring['traced_mb']:.2f} MB traced, "
        f"{ring['seconds_held']:.1f} s held, {ring['overhead_bytes_per_packet']:.0f} B overhead per packet"
    )
    listing = index_listing()
    print(
        f"index of {listing['rows']:,} segments: one camera-day {listing['camera_day_median_ms']:.2f} ms "
        f"(first {listing['camera_day_first_ms']:.2f} ms), days of a camera {listing['days_median_ms']:.2f} ms, "
        f"covering an hour {listing['covering_hour_median_ms']:.2f} ms, "
        f"oldest 200 deletable {listing['oldest_deletable_200_median_ms']:.2f} ms"
    )
    export = export_hour(clip, args.export_minutes)
    print(
        f"export of {args.export_minutes} min ({export['exported_mb']:.0f} MB, {export['source_segments']:.0f} "
        f"segments, hashes included): {export['export_seconds']:.1f} s, sha256sum -c ok: {bool(export['sha256sum_ok'])}"
    )
    results = {
        "recording_cpu_ratio_vs_ffmpeg_copy": round(ours / ffmpeg, 3),
        "recording_cpu_per_second_of_video": round(ours / seconds, 5),
        "ffmpeg_copy_cpu_per_second_of_video": round(ffmpeg / seconds, 5),
        "demux_cpu_ratio_vs_ffmpeg_copy": round(demux / ffmpeg, 3),
        "preroll_ring_mb_10s_4mbps": round(ring["ring_mb"], 2),
        "preroll_traced_mb_10s_4mbps": round(ring["traced_mb"], 2),
        "index_rows": listing["rows"],
        "index_camera_day_ms": round(listing["camera_day_median_ms"], 2),
        "index_camera_day_first_ms": round(listing["camera_day_first_ms"], 2),
        "index_days_ms": round(listing["days_median_ms"], 2),
        "index_covering_hour_ms": round(listing["covering_hour_median_ms"], 2),
        "index_oldest_deletable_ms": round(listing["oldest_deletable_200_median_ms"], 2),
        "export_minutes": args.export_minutes,
        "export_seconds": round(export["export_seconds"], 2),
        "export_mb_per_second": round(export["mb_per_second"], 1),
    }
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

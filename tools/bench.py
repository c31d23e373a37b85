"""Detection quality, and detection and recording cost, measured in one run (machines are noisy: compare ratios).

    ./scripts/bench [--quick] [--site-seconds 60] [--skip-evaluation] [--skip-holdout]

0. The evaluation set (tools/evalset.py, run by tools/bench_evaluation.py): generated, labelled clips
   (objects of several sizes by day, at dusk and at night, nuisances, fire, flashes, their nuisances, IR
   switching, tamper), encoded like a cheap camera, cached in bench-output/evalset/; every clip through
   the camera's detection with default settings: recall by size, false alarms per camera-day, latency,
   fire and flash recall, tamper on IR switching. Then the same on the held-out set (other seeds, never
   tuned on).
1. Makes 60 s test clips (1920x1080 @ 4 Mb/s and 640x360 @ 512 kb/s, 15 fps, H.264, GOP 30, moving
   content) with ffmpeg, once (kept in bench-output/).
   Plus one generated 60 s street in the wind (640x360, 384 kbit/s, 2 s GOPs) from the evaluation set.
2. CPU seconds per second of video, each in its own process:
   - `ffmpeg -threads 1 -i clip -f null -`: bare single-thread decode, the floor for judging every frame;
   - this project's stream reader + detector on the same clip (default settings, and every frame judged);
   - an ffmpeg_motion-style scene filter `select='gt(scene,0.003)'`, as Home Assistant's ffmpeg_motion runs.
3. The 17-camera site: the commune's cameras served by the RTSP simulator (1080p main at a real 4 Mb/s,
   360p sub), each run in a process of its own, CPU as a fraction of one core and memory per camera:
   - detection: one shared reader per camera on the sub stream, detection on, a still image asked of
     every camera every 10 s (a dashboard);
   - the full site: the same, and every camera's main stream recorded (continuous, 60 s segments);
   - recording only: the 17 main streams recorded by packet-only readers (nothing decoded);
   - the baseline, the same site wired by hand: per camera ffmpeg_motion's scene filter on the sub
     stream and `ffmpeg -c copy` 60 s segments of the main stream (34 ffmpeg processes); the three
     runs above as ratios to it.
4. Recording (tools/bench_recording.py): one camera recorded against `ffmpeg -c copy` on the same live
   stream, the pre-roll ring's memory, the media browser's day listing, a one-hour evidence export.
`--quick`: the evaluation set's tuning half only, one run of each clip measure, 30 s site runs, a 40 s
recording window.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.process_stats import rss_mb  # noqa: E402

OUT = REPO / "bench-output"
CLIP_SECONDS = 60
REPEATS = 3
CLIPS = {"1080p": ("1920x1080", "4M"), "360p": ("640x360", "512k"), "360p_scene": ("640x360", "384k")}
SCENE_CASE = "trees_day_00"


def make_clip(name: str) -> Path:
    if name == "360p_scene":  # a generated street in the wind (evaluation set): a realistic busy picture
        from tools import evalset

        return evalset.encode(evalset.case(SCENE_CASE))
    size, bitrate = CLIPS[name]
    path = OUT / f"clip_{name}.mp4"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={size}:rate=15",
                "-t",
                str(CLIP_SECONDS),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-b:v",
                bitrate,
                "-g",
                "30",
                "-pix_fmt",
                "yuv420p",
                str(path),
            ],
            check=True,
        )
    return path


def child_cpu(command: list[str]) -> tuple[float, str]:
    """Run a command; its own user+system CPU seconds (from wait4) and its stdout."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed with {process.returncode}")
    return usage.ru_utime + usage.ru_stime, output


def ffmpeg_decode(clip: Path) -> float:
    return child_cpu(["ffmpeg", "-nostdin", "-threads", "1", "-i", str(clip), "-f", "null", "-"])[0]


def ffmpeg_scene(clip: Path) -> float:
    return child_cpu(
        [
            "ffmpeg",
            "-nostdin",
            "-threads",
            "1",
            "-i",
            str(clip),
            "-an",
            "-vf",
            "select='gt(scene,0.003)'",
            "-f",
            "null",
            "-",
        ]
    )[0]


def ours(clip: Path, max_fps: float) -> dict[str, Any]:
    """This project's reader + detector in a fresh process; it reports the CPU spent after its imports."""
    _, output = child_cpu([sys.executable, __file__, "--worker", str(clip), "--max-fps", str(max_fps)])
    return dict(json.loads(output.strip().splitlines()[-1]))


def worker(clip: Path, max_fps: float) -> None:
    """Read the clip through a StreamReader with detection on, as a camera would be read."""
    from custom_components.ngu_doan_cameras.engine.detection import DetectionSettings
    from custom_components.ngu_doan_cameras.engine.reader import ReaderSettings
    from custom_components.ngu_doan_cameras.engine.site import CameraConfig, Site
    from custom_components.ngu_doan_cameras.engine.stats import ReaderState

    done = threading.Event()
    events: list[str] = []
    site = Site(
        [CameraConfig("bench", "bench", str(clip), detection=DetectionSettings(max_fps=max_fps))],
        ReaderSettings(),
        on_state=lambda _id, stats: done.set() if stats.state is ReaderState.DISCONNECTED else None,
        on_detection=lambda _id, event: events.append(event.type.value),
    )
    start = resource.getrusage(resource.RUSAGE_SELF)
    site.start()
    done.wait(600)  # the clip ends: the reader reports the stream gone
    end = resource.getrusage(resource.RUSAGE_SELF)
    camera = site.camera("bench")
    frames, judged = camera.stats.frames, camera.detection.frames_judged
    site.stop()
    cpu = (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
    print(
        json.dumps(
            {"cpu": cpu, "frames": frames, "judged": judged, "events": len(events), "peak_rss_mb": end.ru_maxrss / 1024}
        )
    )


def site_config() -> list[dict[str, Any]]:
    """The commune's 17 cameras as the simulator serves them for the site benches.

    Main streams show sensor noise, so they really carry 4 Mb/s (what recording writes); they are only
    opened when the site records. Sub streams show the moving ball (detection has something to judge).
    """
    from tools.demo_site import CAMERAS

    return [
        {
            "path": f"cam{n}",
            "label": camera.name,
            "width": 1920,
            "height": 1080,
            "fps": 15,
            "bitrate": 4000,
            "noise": True,
            "sub": {"width": 640, "height": 360, "fps": 15, "bitrate": 512},
        }
        for n, camera in enumerate(CAMERAS, start=1)
    ]


def site17(port: int, seconds: float, *, record: bool = False) -> dict[str, Any]:
    """The 17-camera site in a process of its own against the simulator on `port` (see site_worker)."""
    record_args = ["--record"] if record else []
    command = [sys.executable, __file__, "--site-worker", str(port), "--seconds", str(seconds), *record_args]
    _, output = child_cpu(command)
    return dict(json.loads(output.strip().splitlines()[-1]))


@contextlib.contextmanager
def site_recorder(record: bool) -> Iterator[Any]:
    """A recorder writing under bench-output (no storage limits) when the site records, else None."""
    if not record:
        yield None
        return
    from custom_components.ngu_doan_cameras.engine.recording import Recorder, RecorderSettings, RetentionSettings

    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        recorder = Recorder(folder, settings=RecorderSettings(retention=RetentionSettings(None, None, None)))
        recorder.start()
        try:
            yield recorder
        finally:
            recorder.stop()


def site_worker(port: int, seconds: float, record: bool) -> None:
    from custom_components.ngu_doan_cameras.engine.recording import CameraRecordingSettings, RecordingMode
    from custom_components.ngu_doan_cameras.engine.site import CameraConfig, Site

    base = f"rtsp://127.0.0.1:{port}"
    mode = RecordingMode.CONTINUOUS if record else RecordingMode.OFF
    configs = [
        CameraConfig(
            str(n), str(n), f"{base}/cam{n}", sub_url=f"{base}/cam{n}/sub", recording=CameraRecordingSettings(mode)
        )
        for n in range(1, 18)
    ]
    rss_before = rss_mb()
    with site_recorder(record) as recorder:
        site = Site(configs, recorder=recorder)
        site.start()
        try:
            result = _run_site(site, seconds, rss_before)
        finally:
            site.stop()
        if recorder is not None:
            result["segments"] = sum(
                camera.recording.status.segments for camera in site.cameras.values() if camera.recording
            )
    print(json.dumps(result))


def _run_site(site: Any, seconds: float, rss_before: float) -> dict[str, Any]:
    """Wait for every camera, let it settle, then measure the site over `seconds` (stills every 10 s)."""

    def ready(camera: Any) -> bool:  # streaming, and writing a segment if it records
        return bool(camera.stats.streaming and (camera.recording is None or camera.recording_active))

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(ready(c) for c in site.cameras.values()):
        time.sleep(0.2)
    streaming = sum(c.stats.streaming for c in site.cameras.values())
    recording = sum(c.recording_active for c in site.cameras.values())
    time.sleep(5)  # settle
    rss_start = rss_mb()
    start, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    stills = 0
    samples: list[float] = []
    while time.monotonic() - started < seconds:
        for camera in site.cameras.values():  # a dashboard refreshing every still every 10 s
            stills += camera.still_image() is not None
        time.sleep(10)
        samples.append(rss_mb())
    end, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - started
    rss_end = rss_mb()
    judged = sum(c.detection.frames_judged for c in site.cameras.values())
    cpu = (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
    # Growth in the second half of the run, when warm-up (allocator arenas, caches) is over.
    half = samples[len(samples) // 2 :] or [rss_end]
    return {
        "cpu_fraction": cpu / wall,
        "streaming": streaming,
        "recording": recording,
        "stills": stills,
        "judged": judged,
        "rss_per_camera_mb": (rss_end - rss_before) / 17,
        "rss_growth_mb": rss_end - rss_start,
        "rss_growth_second_half_mb": half[-1] - half[0],
        "rss_samples_mb": [round(value, 1) for value in samples],
        "seconds": wall,
    }


def detection_results(repeats: int) -> dict[str, Any]:
    """Detection against ffmpeg's decode and scene filter on both clips; prints the table."""
    results: dict[str, Any] = {}
    print(f"{'clip':<10} {'measure':<34} {'CPU s/s of video':>16} {'ratio to decode':>16}")
    print(f"(each the least of {repeats} runs, taken in turns: the least is the one least disturbed by the machine)")
    for name in CLIPS:
        clip = make_clip(name)
        runs: dict[str, list[Any]] = {"decode": [], "scene": [], "default": [], "every": []}
        for _ in range(repeats):
            runs["decode"].append(ffmpeg_decode(clip))
            runs["scene"].append(ffmpeg_scene(clip))
            runs["default"].append(ours(clip, 5.0))
            runs["every"].append(ours(clip, 0.0))
        decode, scene = min(runs["decode"]), min(runs["scene"])
        default = min(runs["default"], key=lambda run: run["cpu"])
        every = min(runs["every"], key=lambda run: run["cpu"])
        rows = [
            ("ffmpeg -threads 1 decode", decode),
            ("ffmpeg scene filter (ffmpeg_motion)", scene),
            ("reader + detector (5 fps judged)", default["cpu"]),
            ("reader + detector (every frame)", every["cpu"]),
        ]
        for label, cpu in rows:
            print(f"{name:<10} {label:<34} {cpu / CLIP_SECONDS:>16.4f} {cpu / decode:>16.2f}")
        results[f"motion_cpu_ratio_vs_ffmpeg_decode_{name}"] = round(default["cpu"] / decode, 3)
        results[f"motion_every_frame_cpu_ratio_vs_ffmpeg_decode_{name}"] = round(every["cpu"] / decode, 3)
        results[f"motion_cpu_ratio_vs_ffmpeg_scene_{name}"] = round(default["cpu"] / scene, 3)
        results[f"frames_judged_{name}"] = f"{default['judged']}/{default['frames']}"
        if name == "1080p":
            results["detector_peak_rss_mb"] = round(default["peak_rss_mb"], 1)
    return results


def site_results(seconds: float) -> dict[str, Any]:
    """The 17-camera site on one simulator: detection only, detection + recording, recording only."""
    from tools.bench_recording import by_hand17, record17
    from tools.simulator_client import CameraSimulator

    with CameraSimulator(config=site_config()) as sim:
        site = site17(sim.port, seconds)
        full = site17(sim.port, seconds, record=True)
        recording = record17(sim.port, seconds)
        by_hand = by_hand17(sim.port, seconds)
    by_hand_total = by_hand["scene"] + by_hand["copy"]
    print(
        f"site   17 cameras (1080p main, 360p sub, detection, stills every 10 s): {site['cpu_fraction']:.3f} of one "
        f"core, {site['streaming']}/17 streaming, {site['rss_per_camera_mb']:.1f} MB per camera, "
        f"RSS growth {site['rss_growth_mb']:+.1f} MB over {site['seconds']:.0f} s "
        f"({site['rss_growth_second_half_mb']:+.1f} MB in the second half)"
    )
    print(
        f"site   the same, every main stream (4 Mb/s) also recorded: {full['cpu_fraction']:.3f} of one core, "
        f"{full['recording']}/17 recording, {full['rss_per_camera_mb']:.1f} MB per camera"
    )
    print(
        f"record 17 main streams recorded (packet-only readers, nothing decoded): {recording['cpu_fraction']:.3f} "
        f"of one core, {recording['recording']}/17 recording, {recording['mb_written']:.0f} MB written"
    )
    print(
        f"by hand, the same site with ffmpeg (34 processes, the same window length): {by_hand_total:.3f} of one core "
        f"= {by_hand['scene']:.3f} ffmpeg_motion's scene filter on the sub streams + {by_hand['copy']:.3f} "
        "`ffmpeg -c copy` segments of the main streams"
    )
    print(
        f"ratios to it: detection site / scene filters {site['cpu_fraction'] / by_hand['scene']:.2f}, "
        f"full site / all of it {full['cpu_fraction'] / by_hand_total:.2f}, "
        f"recording / the copies {recording['cpu_fraction'] / by_hand['copy']:.2f}"
    )
    return {
        "site17_cpu_fraction_of_one_core": round(site["cpu_fraction"], 3),
        "site17_streaming": site["streaming"],
        "site17_rss_per_camera_mb": round(site["rss_per_camera_mb"], 1),
        "site17_frames_judged": site["judged"],
        "site17_rss_growth_mb": round(site["rss_growth_mb"], 1),
        "site17_rss_growth_second_half_mb": round(site["rss_growth_second_half_mb"], 1),
        "site17_rss_samples_mb": site["rss_samples_mb"],
        "site17_seconds": round(site["seconds"]),
        "site17_full_cpu_fraction_of_one_core": round(full["cpu_fraction"], 3),
        "site17_full_recording": full["recording"],
        "site17_full_rss_per_camera_mb": round(full["rss_per_camera_mb"], 1),
        "record17_cpu_fraction_of_one_core": round(recording["cpu_fraction"], 3),
        "record17_recording": recording["recording"],
        "record17_mb_written": round(recording["mb_written"]),
        "site17_by_hand_ffmpeg_cpu_fraction_of_one_core": round(by_hand_total, 3),
        "site17_by_hand_ffmpeg_scene_cpu_fraction_of_one_core": round(by_hand["scene"], 3),
        "site17_by_hand_ffmpeg_copy_cpu_fraction_of_one_core": round(by_hand["copy"], 3),
        "site17_cpu_ratio_vs_ffmpeg_scene": round(site["cpu_fraction"] / by_hand["scene"], 3),
        "site17_full_cpu_ratio_vs_by_hand_ffmpeg": round(full["cpu_fraction"] / by_hand_total, 3),
        "record17_cpu_ratio_vs_ffmpeg_copy": round(recording["cpu_fraction"] / by_hand["copy"], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--site-seconds",
        type=float,
        help="how long each 17-camera run measures (default 60, quick 30; 600: memory soak)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the evaluation's tuning half, one run of each clip measure, 30 s site runs, quick recording",
    )
    parser.add_argument("--skip-evaluation", action="store_true", help="only the cost measurements")
    parser.add_argument("--skip-holdout", action="store_true", help="evaluate the tuning half only")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--max-fps", type=float, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("--site-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--record", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=60, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.max_fps)
        return 0
    if args.site_worker:
        site_worker(args.site_worker, args.seconds, args.record)
        return 0

    from tools.bench_evaluation import evaluation_results
    from tools.bench_recording import live_camera, recording_results

    results: dict[str, Any] = {}
    if not args.skip_evaluation:
        results |= evaluation_results(holdout=not (args.quick or args.skip_holdout))
    results |= detection_results(1 if args.quick else REPEATS)
    results |= site_results(args.site_seconds or (30 if args.quick else 60))
    with live_camera() as simulator:
        results |= recording_results(
            simulator.url("cam1"),
            quick=args.quick,
            repeats=1 if args.quick else REPEATS,
            export_minutes=60,
        )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Detection quality and cost, measured in one run (machines are noisy: compare ratios, not seconds).

    ./scripts/bench [--site-seconds 60] [--skip-evaluation] [--skip-holdout]

0. The evaluation set (tools/evalset.py): generated, labelled clips (objects of several sizes by day,
   at dusk and at night, nuisances, fire, flashes, their nuisances, IR switching, tamper), encoded like
   a cheap camera, cached in bench-output/evalset/; every clip through the camera's detection with
   default settings: recall by size, false alarms per camera-day, latency, fire and flash recall,
   tamper on IR switching. Then the same on the held-out set (other seeds, never tuned on).

1. Makes 60 s test clips (1920x1080 @ 4 Mb/s and 640x360 @ 512 kb/s, 15 fps, H.264, GOP 30, moving
   content) with ffmpeg, once (kept in bench-output/).
   Plus one generated 60 s street in the wind (640x360, 384 kbit/s, 2 s GOPs) from the evaluation set.
2. CPU seconds per second of video, each in its own process:
   - `ffmpeg -threads 1 -i clip -f null -`: bare single-thread decode, the floor for judging every frame;
   - this project's stream reader + detector on the same clip (default settings, and every frame judged);
   - an ffmpeg_motion-style scene filter `select='gt(scene,0.003)'`, as Home Assistant's ffmpeg_motion runs.
3. The 17-camera site: the commune's cameras served by the RTSP simulator (1080p main, 360p sub), one
   shared reader per camera on the sub stream, detection on, a still image asked of every camera every
   10 s (a dashboard): CPU as a fraction of one core, and memory per camera.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
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


def site17(seconds: float) -> dict[str, Any]:
    from tools.demo_site import CAMERAS
    from tools.simulator_client import CameraSimulator

    config = [
        {
            "path": f"cam{n}",
            "label": camera.name,
            "width": 1920,
            "height": 1080,
            "fps": 15,
            "bitrate": 4000,
            "sub": {"width": 640, "height": 360, "fps": 15, "bitrate": 512},
        }
        for n, camera in enumerate(CAMERAS, start=1)
    ]
    with CameraSimulator(config=config) as sim:
        _, output = child_cpu([sys.executable, __file__, "--site-worker", str(sim.port), "--seconds", str(seconds)])
    return dict(json.loads(output.strip().splitlines()[-1]))


def site_worker(port: int, seconds: float) -> None:
    from custom_components.ngu_doan_cameras.engine.site import CameraConfig, Site

    base = f"rtsp://127.0.0.1:{port}"
    rss_before = rss_mb()
    site = Site([CameraConfig(str(n), str(n), f"{base}/cam{n}", f"{base}/cam{n}/sub") for n in range(1, 18)])
    site.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(c.stats.streaming for c in site.cameras.values()):
        time.sleep(0.2)
    streaming = sum(c.stats.streaming for c in site.cameras.values())
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
    site.stop()
    cpu = (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
    # Growth in the second half of the run, when warm-up (allocator arenas, caches) is over.
    half = samples[len(samples) // 2 :] or [rss_end]
    print(
        json.dumps(
            {
                "cpu_fraction": cpu / wall,
                "streaming": streaming,
                "stills": stills,
                "judged": judged,
                "rss_per_camera_mb": (rss_end - rss_before) / 17,
                "rss_growth_mb": rss_end - rss_start,
                "rss_growth_second_half_mb": half[-1] - half[0],
                "rss_samples_mb": [round(value, 1) for value in samples],
                "seconds": wall,
            }
        )
    )


def evaluation_worker(name: str) -> Any:
    from tools import evalset

    return evalset.run(evalset.case(name))


def encode_worker(name: str) -> str:
    from tools import evalset

    evalset.encode(evalset.case(name))
    return name


def evaluation(holdout: bool) -> dict[str, Any]:
    """Every case of the evaluation set (made once, then cached) through detection with default settings."""
    from multiprocessing import Pool

    from tools import evalset

    names = [item.name for item in evalset.all_cases(holdout)]
    started = time.monotonic()
    with Pool(2) as pool:
        missing = [name for name in names if not evalset.clip_path(evalset.case(name)).exists()]
        if missing:
            print(f"making {len(missing)} clips of the evaluation set (once; kept in {evalset.CACHE})", flush=True)
            pool.map(encode_worker, missing, chunksize=1)
        outcomes = pool.map(evaluation_worker, names, chunksize=2)
    figures = evalset.score(outcomes)
    figures["seconds"] = round(time.monotonic() - started)
    return figures


EVALUATION_KEYS = (
    "recall_person_0.25pct_day",
    "recall_person_0.25pct_night",
    "recall_person_0.1pct_day",
    "false_alarms_per_camera_day",
    "median_latency_s",
    "fire_recall",
    "flash_recall",
    "nuisance_fire_flash_false_alarms",
    "ir_switch_tamper_events",
)


def print_evaluation(label: str, figures: dict[str, Any]) -> None:
    print(f"evaluation set ({label}): {figures['clips']}")
    for key in (*EVALUATION_KEYS, "p90_latency_s", "false_alarms", "false_alarm_hours"):
        print(f"  {key:<40} {figures[key]}")
    print("  recall by case:")
    for key, value in figures["recall_by_case"].items():
        if "contrast" not in key:
            print(f"    {key:<36} {value}")
    for key in (
        "false_alarms_by_case",
        "fire_latency_by_case",
        "flash_latency_by_case",
        "nuisance_fire_flash_by_case",
        "fire_flash_false_alarms_elsewhere",
        "tamper_by_case",
    ):
        print(f"  {key}: {json.dumps(figures[key], ensure_ascii=False)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--site-seconds", type=float, default=60, help="how long the 17-camera site runs (600: memory soak)"
    )
    parser.add_argument("--skip-evaluation", action="store_true", help="only the cost measurements")
    parser.add_argument("--skip-holdout", action="store_true", help="evaluate the tuning set only")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--max-fps", type=float, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("--site-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=60, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.max_fps)
        return 0
    if args.site_worker:
        site_worker(args.site_worker, args.seconds)
        return 0

    results: dict[str, Any] = {}
    if not args.skip_evaluation:
        figures = evaluation(holdout=False)
        print_evaluation("tuning", figures)
        results.update({key: figures[key] for key in EVALUATION_KEYS})
        results["evaluation"] = figures
        if not args.skip_holdout:
            held = evaluation(holdout=True)
            print_evaluation("held out", held)
            results.update({f"holdout_{key}": held[key] for key in EVALUATION_KEYS})
            results["evaluation_holdout"] = held
    print(f"{'clip':<10} {'measure':<34} {'CPU s/s of video':>16} {'ratio to decode':>16}")
    print(f"(each the least of {REPEATS} runs, taken in turns: the least is the one least disturbed by the machine)")
    for name in CLIPS:
        clip = make_clip(name)
        runs: dict[str, list[Any]] = {"decode": [], "scene": [], "default": [], "every": []}
        for _ in range(REPEATS):
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
    site = site17(args.site_seconds)
    print(
        f"site   17 cameras (1080p main, 360p sub, detection, stills every 10 s): {site['cpu_fraction']:.3f} of one "
        f"core, {site['streaming']}/17 streaming, {site['rss_per_camera_mb']:.1f} MB per camera, "
        f"RSS growth {site['rss_growth_mb']:+.1f} MB over {site['seconds']:.0f} s "
        f"({site['rss_growth_second_half_mb']:+.1f} MB in the second half)"
    )
    results["site17_cpu_fraction_of_one_core"] = round(site["cpu_fraction"], 3)
    results["site17_streaming"] = site["streaming"]
    results["site17_rss_per_camera_mb"] = round(site["rss_per_camera_mb"], 1)
    results["site17_frames_judged"] = site["judged"]
    results["site17_rss_growth_mb"] = round(site["rss_growth_mb"], 1)
    results["site17_rss_growth_second_half_mb"] = round(site["rss_growth_second_half_mb"], 1)
    results["site17_rss_samples_mb"] = site["rss_samples_mb"]
    results["site17_seconds"] = round(site["seconds"])
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

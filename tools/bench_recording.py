"""Recording cost, measured side by side in one run (machines are noisy: compare ratios, not seconds).

    .venv/bin/python tools/bench_recording.py [--quick] [--baseline-engine DIR]
    (./scripts/bench runs the same measurements as part of the whole bench)

1. Live, the issue's figure: one camera's 1080p 4 Mb/s main stream with AAC sound from the RTSP
   simulator (a noise picture, so the 4 Mb/s is real) recorded into 60 s segments by this engine (a
   packet-only StreamReader feeding the recorder: what a recording camera runs) and, from the same
   stream at the same time, by `ffmpeg -rtsp_transport tcp -i URL -map 0 -c copy -f segment
   -segment_time 60` (plain MP4, as the issue names it; and once writing fragmented MP4 as this engine
   does, for its crash safety). CPU of each process over one window, once all have started, so
   neither side's start-up counts; two of each, summed (processes on a busy machine differ).
   `--baseline-engine DIR` adds recorders running another checkout's engine in the same window: a
   change measured against what it replaces.
   (tools/bench.py also measures the 17 cameras' main streams recorded in one process: `record17`.)
2. File: the same on a 5-minute file, where the demux is nearly free and the rest shows: PyAV demux +
   the reader's packet fan-out + the recorder against ffmpeg; each as the difference of a 300 s and a
   10 s input (ffmpeg's start-up alone is 0.1 s, most of what it spends on 300 s of video).
3. Pre-roll ring memory per camera (what events-only mode keeps: 10 s at 4 Mb/s, GOP 2 s): what the
   process's allocator handed out for it (Python objects and FFmpeg's packet buffers alike, through
   glibc: PYTHONMALLOC=malloc), and the ring's own count.
4. The index with 30 days x 17 cameras x 1440 one-minute segments (734,400 rows): listing one
   camera-day (the media browser's query), the days of a camera, an export's covering query,
   retention's oldest deletable files (first call after opening, and the median of 20).
5. Exporting one hour of one camera (stream copy, manifest, SHA-256 of every file, `sha256sum -c`).
The last line printed is one JSON object. The measurements are functions (tools/bench.py calls them).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.bench import OUT, child_cpu  # noqa: E402

if TYPE_CHECKING:
    from custom_components.ngu_doan_cameras.engine.media import PacketSink
    from tools.simulator_client import CameraSimulator

CLIP_SECONDS = 60
LOOPS = 5  # the recorded file: 5 minutes
SHORT_SECONDS = 10  # the short file whose cost is subtracted (start-up, first file, stop)
SEGMENT_SECONDS = 60
WALL = 1_796_000_000.0  # 2026-12-01, a fixed wall clock for the recorded files
# One camera as the issue describes it: 1080p at 4 Mb/s (real: a noise picture), AAC sound.
LIVE_CAMERA = {"width": 1920, "height": 1080, "fps": 15, "bitrate": 4000, "audio": True, "noise": True}
FRAGMENTED = "movflags=+frag_keyframe+empty_moov+default_base_moof"


def make_inputs() -> tuple[Path, Path, Path]:
    """A 60 s 1080p 4 Mb/s clip with AAC sound (GOP 2 s), the same looped to 5 minutes, and its first 10 s."""
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
    short = OUT / "rec_1080p_av_10s.mp4"
    if not short.exists():
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(clip)),
                *("-t", str(SHORT_SECONDS), "-c", "copy", str(short)),
            ],
            check=True,
        )
    return clip, looped, short


def feed_file(path: Path, sinks: list[PacketSink], *, stop_after: float | None = None) -> int:
    """Play `path` to `sinks` through the reader's own packet fan-out, as fast as the CPU goes.

    Each packet "arrives" at WALL plus its stream time, as it would from a camera, so wall times
    (segment names, the pre-roll ring's horizon) are those of real time. Returns the packets fed.
    """
    import av

    from custom_components.ngu_doan_cameras.engine.packets import PacketFanout

    now = [WALL]
    fanout = PacketFanout("bench", clock=lambda: now[0])
    for sink in sinks:
        fanout.add(sink)
    count = 0
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        kinds = {video.index: ("video", float(video.time_base))}
        if audio is not None:
            kinds[audio.index] = ("audio", float(audio.time_base))
        fanout.connected(video, audio)
        try:
            for packet in container.demux():
                kind = kinds.get(packet.stream_index)
                if kind is None or packet.size == 0 or packet.dts is None:
                    continue
                now[0] = WALL + packet.dts * kind[1]
                if stop_after is not None and now[0] - WALL > stop_after:
                    break
                fanout.packet(packet, kind[0])  # type: ignore[arg-type]
                count += 1
        finally:
            fanout.disconnected()
    return count


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _recorder(out: Path, mode: str = "continuous") -> tuple[Any, Any]:
    """A recorder under `out` (no storage limits) and one camera recording in `mode`."""
    from custom_components.ngu_doan_cameras.engine.recording import (
        CameraInfo,
        CameraRecordingSettings,
        Recorder,
        RecorderSettings,
        RecordingMode,
        RetentionSettings,
    )

    recorder = Recorder(out, settings=RecorderSettings(retention=RetentionSettings(None, None, None)))
    recorder.start()
    settings = CameraRecordingSettings(RecordingMode(mode), segment_seconds=SEGMENT_SECONDS)
    return recorder, recorder.add_camera(CameraInfo("bench", "bench"), settings)


def _bytes_under(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*.mp4"))


# --- 1. live ------------------------------------------------------------------------------------------


def live_worker(url: str, out: Path) -> None:
    """Child: record `url` as a recording camera does until told to stop; answers `mark` with its CPU."""
    import custom_components
    from custom_components.ngu_doan_cameras.engine.reader import StreamReader

    recorder, camera = _recorder(out)
    reader = StreamReader("bench", url, decode=False)
    reader.add_packet_sink(camera)
    reader.start()
    print(json.dumps({"engine": str(Path(custom_components.__path__[0]).parent)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "mark":
            break
        print(json.dumps({"cpu": _cpu(), "segments": camera.status.segments}), flush=True)
    reader.stop()
    recorder.stop()
    print(json.dumps({"bytes": _bytes_under(out)}), flush=True)


def _schedstat_seconds(pid: int) -> float:
    """CPU time of every thread of a process, in nanoseconds' precision (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that just ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


class _Ours:
    """This engine recording a stream in a process of its own (see live_worker)."""

    def __init__(self, url: str, out: Path, engine: Path | None) -> None:
        self.out = out
        self.engine = (engine or REPO).resolve()
        engine_args = ["--engine", str(engine)] if engine is not None else []
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--live-worker", url, "--out", str(out), *engine_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.bytes = 0

    def _ask(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line or Path(json.loads(line)["engine"]).resolve() != self.engine:
            raise RuntimeError(f"the recording worker did not start with the engine of {self.engine}: {line!r}")

    def cpu(self) -> float:
        return float(self._ask("mark")["cpu"])

    def stop(self) -> None:
        self.bytes = int(self._ask("stop")["bytes"])
        self.process.wait(60)


class _FfmpegProcess:
    """An ffmpeg command running on a live stream, its CPU read while it runs."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command)

    def cpu(self) -> float:
        return _schedstat_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()  # ffmpeg finishes the file it writes
        self.process.wait(60)


class _Ffmpeg(_FfmpegProcess):
    """`ffmpeg -c copy` cutting a stream into MP4 segments (the issue's reference)."""

    def __init__(self, url: str, out: Path, *, fragmented: bool) -> None:
        out.mkdir(parents=True)
        self.out = out
        options = ["-segment_format_options", FRAGMENTED] if fragmented else []
        super().__init__(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url),
                *("-map", "0", "-c", "copy", "-f", "segment", "-segment_time", str(SEGMENT_SECONDS)),
                *("-reset_timestamps", "1", "-segment_format", "mp4", *options, f"{out}/%03d.mp4"),
            ]
        )
        self.bytes = 0

    def stop(self) -> None:
        super().stop()
        self.bytes = _bytes_under(self.out)


def _cpu_of_groups(groups: dict[str, list[Any]], *, warmup: float, window: float) -> tuple[dict[str, float], float]:
    """Each group's CPU seconds over one window that starts after `warmup`, and the window's length.

    Every member (anything with `cpu()`) is read at the same two moments, so the groups compare.
    """
    members = [member for group in groups.values() for member in group]
    time.sleep(warmup)
    start = {id(member): member.cpu() for member in members}
    started = time.monotonic()
    time.sleep(window)
    spent = {id(member): member.cpu() - start[id(member)] for member in members}
    seconds = time.monotonic() - started
    return {name: sum(spent[id(member)] for member in group) for name, group in groups.items()}, seconds


def live_record(
    url: str, *, window: float, warmup: float = 15.0, baseline_engine: Path | None = None
) -> dict[str, Any]:
    """CPU per second of this engine and of ffmpeg recording `url`, over the same window (see 1.)."""
    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        root = Path(folder)
        groups: dict[str, list[Any]] = {
            "ours": [_Ours(url, root / f"ours{n}", None) for n in range(2)],
            "ffmpeg": [_Ffmpeg(url, root / f"ffmpeg{n}", fragmented=False) for n in range(2)],
            "ffmpeg_fragmented": [_Ffmpeg(url, root / "fragmented", fragmented=True)],
        }
        if baseline_engine is not None:
            groups["baseline"] = [_Ours(url, root / f"baseline{n}", baseline_engine) for n in range(2)]
        members = [member for group in groups.values() for member in group]
        try:
            for member in members:
                if isinstance(member, _Ours):
                    member.wait_ready()
            # The warm-up: every process connected and writing its first segment.
            spent, seconds = _cpu_of_groups(groups, warmup=warmup, window=window)
        finally:
            for member in members:
                member.stop()
        result: dict[str, Any] = {"window_seconds": seconds}
        for name, group in groups.items():
            result[f"{name}_ms_per_s"] = spent[name] / len(group) / seconds * 1000
            result[f"{name}_mb_written"] = sum(member.bytes for member in group) / len(group) / 1e6
    return result


# --- 1b. the 17 cameras ----------------------------------------------------------------------------------


def record17_worker(port: int, seconds: float, out: Path) -> None:
    """Child: the 17 cameras' main streams (on `port`) recorded, as recording cameras with sub streams do.

    Each camera a packet-only reader on its main stream feeding its recorder; nothing decodes. CPU over
    `seconds` once every camera writes a segment.
    """
    from custom_components.ngu_doan_cameras.engine.reader import StreamReader
    from custom_components.ngu_doan_cameras.engine.recording import (
        CameraInfo,
        CameraRecordingSettings,
        Recorder,
        RecorderSettings,
        RetentionSettings,
    )

    recorder = Recorder(out, settings=RecorderSettings(retention=RetentionSettings(None, None, None)))
    recorder.start()
    cameras, readers = [], []
    for n in range(1, 18):
        camera = recorder.add_camera(CameraInfo(f"cam{n}", f"cam{n}"), CameraRecordingSettings())
        reader = StreamReader(f"cam{n}", f"rtsp://127.0.0.1:{port}/cam{n}", decode=False)
        reader.add_packet_sink(camera)
        reader.start()
        cameras.append(camera)
        readers.append(reader)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(camera.status.recording for camera in cameras):
        time.sleep(0.2)
    recording = sum(camera.status.recording for camera in cameras)
    time.sleep(5)  # settle
    start, started = _cpu(), time.monotonic()
    time.sleep(seconds)
    cpu, wall = _cpu() - start, time.monotonic() - started
    for reader in readers:
        reader.stop()
    recorder.stop()
    print(json.dumps({"cpu_fraction": cpu / wall, "recording": recording, "mb_written": _bytes_under(out) / 1e6}))


def record17(port: int, seconds: float) -> dict[str, Any]:
    """The 17 cameras recording their main streams, in a process of its own (see record17_worker)."""
    with tempfile.TemporaryDirectory(dir=OUT) as out:
        _, output = child_cpu(
            [sys.executable, __file__, "--record17-worker", str(port), "--seconds", str(seconds), "--out", out]
        )
    return dict(json.loads(output.strip().splitlines()[-1]))


def _ffmpeg_scene(url: str) -> _FfmpegProcess:
    """Home Assistant's ffmpeg_motion on a sub stream: ffmpeg's scene filter, one decoding thread."""
    return _FfmpegProcess(
        [
            # `fatal`: the null muxer complains of every frame the filter drops ("non monotonically
            # increasing dts"), which is its normal work here.
            *("ffmpeg", "-nostdin", "-loglevel", "fatal", "-threads", "1", "-rtsp_transport", "tcp", "-i", url),
            *("-an", "-vf", "select='gt(scene,0.003)'", "-f", "null", "-"),
        ]
    )


def by_hand17(port: int, seconds: float, warmup: float = 15.0) -> dict[str, float]:
    """The 17-camera site wired by hand with ffmpeg, over one window: the site benches' baseline.

    Per camera, what Home Assistant's ffmpeg_motion and a hand-made recorder would run: ffmpeg's scene
    filter decoding the sub stream, and `ffmpeg -c copy` cutting the main stream into 60 s MP4 segments.
    Returns each group's CPU as a fraction of one core.
    """
    base = f"rtsp://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        groups: dict[str, list[Any]] = {
            "copy": [_Ffmpeg(f"{base}/cam{n}", Path(folder) / f"cam{n}", fragmented=False) for n in range(1, 18)],
            "scene": [_ffmpeg_scene(f"{base}/cam{n}/sub") for n in range(1, 18)],
        }
        members = [member for group in groups.values() for member in group]
        try:
            # The warm-up: every process connected, past its start-up.
            spent, wall = _cpu_of_groups(groups, warmup=warmup, window=seconds)
            alive = sum(member.process.poll() is None for member in members)
        finally:
            for member in members:
                member.stop()
    if alive != len(members):
        raise RuntimeError(f"only {alive} of the {len(members)} ffmpeg processes ran the whole window")
    return {name: cpu / wall for name, cpu in spent.items()}


# --- 2. file ------------------------------------------------------------------------------------------


def file_worker(path: Path, out: Path) -> None:
    """Child: record `path` through the fan-out and the recorder; prints its CPU as JSON."""
    import av  # noqa: F401 - imported before the measurement starts

    start = _cpu()
    recorder, camera = _recorder(out)
    count = feed_file(path, [camera])
    recorder.stop()
    cpu = _cpu() - start
    print(json.dumps({"cpu": cpu, "packets": count, "segments": camera.status.segments}))


def record_file_cpu(path: Path) -> float:
    """CPU seconds this engine spends recording `path` (a process of its own; imports not counted)."""
    with tempfile.TemporaryDirectory(dir=OUT) as out:
        _, output = child_cpu([sys.executable, __file__, "--file-worker", str(path), "--out", out])
    return float(json.loads(output.strip().splitlines()[-1])["cpu"])


def ffmpeg_file_cpu(path: Path, *, fragmented: bool = False) -> float:
    """CPU seconds of `ffmpeg -c copy` cutting `path` into 60 s MP4 segments (its start-up included)."""
    options = ["-segment_format_options", FRAGMENTED] if fragmented else []
    with tempfile.TemporaryDirectory(dir=OUT) as out:
        cpu, _ = child_cpu(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0", "-c", "copy"),
                *("-f", "segment", "-segment_time", str(SEGMENT_SECONDS), "-reset_timestamps", "1"),
                *("-segment_format", "mp4", *options, f"{out}/%03d.mp4"),
            ]
        )
    return cpu


def file_record(looped: Path, short: Path, repeats: int) -> dict[str, float]:
    """Steady-state CPU per second of video of both, on files (each the least of `repeats`, in turns)."""
    runs: dict[str, list[float]] = {key: [] for key in ("ours", "ours_short", "ffmpeg", "ffmpeg_short")}
    for _ in range(repeats):
        runs["ffmpeg"].append(ffmpeg_file_cpu(looped))
        runs["ours"].append(record_file_cpu(looped))
        runs["ffmpeg_short"].append(ffmpeg_file_cpu(short))
        runs["ours_short"].append(record_file_cpu(short))
    least = {key: min(values) for key, values in runs.items()}
    seconds = CLIP_SECONDS * LOOPS - SHORT_SECONDS
    return {
        "ours_ms_per_s": (least["ours"] - least["ours_short"]) / seconds * 1000,
        "ffmpeg_ms_per_s": (least["ffmpeg"] - least["ffmpeg_short"]) / seconds * 1000,
        "ffmpeg_startup_s": least["ffmpeg_short"],
    }


# --- 3. pre-roll memory --------------------------------------------------------------------------------


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


def _allocated() -> int:
    """Bytes the C allocator has handed out and not got back (glibc's mallinfo2: in use plus mmapped)."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return int(info.uordblks + info.hblkhd)


class _RingSink:
    """A camera's pre-roll ring fed by the fan-out, and what the allocator handed out while it filled.

    Both counts are taken while the session is open (its demuxer's own memory is there either way).
    """

    def __init__(self, seconds: float) -> None:
        from custom_components.ngu_doan_cameras.engine.recording.preroll import PreRollRing

        self.ring = PreRollRing(seconds)
        self.allocated = 0
        self.ring_bytes = 0
        self.span = 0.0

    def session_started(self, session: Any) -> None:
        gc.collect()
        self.allocated = -_allocated()

    def packet(self, packet: Any, session: Any) -> None:
        self.ring.push(packet)

    def session_ended(self, session: Any) -> None:
        gc.collect()
        self.allocated += _allocated()
        self.ring_bytes, self.span = self.ring.nbytes, self.ring.span
        self.ring.clear()


def preroll_worker(path: Path, seconds: float) -> None:
    """Child (run with PYTHONMALLOC=malloc: Python's objects come from glibc too): one ring's memory."""
    feed_file(path, [_RingSink(seconds)], stop_after=2.0)  # PyAV's and the engine's first-use allocations
    sink = _RingSink(seconds)
    count = feed_file(path, [sink], stop_after=3 * seconds)
    print(
        json.dumps(
            {
                "allocated_mb": sink.allocated / 1e6,
                "ring_mb": sink.ring_bytes / 1e6,
                "seconds_held": sink.span,
                "packets_fed": count,
            }
        )
    )


def preroll_memory(clip: Path, seconds: float = 10.0) -> dict[str, float]:
    """Memory of one camera's pre-roll ring (what events-only mode keeps): 10 s at 4 Mb/s."""
    output = subprocess.run(
        [sys.executable, __file__, "--preroll-worker", str(clip), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONMALLOC": "malloc"},
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


# --- 4. index listing ------------------------------------------------------------------------------------


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


def media_browse_day() -> dict[str, float]:
    """The whole media-browser listing of one camera-day, where tools/bench_media.py exists."""
    try:
        from tools.bench_media import measure_browse_day_ms  # type: ignore[import-not-found]
    except ImportError:
        return {}
    return {"media_browse_day_ms": round(float(measure_browse_day_ms()), 2)}


# --- 5. export --------------------------------------------------------------------------------------------


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
        feed_file(source, [camera])
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
    done = threading.Event()
    recorder.worker.submit(done.set)
    done.wait(600)


# --- the whole of it ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def live_camera() -> Iterator[CameraSimulator]:
    """A simulator serving one camera as the issue describes it, its clip already encoded."""
    from tools.simulator_client import CameraSimulator

    with CameraSimulator(config=[{"path": "cam1", **LIVE_CAMERA}]) as simulator:
        warm_up(simulator, ["cam1"])
        yield simulator


def warm_up(simulator: CameraSimulator, paths: list[str], timeout: float = 300.0) -> None:
    """Open each mount once: the simulator encodes its clip then (seconds each, one at a time)."""
    import av

    deadline = time.monotonic() + timeout
    for path in paths:
        while True:
            try:
                with av.open(simulator.url(path), options={"rtsp_transport": "tcp"}, timeout=(60, 10)) as container:
                    next(container.demux(video=0))
                break
            except (av.error.FFmpegError, StopIteration):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)


def recording_results(
    url: str, *, quick: bool, repeats: int, export_minutes: int, baseline_engine: Path | None = None
) -> dict[str, Any]:
    """Every recording figure, printed as a table; returns the bench's JSON keys."""
    window = 40.0 if quick else 90.0
    live = live_record(url, window=window, baseline_engine=baseline_engine)
    clip, looped, short = make_inputs()
    file = file_record(looped, short, repeats)
    ring = preroll_memory(clip)
    listing = index_listing()
    browse = media_browse_day()
    export = export_hour(clip, export_minutes)
    ratio = live["ours_ms_per_s"] / live["ffmpeg_ms_per_s"]
    print(f"recording one 1080p 4 Mb/s + AAC stream into {SEGMENT_SECONDS} s segments, live, {window:.0f} s window")
    print(f"  {'CPU ms per s of video':>44}  {'ratio':>6}  {'MB written':>10}")
    rows = [("ffmpeg -c copy -f segment (plain MP4)", "ffmpeg"), ("ffmpeg, fragmented MP4", "ffmpeg_fragmented")]
    rows.append(("this engine (reader + recorder)", "ours"))
    if baseline_engine is not None:
        rows.append((f"baseline engine ({baseline_engine})", "baseline"))
    for label, key in rows:
        cpu = live[f"{key}_ms_per_s"]
        print(f"  {label:<38} {cpu:6.2f}  {cpu / live['ffmpeg_ms_per_s']:6.2f}  {live[f'{key}_mb_written']:10.1f}")
    print(
        f"  same on a file (steady state, least of {repeats}): this engine {file['ours_ms_per_s']:.2f}, ffmpeg "
        f"{file['ffmpeg_ms_per_s']:.2f} ms per s of video ({file['ours_ms_per_s'] / file['ffmpeg_ms_per_s']:.2f}); "
        f"ffmpeg's start-up alone {file['ffmpeg_startup_s']:.2f} s"
    )
    print(
        f"pre-roll ring, 10 s at 4 Mb/s (events only): {ring['allocated_mb']:.2f} MB allocated, "
        f"{ring['ring_mb']:.2f} MB counted by the ring, {ring['seconds_held']:.1f} s held"
    )
    print(
        f"index of {listing['rows']:,} segments: one camera-day {listing['camera_day_median_ms']:.2f} ms "
        f"(first {listing['camera_day_first_ms']:.2f} ms), days of a camera {listing['days_median_ms']:.2f} ms, "
        f"covering an hour {listing['covering_hour_median_ms']:.2f} ms, "
        f"oldest 200 deletable {listing['oldest_deletable_200_median_ms']:.2f} ms"
        + (f"; the media browser's whole listing {browse['media_browse_day_ms']:.2f} ms" if browse else "")
    )
    print(
        f"export of {export_minutes} min ({export['exported_mb']:.0f} MB, {export['source_segments']:.0f} "
        f"segments, hashes included): {export['export_seconds']:.1f} s, sha256sum -c ok: {bool(export['sha256sum_ok'])}"
    )
    results: dict[str, Any] = {
        "record_cpu_ratio_vs_ffmpeg_copy": round(ratio, 3),
        "record_cpu_ratio_vs_ffmpeg_copy_fragmented": round(
            live["ours_ms_per_s"] / live["ffmpeg_fragmented_ms_per_s"], 3
        ),
        "record_cpu_ms_per_s": round(live["ours_ms_per_s"], 3),
        "ffmpeg_copy_cpu_ms_per_s": round(live["ffmpeg_ms_per_s"], 3),
        "record_live_window_s": round(live["window_seconds"]),
        "record_cpu_ratio_vs_ffmpeg_copy_file": round(file["ours_ms_per_s"] / file["ffmpeg_ms_per_s"], 3),
    }
    if baseline_engine is not None:
        results["baseline_record_cpu_ratio_vs_ffmpeg_copy"] = round(
            live["baseline_ms_per_s"] / live["ffmpeg_ms_per_s"], 3
        )
    results |= {
        "preroll_ring_mb_per_camera": round(ring["allocated_mb"], 2),
        "preroll_ring_counted_mb": round(ring["ring_mb"], 2),
        "preroll_seconds_held": round(ring["seconds_held"], 1),
        "index_rows": listing["rows"],
        # The index query the media browser's day listing runs (the whole listing: media_browse_day_ms).
        "media_browse_day_index_ms": round(listing["camera_day_median_ms"], 2),
        "index_camera_day_first_ms": round(listing["camera_day_first_ms"], 2),
        "index_days_ms": round(listing["days_median_ms"], 2),
        "index_covering_hour_ms": round(listing["covering_hour_median_ms"], 2),
        "index_oldest_deletable_ms": round(listing["oldest_deletable_200_median_ms"], 2),
        **browse,
        "export_minutes": export_minutes,
        "export_1h_seconds" if export_minutes == 60 else "export_seconds": round(export["export_seconds"], 2),
        "export_mb_per_second": round(export["mb_per_second"], 1),
        "export_sha256sum_ok": bool(export["sha256sum_ok"]),
    }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="40 s live window (90 s), one repeat, 10-minute export")
    parser.add_argument("--baseline-engine", type=Path, help="a checkout whose engine also records, for a before/after")
    parser.add_argument("--live-worker", help=argparse.SUPPRESS)
    parser.add_argument("--file-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--preroll-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--record17-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=10.0, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # another checkout's integration, imported instead of this one's
        sys.path.insert(0, str(args.engine))
    if args.live_worker:
        live_worker(args.live_worker, args.out)
        return 0
    if args.file_worker:
        file_worker(args.file_worker, args.out)
        return 0
    if args.preroll_worker:
        preroll_worker(args.preroll_worker, args.seconds)
        return 0
    if args.record17_worker:
        record17_worker(args.record17_worker, args.seconds, args.out)
        return 0
    with live_camera() as simulator:
        results = recording_results(
            simulator.url("cam1"),
            quick=args.quick,
            repeats=1 if args.quick else 3,
            export_minutes=10 if args.quick else 60,
            baseline_engine=args.baseline_engine,
        )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

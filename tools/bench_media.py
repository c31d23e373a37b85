"""Media browser speed on a site-sized index: 30 days x 17 cameras of one-minute segments (734,400 rows).

    .venv/bin/python tools/bench_media.py [--repeats 20]

The rows are written into a real index (SQLite, in a temporary folder) through the engine's own
`insert_missing`, with the paths and days the recorder's layout gives. Then the media browser's own page
builder (`MediaTree`, the code the media source runs in the executor) lists pages, each timed up to the
dictionary Home Assistant's websocket sends (`as_dict()`):
- one camera-day (`media_browse_day_ms`: the day's 1,440 segments read to list its hours and clips),
- one hour of it (60 segments), and one camera (its 30 days).
Each is the median of `repeats` runs; the first call after opening the index is given too.
`measure_browse_day_ms()` is what tools/bench.py calls; `measure_browse()` returns every figure.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from custom_components.ngu_doan_cameras.engine.recording import (  # noqa: E402
    RecordingIndex,
    RecordingLayout,
    SegmentInfo,
)
from custom_components.ngu_doan_cameras.media_tree import CameraRef, MediaTree, labels_for  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_DAY = datetime(2026, 11, 1, tzinfo=TZ).timestamp()
DAYS = 30
CAMERAS = 17
SEGMENT_SECONDS = 60
SEGMENTS_PER_DAY = 86_400 // SEGMENT_SECONDS


def camera_id(number: int) -> str:
    """A camera id of the same length as the real ones (config subentry ids, 26 characters)."""
    return f"01JCAMERA{number:02d}XXXXXXXXXXXXXXX"


def site_rows(layout: RecordingLayout, days: int, cameras: int) -> Iterator[SegmentInfo]:
    """One-minute segments of every camera, every minute of every day, named as the recorder names them.

    Vietnam keeps no daylight saving time, so minute m of a day is m minutes after its local midnight.
    """
    for day in range(days):
        midnight = FIRST_DAY + day * 86_400
        name = layout.day_of(midnight)
        for camera in range(cameras):
            folder = f"recordings/{camera_id(camera)}/{name}"
            for minute in range(SEGMENTS_PER_DAY):
                start = midnight + minute * SEGMENT_SECONDS
                yield SegmentInfo(
                    camera_id(camera), f"{folder}/{minute // 60:02d}-{minute % 60:02d}-00.mp4", name,
                    start, start + SEGMENT_SECONDS, 30_000_000, "complete", 1, "h264", 1920, 1080, "aac",
                )  # fmt: skip


def timed(call: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """(first call ms, median of `repeats` more ms, the first call's result)."""
    begin = time.perf_counter()
    result = call()
    first = (time.perf_counter() - begin) * 1000
    runs = []
    for _ in range(repeats):
        begin = time.perf_counter()
        call()
        runs.append((time.perf_counter() - begin) * 1000)
    return first, statistics.median(runs), result


def measure_browse(repeats: int = 20, days: int = DAYS, cameras: int = CAMERAS) -> dict[str, Any]:
    """Every figure of the media browser bench (milliseconds; rows and build seconds for context)."""
    with tempfile.TemporaryDirectory() as folder:
        layout = RecordingLayout(folder, TZ)
        index = RecordingIndex(layout.index_path)
        begin = time.perf_counter()
        rows = index.insert_missing(site_rows(layout, days, cameras), ())
        build = time.perf_counter() - begin
        index.close()  # the browse below starts on a freshly opened index, as after a restart

        index = RecordingIndex(layout.index_path)
        tree = MediaTree(index, layout, labels_for("vi"))
        camera = CameraRef(f"site/01JSITE/{camera_id(9)}", camera_id(9), "Trúc - Ngã tư (Thôn Trúc)")
        day = f"{layout.local(FIRST_DAY + (days // 2) * 86_400):%Y-%m-%d}"
        day_first, day_median, day_page = timed(lambda: tree.day(camera, day).as_dict(), repeats)
        hour_first, hour_median, hour_page = timed(lambda: tree.hour(camera, day, 14).as_dict(), repeats)
        camera_first, camera_median, camera_page = timed(lambda: tree.camera(camera).as_dict(), repeats)
        index.close()
    # The pages listed what the index holds: 24 hours, 60 segments, every day.
    assert len(day_page["children"]) == 24, day_page
    assert len(hour_page["children"]) == 60, hour_page
    assert hour_page["children"][0]["title"] == "14:00:00 (60 s)", hour_page
    assert len(camera_page["children"]) == days, camera_page
    return {
        "rows": rows,
        "index_build_seconds": round(build, 2),
        "media_browse_day_ms": round(day_median, 2),
        "media_browse_day_first_ms": round(day_first, 2),
        "media_browse_hour_ms": round(hour_median, 2),
        "media_browse_hour_first_ms": round(hour_first, 2),
        "media_browse_camera_ms": round(camera_median, 2),
        "media_browse_camera_first_ms": round(camera_first, 2),
    }


def measure_browse_day_ms(repeats: int = 20) -> float:
    """Milliseconds to list one camera-day with 30 days x 17 cameras indexed (median of `repeats`)."""
    return float(measure_browse(repeats)["media_browse_day_ms"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    result = measure_browse(args.repeats)
    for key, value in result.items():
        print(f"{key}: {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

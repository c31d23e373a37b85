"""Stills and motion snapshots: true black and white in JPEG, shared frames encoded from many threads,
libjpeg-turbo loaded once and never on the event loop, nothing half-written left on a full disk."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import resource
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import av
import numpy as np
import pytest
from homeassistant.core import HomeAssistant

from custom_components.ngu_doan_cameras.engine import stills
from custom_components.ngu_doan_cameras.engine.snapshots import STALE_PART_SECONDS, save_snapshot
from custom_components.ngu_doan_cameras.engine.stills import JpegEncoder, StillImageSource

from .blocking import LoopGuard

WIDTH, HEIGHT = 320, 180


def two_level_frame(fmt: str, low: int, high: int, *, color_range: int | None = None) -> av.VideoFrame:
    """A frame whose left half has luma `low` and right half `high`; chroma grey except a blue-ish band."""
    frame = av.VideoFrame(WIDTH, HEIGHT, fmt)
    for index, plane in enumerate(frame.planes):
        rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size).copy()
        if index == 0:
            rows[:, : WIDTH // 2] = low
            rows[:, WIDTH // 2 :] = high
        else:
            rows[:] = 128
        plane.update(rows.tobytes())
    if color_range is not None:
        frame.color_range = color_range
    return frame


def decoded_luma(jpeg: bytes) -> np.ndarray:
    """Decode a JPEG with FFmpeg; its luma plane (JPEG's own, full-range values)."""
    with av.open(io.BytesIO(jpeg), format="mjpeg") as container:
        frame = next(container.decode(video=0))
    plane = frame.planes[0]
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]


def halves(luma: np.ndarray) -> tuple[float, float]:
    """Median luma of the middle of the left and right halves (away from the edge's ringing)."""
    height, width = luma.shape
    rows = slice(height // 4, 3 * height // 4)
    return (
        float(np.median(luma[rows, width // 8 : 3 * width // 8])),
        float(np.median(luma[rows, 5 * width // 8 : 7 * width // 8])),
    )


@pytest.mark.parametrize("use_turbo", [True, False], ids=["turbojpeg", "ffmpeg"])
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (("yuvj420p", 0, 255, None), (0, 255)),  # full range, as many cameras send
        (("yuv420p", 16, 235, None), (0, 255)),  # limited range: black and white are 16 and 235
        (("yuv420p", 8, 247, 2), (8, 247)),  # full range marked the newer way (no yuvj format): kept as is
    ],
    ids=["yuvj420p", "yuv420p", "yuv420p_full_range"],
)
@pytest.mark.parametrize("size", [None, 160], ids=["full_size", "scaled"])
def test_stills_keep_black_black_and_white_white(
    source: tuple[str, int, int, int | None], expected: tuple[int, int], use_turbo: bool, size: int | None
) -> None:
    fmt, low, high, color_range = source
    frame = two_level_frame(fmt, low, high, color_range=color_range)
    stills_of_frame = StillImageSource(lambda: (1, frame), JpegEncoder(use_turbo=use_turbo))
    jpeg = stills_of_frame.jpeg(width=size)
    assert jpeg is not None
    luma = decoded_luma(jpeg)
    assert luma.shape == ((HEIGHT * (size or WIDTH)) // WIDTH, size or WIDTH)
    black, white = halves(luma)
    assert black == pytest.approx(expected[0], abs=3)
    assert white == pytest.approx(expected[1], abs=3)


@pytest.mark.parametrize("use_turbo", [True, False], ids=["turbojpeg", "ffmpeg"])
def test_odd_sized_planes_are_packed_and_stretched(use_turbo: bool) -> None:
    # 66 pixels wide: chroma rows of 33 (odd: pixel by pixel), padded to 36 for libjpeg-turbo.
    frame = av.VideoFrame(66, 48, "yuv420p")
    for index, plane in enumerate(frame.planes):
        rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size).copy()
        rows[:] = 128
        if index == 0:
            rows[:, :33] = 16
            rows[:, 33:] = 235
        plane.update(rows.tobytes())
    luma = decoded_luma(JpegEncoder(use_turbo=use_turbo).encode(frame))
    assert luma.shape == (48, 66)
    black, white = halves(luma)
    assert black == pytest.approx(0, abs=3)
    assert white == pytest.approx(255, abs=3)


def test_limited_range_chroma_is_stretched_too() -> None:
    frame = two_level_frame("yuv420p", 16, 235)
    # Strongest limited-range blue: U=240 (full range: 255).
    frame.planes[1].update(bytes([240]) * frame.planes[1].buffer_size)
    jpeg = JpegEncoder().encode(frame)
    with av.open(io.BytesIO(jpeg), format="mjpeg") as container:
        decoded = next(container.decode(video=0))
    u = np.frombuffer(decoded.planes[1], np.uint8)
    assert float(np.median(u)) >= 252


def test_a_shared_frame_is_encoded_from_many_threads_at_once() -> None:
    # A still request and a motion snapshot encode the same decoded frame in two executor threads.
    with av.open(io.BytesIO(_clip()), format="mpegts") as container:
        frame = next(container.decode(video=0))  # yuvj420p, as a full-range camera sends
    assert frame.format.name == "yuvj420p"
    sizes = [None, 160, 96, 240]
    encoder = JpegEncoder()
    expected = {
        size: encoder.encode(frame, *stills.scaled_size(frame.width, frame.height, size, None)) for size in sizes
    }
    sequence = iter(range(10**9))  # every request a "new frame": no cache hits
    source = StillImageSource(lambda: (next(sequence), frame))
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def stills_requests(size: int | None) -> None:
        start.wait()
        try:
            for _ in range(40):
                assert source.jpeg(width=size) == expected[size]
        except BaseException as err:  # reported below
            errors.append(err)

    def snapshots(folder: Path) -> None:
        start.wait()
        try:
            for index in range(40):
                path = save_snapshot(frame, folder, datetime(2026, 11, 30, 2, 13, 5, index * 1000), keep=3)
                assert path.read_bytes() == expected[None]
        except BaseException as err:  # reported below
            errors.append(err)

    with _temporary_folder() as folder:
        threads = [threading.Thread(target=stills_requests, args=(size,)) for size in sizes[1:]]
        threads.append(threading.Thread(target=snapshots, args=(folder,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors


async def test_turbojpeg_loads_once_and_never_on_the_event_loop(hass: HomeAssistant, loop_guard: LoopGuard) -> None:
    # The guard sees a library load on the loop (what every camera's setup used to do)...
    from turbojpeg import TurboJPEG

    TurboJPEG()
    assert any("find_library" in call or "CDLL" in call for call in loop_guard.calls)
    loop_guard.calls.clear()
    # ...but not the same work in an executor.
    await hass.async_add_executor_job(TurboJPEG)
    loop_guard.assert_clean()
    # Encoders and still sources are made while setting up, on the loop: they load nothing.
    source = StillImageSource(lambda: None, JpegEncoder())
    assert source.jpeg() is None
    loop_guard.assert_clean()
    # The library itself: once per process, on first use, in a worker thread.
    first = await hass.async_add_executor_job(stills.turbojpeg)
    assert first is not None
    assert await hass.async_add_executor_job(stills.turbojpeg) is first


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Writes past `limit` bytes fail with EFBIG, as writes to a full disk fail with ENOSPC: midway."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_failed_snapshot_write_leaves_no_half_file_and_old_ones_are_cleaned(tmp_path: Path) -> None:
    folder = tmp_path / "camera-1"
    folder.mkdir()
    stale = folder / "20261129-230000-000.part"  # left by an earlier failure
    stale.write_bytes(b"half a picture")
    old = time.time() - 2 * STALE_PART_SECONDS
    os.utime(stale, (old, old))
    in_progress = folder / "20261130-021304-999.part"  # another save writing right now: not touched
    in_progress.write_bytes(b"being written")
    frame = two_level_frame("yuvj420p", 0, 255)
    when = datetime(2026, 11, 30, 2, 13, 5)
    assert len(JpegEncoder().encode(frame)) > 1000
    with file_size_limit(1000), pytest.raises(OSError) as failure:
        save_snapshot(frame, folder, when, keep=10)
    assert failure.value.errno == errno.EFBIG
    assert sorted(path.name for path in folder.iterdir()) == [in_progress.name]
    # With room again, the snapshot is written whole.
    path = save_snapshot(frame, folder, when, keep=10)
    assert path.name == "20261130-021305-000.jpg"
    assert decoded_luma(path.read_bytes()).shape == (HEIGHT, WIDTH)


def _clip() -> bytes:
    """One second of full-range (yuvj420p) H.264 in MPEG-TS."""
    out = io.BytesIO()
    with av.open(out, "w", format="mpegts") as container:
        stream = container.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuvj420p"
        for index in range(15):
            frame = two_level_frame("yuvj420p", index * 8, 255 - index * 8)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


@contextlib.contextmanager
def _temporary_folder() -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="snapshots_") as name:
        yield Path(name)

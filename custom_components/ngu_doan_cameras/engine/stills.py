"""Still images from the newest decoded frame: JPEG made only when asked, once per new frame and size.

JPEG holds full-range YCbCr (0-255). Many cameras send full range already (yuvj420p, or yuv420p marked
full range by newer FFmpeg): those planes are encoded as they are. Limited-range video (yuv420p, 16-235)
is stretched to full range while its planes are packed for the encoder, through lookup tables that map
two pixels at a time (half the lookups of a per-pixel table). swscale only scales here, always within a
range family: PyAV's colour-range options mean different things in different releases.

Thread safety: a decoded frame is shared (stills in one executor thread, a motion snapshot in another),
and a PyAV frame's own `reformat` keeps one converter per frame that two threads must not use at once.
Frames are therefore only ever read here; scaling goes through a converter of the calling thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any, cast

import av
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

_LOGGER = logging.getLogger(__name__)

JPEG_QUALITY = 80
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG: how newer FFmpeg marks full range instead of the yuvj formats

type FrameSource = Callable[[], tuple[int, VideoFrame] | None]
type Planes = npt.NDArray[np.uint8]


def _range_tables(low: int, high: int, fixed: int) -> tuple[Planes, npt.NDArray[np.uint16]]:
    """Tables stretching limited-range values [low, high] onto 0-255 around `fixed`.

    Luma: 16-235, 16 going to 0; chroma: 16-240 around 128. One table per pixel, and one per pair of
    pixels (the two bytes of a uint16, in memory order).
    """
    values = np.arange(256, dtype=np.float32)
    target = 0 if fixed == low else fixed
    one: Planes = np.clip(np.rint((values - fixed) * (255.0 / (high - low)) + target), 0, 255).astype(np.uint8)
    pairs = np.arange(65536, dtype=np.uint16).view(np.uint8).reshape(-1, 2)
    two: npt.NDArray[np.uint16] = np.ascontiguousarray(one[pairs]).view(np.uint16).reshape(-1)
    return one, two


_LUMA_TO_FULL = _range_tables(16, 235, 16)
_CHROMA_TO_FULL = _range_tables(16, 240, 128)


def scaled_size(width: int, height: int, want_width: int | None, want_height: int | None) -> tuple[int, int]:
    """Fit inside the asked box keeping the aspect ratio; never upscale; even sizes for 4:2:0 JPEG."""
    scale = 1.0
    if want_width:
        scale = min(scale, want_width / width)
    if want_height:
        scale = min(scale, want_height / height)
    if scale >= 1.0:
        return width, height
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


# --- libjpeg-turbo: loaded once per process, on first use -------------------------------------------

_turbo_lock = threading.Lock()
_turbo_loaded = False
_turbo: Any = None


def turbojpeg() -> Any:
    """The process's libjpeg-turbo (PyTurboJPEG), or None without it. Blocking the first time.

    Loading it runs `ldconfig` (ctypes' library search) and loads a C library: never on the event loop.
    The first still or snapshot is encoded in an executor or reader thread, so that is where it loads.
    """
    global _turbo, _turbo_loaded  # noqa: PLW0603 - one library per process
    with _turbo_lock:
        if not _turbo_loaded:
            _turbo = _load_turbojpeg()
            _turbo_loaded = True
        return _turbo


def _load_turbojpeg() -> Any:
    try:
        from turbojpeg import TurboJPEG  # noqa: PLC0415

        return TurboJPEG()
    except Exception:  # noqa: BLE001 - the library or libturbojpeg may be missing
        _LOGGER.debug("libjpeg-turbo not available, using FFmpeg's JPEG encoder")
        return None


# --- frames to full-range 4:2:0 planes ---------------------------------------------------------------

_converters = threading.local()


def _converter() -> VideoReformatter:
    """The calling thread's own scaler/converter (see the module's note on thread safety)."""
    converter: VideoReformatter | None = getattr(_converters, "reformatter", None)
    if converter is None:
        converter = _converters.reformatter = VideoReformatter()
    return converter


def is_full_range(frame: VideoFrame) -> bool:
    """True for full-range (JPEG-range) video: a yuvj format, or marked full range."""
    return frame.format.name.startswith("yuvj") or int(frame.color_range) == _FULL_RANGE


def as_420(frame: VideoFrame, width: int | None = None, height: int | None = None) -> VideoFrame:
    """`frame` in 4:2:0 at the asked size, in its own range (the frame itself if it already is).

    The range is left alone here: a yuvj source becomes yuvj420p, anything else yuv420p.
    """
    target = "yuvj420p" if frame.format.name.startswith("yuvj") else "yuv420p"
    width, height = width or frame.width, height or frame.height
    if frame.format.name in {"yuv420p", "yuvj420p"} and (width, height) == (frame.width, frame.height):
        return frame
    return _converter().reformat(frame, width=width, height=height, format=target)


def jpeg_planes(frame: VideoFrame, *, full_range: bool) -> Planes:
    """A 4:2:0 frame's planes in full range, packed as libjpeg-turbo reads them (rows padded to 4 bytes).

    `full_range`: the frame already is (said by the decoded frame: a scaled copy may lose the mark).
    """
    chroma_width, chroma_height = (frame.width + 1) // 2, (frame.height + 1) // 2
    shapes = ((frame.height, frame.width), (chroma_height, chroma_width), (chroma_height, chroma_width))
    strides = [(width + 3) & ~3 for _, width in shapes]
    packed = np.empty(sum(stride * rows for stride, (rows, _) in zip(strides, shapes, strict=True)), np.uint8)
    offset = 0
    for index, (plane, (rows, width), stride) in enumerate(zip(frame.planes, shapes, strides, strict=True)):
        source = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:rows, :width]
        target = packed[offset : offset + stride * rows].reshape(rows, stride)[:, :width]
        if full_range:
            np.copyto(target, source)
        else:
            _stretch(source, target, _LUMA_TO_FULL if index == 0 else _CHROMA_TO_FULL)
        offset += stride * rows
    return packed


def _stretch(source: Planes, target: Planes, tables: tuple[Planes, npt.NDArray[np.uint16]]) -> None:
    """Limited to full range, from `source` into `target` in one pass (two pixels a lookup when it can)."""
    one, two = tables
    if source.shape[1] % 2 == 0 and source.strides[0] % 2 == 0 and target.strides[0] % 2 == 0:
        # mode="clip": every index is in the table already, and numpy skips its bounds checks.
        np.take(two, source.view(np.uint16), out=target.view(np.uint16), mode="clip")
    else:
        np.take(one, source, out=target, mode="clip")


class JpegEncoder:
    """JPEG encoder.

    libjpeg-turbo straight from the YUV planes when available (as Home Assistant's camera uses it);
    FFmpeg's MJPEG encoder otherwise. Cheap to make, safe to share between threads.
    """

    def __init__(self, quality: int = JPEG_QUALITY, *, use_turbo: bool = True) -> None:
        self._quality = quality
        self._use_turbo = use_turbo

    def encode(self, frame: VideoFrame, width: int | None = None, height: int | None = None) -> bytes:
        """JPEG bytes of `frame` (any pixel format), scaled to width x height if given. The frame is only read."""
        full_range = is_full_range(frame)
        frame = as_420(frame, width, height)
        planes = jpeg_planes(frame, full_range=full_range)
        turbo = turbojpeg() if self._use_turbo else None
        if turbo is None:
            return _encode_with_ffmpeg(planes, frame.width, frame.height, self._quality)
        from turbojpeg import TJSAMP_420  # noqa: PLC0415 - only when the library loaded

        return bytes(
            turbo.encode_from_yuv(planes, frame.height, frame.width, quality=self._quality, jpeg_subsample=TJSAMP_420)
        )


def _encode_with_ffmpeg(planes: Planes, width: int, height: int, quality: int) -> bytes:
    """FFmpeg's MJPEG encoder, from packed full-range planes (see `jpeg_planes`)."""
    full = VideoFrame(width, height, "yuvj420p")
    offset = 0
    for plane in full.planes:
        rows, columns = plane.height, plane.width
        stride = (columns + 3) & ~3
        target = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        target[:rows, :columns] = planes[offset : offset + stride * rows].reshape(rows, stride)[:, :columns]
        offset += stride * rows
    context = cast(av.VideoCodecContext, av.CodecContext.create("mjpeg", "w"))
    context.width = width
    context.height = height
    context.pix_fmt = "yuvj420p"
    context.time_base = Fraction(1, 25)
    # Map 0-100 quality onto MJPEG's quantiser scale 31 (worst) .. 2 (best).
    qscale = max(2, min(31, round(31 - (quality / 100) * 29)))
    context.options = {"qmin": str(qscale), "qmax": str(qscale)}
    packets = context.encode(full) + context.encode(None)
    return b"".join(bytes(packet) for packet in packets)


# The one encoder stills and motion snapshots share (it holds no state: libjpeg-turbo loads lazily).
SHARED_ENCODER = JpegEncoder()


class StillImageSource:
    """Serves JPEG stills of a camera's newest frame, cached until the next frame arrives."""

    def __init__(self, frames: FrameSource, encoder: JpegEncoder | None = None) -> None:
        self._frames = frames
        self._encoder = encoder or SHARED_ENCODER
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, int], bytes] = {}
        self._cache_seq = -1
        self.encodes = 0  # how many JPEGs were made (the cache's hit rate is visible in diagnostics)

    def jpeg(self, width: int | None = None, height: int | None = None) -> bytes | None:
        """Newest frame as JPEG, scaled to fit (width, height). Blocking: call from an executor."""
        latest = self._frames()
        if latest is None:
            return None
        seq, frame = latest
        size = scaled_size(frame.width, frame.height, width, height)
        with self._lock:
            if seq != self._cache_seq:
                self._cache = {}
                self._cache_seq = seq
            cached = self._cache.get(size)
            if cached is not None:
                return cached
            image = self._encoder.encode(frame, *size)
            self._cache[size] = image
            self.encodes += 1
            return image

"""Still images from the newest decoded frame: JPEG made only when asked, once per new frame and size."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any, cast

import av
from av.video.frame import VideoFrame

_LOGGER = logging.getLogger(__name__)

JPEG_QUALITY = 80

type FrameSource = Callable[[], tuple[int, VideoFrame] | None]


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


class JpegEncoder:
    """JPEG encoder.

    libjpeg-turbo straight from the YUV planes when available (as Home Assistant's camera uses it);
    FFmpeg's MJPEG encoder otherwise.
    """

    def __init__(self, quality: int = JPEG_QUALITY) -> None:
        self._quality = quality
        self._turbo = _load_turbojpeg()

    def encode(self, frame: VideoFrame) -> bytes:
        """JPEG bytes of `frame`."""
        if self._turbo is not None:
            from turbojpeg import TJSAMP_420  # noqa: PLC0415 - only when the library loaded

            yuv = frame.reformat(format="yuv420p") if frame.format.name != "yuv420p" else frame
            planes = yuv.to_ndarray()  # I420: Y, then U, then V, no row padding
            return bytes(
                self._turbo.encode_from_yuv(
                    planes, frame.height, frame.width, quality=self._quality, jpeg_subsample=TJSAMP_420
                )
            )
        return _encode_with_ffmpeg(frame, self._quality)


def _load_turbojpeg() -> Any:
    try:
        from turbojpeg import TurboJPEG  # noqa: PLC0415

        return TurboJPEG()
    except Exception:  # noqa: BLE001 - the library or libturbojpeg may be missing
        _LOGGER.debug("libjpeg-turbo not available, using FFmpeg's JPEG encoder")
        return None


def _encode_with_ffmpeg(frame: VideoFrame, quality: int) -> bytes:
    context = cast(av.VideoCodecContext, av.CodecContext.create("mjpeg", "w"))
    context.width = frame.width
    context.height = frame.height
    context.pix_fmt = "yuvj420p"
    context.time_base = Fraction(1, 25)
    # Map 0-100 quality onto MJPEG's quantiser scale 31 (worst) .. 2 (best).
    qscale = max(2, min(31, round(31 - (quality / 100) * 29)))
    context.options = {"qmin": str(qscale), "qmax": str(qscale)}
    packets = context.encode(frame.reformat(format="yuvj420p")) + context.encode(None)
    return b"".join(bytes(packet) for packet in packets)


class StillImageSource:
    """Serves JPEG stills of a camera's newest frame, cached until the next frame arrives."""

    def __init__(self, frames: FrameSource, encoder: JpegEncoder | None = None) -> None:
        self._frames = frames
        self._encoder = encoder or JpegEncoder()
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
            if size != (frame.width, frame.height):
                frame = frame.reformat(width=size[0], height=size[1], format="yuv420p")
            image = self._encoder.encode(frame)
            self._cache[size] = image
            self.encodes += 1
            return image

"""Test before configure: open a stream once, under a timeout, and say what it is or what is wrong."""

from __future__ import annotations

import time
from dataclasses import dataclass

import av
from av.container import InputContainer

from .errors import StreamError, StreamErrorKind, classify, describe

# Home Assistant's live view (its `stream` component) plays these; anything else can still be used
# for stills and detection when it is a sub stream.
LIVE_VIEW_CODECS = frozenset({"h264", "hevc"})

# RTSP over TCP: no lost UDP packets (no grey smears), one port through the commune's routers.
RTSP_OPTIONS = {"rtsp_transport": "tcp", "rtsp_flags": "prefer_tcp"}
# Cameras describe their video in the SDP, so half a second of probing is enough; FFmpeg's default
# (5 s budget, about 2 s in practice) would delay every first still and every config flow.
PROBE_OPTIONS = {"analyzeduration": "500000"}
# That half second can end before the first video packet was read: a camera whose SDP lacks the
# parameter sets and whose key frame comes late, or, on a loaded machine, a first half second of sound
# only. Such a session has no picture size, and no MP4 can be written from it ("dimensions not set")
# for as long as it lasts. It is opened again at once with FFmpeg's own budget (5 s, 5 MB), which reads
# on to the first key frame.
FULL_PROBE_OPTIONS = {"analyzeduration": "5000000", "probesize": "5000000"}


def open_options(url: str, *, full_probe: bool = False) -> dict[str, str]:
    """FFmpeg options for opening `url` (`full_probe`: FFmpeg's own probing budget, see above)."""
    options = dict(FULL_PROBE_OPTIONS if full_probe else PROBE_OPTIONS)
    if url.lower().startswith("rtsp"):
        options.update(RTSP_OPTIONS)
    return options


def lacks_picture_size(container: InputContainer) -> bool:
    """True if the container's video was opened without its picture size (its probe ended too soon)."""
    if not container.streams.video:
        return False
    context = container.streams.video[0].codec_context
    return not (context.width and context.height)


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What a probe found."""

    codec: str
    width: int
    height: int
    fps: float | None
    open_seconds: float


def probe_stream(url: str, *, timeout: float = 10.0, require_live_view_codec: bool = True) -> StreamInfo:
    """Open `url`, check it carries decodable video and that packets arrive. Blocking: run in an executor.

    Raises StreamError with the kind of failure.
    """
    started = time.monotonic()
    container = _open(url, timeout, full_probe=False)
    if lacks_picture_size(container):
        container.close()
        container = _open(url, timeout, full_probe=True)
    try:
        if not container.streams.video:
            raise StreamError(StreamErrorKind.NOT_VIDEO, "no video track")
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        if require_live_view_codec and codec not in LIVE_VIEW_CODECS:
            raise StreamError(StreamErrorKind.UNSUPPORTED_CODEC, f"codec {codec}")
        # A camera that answers but sends nothing is caught here, by the read timeout; one that sends
        # only sound, by the deadline (every stream is demuxed: asked for video only, PyAV would skip
        # sound packets internally, where no deadline is checked, for ever).
        deadline = time.monotonic() + timeout
        for packet in container.demux():
            if packet.stream_index == stream.index and packet.size:
                break
            if time.monotonic() > deadline:
                raise StreamError(StreamErrorKind.TIMEOUT, "no video arrived in time")
        else:
            raise StreamError(StreamErrorKind.TIMEOUT, "stream ended before any video arrived")
        rate = stream.average_rate or stream.guessed_rate
        return StreamInfo(
            codec=codec,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate) if rate else None,
            open_seconds=time.monotonic() - started,
        )
    except StreamError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise StreamError(classify(exc), describe(exc)) from None
    finally:
        container.close()


def _open(url: str, timeout: float, *, full_probe: bool) -> InputContainer:
    try:
        return av.open(url, options=open_options(url, full_probe=full_probe), timeout=(timeout, timeout))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a kind the user can act on
        raise StreamError(classify(exc), describe(exc)) from None

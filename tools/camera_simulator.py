#!/usr/bin/python3
"""Live RTSP camera simulator built on GStreamer's RTSP server.

Run it with Debian's system Python (``/usr/bin/python3``), which has PyGObject
from ``python3-gi``; the project's venv has no ``gi``. This script deliberately
imports nothing from the project so it can run outside of it.

Every camera streams H.264 showing a moving ball in a per-camera colour scheme,
so frames differ over time (motion detection) and between cameras. With a
scene (``--scene``, or ``"scene"`` per camera in ``--config``: ``street``,
``village`` or ``night``) a camera shows instead a still street or village, by
day or in infrared grey with noise, where a person, a motorbike or a car
crosses now and then (``"passers"`` per loop, default 1; 0 for a quiet
camera): a longer loop (20 to 28 s), drawn by ``simulator_scenes.py``. Cameras
with audio (``--audio``, or ``"audio": true`` per camera in ``--config``) also
send AAC (16 kHz mono, a per-camera tone), as many real cameras do. Extra
mounts that always exist:

* ``/h265``   an H.265 stream (only if the ``x265enc`` element is installed).
* ``/silent`` DESCRIBE/SETUP/PLAY succeed but no video packet is ever sent, so
  clients run into their read timeout.

To keep dozens of streams cheap, each stream's picture (and sound) is encoded
once (x264 ultrafast/zerolatency, a few seconds that start with a key frame
and span whole GOPs) and then replayed in a loop in real time through a live
``appsrc``: serving costs no encoding, and the loop point is a key frame, so
decoders never see a broken reference.

The process is driven through stdin, one command per line, each answered on
stdout with exactly one line ``ok <command>`` or ``error <reason>``::

    drop <path>     close every session on the mount (and its sub mounts) and
                    answer 404 to new clients until restored
    restore <path>  serve the mount again
    freeze <path>   clients stay connected but get no more frames (nor sound)
    stall <path>    video stops but the sound keeps flowing (an "audio-only
                    stall"; only for mounts with audio)
    thaw <path>     frames (and sound) flow again after freeze or stall,
                    continuing the stream where it stopped
    corrupt <path>  video packets keep coming at the normal rate, but their
                    payload is garbage that never decodes into a picture
                    (valid RTP and NAL framing, so the session stays up)
    uncorrupt <path> the real video again (from the next key frame)
    quit            stop and exit 0 (also on SIGINT/SIGTERM and stdin EOF)

``drop cam3`` affects ``/cam3`` and ``/cam3/sub``; ``drop cam3/sub`` only the
sub stream. Once the server listens, the single line ``READY <port>`` is
printed. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import gi
import simulator_scenes

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

DEFAULT_WIDTH = 640
DEFAULT_HEIGHT = 360
DEFAULT_FPS = 15
DEFAULT_GOP = 30
DEFAULT_BITRATE = 512  # kbit/s
DEFAULT_SUB_WIDTH = 320
DEFAULT_SUB_HEIGHT = 180
DEFAULT_SUB_BITRATE = 128  # kbit/s
CLIP_SECONDS = 4  # minimum length of the replayed loop
TICK_MS = 5  # how often the feeders check whether a frame is due
AUDIO_RATE = 16000  # Hz, mono: what cameras' microphones send
AAC_FRAME_SAMPLES = 1024  # samples per AAC frame
AUDIO_BITRATE = 32000  # bit/s
# A non-IDR slice whose header names slice type 31 (the largest valid one is 9): every H.264 decoder
# rejects the slice before touching picture data, so no frame (not even a concealed one) comes out,
# while parsers and payloaders still see a well-formed NAL unit. Bits after the NAL header byte:
# first_mb_in_slice=0 ("1"), slice_type=31 ("00000100000"), then ones (no start-code lookalikes).
GARBAGE_NAL = b"\x00\x00\x00\x01\x41\x82\x0f"

ROLE = "camera-user"

# ARGB background/foreground pairs; cycled so neighbouring cameras look different.
PALETTE: tuple[tuple[int, int], ...] = (
    (0xFF202060, 0xFFFFFF00),
    (0xFF206020, 0xFFFF40FF),
    (0xFF602020, 0xFF40FFFF),
    (0xFF505050, 0xFFFFFFFF),
    (0xFF000000, 0xFFFF8000),
    (0xFF004060, 0xFFFFC0C0),
    (0xFF403000, 0xFF80FF80),
)
MOTIONS: tuple[str, ...] = ("wavy", "sweep", "hsweep")
SCENE_LOOP_SECONDS = (20, 24, 28)  # cameras loop at different lengths, so their passers-by do not march in step


def log(message: str) -> None:
    """Write a diagnostic line to stderr (stdout is reserved for the protocol)."""
    print(f"camera_simulator: {message}", file=sys.stderr, flush=True)


def reply(line: str) -> None:
    """Write one protocol line to stdout, flushed so a piped reader sees it now."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def has_element(name: str) -> bool:
    """Return True if a GStreamer element factory is installed."""
    return Gst.ElementFactory.find(name) is not None


@dataclass(frozen=True)
class StreamSpec:
    """One mount point and how its video looks."""

    mount: str  # "/cam1", "/cam1/sub", "/h265", ...
    label: str
    width: int
    height: int
    fps: int
    gop: int
    bitrate: int  # kbit/s
    index: int = 0  # picks the colour scheme, motion and tone
    codec: str = "h264"
    silent: bool = False
    audio: bool = False
    scene: str = ""  # "" for the ball; or one of simulator_scenes.SCENES
    passers: int = 1  # crossings per loop of a scene

    @property
    def clip_frames(self) -> int:
        """Loop length: at least CLIP_SECONDS (a scene's own, longer loop), in whole GOPs."""
        seconds = SCENE_LOOP_SECONDS[self.index % len(SCENE_LOOP_SECONDS)] if self.scene else CLIP_SECONDS
        wanted = max(self.fps * seconds, self.gop)
        return math.ceil(wanted / self.gop) * self.gop

    @property
    def audio_frames(self) -> int:
        """AAC frames of the sound loop: as long as the picture's loop (whole frames)."""
        return math.ceil(self.clip_frames / self.fps * AUDIO_RATE / AAC_FRAME_SAMPLES)

    @property
    def tone(self) -> int:
        """Hz of this camera's tone, so cameras sound different too."""
        return 300 + 100 * (self.index % 7)

    @property
    def caps(self) -> str:
        media = "video/x-h265" if self.codec == "h265" else "video/x-h264"
        return (
            f"{media},stream-format=byte-stream,alignment=au,"
            f"width={self.width},height={self.height},framerate={self.fps}/1"
        )

    def encoder(self) -> str:
        """The encoder and its output caps."""
        if self.codec == "h265":
            # Closed GOPs: an open-GOP CRA at the loop point would reference
            # frames from the end of the previous pass.
            encoder = (
                "x265enc tune=zerolatency speed-preset=ultrafast "
                f"key-int-max={self.gop} bitrate={self.bitrate} "
                'option-string="open-gop=0"'
            )
        else:
            encoder = (
                "x264enc tune=zerolatency speed-preset=ultrafast threads=1 "
                f"key-int-max={self.gop} bitrate={self.bitrate}"
            )
        return f"{encoder} ! {self.caps}"

    @property
    def raw_caps(self) -> str:
        return f"video/x-raw,format=I420,width={self.width},height={self.height},framerate={self.fps}/1"

    def clip_pipeline(self) -> str:
        """Pipeline that encodes the loop once into an appsink (a scene's frames come through appsrc "src")."""
        if self.scene:
            source = f"appsrc name=src format=time block=true max-bytes=2000000 caps={self.raw_caps}"
        else:
            background, foreground = PALETTE[self.index % len(PALETTE)]
            motion = MOTIONS[self.index % len(MOTIONS)]
            source = (
                f"videotestsrc num-buffers={self.clip_frames} pattern=ball "
                f"motion={motion} background-color={background} "
                f"foreground-color={foreground} ! {self.raw_caps}"
            )
        return f"{source} ! {self.encoder()} ! appsink name=sink sync=false"

    def scene_frames(self) -> Any:
        """The scene's raw frames (an iterator of I420 pictures)."""
        return simulator_scenes.frames(
            self.scene,
            width=self.width,
            height=self.height,
            fps=self.fps,
            count=self.clip_frames,
            index=self.index,
            passers=self.passers,
        )

    def audio_pipeline(self) -> str:
        """Pipeline that encodes the sound loop once (raw AAC frames) into an appsink."""
        encoder = "voaacenc" if has_element("voaacenc") else "avenc_aac"
        return (
            f"audiotestsrc num-buffers={self.audio_frames} samplesperbuffer={AAC_FRAME_SAMPLES} "
            f"wave=sine freq={self.tone} volume=0.3 "
            f"! audio/x-raw,format=S16LE,rate={AUDIO_RATE},channels=1,layout=interleaved "
            f"! {encoder} bitrate={AUDIO_BITRATE} ! aacparse "
            "! audio/mpeg,mpegversion=4,stream-format=raw "
            "! appsink name=sink sync=false"
        )

    def launch_line(self) -> str:
        """The RTSP media: replays the clip pushed into appsrc "src" (and the sound into "asrc")."""
        if self.codec == "h265":
            tail = "h265parse ! rtph265pay name=pay0 pt=96 config-interval=1"
        else:
            tail = "h264parse ! rtph264pay name=pay0 pt=96 config-interval=1"
        # do-timestamp stamps each frame with the running time it is pushed
        # at, so the RTP timestamps follow the real-time feeder.
        # The latency bounds tell the sinks there is room for their
        # processing deadline (the defaults make them warn "add queues").
        audio = ""
        if self.audio:
            audio = (
                " appsrc name=asrc is-live=true do-timestamp=true format=time "
                f"min-latency=0 max-latency={Gst.SECOND} ! rtpmp4gpay name=pay1 pt=97"
            )
        return (
            "( appsrc name=src is-live=true do-timestamp=true format=time "
            f"min-latency=0 max-latency={Gst.SECOND} ! {tail}{audio} )"
        )


@dataclass(frozen=True)
class Clip:
    """An encoded loop: one buffer per frame, which of them are key frames, and their caps."""

    frames: list[bytes]
    keyframes: frozenset[int]
    caps: str


class ClipCache:
    """Encoded loops, built on first use and shared by every media."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clips: dict[tuple[Any, ...], Clip] = {}

    def get(self, spec: StreamSpec) -> Clip:
        key = (
            spec.codec,
            spec.width,
            spec.height,
            spec.fps,
            spec.gop,
            spec.bitrate,
            spec.index % len(PALETTE),
            spec.index % len(MOTIONS),
            # A scene is the camera's own (its houses, its passers-by): cached per camera.
            (spec.scene, spec.passers, spec.index) if spec.scene else None,
        )
        return self._cached(key, spec.mount, lambda: _encode_clip(spec))

    def get_audio(self, spec: StreamSpec) -> Clip:
        key = ("aac", spec.audio_frames, spec.tone)
        return self._cached(key, f"{spec.mount} (audio)", lambda: _encode_audio(spec))

    def _cached(self, key: tuple[Any, ...], name: str, encode: Any) -> Clip:
        # Encoding happens on a server thread during the first DESCRIBE; the
        # lock makes concurrent first clients wait for one encode.
        with self._lock:
            clip = self._clips.get(key)
            if clip is None:
                started = time.monotonic()
                clip = self._clips[key] = encode()
                log(
                    f"{name}: encoded {len(clip.frames)} frames "
                    f"({sum(map(len, clip.frames)) // 1024} KiB) in "
                    f"{time.monotonic() - started:.2f}s"
                )
            return clip


def _pull_all(launch: str, name: str, feed: Any = None, fps: int = 1) -> Clip:
    """Run an encoding pipeline to its end; every buffer of its appsink "sink".

    With `feed` (raw frames), a thread pushes them into its appsrc "src" while this one pulls.
    """
    pipeline = Gst.parse_launch(launch)
    sink = pipeline.get_by_name("sink")
    frames: list[bytes] = []
    keyframes: set[int] = set()
    caps = ""
    pipeline.set_state(Gst.State.PLAYING)
    feeder = None
    if feed is not None:
        feeder = threading.Thread(target=_push_all, args=(pipeline.get_by_name("src"), feed, fps), daemon=True)
        feeder.start()
    try:
        while True:
            sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
            if sample is None:
                break  # EOS (or a stalled encoder, reported by the callers)
            buffer = sample.get_buffer()
            if not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT):
                keyframes.add(len(frames))
            caps = caps or sample.get_caps().to_string()
            frames.append(buffer.extract_dup(0, buffer.get_size()))
    finally:
        pipeline.set_state(Gst.State.NULL)
        if feeder is not None:
            feeder.join()
    if not frames:
        raise RuntimeError(f"{name}: the encoder gave nothing")
    return Clip(frames=frames, keyframes=frozenset(keyframes), caps=caps)


def _push_all(appsrc: Gst.Element, feed: Any, fps: int) -> None:
    """Push raw frames with their times into an appsrc, then end the stream."""
    for number, frame in enumerate(feed):
        buffer = Gst.Buffer.new_wrapped(frame)
        buffer.pts = number * Gst.SECOND // fps
        buffer.duration = Gst.SECOND // fps
        if appsrc.emit("push-buffer", buffer) != Gst.FlowReturn.OK:
            return  # the pipeline is stopping
    appsrc.emit("end-of-stream")


def _encode_clip(spec: StreamSpec) -> Clip:
    """Run the clip pipeline: one byte-stream access unit per frame."""
    feed = spec.scene_frames() if spec.scene else None
    clip = _pull_all(spec.clip_pipeline(), spec.mount, feed, spec.fps)
    if 0 not in clip.keyframes:
        raise RuntimeError(f"{spec.mount}: clip does not start with a key frame")
    if len(clip.frames) != spec.clip_frames:
        raise RuntimeError(f"{spec.mount}: encoder gave {len(clip.frames)} of {spec.clip_frames} frames")
    return clip


def _encode_audio(spec: StreamSpec) -> Clip:
    """Run the sound pipeline: raw AAC frames, each decodable on its own (so any of them can follow the last)."""
    return _pull_all(spec.audio_pipeline(), f"{spec.mount} (audio)")


@dataclass
class _Feeder:
    """Pushes one media's clip (its picture or its sound) into an appsrc in real time."""

    appsrc: Gst.Element
    clip: Clip
    interval: float  # seconds per frame
    frozen: bool = False
    corrupt: bool = False  # garbage instead of the picture
    healing: bool = False  # corrupt until the next key frame
    position: int = 0  # next clip frame
    pushed: int = 0
    next_due: float = 0.0

    def tick(self, now: float) -> None:
        # A frozen media still gets its very first frame: the server cannot
        # finish preparing (and answer DESCRIBE) before one arrives.
        if (self.frozen and self.pushed) or now < self.next_due:
            return
        if self.appsrc.current_state != Gst.State.PLAYING:
            # Not started yet (or already stopped): a frame pushed now would
            # get no valid timestamp from do-timestamp.
            self.next_due = now
            return
        buffer = Gst.Buffer.new_wrapped(self._next_frame())
        if self.appsrc.emit("push-buffer", buffer) == Gst.FlowReturn.OK:
            self.position = (self.position + 1) % len(self.clip.frames)
            self.pushed += 1
        # Schedule from the ideal time, but never more than one frame behind
        # so a stall does not end in a burst of frames.
        self.next_due = max(self.next_due + self.interval, now - self.interval)

    def _next_frame(self) -> bytes:
        frame = self.clip.frames[self.position]
        if self.healing and self.position in self.clip.keyframes:
            self.healing = False  # a key frame: decoders start afresh from here
        if not (self.corrupt or self.healing) or not self.pushed:
            return frame
        # Same size as the real frame, so the bit rate does not give it away.
        return GARBAGE_NAL + b"\xff" * max(0, len(frame) - len(GARBAGE_NAL))


@dataclass
class _MediaInfo:
    """What the control commands need from one live media pipeline."""

    mount: str
    feeder: _Feeder
    audio: _Feeder | None = None
    silence: tuple[Gst.Pad, int] | None = None  # the /silent drop probe
    held: bool = False  # we own one prepare() reference


def _rtp_send_pad(media: GstRtspServer.RTSPMedia) -> Gst.Pad | None:
    """rtpbin's RTP output pad for the media's (only) stream."""
    # The stream's source pad is linked to rtpbin's send_rtp_sink_0.
    peer = media.get_stream(0).get_srcpad().get_peer()
    rtpbin = peer.get_parent_element() if peer is not None else None
    if rtpbin is None:
        return None
    return rtpbin.get_static_pad("send_rtp_src_0")


def normalize_mount(path: str) -> str:
    """Turn "cam1", "/cam1/" or "cam1/sub" into a mount path like "/cam1"."""
    return "/" + path.strip().strip("/")


def is_under(mount: str, target: str) -> bool:
    """True if mount is target itself or a sub path of it ("/cam3/sub")."""
    return mount == target or mount.startswith(target + "/")


def build_specs(args: argparse.Namespace) -> list[StreamSpec]:
    """Expand --cameras/--config plus the always-present extra mounts."""
    main_defaults = StreamSpec(
        mount="",
        label="",
        width=args.width,
        height=args.height,
        fps=args.fps,
        gop=args.gop,
        bitrate=args.bitrate,
        audio=args.audio,
        scene=args.scene,
    )
    sub_defaults = replace(
        main_defaults,
        width=args.sub_width,
        height=args.sub_height,
        bitrate=args.sub_bitrate,
    )

    cameras: list[dict[str, Any]]
    if args.config:
        with open(args.config, encoding="utf-8") as file:
            cameras = json.load(file)
        if not isinstance(cameras, list):
            raise TypeError("config must be a JSON list of camera objects")
    else:
        cameras = [{"path": f"cam{number}"} for number in range(1, args.cameras + 1)]

    specs: list[StreamSpec] = []
    for index, camera in enumerate(cameras):
        if not isinstance(camera, dict):
            raise TypeError(f"camera #{index + 1} is not a JSON object")
        mount = normalize_mount(str(camera.get("path", f"cam{index + 1}")))
        label = str(camera.get("label", mount.lstrip("/")))
        main = replace(
            main_defaults,
            mount=mount,
            label=label,
            index=index,
            **_stream_overrides(camera),
        )
        specs.append(main)
        sub_config = camera.get("sub")
        if sub_config is None and args.sub and not args.config:
            sub_config = {}
        if sub_config is not None:
            if not isinstance(sub_config, dict):
                raise TypeError(f"{mount}: sub must be a JSON object")
            # The sub stream follows its camera's timing unless told otherwise.
            sub_values: dict[str, Any] = {
                "mount": f"{mount}/sub",
                "label": f"{label} (sub)",
                "index": index,
                "fps": main.fps,
                "gop": main.gop,
                "audio": main.audio,  # one microphone, heard on both streams
                "scene": main.scene,  # one view: the same passers-by at the same moments
                "passers": main.passers,
            }
            sub_values.update(_stream_overrides(sub_config))
            specs.append(replace(sub_defaults, **sub_values))

    if has_element("x265enc") and has_element("h265parse"):
        specs.append(replace(main_defaults, mount="/h265", label="H.265", codec="h265", audio=False))
    else:
        log("x265enc/h265parse not installed, /h265 is not served")
    specs.append(replace(sub_defaults, mount="/silent", label="silent", silent=True, audio=False))

    mounts = [spec.mount for spec in specs]
    if len(set(mounts)) != len(mounts):
        raise ValueError(f"duplicate mount paths in {mounts}")
    return specs


def _stream_overrides(config: dict[str, Any]) -> dict[str, Any]:
    """Pick the per-stream keys present in a config object."""
    overrides: dict[str, Any] = {
        key: int(config[key]) for key in ("width", "height", "fps", "gop", "bitrate") if key in config
    }
    if "audio" in config:
        if not isinstance(config["audio"], bool):
            raise TypeError("audio must be true or false")
        overrides["audio"] = config["audio"]
    if "scene" in config:
        if config["scene"] not in ("", *simulator_scenes.SCENES):
            raise ValueError(f"scene must be one of {', '.join(simulator_scenes.SCENES)}")
        overrides["scene"] = config["scene"]
    if "passers" in config:
        overrides["passers"] = max(0, int(config["passers"]))
    return overrides


class Simulator:
    """The RTSP server, its mounts, the frame feeders and the stdin protocol."""

    def __init__(self, args: argparse.Namespace, specs: list[StreamSpec]) -> None:
        self._loop = GLib.MainLoop()
        self._server = GstRtspServer.RTSPServer()
        self._server.set_address(args.host)
        self._server.set_service(str(args.port))
        # A client thread blocks while its media prepares (and encodes its
        # clip); with the default single client thread that would stall every
        # other camera.
        self._server.get_thread_pool().set_max_threads(-1)
        self._mounts = self._server.get_mount_points()
        self._specs = {spec.mount: spec for spec in specs}
        self._clips = ClipCache()
        self._factories: dict[str, GstRtspServer.RTSPMediaFactory] = {}
        self._dropped: set[str] = set()
        self._frozen: set[str] = set()
        self._stalled: set[str] = set()
        self._corrupt: set[str] = set()
        # media-configure and media signals fire on server threads, commands
        # and feeder ticks run in the main loop: the lock guards the media map.
        self._lock = threading.Lock()
        self._medias: dict[GstRtspServer.RTSPMedia, _MediaInfo] = {}
        self._ticking = False
        self._stdin_buffer = b""

        if args.user is not None:
            self._server.set_auth(self._make_auth(args.user, args.password))
        for spec in specs:
            factory = self._make_factory(spec, with_auth=args.user is not None)
            self._factories[spec.mount] = factory
            self._mounts.add_factory(spec.mount, factory)

    @staticmethod
    def _make_auth(user: str, password: str) -> GstRtspServer.RTSPAuth:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", ROLE)
        # Digest only: the point is to exercise the client's digest handshake.
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        return auth

    def _make_factory(self, spec: StreamSpec, *, with_auth: bool) -> GstRtspServer.RTSPMediaFactory:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(spec.launch_line())
        # One pipeline per mount no matter how many clients watch it.
        factory.set_shared(True)
        # Every FFmpeg PLAY carries "Range: npt=0-", which the server turns
        # into a flushing seek that waits for a new preroll: that glitches
        # every viewer of the shared media and hangs PLAY on a frozen one.
        # This clock mode makes the server treat the media as not seekable.
        factory.set_publish_clock_mode(GstRtspServer.RTSPPublishClockMode.CLOCK_AND_OFFSET)
        if with_auth:
            permissions = Gst.Structure.from_string(
                f"{ROLE}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )[0]
            factory.add_role_from_structure(permissions)
        factory.connect("media-configure", self._on_media_configure, spec)
        return factory

    # -- media bookkeeping (server threads) ---------------------------------

    def _on_media_configure(
        self,
        _factory: GstRtspServer.RTSPMediaFactory,
        media: GstRtspServer.RTSPMedia,
        spec: StreamSpec,
    ) -> None:
        element = media.get_element()
        appsrc = element.get_by_name("src")
        appsrc.set_property("caps", Gst.Caps.from_string(spec.caps))
        feeder = _Feeder(
            appsrc=appsrc,
            clip=self._clips.get(spec),
            interval=1 / spec.fps,
            next_due=time.monotonic(),
        )
        audio: _Feeder | None = None
        if spec.audio:
            sound = self._clips.get_audio(spec)
            audio_src = element.get_by_name("asrc")
            audio_src.set_property("caps", Gst.Caps.from_string(sound.caps))
            audio = _Feeder(
                appsrc=audio_src,
                clip=sound,
                interval=AAC_FRAME_SAMPLES / AUDIO_RATE,
                next_due=time.monotonic(),
            )
        info = _MediaInfo(mount=spec.mount, feeder=feeder, audio=audio)
        with self._lock:
            frozen = spec.mount in self._frozen
            feeder.frozen = spec.silent or frozen or spec.mount in self._stalled
            feeder.corrupt = spec.mount in self._corrupt
            if audio is not None:
                audio.frozen = frozen
            # Registered before preparing: preparing needs a first frame.
            self._medias[media] = info
            if not self._ticking:
                # The ticker only runs while there are media, so an unused
                # simulator costs no CPU. timeout_add is thread-safe.
                self._ticking = True
                GLib.timeout_add(TICK_MS, self._tick)
        media.connect("prepared", self._on_media_prepared, info)
        media.connect("unprepared", self._on_media_unprepared)

    def _on_media_prepared(self, media: GstRtspServer.RTSPMedia, info: _MediaInfo) -> None:
        if not info.held:
            # Keep the media prepared after its last viewer leaves, like a
            # real camera that never stops. Otherwise a client reconnecting
            # right after a TEARDOWN gets the unpreparing media from the
            # factory's cache and a 503 ("can not reuse media"). A second
            # prepare() only counts a reference; drop/quit release it.
            info.held = media.prepare(None)
        if self._specs[info.mount].silent and info.silence is None:
            # The first frame, needed to prepare, is parked by the server's
            # blocking probe on rtpbin's send_rtp_src_0 and would go out on
            # PLAY. A probe added after that one still sees it and drops it,
            # so /silent never sends a single video packet.
            pad = _rtp_send_pad(media)
            if pad is None:
                log(f"{info.mount}: rtpbin pad not found, a first frame may leak")
            else:
                probe = pad.add_probe(
                    Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                    lambda _pad, _probe_info: Gst.PadProbeReturn.DROP,
                )
                info.silence = (pad, probe)

    def _on_media_unprepared(self, media: GstRtspServer.RTSPMedia) -> None:
        with self._lock:
            self._medias.pop(media, None)

    def _tick(self) -> bool:
        now = time.monotonic()
        with self._lock:
            feeders = [feeder for info in self._medias.values() for feeder in (info.feeder, info.audio) if feeder]
            if not feeders:
                self._ticking = False
                return False
        for feeder in feeders:
            feeder.tick(now)
        return True

    # -- commands (main loop) -----------------------------------------------

    def _targets(self, path: str) -> list[str]:
        target = normalize_mount(path)
        mounts = [mount for mount in self._specs if is_under(mount, target)]
        if not mounts:
            raise ValueError(f"unknown path {path!r}")
        return mounts

    def _medias_of(self, mounts: list[str]) -> dict[GstRtspServer.RTSPMedia, _MediaInfo]:
        with self._lock:
            return {media: info for media, info in self._medias.items() if info.mount in mounts}

    def drop(self, path: str) -> None:
        mounts = self._targets(path)
        for mount in mounts:
            if mount not in self._dropped:
                self._mounts.remove_factory(mount)
                self._dropped.add(mount)
        medias = self._medias_of(mounts)

        def on_session(
            _client: GstRtspServer.RTSPClient, session: GstRtspServer.RTSPSession
        ) -> GstRtspServer.RTSPFilterResult:
            # With a None callback the session filter just lists its medias.
            if any(sm.get_media() in medias for sm in session.filter(None)):
                return GstRtspServer.RTSPFilterResult.REF
            return GstRtspServer.RTSPFilterResult.KEEP

        def on_client(
            _server: GstRtspServer.RTSPServer, client: GstRtspServer.RTSPClient
        ) -> GstRtspServer.RTSPFilterResult:
            # REMOVE closes the client's connection, which is what a camera
            # disappearing looks like to a reader (EOF on the TCP stream).
            if client.session_filter(on_session):
                return GstRtspServer.RTSPFilterResult.REMOVE
            return GstRtspServer.RTSPFilterResult.KEEP

        self._server.client_filter(on_client)
        # Let the pipelines go once their last (now closed) session is gone,
        # so a restored camera starts from a fresh media.
        self._release(medias)

    @staticmethod
    def _release(medias: dict[GstRtspServer.RTSPMedia, _MediaInfo]) -> None:
        for media, info in medias.items():
            if info.held:
                info.held = False
                media.unprepare()

    def restore(self, path: str) -> None:
        for mount in self._targets(path):
            if mount in self._dropped:
                self._mounts.add_factory(mount, self._factories[mount])
                self._dropped.discard(mount)

    def freeze(self, path: str) -> None:
        self._set_frozen(self._targets(path), frozen=True, sound=True)

    def stall(self, path: str) -> None:
        mounts = [mount for mount in self._targets(path) if self._specs[mount].audio]
        if not mounts:
            raise ValueError(f"{path!r} has no audio: a stall would just be a freeze")
        self._set_frozen(mounts, frozen=True, sound=False)

    def thaw(self, path: str) -> None:
        self._set_frozen(self._targets(path), frozen=False, sound=True)

    def _set_frozen(self, mounts: list[str], *, frozen: bool, sound: bool) -> None:
        """Stop or resume the pictures of the mounts, and their sound too if `sound`."""
        mounts = [mount for mount in mounts if not self._specs[mount].silent]
        with self._lock:
            for group, member in ((self._frozen, sound), (self._stalled, not sound)):
                if frozen and member:
                    group.update(mounts)
                elif not frozen:
                    group.difference_update(mounts)
        now = time.monotonic()
        for info in self._medias_of(mounts).values():
            for feeder in (info.feeder, info.audio if sound else None):
                if feeder is not None:
                    feeder.frozen = frozen
                    # The next pushed frame continues the clip where it stopped, so
                    # it references frames the clients already have.
                    feeder.next_due = now

    def corrupt(self, path: str) -> None:
        self._set_corrupt(self._targets(path), corrupt=True)

    def uncorrupt(self, path: str) -> None:
        self._set_corrupt(self._targets(path), corrupt=False)

    def _set_corrupt(self, mounts: list[str], *, corrupt: bool) -> None:
        with self._lock:
            if corrupt:
                self._corrupt.update(mounts)
            else:
                self._corrupt.difference_update(mounts)
        for info in self._medias_of(mounts).values():
            feeder = info.feeder
            # Healing waits for a key frame: the frames in between reference
            # pictures the clients never got.
            feeder.healing = feeder.corrupt and not corrupt
            feeder.corrupt = corrupt

    def handle_command(self, line: str) -> None:
        words = line.split()
        if not words:
            return
        command, arguments = words[0].lower(), words[1:]
        handlers = {
            "drop": self.drop,
            "restore": self.restore,
            "freeze": self.freeze,
            "stall": self.stall,
            "thaw": self.thaw,
            "corrupt": self.corrupt,
            "uncorrupt": self.uncorrupt,
        }
        try:
            if command == "quit" and not arguments:
                reply(f"ok {line}")
                self.stop()
            elif command in handlers and len(arguments) == 1:
                handlers[command](arguments[0])
                reply(f"ok {line}")
            else:
                reply(f"error unknown command {line!r}")
        except Exception as err:  # every failure must be answered
            log(f"command {line!r} failed: {err!r}")
            reply(f"error {err}")

    # -- main loop plumbing -------------------------------------------------

    def _on_stdin(self, fd: int, _condition: GLib.IOCondition) -> bool:
        data = os.read(fd, 4096)
        if not data:
            log("stdin closed, stopping")
            self.stop()
            return False
        self._stdin_buffer += data
        *lines, self._stdin_buffer = self._stdin_buffer.split(b"\n")
        for raw in lines:
            self.handle_command(raw.decode("utf-8", "replace").strip())
        return True

    def _on_signal(self) -> bool:
        log("signal received, stopping")
        self.stop()
        return False

    def stop(self) -> None:
        """Disconnect everybody, release the pipelines, leave the main loop."""
        self._server.client_filter(lambda _server, _client: GstRtspServer.RTSPFilterResult.REMOVE)
        with self._lock:
            medias = dict(self._medias)
        self._release(medias)
        self._loop.quit()

    def run(self) -> int:
        if self._server.attach(None) == 0:
            log("could not bind the RTSP server")
            return 1
        port = self._server.get_bound_port()
        for spec in self._specs.values():
            log(
                f"rtsp://{self._server.get_address()}:{port}{spec.mount} "
                f"{spec.label!r} {spec.codec} {spec.width}x{spec.height} "
                f"{spec.fps} fps gop {spec.gop} {spec.bitrate} kbit/s"
                + (" + AAC" if spec.audio else "")
                + (" (silent)" if spec.silent else "")
            )
        GLib.io_add_watch(
            sys.stdin.fileno(),
            GLib.PRIORITY_DEFAULT,
            GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
            self._on_stdin,
        )
        for signum in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, self._on_signal)
        reply(f"READY {port}")
        self._loop.run()
        return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8554, help="0 picks a free port (see READY)")
    parser.add_argument("--cameras", type=int, default=1, help="serve /cam1../camN")
    parser.add_argument(
        "--config",
        help='JSON list of {"path", "label", "width", "height", "fps", "audio", "scene", "passers", "sub": {...}}',
    )
    parser.add_argument("--audio", action="store_true", help="every camera also sends AAC sound (default in --config)")
    parser.add_argument(
        "--scene",
        default="",
        choices=("", *simulator_scenes.SCENES),
        help="every camera shows this scene instead of the ball (default in --config)",
    )
    parser.add_argument("--sub", action="store_true", help="also serve /camN/sub (not with --config)")
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH)
    parser.add_argument("--height", type=int, default=DEFAULT_HEIGHT)
    parser.add_argument("--fps", type=int, default=DEFAULT_FPS)
    parser.add_argument("--gop", type=int, default=DEFAULT_GOP, help="key-int-max")
    parser.add_argument("--bitrate", type=int, default=DEFAULT_BITRATE, help="kbit/s")
    parser.add_argument("--sub-width", type=int, default=DEFAULT_SUB_WIDTH)
    parser.add_argument("--sub-height", type=int, default=DEFAULT_SUB_HEIGHT)
    parser.add_argument("--sub-bitrate", type=int, default=DEFAULT_SUB_BITRATE, help="kbit/s")
    parser.add_argument("--user", help="require RTSP digest auth with this user")
    parser.add_argument("--password", help="password for --user")
    args = parser.parse_args(argv)
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")
    if args.cameras < 0:
        parser.error("--cameras must be >= 0")
    if min(args.fps, args.gop) < 1:
        parser.error("--fps and --gop must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    Gst.init(None)
    try:
        specs = build_specs(args)
    except (OSError, TypeError, ValueError) as err:
        log(f"bad configuration: {err}")
        return 2
    return Simulator(args, specs).run()


if __name__ == "__main__":
    sys.exit(main())

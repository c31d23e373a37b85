#!/usr/bin/python3
"""Live RTSP camera simulator built on GStreamer's RTSP server.

Run it with Debian's system Python (``/usr/bin/python3``), which has PyGObject
from ``python3-gi``; the project's venv has no ``gi``. This script deliberately
imports nothing from the project so it can run outside of it.

Every camera is an H.264 stream with a moving ball on a per-camera colour
scheme, so frames differ over time (motion detection) and between cameras.
Extra mounts that always exist:

* ``/h265``   an H.265 stream (only if the ``x265enc`` element is installed).
* ``/silent`` DESCRIBE/SETUP/PLAY succeed but no frame is ever sent, so clients
  run into their read timeout.

The process is driven through stdin, one command per line, each answered on
stdout with exactly one line ``ok <command>`` or ``error <reason>``::

    drop <path>     close every session on the mount (and its sub mounts) and
                    answer 404 to new clients until restored
    restore <path>  serve the mount again
    freeze <path>   clients stay connected but get no more frames
    thaw <path>     frames flow again
    quit            stop and exit 0 (also on SIGINT/SIGTERM and stdin EOF)

``drop cam3`` affects ``/cam3`` and ``/cam3/sub``; ``drop cam3/sub`` only the
sub stream. Once the server listens, the single line ``READY <port>`` is
printed. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass, replace
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

DEFAULT_WIDTH = 640
DEFAULT_HEIGHT = 360
DEFAULT_FPS = 15
DEFAULT_GOP = 30
DEFAULT_BITRATE = 512  # kbit/s
DEFAULT_SUB_WIDTH = 320
DEFAULT_SUB_HEIGHT = 180
DEFAULT_SUB_BITRATE = 128  # kbit/s

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
    """One mount point and how to generate its video."""

    mount: str  # "/cam1", "/cam1/sub", "/h265", ...
    label: str
    width: int
    height: int
    fps: int
    gop: int
    bitrate: int
    index: int = 0  # picks the colour scheme and motion
    codec: str = "h264"
    silent: bool = False

    def launch_line(self) -> str:
        """Build the gst-launch style description of the media pipeline."""
        background, foreground = PALETTE[self.index % len(PALETTE)]
        motion = MOTIONS[self.index % len(MOTIONS)]
        # I420 is videotestsrc's native format, so no converter is needed; the
        # valve sits before the encoder so a frozen camera costs no encoding
        # and the first frame after a thaw still references frames the client
        # has already decoded.
        source = (
            f"videotestsrc is-live=true pattern=ball motion={motion} "
            f"background-color={background} foreground-color={foreground} "
            f"! video/x-raw,format=I420,width={self.width},height={self.height},"
            f"framerate={self.fps}/1 "
            "! valve name=valve drop=false "
        )
        if self.codec == "h265":
            encode = (
                "! x265enc tune=zerolatency speed-preset=ultrafast "
                f"key-int-max={self.gop} bitrate={self.bitrate} "
                "! rtph265pay name=pay0 pt=96 config-interval=1"
            )
        else:
            # threads=1: dozens of encoders share two cores, extra threads per
            # encoder only add scheduling overhead.
            encode = (
                "! x264enc tune=zerolatency speed-preset=ultrafast threads=1 "
                f"key-int-max={self.gop} bitrate={self.bitrate} "
                "! rtph264pay name=pay0 pt=96 config-interval=1"
            )
        return f"( {source}{encode} )"


@dataclass
class _MediaInfo:
    """What the control commands need from one live media pipeline."""

    mount: str
    valve: Gst.Element
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
            raise ValueError("config must be a JSON list of camera objects")
    else:
        cameras = [{"path": f"cam{number}"} for number in range(1, args.cameras + 1)]

    specs: list[StreamSpec] = []
    for index, camera in enumerate(cameras):
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
            specs.append(
                replace(
                    sub_defaults,
                    mount=f"{mount}/sub",
                    label=f"{label} (sub)",
                    fps=main.fps,
                    gop=main.gop,
                    index=index,
                    **_stream_overrides(sub_config),
                )
            )

    if has_element("x265enc") and has_element("rtph265pay"):
        specs.append(replace(main_defaults, mount="/h265", label="H.265", codec="h265"))
    else:
        log("x265enc/rtph265pay not installed, /h265 is not served")
    specs.append(replace(sub_defaults, mount="/silent", label="silent", silent=True))

    mounts = [spec.mount for spec in specs]
    if len(set(mounts)) != len(mounts):
        raise ValueError(f"duplicate mount paths in {mounts}")
    return specs


def _stream_overrides(config: dict[str, Any]) -> dict[str, int]:
    """Pick the per-stream numeric keys present in a config object."""
    return {
        key: int(config[key])
        for key in ("width", "height", "fps", "gop", "bitrate")
        if key in config
    }


def is_under(mount: str, target: str) -> bool:
    """True if mount is target itself or a sub path of it ("/cam3/sub")."""
    return mount == target or mount.startswith(target + "/")


class Simulator:
    """The RTSP server, its mounts, and the stdin control protocol."""

    def __init__(self, args: argparse.Namespace, specs: list[StreamSpec]) -> None:
        self._loop = GLib.MainLoop()
        self._server = GstRtspServer.RTSPServer()
        self._server.set_address(args.host)
        self._server.set_service(str(args.port))
        # A client thread blocks while its media prepares; with the default
        # single client thread one slow DESCRIBE would stall every camera.
        self._server.get_thread_pool().set_max_threads(-1)
        self._mounts = self._server.get_mount_points()
        self._specs = {spec.mount: spec for spec in specs}
        self._factories: dict[str, GstRtspServer.RTSPMediaFactory] = {}
        self._dropped: set[str] = set()
        self._frozen: set[str] = set()
        # media-configure and media signals fire on server threads, commands on
        # the main loop: the lock guards the live media bookkeeping.
        self._lock = threading.Lock()
        self._medias: dict[GstRtspServer.RTSPMedia, _MediaInfo] = {}
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
        auth.set_supported_methods(GstRtspServer.RTSPAuthMethod.DIGEST)
        return auth

    def _make_factory(
        self, spec: StreamSpec, *, with_auth: bool
    ) -> GstRtspServer.RTSPMediaFactory:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(spec.launch_line())
        # One pipeline/encoder per mount no matter how many clients watch it.
        factory.set_shared(True)
        # Every FFmpeg PLAY carries "Range: npt=0-", and the server answers it
        # with a flushing seek of the (seekable) videotestsrc that then waits
        # for a new preroll: that glitches every viewer of the shared media
        # and hangs PLAY while the valve is closed. This clock mode makes the
        # server treat the media as not seekable, so PLAY never seeks.
        factory.set_publish_clock_mode(
            GstRtspServer.RTSPPublishClockMode.CLOCK_AND_OFFSET
        )
        if with_auth:
            permissions = Gst.Structure.from_string(
                f"{ROLE}, media.factory.access=(boolean)true, "
                "media.factory.construct=(boolean)true"
            )[0]
            factory.add_role_from_structure(permissions)
        factory.connect("media-configure", self._on_media_configure, spec.mount)
        return factory

    # -- media bookkeeping (server threads) ---------------------------------

    def _on_media_configure(
        self,
        _factory: GstRtspServer.RTSPMediaFactory,
        media: GstRtspServer.RTSPMedia,
        mount: str,
    ) -> None:
        element = media.get_element()
        info = _MediaInfo(mount=mount, valve=element.get_by_name("valve"))
        media.connect("prepared", self._on_media_prepared, info)
        media.connect("unprepared", self._on_media_unprepared, info)

    def _on_media_prepared(
        self, media: GstRtspServer.RTSPMedia, info: _MediaInfo
    ) -> None:
        silent = self._specs[info.mount].silent
        with self._lock:
            self._medias[media] = info
            drop = silent or info.mount in self._frozen
        if not info.held:
            # Keep the media prepared after its last viewer leaves, like a
            # real camera that never stops encoding. Otherwise a client that
            # reconnects right after a TEARDOWN gets the unpreparing media
            # from the factory's cache and a 503 ("can not reuse media").
            # A second prepare() only counts a reference; drop/quit release it.
            info.held = media.prepare(None)
        # The valve may only close now: preparing needs a first buffer for
        # the SDP's caps, or DESCRIBE would hang.
        info.valve.set_property("drop", drop)
        if silent and info.silence is None:
            # That first RTP packet is parked (by the server's blocking probe)
            # on rtpbin's send_rtp_src_0 pad and would go out on PLAY. A probe
            # added after the blocking one still sees it and drops it, so
            # /silent never sends a single video packet.
            pad = _rtp_send_pad(media)
            if pad is None:
                log(f"{info.mount}: rtpbin pad not found, a first packet may leak")
            else:
                probe = pad.add_probe(
                    Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                    lambda _pad, _probe_info: Gst.PadProbeReturn.DROP,
                )
                info.silence = (pad, probe)

    def _on_media_unprepared(
        self, media: GstRtspServer.RTSPMedia, info: _MediaInfo
    ) -> None:
        with self._lock:
            self._medias.pop(media, None)
        # A reused media must be able to preroll again (see media-configure).
        info.valve.set_property("drop", False)
        if info.silence is not None:
            pad, probe = info.silence
            pad.remove_probe(probe)
            info.silence = None

    # -- commands (main loop) -----------------------------------------------

    def _targets(self, path: str) -> list[str]:
        target = normalize_mount(path)
        mounts = [mount for mount in self._specs if is_under(mount, target)]
        if not mounts:
            raise ValueError(f"unknown path {path!r}")
        return mounts

    def drop(self, path: str) -> None:
        mounts = self._targets(path)
        for mount in mounts:
            if mount not in self._dropped:
                self._mounts.remove_factory(mount)
                self._dropped.add(mount)
        with self._lock:
            medias = {media for media, info in self._medias.items() if info.mount in mounts}

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

    def restore(self, path: str) -> None:
        for mount in self._targets(path):
            if mount in self._dropped:
                self._mounts.add_factory(mount, self._factories[mount])
                self._dropped.discard(mount)

    def freeze(self, path: str) -> None:
        self._set_frozen(self._targets(path), frozen=True)

    def thaw(self, path: str) -> None:
        self._set_frozen(self._targets(path), frozen=False)

    def _set_frozen(self, mounts: list[str], *, frozen: bool) -> None:
        with self._lock:
            if frozen:
                self._frozen.update(mounts)
            else:
                self._frozen.difference_update(mounts)
            valves = [
                info.valve
                for info in self._medias.values()
                if info.mount in mounts and not self._specs[info.mount].silent
            ]
        for valve in valves:
            valve.set_property("drop", frozen)

    def handle_command(self, line: str) -> None:
        words = line.split()
        if not words:
            return
        command, arguments = words[0].lower(), words[1:]
        handlers = {
            "drop": self.drop,
            "restore": self.restore,
            "freeze": self.freeze,
            "thaw": self.thaw,
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
        except Exception as err:  # noqa: BLE001 - every failure must be answered
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
        """Disconnect everybody and leave the main loop."""
        self._server.client_filter(
            lambda _server, _client: GstRtspServer.RTSPFilterResult.REMOVE
        )
        self._loop.quit()

    def run(self) -> int:
        if self._server.attach(None) == 0:
            log("could not bind the RTSP server")
            return 1
        port = self._server.get_bound_port()
        for spec in self._specs.values():
            log(f"rtsp://{self._server.get_address()}:{port}{spec.mount} {spec}")
        stdin_fd = sys.stdin.fileno()
        GLib.io_add_watch(
            stdin_fd,
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
    parser.add_argument(
        "--port", type=int, default=8554, help="0 picks a free port (see READY)"
    )
    parser.add_argument("--cameras", type=int, default=1, help="serve /cam1../camN")
    parser.add_argument(
        "--config",
        help='JSON list of {"path", "label", "width", "height", "fps", "sub": {...}}',
    )
    parser.add_argument(
        "--sub", action="store_true", help="also serve /camN/sub (not with --config)"
    )
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH)
    parser.add_argument("--height", type=int, default=DEFAULT_HEIGHT)
    parser.add_argument("--fps", type=int, default=DEFAULT_FPS)
    parser.add_argument("--gop", type=int, default=DEFAULT_GOP, help="key-int-max")
    parser.add_argument("--bitrate", type=int, default=DEFAULT_BITRATE, help="kbit/s")
    parser.add_argument("--sub-width", type=int, default=DEFAULT_SUB_WIDTH)
    parser.add_argument("--sub-height", type=int, default=DEFAULT_SUB_HEIGHT)
    parser.add_argument(
        "--sub-bitrate", type=int, default=DEFAULT_SUB_BITRATE, help="kbit/s"
    )
    parser.add_argument("--user", help="require RTSP digest auth with this user")
    parser.add_argument("--password", help="password for --user")
    args = parser.parse_args(argv)
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")
    if args.cameras < 0:
        parser.error("--cameras must be >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    Gst.init(None)
    try:
        specs = build_specs(args)
    except (OSError, ValueError) as err:
        log(f"bad configuration: {err}")
        return 2
    return Simulator(args, specs).run()


if __name__ == "__main__":
    sys.exit(main())

"""One RTSP session per camera stream, on one thread (and a watchdog thread), shared by every consumer.

The reader connects (RTSP over TCP, with open and read timeouts: see session_socket for how a stuck read
of an RTSP session ends without PyAV's costly read timeout), demuxes the video and audio packets,
decodes the video and fans out: the newest frame is kept for still images, frame listeners (detection)
get every frame, packet sinks (recording) get every video and audio packet. A packet-only reader
(`decode=False`, for a camera's main stream) never decodes. When the camera drops, stalls or sends
video that does not decode, it reconnects with capped exponential backoff.

Cheap cameras allow 2-4 RTSP sessions: everything in this integration shares this one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import av
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from . import session_socket
from .backoff import Backoff
from .errors import StreamError, StreamErrorKind, classify, describe
from .media import PacketSink
from .packets import BATCH_SECONDS, ConsumerFailures, PacketFanout
from .probe import lacks_picture_size, open_options
from .stats import RateWindow, ReaderState, StreamStats

if TYPE_CHECKING:
    from av.audio.stream import AudioStream

_LOGGER = logging.getLogger(__name__)

type StateListener = Callable[[StreamStats], None]
type FrameListener = Callable[[VideoFrame, float], None]  # the frame and its time in seconds

# The first frame of a session may take this many frame timeouts: decoding starts at a key frame, and
# "smart codec" cameras (H.264+) send one every several seconds.
FIRST_FRAME_TIMEOUTS = 2.0
# How late the watchdog thread may wake after a session's deadline (it sleeps until the deadline).
WATCH_SLACK = 0.05


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    """Timeouts and backoff of a reader."""

    open_timeout: float = 10.0
    # The frame timeout: a session without a new frame (packet-only readers: without a video packet)
    # for this long is over, whatever else arrives (audio, undecodable video), and the reader reconnects.
    read_timeout: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)


class StreamReader:
    """Reads one stream on its own thread until stopped."""

    def __init__(
        self,
        name: str,
        url: str,
        settings: ReaderSettings | None = None,
        on_state: StateListener | None = None,
        *,
        decode: bool = True,
    ) -> None:
        self.name = name
        self.decode = decode
        self._url = url
        self._settings = settings or ReaderSettings()
        self._on_state = on_state
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        # The watched session's socket (see _open), guarded by _session_lock against its closing.
        self._session_lock = threading.Lock()
        self._session_socket: int | None = None
        self._cut: StreamError | None = None  # why the watchdog ended the session
        self._endpoint: session_socket.Endpoint | None = None  # the watched session's camera address
        self.watched = False  # whether the current (or last) session is watched: its socket is known
        self.sessions_cut = 0  # sessions whose socket the watchdog shut down (stuck, or at stop)
        self._lock = threading.Lock()
        self._stats = StreamStats(state=ReaderState.IDLE)
        self._frame_rate = RateWindow()
        self._byte_rate = RateWindow()
        self._latest: tuple[int, VideoFrame] | None = None
        self._frame_listeners: list[FrameListener] = []
        self._listener_failures = ConsumerFailures(name, "Frame listener")
        self._packets = PacketFanout(name)
        self._had_frames = False  # in the current session
        self._ever_streamed = False  # in this reader's life: later undecodable data is corruption
        # Updated on every frame without building a snapshot (see `stats`).
        self._frames = 0
        self._last_at = 0.0  # stream time of the newest frame, seconds
        self._last_packet_at = 0.0  # stream time of the newest video packet, seconds
        # Monotonic times the watchdog thread reads: when the session ends without news, the newest video.
        self._deadline = 0.0
        self._last_video = 0.0
        self._decode_errors = 0
        self._last_frame_at: float | None = None
        self._frame_size: tuple[int | None, int | None] = (None, None)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start reading in the background; returns at once."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"ngu_doan_reader[{self.name}]", daemon=True)
        self._watchdog = threading.Thread(
            target=self._watch, name=f"ngu_doan_reader_watchdog[{self.name}]", daemon=True
        )
        self._thread.start()
        self._watchdog.start()

    def request_stop(self) -> None:
        """Ask the thread to stop; a watched session ends at once, others finish their read (a read timeout)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it did."""
        if self._thread is None:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        threads = [self._thread] if self._watchdog is None else [self._watchdog, self._thread]
        for thread in threads:
            thread.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        return not any(thread.is_alive() for thread in threads)

    def stop(self) -> bool:
        """Stop and join; the longest wait is a read or open in progress."""
        self.request_stop()
        return self.join(self.max_stop_seconds)

    @property
    def settings(self) -> ReaderSettings:
        """Timeouts and backoff this reader was built with."""
        return self._settings

    @property
    def max_stop_seconds(self) -> float:
        """Upper bound on how long stopping can take (an open or read in flight, plus slack)."""
        return max(self._settings.open_timeout, self._settings.read_timeout) + 5.0

    # --- what consumers read -----------------------------------------------------------------------

    @property
    def stats(self) -> StreamStats:
        """Snapshot of the current state and rates."""
        with self._lock:
            # A packet-only reader's pictures are its video packets: the byte window counts them too.
            fps = self._frame_rate.rate() if self.decode else self._byte_rate.rate()
            byte_rate = self._byte_rate.byte_rate()
            return replace(
                self._stats,
                frames=self._frames,
                decode_errors=self._decode_errors,
                last_frame_at=self._last_frame_at,
                width=self._frame_size[0],
                height=self._frame_size[1],
                fps=round(fps, 2) if fps is not None else None,
                bitrate_kbps=round(byte_rate * 8 / 1000, 1) if byte_rate is not None else None,
            )

    def latest_frame(self) -> tuple[int, VideoFrame] | None:
        """The newest decoded frame and its sequence number (which changes with every new frame)."""
        return self._latest

    def add_frame_listener(self, listener: FrameListener) -> Callable[[], None]:
        """Call `listener(frame, seconds)` on the reader thread for every decoded frame; returns a remover.

        A listener's exception is logged (once per session) and the stream goes on.
        """
        self._frame_listeners = [*self._frame_listeners, listener]
        return lambda: self._remove_frame_listener(listener)

    def _remove_frame_listener(self, listener: FrameListener) -> None:
        self._frame_listeners = [other for other in self._frame_listeners if other is not listener]

    def add_packet_sink(self, sink: PacketSink) -> Callable[[], None]:
        """Hand every video and audio packet to `sink`, on the reader thread, in demux order; returns a remover.

        The sink hears `session_started` before its first packet of a session and `session_ended` when
        that session is over (camera lost, reader stopped, or the sink removed). A sink's exception is
        logged (once per session) and the stream goes on.
        """
        return self._packets.add(sink)

    # --- the thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        attempts = 0
        while not self._stop.is_set():
            if attempts:
                self._update(reconnects=self._stats.reconnects + 1)
            attempts += 1
            self._set_state(ReaderState.CONNECTING)
            streamed = False
            try:
                streamed = self._read_once()
            except Exception as exc:  # noqa: BLE001 - any failure means: report, back off, retry
                streamed = self._had_frames
                if not self._stop.is_set():  # ended by the stop: nothing to report
                    self._fail(exc)
            if self._stop.is_set():
                break
            failures = 0 if streamed else failures + 1
            if self._stop.wait(self._settings.backoff.delay(failures)):
                break
        self._set_state(ReaderState.STOPPED)

    def _read_once(self) -> bool:
        """One session: open, stream until stop or failure. Returns True if frames arrived."""
        self._had_frames = False
        self._listener_failures.new_session()
        container, socket_inode = self._open(full_probe=False)
        if lacks_picture_size(container) and not self._stop.is_set():
            # Nothing could record this session (see probe.FULL_PROBE_OPTIONS): open it again, once.
            _LOGGER.debug("Stream %s opened without its picture size: opening it again, probing longer", self.name)
            self._release(container, socket_inode)
            container, socket_inode = self._open(full_probe=True)
        try:
            if not container.streams.video:
                raise StreamError(StreamErrorKind.NOT_VIDEO, "no video track")
            video = container.streams.video[0]
            audio = container.streams.audio[0] if container.streams.audio else None
            # One decoding thread: many cameras share few cores, and frame threading adds latency.
            video.codec_context.thread_count = 1
            self._packets.connected(video, audio)
            self._stream(container, video, audio, socket_inode)
        finally:
            with self._session_lock:  # the watchdog lets go of the socket before it closes
                self._session_socket = None
            # Sinks let go of the demuxer's streams before it closes.
            self._packets.disconnected()
            self._release(container, socket_inode)
        return self._had_frames

    @staticmethod
    def _release(container: InputContainer, socket_inode: int | None) -> None:
        if socket_inode is not None:
            session_socket.forget(socket_inode)
        container.close()

    def _open(self, *, full_probe: bool) -> tuple[InputContainer, int | None]:
        """Open a session, and find its socket for the watchdog: (container, the socket's inode or None).

        A session whose socket is known reads without PyAV's read timeout (its interrupt callback takes
        the GIL on every I/O check, the largest CPU cost of a recording camera): the watchdog thread
        ends a stuck read by shutting the socket down. Otherwise PyAV's read timeout ends it, as before.
        """
        endpoint = session_socket.rtsp_endpoint(self._url)
        options = open_options(self._url, full_probe=full_probe)
        if endpoint is not None and (watched := self._open_watched(endpoint, options)) is not None:
            return watched
        if self._stop.is_set():
            raise StreamError(StreamErrorKind.CANNOT_CONNECT, "stopped before connecting")
        timeouts = (self._settings.open_timeout, self._settings.read_timeout)
        return av.open(self._url, options=options, timeout=timeouts), None

    def _open_watched(
        self, endpoint: session_socket.Endpoint, options: dict[str, str]
    ) -> tuple[InputContainer, int] | None:
        """Open without a read timeout, finding the session's socket; None if it is not known."""
        search = session_socket.SocketSearch(endpoint, self.name)
        if not search.begin(self._settings.open_timeout, self._stop):
            return None
        try:
            # PyAV's open timeout only: it is over once the session is open. (Not FFmpeg's socket
            # timeout either: while opening, it turns a silent camera into "not a video stream".)
            container = av.open(self._url, options=options, timeout=(self._settings.open_timeout, None))
        finally:
            inode = search.end()
        if inode is not None:
            self._endpoint = endpoint
            return container, inode
        # Another connection to the camera appeared meanwhile (or FFmpeg was redirected): which socket is
        # this session's is not known. Open again, the old way.
        container.close()
        _LOGGER.debug("Stream %s: its session's socket not found", self.name)
        return None

    def _stream(
        self, container: InputContainer, video: VideoStream, audio: AudioStream | None, socket_inode: int | None
    ) -> None:
        # Per packet this is the hot path of the whole integration (17 cameras x 15 fps): plain attribute
        # updates and float maths only; snapshots are built when someone asks, packets copied only for sinks.
        seconds_per_tick = float(video.time_base) if video.time_base else None
        video_index = video.index
        audio_index = audio.index if audio is not None else -1
        timeout = self._settings.read_timeout
        decode = self.decode
        packets = self._packets
        stop = self._stop
        self._last_at = self._last_packet_at = 0.0
        with self._lock:
            self._frame_rate.clear()
            self._byte_rate.clear()
            self._stats = replace(self._stats, codec=video.codec_context.name)
        # The watchdog: FFmpeg's read timeout only fires when nothing at all arrives; a camera that
        # sends audio, or video that never decodes, would otherwise "stream" a frozen picture forever.
        # Every stream is demuxed (demuxing one skips the others' packets inside PyAV, where no check runs).
        # A read that blocks (nothing arrives, or bytes that never make a packet) is ended by the
        # watchdog thread in a watched session (see _open), by PyAV's read timeout otherwise.
        started = time.monotonic()
        deadline = self._deadline = started + FIRST_FRAME_TIMEOUTS * timeout
        last_video = self._last_video = started
        self._cut = None
        self.watched = socket_inode is not None
        with self._session_lock:
            if stop.is_set():  # the watchdog has already made its last round
                return
            self._session_socket = socket_inode
        # A packet-only reader counts its video packets (its pictures) in batches, as its sinks get
        # them (see packets.BATCH_SECONDS): per packet, only what the watchdog needs runs.
        uncounted: list[tuple[int | None, int, float]] = []  # (dts, size, arrival)
        count_at = started
        try:
            for packet in container.demux():
                now = time.monotonic()
                if stop.is_set():
                    return
                if now > deadline:
                    raise self._stall(now, last_video, timeout)
                index = packet.stream_index
                if index == audio_index:
                    if packets.active and packet.size:
                        packets.packet(packet, "audio")
                    continue
                if index != video_index or packet.size == 0:  # other tracks; the demuxer's flush packet
                    continue
                last_video = self._last_video = now
                if decode:
                    # Decoded before the sinks see it: a muxer retimes the demuxer's packet for its file.
                    self._count_bytes(packet.dts, packet.size, seconds_per_tick)
                    if self._decode(packet, seconds_per_tick):
                        deadline = self._deadline = now + timeout
                else:
                    deadline = self._deadline = now + timeout
                    uncounted.append((packet.dts, packet.size, now))
                    if now >= count_at:
                        self._count_pictures(uncounted, seconds_per_tick, video)
                        uncounted = []
                        count_at = now + BATCH_SECONDS
                if packets.active:
                    packets.packet(packet, "video")
        except Exception:
            self._session_cut()  # the watchdog's reason, not FFmpeg's error on the socket it shut down
            raise
        self._session_cut()
        raise StreamError(StreamErrorKind.CANNOT_CONNECT, "stream ended")

    def _session_cut(self) -> None:
        """Raise why the watchdog ended the session, if it did (on stop: nothing to report)."""
        if self._cut is not None and not self._stop.is_set():
            raise self._cut from None

    def _count_bytes(self, dts: int | None, size: int, seconds_per_tick: float | None) -> None:
        """A decoding reader's bookkeeping of one video packet (its frames are counted as they decode)."""
        with self._lock:
            self._last_packet_at = _seconds(dts, seconds_per_tick, self._last_packet_at)
            self._byte_rate.add(self._last_packet_at, size)

    def _count_pictures(
        self, packets: list[tuple[int | None, int, float]], seconds_per_tick: float | None, video: VideoStream
    ) -> None:
        """A packet-only reader's bookkeeping: each video packet is a picture (the byte window counts them)."""
        with self._lock:
            at = self._last_packet_at
            for dts, size, arrival in packets:
                at = _seconds(dts, seconds_per_tick, at, arrival)
                self._byte_rate.add(at, size)
            self._last_packet_at = at
        self._frames += len(packets)
        self._last_frame_at = time.time()
        if not self._had_frames:
            context = video.codec_context
            self._frame_size = (context.width or None, context.height or None)
            self._streaming()

    def _decode(self, packet: av.Packet, seconds_per_tick: float | None) -> bool:
        """Decode one video packet and publish its frames; True if any came out."""
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            # A corrupt packet (lost data on a bad link): skip it, the next key frame heals it; the
            # watchdog ends the session if nothing decodes for the frame timeout.
            self._decode_errors += 1
            return False
        for frame in frames:
            self._last_at = _seconds(frame.pts, seconds_per_tick, self._last_at)
            self._publish(frame, self._last_at)  # type: ignore[arg-type]
        return bool(frames)

    def _stall(self, now: float, last_video: float, timeout: float) -> StreamError:
        """The watchdog fired: say whether video still flows (and does not decode) or stopped."""
        if self.decode and now - last_video < timeout / 2:
            return StreamError(StreamErrorKind.CORRUPT, f"video arrives but no frame decoded for {timeout:g} s")
        return StreamError(StreamErrorKind.TIMEOUT, f"no video for {timeout:g} s")

    # --- the watchdog thread -----------------------------------------------------------------------

    def _watch(self) -> None:
        """End a watched session whose read is stuck past its deadline, and at stop (see _open)."""
        while not self._stop.wait(self._watch_delay()):
            self._cut_session(stuck_only=True)
        self._cut_session(stuck_only=False)

    def _watch_delay(self) -> float:
        """Until the current deadline (packets move it on as they come), or a read timeout when idle."""
        if self._session_socket is None:
            return self._settings.read_timeout
        return max(self._deadline - time.monotonic(), 0.0) + WATCH_SLACK

    def _cut_session(self, *, stuck_only: bool) -> None:
        """Shut the watched session's socket down (if `stuck_only`, only past its deadline): the read returns."""
        with self._session_lock:
            # Read under the lock: a new session sets its deadline before its socket.
            now, inode = time.monotonic(), self._session_socket
            if inode is None or (stuck_only and now <= self._deadline):
                return
            if self._cut is None:
                self._cut = self._stall(now, self._last_video, self._settings.read_timeout)
                self.sessions_cut += session_socket.shutdown(inode)
            elif self._endpoint is not None:
                # Cut before, and the read still has not returned: the socket taken for the session's
                # was another connection's (see session_socket.shutdown_unclaimed).
                _LOGGER.warning("Stream %s: a stuck read outlived its socket; closing unknown connections", self.name)
                session_socket.shutdown_unclaimed(self._endpoint)
            if stuck_only:  # look again a read timeout later
                self._deadline = now + self._settings.read_timeout

    def _publish(self, frame: VideoFrame, at: float) -> None:
        self._frames += 1
        self._latest = (self._frames, frame)
        self._last_frame_at = time.time()
        self._frame_size = (frame.width, frame.height)
        with self._lock:
            self._frame_rate.add(at)
        if not self._had_frames:
            self._streaming()
        for frame_listener in self._frame_listeners:
            try:
                frame_listener(frame, at)
            except Exception as err:  # noqa: BLE001 - a listener's failure is its own; the stream goes on
                self._listener_failures.failed(frame_listener, err)

    def _streaming(self) -> None:
        self._had_frames = self._ever_streamed = True
        self._set_state(ReaderState.STREAMING)

    # --- state -------------------------------------------------------------------------------------

    def _fail(self, exc: BaseException) -> None:
        kind = classify(exc)
        detail = describe(exc)
        if kind is StreamErrorKind.NOT_VIDEO and self._ever_streamed:
            # This address gave video before: undecodable data now is a glitch that may heal, not a
            # wrong address (which raises a repair issue at once).
            kind = StreamErrorKind.CORRUPT
        _LOGGER.debug("Stream %s failed (%s): %s", self.name, kind, detail)
        with self._lock:
            self._stats = replace(self._stats, error=kind, error_detail=detail)
        self._set_state(ReaderState.DISCONNECTED)

    def _update(self, **changes: object) -> None:
        with self._lock:
            self._stats = replace(self._stats, **changes)  # type: ignore[arg-type]

    def _set_state(self, state: ReaderState) -> None:
        with self._lock:
            previous = self._stats.state
            if previous is state:
                return
            changes: dict[str, object] = {"state": state}
            if state is ReaderState.STREAMING:
                changes.update(error=None, error_detail=None)
            self._stats = replace(self._stats, **changes)  # type: ignore[arg-type]
        # Connecting is a detail: listeners hear about streaming, disconnected and stopped.
        if self._on_state is not None and state is not ReaderState.CONNECTING:
            try:
                self._on_state(self.stats)
            except Exception:
                _LOGGER.exception("State listener of %s failed", self.name)


def _seconds(
    timestamp: int | None, seconds_per_tick: float | None, previous: float, arrival: float | None = None
) -> float:
    """A packet's or frame's time in seconds, on one clock per stream.

    A stream without a time base is timed by arrival (`arrival`, monotonic; now if not given: a packet
    counted later, in a batch, gives when it came). A packet or frame without a timestamp (the first
    after connecting, sometimes) takes the previous one's: mixing in the arrival clock would make the
    stream's time jump back at the next timestamp, and the rate windows and detection restart.
    """
    if seconds_per_tick is None:
        return time.monotonic() if arrival is None else arrival
    if timestamp is None:
        return previous
    return timestamp * seconds_per_tick

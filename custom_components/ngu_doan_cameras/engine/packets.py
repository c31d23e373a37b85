"""A reader's packets handed to its sinks (recording, pre-roll): sessions opened and closed, no copies.

Runs on the reader's thread. With no sink nothing here runs per packet (the reader checks `active`).
The sinks get the demuxer's own packets (see media.py), in small batches: see BATCH_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

import av

from .media import MediaKind, MediaPacket, PacketSink, StreamSession

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.video.stream import VideoStream

_LOGGER = logging.getLogger(__name__)

# Stream time and arrival may drift apart this much before the wall clock is set again from arrival:
# a burst of buffered packets after connecting stays within it, a camera whose clock jumps does not.
WALL_DRIFT = 2.0
# Sinks get the packets of up to this many seconds at once. The work Python does per packet (its wall
# time, a MediaPacket, the recorder's ordering, muxing, the pre-roll ring) then runs in a loop while
# its code and data are in the CPU's caches, instead of once per network wake-up, when they are not:
# it costs about half as much (tools/bench_recording.py). A recorder does not mind half a second; a
# session's end hands over what is waiting first, so nothing is lost.
BATCH_SECONDS = 0.5


class ConsumerFailures:
    """Logs a consumer's (listener's, sink's) exceptions: the first one per session in full.

    Later ones go to debug level: a broken consumer must neither stop the stream nor flood the log at
    15 frames a second.
    """

    def __init__(self, reader: str, what: str) -> None:
        self._reader = reader
        self._what = what
        self._logged: set[int] = set()

    def failed(self, consumer: object, error: Exception) -> None:
        """Report that `consumer` raised `error`."""
        if id(consumer) in self._logged:
            _LOGGER.debug("%s %r of %s failed again: %r", self._what, consumer, self._reader, error)
            return
        self._logged.add(id(consumer))
        _LOGGER.error("%s %r of %s failed (the stream goes on)", self._what, consumer, self._reader, exc_info=error)

    def new_session(self) -> None:
        """Log each consumer's first failure again in the next session."""
        self._logged.clear()


class _WallClock:
    """Wall time of one stream's packets: an anchor (arrival of a packet) plus the stream's own clock.

    Packets keep their spacing when the network delivers them in bursts; the anchor moves when the
    two clocks drift apart by more than WALL_DRIFT; the result never goes backwards.
    """

    __slots__ = ("_anchor_seconds", "_anchor_wall", "_last_seconds", "_last_wall")

    def __init__(self) -> None:
        self._anchor_wall = 0.0
        self._anchor_seconds: float | None = None
        self._last_seconds: float | None = None
        self._last_wall = 0.0

    def wall(self, seconds: float | None, arrival: float) -> float:
        if seconds is None:
            # No timestamp: the previous packet's (or, for the very first, its arrival).
            if self._last_seconds is None:
                self._last_wall = max(self._last_wall, arrival)
                return self._last_wall
            seconds = self._last_seconds
        self._last_seconds = seconds
        if self._anchor_seconds is None:
            self._anchor_wall, self._anchor_seconds = arrival, seconds
        wall = self._anchor_wall + (seconds - self._anchor_seconds)
        if abs(wall - arrival) > WALL_DRIFT:
            self._anchor_wall, self._anchor_seconds = arrival, seconds
            wall = arrival
        wall = max(wall, self._last_wall)
        self._last_wall = wall
        return wall


class PacketFanout:
    """The sinks of one reader and the session they are in."""

    def __init__(
        self, reader: str, clock: Callable[[], float] = time.time, batch_seconds: float = BATCH_SECONDS
    ) -> None:
        # `clock` gives the arrival time of a packet (wall clock; a file replayed by a benchmark or
        # a test passes the time its packets would have arrived at).
        self._clock = clock
        self._batch_seconds = batch_seconds
        self._pending: list[tuple[av.Packet, MediaKind, float]] = []  # (packet, kind, arrival)
        self._due = 0.0  # when the pending packets go out
        self._lock = threading.Lock()  # guards changes to the sink tuple (added and removed from any thread)
        self._sinks: tuple[PacketSink, ...] = ()
        # Sinks told about the current session (the reader thread's own copy of `_sinks`).
        self._told: tuple[PacketSink, ...] = ()
        self._failures = ConsumerFailures(reader, "Packet sink")
        self._next_id = 0
        self._streams: tuple[VideoStream, AudioStream | None] | None = None
        self._session: StreamSession | None = None
        self._clocks: dict[MediaKind, _WallClock] = {}
        self._time_bases: dict[MediaKind, tuple[Fraction, float]] = {}

    @property
    def active(self) -> bool:
        """True when a sink wants packets, or one still has to hear that its session ended."""
        return bool(self._sinks) or bool(self._told) or bool(self._pending)

    def add(self, sink: PacketSink) -> Callable[[], None]:
        """Add a sink (any thread); it gets `session_started` before its first packet. Returns a remover.

        A removed sink still gets `session_ended` for a session it was told about.
        """
        with self._lock:
            self._sinks = (*self._sinks, sink)

        def remove() -> None:
            with self._lock:
                self._sinks = tuple(other for other in self._sinks if other is not sink)

        return remove

    # --- the reader's thread ------------------------------------------------------------------------

    def connected(self, video: VideoStream, audio: AudioStream | None) -> None:
        """A new connection: its streams are known; the session itself begins with its first packet."""
        self._streams = (video, audio)
        self._next_id += 1
        self._clocks = {"video": _WallClock(), "audio": _WallClock()}
        self._time_bases = {"video": _time_base(video)}
        if audio is not None:
            self._time_bases["audio"] = _time_base(audio)
        self._failures.new_session()

    def packet(self, packet: av.Packet, kind: MediaKind) -> None:
        """Take `packet` as it arrives; the sinks get it within BATCH_SECONDS, in order."""
        arrival = self._clock()
        pending = self._pending
        if not pending:
            self._due = arrival + self._batch_seconds
        pending.append((packet, kind, arrival))
        if arrival >= self._due:
            self.flush()

    def flush(self) -> None:
        """Hand every waiting packet to the sinks, telling sinks added or removed first."""
        pending, self._pending = self._pending, []
        for packet, kind, arrival in pending:
            session = self._session or self._start(arrival)
            if self._sinks is not self._told:
                self._update_told(session)
            time_base, seconds_per_tick = self._time_bases[kind]
            dts, pts = packet.dts, packet.pts
            stamp = dts if dts is not None else pts
            wall = self._clocks[kind].wall(stamp * seconds_per_tick if stamp is not None else None, arrival)
            media = MediaPacket(kind, packet, pts, dts, packet.duration or 0, time_base, packet.is_keyframe, wall)
            for sink in self._told:
                try:
                    sink.packet(media, session)
                except Exception as err:  # noqa: BLE001 - a sink's failure is its own; the stream goes on
                    self._failures.failed(sink, err)

    def disconnected(self) -> None:
        """The connection is over (lost, failed or stopped): every told sink hears that its session ended.

        What is waiting goes out first.
        """
        if self._pending:
            self.flush()
        session, self._session = self._session, None
        told, self._told = self._told, ()
        self._streams = None
        if session is None:
            return
        for sink in told:
            self._call(sink.session_ended, sink, session)

    def _start(self, arrival: float) -> StreamSession:
        assert self._streams is not None, "packet() before connected()"
        video, audio = self._streams
        context = video.codec_context
        self._session = StreamSession(
            session_id=self._next_id,
            started_wall=arrival,
            codec=context.name,
            width=context.width,
            height=context.height,
            audio_codec=audio.codec_context.name if audio is not None else None,
            video=video,
            audio=audio,
        )
        return self._session

    def _update_told(self, session: StreamSession) -> None:
        sinks = self._sinks
        for sink in self._told:
            if sink not in sinks:
                self._call(sink.session_ended, sink, session)
        for sink in sinks:
            if sink not in self._told:
                self._call(sink.session_started, sink, session)
        self._told = sinks

    def _call(self, method: Callable[[StreamSession], None], sink: PacketSink, session: StreamSession) -> None:
        try:
            method(session)
        except Exception as err:  # noqa: BLE001
            self._failures.failed(sink, err)


def _time_base(stream: VideoStream | AudioStream) -> tuple[Fraction, float]:
    """The stream's time base, exact (for muxers) and as a float (for wall times)."""
    # RTSP streams always have one; 90 kHz (RTP's video clock) is what a stream without one would use.
    time_base = stream.time_base or Fraction(1, 90000)
    return time_base, float(time_base)

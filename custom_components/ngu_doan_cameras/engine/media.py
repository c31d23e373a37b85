"""What a stream reader hands to the consumers of packets (recording, pre-roll): sessions and packets.

A *session* is one connection to a camera's stream: from the first packet after connecting until the
connection is lost or the reader stops. Between two sessions there is a gap in the footage, and the
recorder writes it down as one; nothing papers over it.

A `MediaPacket` carries the demuxer's own packet: FFmpeg's packet buffers are reference-counted and
never reused by the demuxer, so a consumer may keep one (the pre-roll ring keeps seconds of them)
after the session and its demuxer are gone, and a muxer writes it without a single copy. (Copying
each packet into bytes and back into a new FFmpeg packet cost more than the rest of recording.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, Protocol

from av.packet import Packet

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.video.stream import VideoStream

type MediaKind = Literal["video", "audio"]
# A packet's bytes: the demuxer's packet itself (live streams), or bytes (anything built by hand).
type Payload = Packet | bytes


@dataclass(frozen=True, slots=True)
class MediaPacket:
    """One compressed packet of a session (safe to keep).

    Nobody changes a packet once it is made, but a muxer writing its `data` (the demuxer's packet):
    it sets the timestamps the file needs right before each write, under the packet's camera's lock.
    """

    kind: MediaKind
    # Not in the repr: a demuxer's packet shows its stream, which is gone once its session is over.
    data: Payload = field(repr=False)
    pts: int | None
    dts: int | None
    duration: int
    time_base: Fraction
    keyframe: bool
    # Wall clock (time.time() scale) of this packet: an anchor (the arrival of the stream's first packet
    # in the session) plus the stream's own clock, so packets keep their spacing even when the network
    # delivers them in bursts. Video and audio have an anchor each; the anchor moves when the two clocks
    # drift more than a couple of seconds apart; per stream it never goes back within a session. A
    # packet without a timestamp takes the previous one's wall time.
    wall: float

    @property
    def seconds(self) -> float | None:
        """The packet's decode time in stream seconds (None when the camera sent no timestamp)."""
        stamp = self.dts if self.dts is not None else self.pts
        return float(stamp * self.time_base) if stamp is not None else None

    @property
    def size(self) -> int:
        """Bytes of data."""
        data = self.data
        return data.size if isinstance(data, Packet) else len(data)

    def payload(self) -> bytes:
        """A copy of the data as bytes (for inspection; muxers write `data` itself)."""
        return bytes(self.data)

    def retimed(self, dts: int | None, pts: int | None, duration: int) -> MediaPacket:
        """The same packet (the same data) with other timestamps."""
        # Built directly: dataclasses.replace costs twice as much, on every packet of a camera.
        return MediaPacket(self.kind, self.data, pts, dts, duration, self.time_base, self.keyframe, self.wall)


@dataclass(frozen=True, slots=True)
class StreamSession:
    """One connection to a stream, as its packet consumers see it."""

    session_id: int  # grows by one with every (re)connection of the reader
    started_wall: float  # wall clock of the session's first packet
    codec: str  # video codec name (h264, hevc)
    width: int
    height: int
    audio_codec: str | None
    # The demuxer's live streams: valid as templates for a muxer (stream copy) only until
    # `session_ended` has been called for this session; never keep them past it.
    video: VideoStream
    audio: AudioStream | None


class PacketSink(Protocol):
    """Receives a stream's packets on the reader's thread; every call must return quickly."""

    def session_started(self, session: StreamSession) -> None:
        """A new session: packets of it follow."""

    def packet(self, packet: MediaPacket, session: StreamSession) -> None:
        """A video or audio packet of `session`, in the order the camera sent them."""

    def session_ended(self, session: StreamSession) -> None:
        """The session is over (camera lost, reader stopped): a gap begins."""

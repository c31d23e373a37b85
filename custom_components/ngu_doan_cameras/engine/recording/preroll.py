"""The pre-roll ring: the last seconds of a camera's ordered packets, kept in memory.

With it an event clip starts before its trigger, even when nothing is recorded continuously.

The ring always starts at a key frame (a clip must start on one), so it holds `seconds` plus up to
one GOP: at 4 Mb/s and 10 s of pre-roll with a 2 s GOP, 5.7 MB per camera (tools/bench_recording.py,
which checks `nbytes` against tracemalloc).
"""

from __future__ import annotations

from collections import deque

from ..media import MediaPacket  # noqa: TID252 - the readers' packet interface, one level up

# Python's own bookkeeping per kept packet (the MediaPacket object, its bytes object's header, its
# time base), measured with tracemalloc on CPython 3.13 by tools/bench_recording.py: counted so
# `nbytes` is the ring's real footprint.
PACKET_OVERHEAD = 390


class PreRollRing:
    """Packets of the current session from the key frame at or before `seconds` ago."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._packets: deque[MediaPacket] = deque()
        self._keyframes: deque[MediaPacket] = deque()  # the video key frames in the ring, in order
        self._data_bytes = 0

    @property
    def nbytes(self) -> int:
        """Memory the ring holds (packet data plus per-packet overhead)."""
        return self._data_bytes + PACKET_OVERHEAD * len(self._packets)

    @property
    def span(self) -> float:
        """Seconds of wall time from the oldest to the newest packet kept."""
        return self._packets[-1].wall - self._packets[0].wall if self._packets else 0.0

    @property
    def newest_wall(self) -> float | None:
        """Wall time of the newest packet, if any."""
        return self._packets[-1].wall if self._packets else None

    def push(self, packet: MediaPacket) -> None:
        """Keep `packet` (packets before the first key frame are useless to a clip, and dropped)."""
        if packet.kind == "video" and packet.keyframe:
            self._keyframes.append(packet)
        elif not self._keyframes:
            return
        self._packets.append(packet)
        self._data_bytes += len(packet.data)
        self._trim(packet.wall - self.seconds)

    def _trim(self, horizon: float) -> None:
        # Drop whole GOPs while the next key frame is still at or before the horizon.
        keyframes = self._keyframes
        while len(keyframes) > 1 and keyframes[1].wall <= horizon:
            keyframes.popleft()
            first = keyframes[0]
            packets = self._packets
            while packets[0] is not first:
                self._data_bytes -= len(packets.popleft().data)

    def start_for(self, wall: float) -> MediaPacket | None:
        """The key frame a clip wanting footage from `wall` starts at.

        That is the last one at or before `wall`, or the oldest kept when the ring does not reach
        back that far.
        """
        chosen = None
        for keyframe in self._keyframes:
            if keyframe.wall > wall and chosen is not None:
                break
            chosen = keyframe
        return chosen

    def from_wall(self, wall: float) -> list[MediaPacket]:
        """Every kept packet from the key frame `start_for(wall)` on ([] when the ring is empty)."""
        first = self.start_for(wall)
        packets = list(self._packets)
        for index, packet in enumerate(packets):
            if packet is first:
                return packets[index:]
        return []

    def clear(self) -> None:
        """Forget everything (a new session: old packets cannot be muxed with new ones)."""
        self._packets.clear()
        self._keyframes.clear()
        self._data_bytes = 0

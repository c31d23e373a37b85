"""One session's packets made ready for muxing.

Every timestamp set, every duration known, audio and video in decode-time order.

Why each step:
- MP4 needs a decode time on every packet and strictly increasing ones per track: a packet without a
  time takes the previous one plus the usual step; a video time that goes back, or leaps forward by
  more than `max_jump` (a camera's clock reset), is a *break*: the file in progress ends there and a
  new one starts at the next key frame, instead of a muxer error or an hour-long picture.
- The last video packet of a file must carry its true duration, or the file ends one frame short of
  where the next begins: video is held back by one packet, whose duration is then the step to the
  next one. A segment thus ends exactly where the next starts.
- Audio is held until the video has passed it, so every packet arrives in time order, and a file cut
  at a key frame gets exactly the audio before that key frame; the next file gets the rest. Audio
  never waits more than `max_audio_wait` seconds for video (a camera whose video stalls).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

from ..media import MediaKind, MediaPacket  # noqa: TID252 - the readers' packet interface, one level up

type Emit = Callable[[MediaPacket], None]


class _Track:
    """The timing state of one kind of packet."""

    __slots__ = ("last", "scale", "seconds_per_tick", "step")

    def __init__(self, time_base: Fraction) -> None:
        self.seconds_per_tick = float(time_base)
        # (numerator, denominator): audio and video times are compared exactly, in integers, so a
        # packet at the very instant of a cut goes to the same side as the muxer would put it.
        self.scale = (time_base.numerator, time_base.denominator)
        self.last: int | None = None
        self.step = 0  # the usual distance between two packets, in ticks


class PacketOrderer:
    """Feeds `emit` with the packets of one session in order, complete; calls `on_break` at a break."""

    def __init__(
        self,
        emit: Emit,
        on_break: Callable[[], None],
        *,
        max_jump: float = 10.0,
        max_audio_wait: float = 2.0,
    ) -> None:
        self._emit = emit
        self._on_break = on_break
        self._max_jump = max_jump
        self._max_audio_wait = max_audio_wait
        self._tracks: dict[MediaKind, _Track] = {}
        self._held: MediaPacket | None = None
        self._audio: deque[MediaPacket] = deque()
        self.dropped = 0  # packets that could not be timed (no time at all, or audio going back)

    def push(self, packet: MediaPacket) -> None:
        """Take one packet as the camera sent it."""
        track = self._tracks.get(packet.kind)
        if track is None:
            track = self._tracks[packet.kind] = _Track(packet.time_base)
        stamp = packet.dts if packet.dts is not None else packet.pts
        if stamp is None:
            if track.last is None:
                self.dropped += 1
                return None
            stamp = track.last + max(track.step, 1)
        if track.last is not None:
            step = stamp - track.last
            if packet.kind == "audio" and step <= 0:
                self.dropped += 1
                return None
            if packet.kind == "video" and (step < 0 or step * track.seconds_per_tick > self._max_jump):
                self._break()
                return self.push(packet)
            if step == 0:  # two video packets with one time: MP4 needs them apart
                stamp += 1
            else:
                track.step = step
        track.last = stamp
        pts = stamp if packet.pts is None or packet.pts < stamp else packet.pts
        if packet.dts != stamp or packet.pts != pts:
            packet = replace(packet, dts=stamp, pts=pts)
        if packet.kind == "video":
            self._video(packet, track)
        else:
            self._audio_packet(packet, track)
        return None

    def flush(self) -> None:
        """The session is over: let out what is held."""
        held, self._held = self._held, None
        if held is not None:
            video = self._tracks["video"]
            self._release(held if held.duration > 0 else replace(held, duration=max(video.step, 1)))
        while self._audio:
            self._emit(self._audio.popleft())

    def _break(self) -> None:
        self.flush()
        self._tracks.clear()
        self._on_break()

    def _video(self, packet: MediaPacket, track: _Track) -> None:
        held, self._held = self._held, packet
        if held is not None:
            assert held.dts is not None
            assert packet.dts is not None
            duration = packet.dts - held.dts
            self._release(held if held.duration == duration else replace(held, duration=duration))

    def _release(self, video: MediaPacket) -> None:
        """Emit `video`, after the audio that comes before it."""
        assert video.dts is not None
        audio = self._audio
        if audio:
            video_num, video_den = self._tracks["video"].scale
            audio_num, audio_den = self._tracks["audio"].scale
            at = video.dts * video_num * audio_den  # video time, on the common scale below
            while audio and audio[0].dts * audio_num * video_den < at:  # type: ignore[operator]
                self._emit(audio.popleft())
        self._emit(video)

    def _audio_packet(self, packet: MediaPacket, track: _Track) -> None:
        if packet.duration <= 0 and track.step > 0:
            packet = replace(packet, duration=track.step)
        audio = self._audio
        audio.append(packet)
        # Audio the video has not caught up with for too long goes out anyway.
        newest = packet.dts * track.seconds_per_tick  # type: ignore[operator]
        while audio and newest - audio[0].dts * track.seconds_per_tick > self._max_audio_wait:  # type: ignore[operator]
            self._emit(audio.popleft())

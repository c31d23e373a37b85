"""Loud sound: the level of the camera's sound, against the background it has learned.

A packet sink on the camera's watched stream (the session detection already has): only the audio
packets are decoded (a few dozen microseconds each, 15 or so a second), never any video. A stream
without sound removes the sink at once, so it costs nothing.

The level is measured per decoded audio frame (about 64 ms of AAC at 16 kHz) in dB of full scale.
The background is the level the camera usually hears, learned slowly and only from frames that are
not loud (so a string of firecrackers does not teach it that the street is loud). Loud means the
level stands `threshold_db` above the background.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.audio.codeccontext import AudioCodecContext

from .media import MediaPacket, StreamSession

_LOGGER = logging.getLogger(__name__)

LEARN_SECONDS = 3.0  # of sound heard before anything can count as loud
BACKGROUND_RATE = 0.02  # per audio frame (about 3 s to follow a quieter or louder street)
SILENCE_DB = -90.0


@dataclass(frozen=True, slots=True)
class SoundSettings:
    """Whether loud sounds are listened for, and how loud (dB over the usual level) counts."""

    enabled: bool = True
    threshold_db: float = 20.0


type SoundListener = Callable[[bool, float, float], None]  # loud or not, level (dB), stream seconds


def level_db(samples: np.ndarray[tuple[int, ...], np.dtype[np.float32]]) -> float:
    """RMS level of samples in -1..1, in dB of full scale."""
    if samples.size == 0:
        return SILENCE_DB
    power = float(np.vdot(samples, samples)) / samples.size
    return max(SILENCE_DB, 10.0 * math.log10(power)) if power > 0 else SILENCE_DB


class SoundDetector:
    """Listens to one camera's sound (a packet sink); calls `listener` when loudness starts or ends."""

    def __init__(
        self, settings: SoundSettings, listener: SoundListener, on_audio: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        self._listener = listener
        self._on_audio = on_audio
        self._remove: Callable[[], None] | None = None
        self._decoder: AudioCodecContext | None = None
        self._background: float | None = None
        self._heard = 0.0  # seconds of sound heard in this session
        # The stream time (seconds) up to which sound has been judged: how far behind the picture the
        # sound is (sinks get packets in batches), so that a flash waits for the sound of its moment.
        self.heard_until: float | None = None
        self.has_audio: bool | None = None  # unknown until the first session
        self.loud = False
        self.level = SILENCE_DB

    def attach(self, add_sink: Callable[[SoundDetector], Callable[[], None]]) -> None:
        """Listen through a reader's `add_packet_sink`."""
        self._remove = add_sink(self)

    def session_started(self, session: StreamSession) -> None:
        """A new session: make a decoder for its sound, or stop listening if it has none."""
        self._background = None
        self._heard = 0.0
        self.heard_until = None
        self._set_loud(False, SILENCE_DB, 0.0)
        if session.audio is None:
            self.has_audio = False
            self._decoder = None
            if self._remove is not None:
                self._remove()  # a camera without sound: no packet is copied for us any more
                self._remove = None
            return
        self.has_audio = True
        source = session.audio.codec_context
        decoder = av.CodecContext.create(source.name, "r")
        assert isinstance(decoder, AudioCodecContext)
        decoder.extradata = source.extradata
        decoder.sample_rate = source.sample_rate
        decoder.layout = source.layout
        self._decoder = decoder
        if self._on_audio is not None:
            self._on_audio()

    def packet(self, packet: MediaPacket, session: StreamSession) -> None:
        """Decode an audio packet and judge its level; video packets are not looked at."""
        decoder = self._decoder
        if packet.kind != "audio" or decoder is None or not self.settings.enabled:
            return
        try:
            # A copy of the bytes: the demuxer's own packet is shared with the recorder, which retimes it.
            frames = decoder.decode(av.Packet(packet.payload()))
        except av.error.InvalidDataError:
            return  # a damaged packet: the next one decodes
        for frame in frames:
            seconds = packet.seconds if packet.seconds is not None else 0.0
            self._judge(frame.to_ndarray(), frame.samples / max(1, frame.sample_rate), seconds)

    def session_ended(self, session: StreamSession) -> None:
        """The session is over: nothing can be heard."""
        self._decoder = None
        self.heard_until = None
        self._set_loud(False, SILENCE_DB, 0.0)

    def update_settings(self, settings: SoundSettings) -> None:
        """New threshold, or listening turned off (ends a loud sound)."""
        self.settings = settings
        if not settings.enabled:
            self._set_loud(False, SILENCE_DB, 0.0)

    def _judge(self, samples: npt.NDArray[Any], duration: float, seconds: float) -> None:
        values = samples.astype(np.float32).ravel()
        if samples.dtype.kind in "iu":  # integer samples (s16): to -1..1
            values /= np.float32(np.iinfo(samples.dtype).max)
        level = level_db(values)
        self.level = level
        self._heard += duration
        self.heard_until = seconds + duration
        background = self._background
        if background is None:
            self._background = level
            return
        loud = self._heard >= LEARN_SECONDS and level >= background + self.settings.threshold_db
        if not loud:  # learn only from what is not loud
            self._background = (
                background + BACKGROUND_RATE * (level - background)
                if self._heard >= LEARN_SECONDS
                else (background + (level - background) / max(1.0, self._heard / max(duration, 1e-3)))
            )
        self._set_loud(loud, level, seconds)

    def _set_loud(self, loud: bool, level: float, seconds: float) -> None:
        if loud != self.loud:
            self.loud = loud
            self._listener(loud, level, seconds)

"""The loud-sound detector on real AAC sound: a street's murmur with a firecracker's bang (evaluation set).

The clip's packets are played into the detector as the camera's reader hands them over (a packet sink).
"""

from __future__ import annotations

import numpy as np

from custom_components.ngu_doan_cameras.engine.detection import (
    BANG_WAIT_LIMIT,
    CameraDetection,
    DetectionEvent,
    DetectionEventType,
    DetectionSettings,
)
from custom_components.ngu_doan_cameras.engine.sound import SILENCE_DB, SoundDetector, SoundSettings, level_db
from tools import evalset

from .media_feed import open_feed

FIRECRACKER = "flash_firecracker_night_06"
type Heard = list[tuple[bool, float, float]]  # loud or not, level dB, stream seconds


def listen(settings: SoundSettings, name: str = FIRECRACKER, *, audio: bool = True) -> tuple[SoundDetector, Heard]:
    """Play the case's clip into a sound detector; what it said: (loud, level dB, stream seconds)."""
    heard: Heard = []
    detector = SoundDetector(settings, lambda loud, level, seconds: heard.append((loud, level, seconds)))
    removed: list[bool] = []

    def add_sink(sink: SoundDetector) -> object:
        assert sink is detector
        return lambda: removed.append(True)

    detector.attach(add_sink)  # type: ignore[arg-type]
    with open_feed(evalset.encode(evalset.case(name), audio=audio), wall_start=1000.0) as feed:
        feed.run(detector)
    assert removed == ([] if audio else [True])  # a camera without sound stops the packet copies at once
    return detector, heard


def test_the_bang_is_loud_and_the_murmur_is_not() -> None:
    detector, heard = listen(SoundSettings())
    assert detector.has_audio is True
    onset = evalset.label(evalset.case(FIRECRACKER)).onset
    assert onset is not None
    bang = onset / evalset.FPS + evalset.BANG_DELAY
    starts = [(level, seconds) for loud, level, seconds in heard if loud]
    assert len(starts) == 1, heard
    level, seconds = starts[0]
    assert bang - 0.1 <= seconds <= bang + 0.3
    assert level > -40  # a bang, well above the murmur
    # It ended again (the murmur went on), and the session's end leaves it quiet.
    assert heard[1][0] is False
    assert heard[1][2] > seconds
    assert not detector.loud


def test_a_higher_threshold_or_listening_off_hears_nothing() -> None:
    assert listen(SoundSettings(threshold_db=60.0))[1] == []
    assert listen(SoundSettings(enabled=False))[1] == []


def test_a_stream_without_sound() -> None:
    detector, heard = listen(SoundSettings(), "static_night_00", audio=False)
    assert detector.has_audio is False
    assert heard == []


def test_levels() -> None:
    assert level_db(np.zeros(0, np.float32)) == SILENCE_DB
    assert level_db(np.zeros(100, np.float32)) == SILENCE_DB
    assert abs(level_db(np.ones(100, np.float32))) < 1e-6  # full scale: 0 dB
    assert abs(level_db(np.full(100, 0.1, np.float32)) + 20.0) < 1e-4


def flash_told_with_sound_late(lag: float) -> list[DetectionEvent]:
    """The firecracker clip through a camera's detection, its sound `lag` seconds behind the picture.

    Sinks get packets in batches, so a camera's sound reaches detection after the frames of its moment.
    The detection clock is the clip's time, as if filmed now. Returns the flashes told.
    """
    item = evalset.case(FIRECRACKER)
    events: list[DetectionEvent] = []
    now = {"seconds": 0.0}
    detection = CameraDetection(DetectionSettings(), events.append, clock=lambda: now["seconds"])
    detection.sound.attach(lambda sink: lambda: None)  # type: ignore[arg-type,return-value]
    with open_feed(evalset.encode(item, audio=True), wall_start=1000.0) as feed:
        feed.start(detection.sound)
        audio = list(feed.audio)
        for index, frame in enumerate(evalset.decoded(item)):
            now["seconds"] = index / evalset.FPS
            while audio and (audio[0].seconds or 0.0) <= now["seconds"] - lag:
                detection.sound.packet(audio.pop(0), feed.session)
            detection.process(frame, now["seconds"])
        feed.end(detection.sound)
    return [event for event in events if event.type is DetectionEventType.FLASH_START]


def test_a_flash_waits_for_the_sound_of_its_moment() -> None:
    # The bang is judged 1.5 s (clip time) after the frames of the flash: the flash is told then, an explosion.
    (flash,) = flash_told_with_sound_late(1.5)
    assert flash.explosion is True
    # Sound that lags more than BANG_WAIT_LIMIT is not waited for: the flash is told without its bang.
    (flash,) = flash_told_with_sound_late(BANG_WAIT_LIMIT + 1.5)
    assert flash.explosion is False

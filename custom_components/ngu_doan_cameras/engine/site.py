"""A site: every camera of one place (a police station, a village), each with its shared reader."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from .detection import CameraDetection, DetectionEvent, DetectionEventType, DetectionSettings
from .media import PacketSink
from .reader import ReaderSettings, StreamReader
from .recording import CameraInfo, CameraRecorder, CameraRecordingSettings, Recorder, RecordingError, RecordingMode
from .stats import ReaderState, StreamStats
from .still_url import fetch_still
from .stills import StillImageSource
from .urls import with_credentials

_LOGGER = logging.getLogger(__name__)

type CameraStateListener = Callable[[str, StreamStats], None]
type CameraDetectionListener = Callable[[str, DetectionEvent], None]


class RecordingProblem(StrEnum):
    """Why a camera that should record does not (translation keys of the problem's reasons)."""

    STORAGE = "storage"  # files cannot be written: disk full, read-only, gone
    STREAM = "stream"  # the main stream gives no packets
    INDEX = "index"  # the index cannot be used (being rebuilt; footage is still written)


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """One camera as configured; URLs are stored without credentials."""

    camera_id: str
    name: str
    main_url: str
    location: str = ""  # village or road, as the officers name it
    sub_url: str | None = None
    still_url: str | None = None
    username: str | None = None
    password: str | None = None
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    recording: CameraRecordingSettings = field(default_factory=lambda: CameraRecordingSettings(RecordingMode.OFF))
    motion_clips: bool = True  # motion starts an event clip (when the camera records)
    site: str = ""  # the site's name, for evidence manifests

    @property
    def watched_url(self) -> str:
        """The stream the reader watches: the sub stream when there is one (cheap to decode)."""
        return self.sub_url or self.main_url

    def authenticated(self, url: str) -> str:
        """`url` with this camera's credentials in it, for FFmpeg. Never log the result."""
        return with_credentials(url, self.username, self.password)

    @property
    def stream_key(self) -> tuple[object, ...]:
        """What the camera's readers are built from: when it changes, they must reconnect.

        Name, snapshot URL and detection settings are not in it: they change without touching a session.
        """
        return (self.main_url, self.sub_url, self.username, self.password)


class Camera:
    """One camera at runtime: its reader, and what the reader's frames feed (stills, detection)."""

    def __init__(
        self,
        config: CameraConfig,
        settings: ReaderSettings,
        on_state: CameraStateListener,
        on_detection: CameraDetectionListener,
        recorder: Recorder | None = None,
    ) -> None:
        self.config = config
        self._settings = settings
        self._on_state = on_state
        self._on_detection = on_detection
        self._lock = threading.Lock()
        self._started = False
        # The main stream's packets (recording), when the watched stream is the sub stream: its own
        # session, never decoded, opened only once something wants its packets.
        self._main_packets: StreamReader | None = None
        self._recorder = recorder
        self.recording: CameraRecorder | None = None  # this camera's recorder, while it records
        self._remove_recording_sink: Callable[[], None] | None = None
        self.reader = StreamReader(
            config.name, config.authenticated(config.watched_url), settings, on_state=self._reader_state
        )
        self.stills = StillImageSource(self.reader.latest_frame)
        self.detection = CameraDetection(config.detection, self._detected)
        self.reader.add_frame_listener(self.detection.process)
        # Loud sound: the watched stream's own sound, from the session detection already has.
        self.detection.sound.attach(self.reader.add_packet_sink)

    def reconfigure(self, config: CameraConfig) -> None:
        """Take a new name, snapshot URL, detection or recording settings without touching the streams.

        Recording settings take effect in `apply_recording` (it may write files: not on the event loop).
        """
        if config.detection != self.config.detection:
            self.detection.update_settings(config.detection)
        self.config = config
        self.reader.name = config.name
        if self._main_packets is not None:
            self._main_packets.name = f"{config.name} (main)"

    def apply_recording(self) -> StreamReader | None:
        """Record as the settings say: attach the recorder to the main stream, or detach it.

        Returns the main-stream reader once recording no longer needs it: the caller stops it, so a camera
        that stopped recording does not keep an RTSP session it has no use for. Blocking (files close).
        """
        recorder = self._recorder
        if recorder is None:
            return None
        settings = self.config.recording
        if settings.mode is RecordingMode.OFF:
            if self.recording is not None:
                self.recording.update(settings)  # ends what it was writing
            if self._remove_recording_sink is not None:
                self._remove_recording_sink()
                self._remove_recording_sink = None
            with self._lock:
                idle, self._main_packets = self._main_packets, None
            return idle
        info = CameraInfo(self.config.camera_id, self.config.name, self.config.location, self.config.site)
        self.recording = recorder.add_camera(info, settings)  # the same recorder across reconnections
        if self._remove_recording_sink is None:
            self._remove_recording_sink = self.add_packet_sink(self.recording)
        return None

    @property
    def packet_reader(self) -> StreamReader:
        """The reader whose packets are recorded: the main stream's (the watched one without a sub stream)."""
        return self._main_packets or self.reader

    @property
    def records(self) -> bool:
        """The camera's recording is on (continuous or events only): clips of it can be made."""
        return self.recording is not None and self.config.recording.mode is not RecordingMode.OFF

    @property
    def recording_active(self) -> bool:
        """A segment or an event clip is being written now."""
        recording = self.recording
        if recording is None or self.config.recording.mode is RecordingMode.OFF:
            return False
        status = recording.status
        return status.recording or status.active_clips > 0

    def _detected(self, event: DetectionEvent) -> None:
        """Motion also starts (and, once over, ends) an event clip; the event says which."""
        recording = self.recording
        if recording is not None and self.config.motion_clips and self.config.recording.mode is not RecordingMode.OFF:
            try:
                if event.type is DetectionEventType.MOTION_START:
                    event = replace(event, clip=recording.motion(True))
                elif event.type is DetectionEventType.MOTION_END:
                    recording.motion(False)
            except RecordingError as err:
                _LOGGER.debug("No motion clip for %s: %s", self.config.name, err.detail or err.kind)
        self._on_detection(self.config.camera_id, event)

    @property
    def readers(self) -> tuple[StreamReader, ...]:
        """Every reader of this camera (the watched stream's, and the main stream's packet reader if any)."""
        main = self._main_packets
        return (self.reader, main) if main is not None else (self.reader,)

    def start(self) -> None:
        """Start the camera's readers in the background (and its recording); returns at once."""
        self.apply_recording()
        with self._lock:
            self._started = True
            readers = self.readers
        for reader in readers:
            reader.start()

    def add_packet_sink(self, sink: PacketSink) -> Callable[[], None]:
        """Hand the main stream's video and audio packets to `sink` (recording); returns a remover.

        Without a sub stream the watched reader already reads the main stream, and shares its session.
        """
        if not self.config.sub_url:
            return self.reader.add_packet_sink(sink)
        with self._lock:
            if self._main_packets is None:
                self._main_packets = StreamReader(
                    f"{self.config.name} (main)",
                    self.config.authenticated(self.config.main_url),
                    self._settings,
                    decode=False,
                )
            reader, started = self._main_packets, self._started
        remove = reader.add_packet_sink(sink)
        if started:
            reader.start()
        return remove

    def _reader_state(self, stats: StreamStats) -> None:
        if stats.state is ReaderState.DISCONNECTED:
            self.detection.video_lost()
        self._on_state(self.config.camera_id, stats)

    @property
    def video_lost(self) -> bool:
        """The camera's frames stopped (it had connected, or tried and failed)."""
        return self.reader.stats.state is ReaderState.DISCONNECTED

    @property
    def stats(self) -> StreamStats:
        """The watched stream's statistics."""
        return self.reader.stats

    def still_image(self, width: int | None = None, height: int | None = None) -> bytes | None:
        """Newest frame as JPEG; the camera's snapshot URL when the stream is down. Blocking."""
        if self.reader.stats.streaming:
            image = self.stills.jpeg(width, height)
            if image is not None:
                return image
        if self.config.still_url:
            return fetch_still(self.config.still_url, self.config.username, self.config.password)
        return None


@dataclass(slots=True)
class SiteChanges:
    """What `Site.reconcile` changed: readers to stop and to start, and which cameras came, went or changed."""

    stopped: list[Camera] = field(default_factory=list)
    started: list[Camera] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Cameras still there whose settings changed, with their previous settings (to move a device's area).
    changed: dict[str, CameraConfig] = field(default_factory=dict)
    # Cameras whose recording settings changed in place (same streams).
    recording_changed: list[Camera] = field(default_factory=list)
    recorder: Recorder | None = None

    @property
    def renewed(self) -> list[str]:
        """Cameras that stay but got a new reader (new streams, credentials or frame timeout)."""
        return [camera.config.camera_id for camera in self.started if camera.config.camera_id not in self.added]

    def apply_readers(self) -> None:
        """Stop the old readers, then start the new ones. Blocking: run it off the event loop.

        Old sessions end before new ones open: cheap cameras allow only 2-4 sessions.
        """
        stop_cameras(self.stopped)
        if self.recorder is not None:
            for camera_id in self.removed:
                self.recorder.remove_camera(camera_id)  # its footage stays; retention ages it out
        idle = [reader for camera in self.recording_changed if (reader := camera.apply_recording()) is not None]
        stop_readers(idle)
        for camera in self.started:
            camera.start()


class Site:
    """Owns the cameras of one site; starts and stops their readers together."""

    def __init__(
        self,
        cameras: Iterable[CameraConfig],
        settings: ReaderSettings | None = None,
        on_state: CameraStateListener | None = None,
        on_detection: CameraDetectionListener | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self._settings = settings or ReaderSettings()
        self.recorder = recorder
        # Settable after construction: the listeners (Home Assistant's coordinator) need the site first.
        self.on_state = on_state
        self.on_detection = on_detection
        self.cameras: dict[str, Camera] = {config.camera_id: self._camera(config) for config in cameras}

    def _camera(self, config: CameraConfig) -> Camera:
        return Camera(config, self._settings, self._notify, self._detected, self.recorder)

    def _notify(self, camera_id: str, stats: StreamStats) -> None:
        if self.on_state is not None:
            self.on_state(camera_id, stats)

    def _detected(self, camera_id: str, event: DetectionEvent) -> None:
        if self.on_detection is not None:
            self.on_detection(camera_id, event)

    def start(self) -> None:
        """Start every reader in the background; returns at once (connecting happens on their threads)."""
        for camera in self.cameras.values():
            camera.start()

    def stop(self) -> None:
        """Stop every reader and join its thread.

        Blocking: readers stop in parallel and are joined against one shared deadline, so this takes at
        most one open or read timeout (plus slack) however many cameras there are, even hung ones.
        """
        stop_cameras(list(self.cameras.values()))
        if self.recorder is not None:
            for camera_id in self.cameras:
                self.recorder.remove_camera(camera_id)

    def reconcile(self, configs: Iterable[CameraConfig], settings: ReaderSettings) -> SiteChanges:
        """Make the site's cameras match `configs`, touching only the readers that must change.

        Called on the event loop (it only swaps objects); the returned changes' `apply_readers` does the
        blocking part. A camera whose streams or credentials changed gets a new reader; one renamed or
        given another snapshot URL keeps its session; new settings (the frame timeout) renew every reader.
        """
        changes = SiteChanges(recorder=self.recorder)
        wanted = {config.camera_id: config for config in configs}
        renew_all = settings != self._settings
        self._settings = settings
        for camera_id in [camera_id for camera_id in self.cameras if camera_id not in wanted]:
            changes.stopped.append(self.cameras.pop(camera_id))
            changes.removed.append(camera_id)
        for camera_id, config in wanted.items():
            current = self.cameras.get(camera_id)
            if current is None:
                changes.added.append(camera_id)
            else:
                if current.config != config:
                    changes.changed[camera_id] = current.config
                if not renew_all and current.config.stream_key == config.stream_key:
                    if (current.config.recording, current.config.site) != (config.recording, config.site):
                        changes.recording_changed.append(current)
                    current.reconfigure(config)
                    continue
                changes.stopped.append(current)
            camera = self.cameras[camera_id] = self._camera(config)
            changes.started.append(camera)
        return changes

    def camera(self, camera_id: str) -> Camera:
        """The camera with this id."""
        return self.cameras[camera_id]

    def recording_problems(self) -> dict[str, RecordingProblem]:
        """What keeps each camera that should record from recording (camera id -> problem).

        Cheap (in-memory state only): the coordinator asks every few seconds.
        """
        if self.recorder is None:
            return {}
        status = self.recorder.status
        problems: dict[str, RecordingProblem] = {}
        for camera_id, camera in self.cameras.items():
            camera_status = status.cameras.get(camera_id)
            if camera.config.recording.mode is RecordingMode.OFF or camera_status is None:
                continue
            if camera_status.storage_error:
                problems[camera_id] = RecordingProblem.STORAGE
            elif not camera_status.streaming and camera.packet_reader.stats.state is ReaderState.DISCONNECTED:
                problems[camera_id] = RecordingProblem.STREAM
            elif status.index_error:
                problems[camera_id] = RecordingProblem.INDEX
        return problems


def stop_cameras(cameras: list[Camera]) -> None:
    """Stop these cameras' readers together and join them. Blocking."""
    stop_readers([reader for camera in cameras for reader in camera.readers])


def stop_readers(readers: list[StreamReader]) -> None:
    """Stop these readers together and join them. Blocking.

    One deadline for all: N readers stuck in an open cost one timeout, not N.
    """
    for reader in readers:
        reader.request_stop()
    deadline = time.monotonic() + max((reader.max_stop_seconds for reader in readers), default=0.0)
    for reader in readers:
        if not reader.join(max(0.0, deadline - time.monotonic())):
            _LOGGER.warning("Reader %s did not stop in time", reader.name)

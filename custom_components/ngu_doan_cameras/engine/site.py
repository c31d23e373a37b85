"""A site: every camera of one place (a police station, a village), each with its shared reader."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .detection import CameraDetection, DetectionEvent, DetectionSettings
from .media import PacketSink
from .reader import ReaderSettings, StreamReader
from .stats import ReaderState, StreamStats
from .still_url import fetch_still
from .stills import StillImageSource
from .urls import with_credentials

_LOGGER = logging.getLogger(__name__)

type CameraStateListener = Callable[[str, StreamStats], None]
type CameraDetectionListener = Callable[[str, DetectionEvent], None]


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
    ) -> None:
        self.config = config
        self._settings = settings
        self._on_state = on_state
        self._lock = threading.Lock()
        self._started = False
        # The main stream's packets (recording), when the watched stream is the sub stream: its own
        # session, never decoded, opened only once something wants its packets.
        self._main_packets: StreamReader | None = None
        self.reader = StreamReader(
            config.name, config.authenticated(config.watched_url), settings, on_state=self._reader_state
        )
        self.stills = StillImageSource(self.reader.latest_frame)
        self.detection = CameraDetection(config.detection, lambda event: on_detection(config.camera_id, event))
        self.reader.add_frame_listener(self.detection.process)
        # Loud sound: the watched stream's own sound, from the session detection already has.
        self.detection.sound.attach(self.reader.add_packet_sink)

    def reconfigure(self, config: CameraConfig) -> None:
        """Take a new name, snapshot URL or detection settings without touching the readers' sessions."""
        if config.detection != self.config.detection:
            self.detection.update_settings(config.detection)
        self.config = config
        self.reader.name = config.name
        if self._main_packets is not None:
            self._main_packets.name = f"{config.name} (main)"

    @property
    def readers(self) -> tuple[StreamReader, ...]:
        """Every reader of this camera (the watched stream's, and the main stream's packet reader if any)."""
        main = self._main_packets
        return (self.reader, main) if main is not None else (self.reader,)

    def start(self) -> None:
        """Start the camera's readers in the background; returns at once."""
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

    @property
    def renewed(self) -> list[str]:
        """Cameras that stay but got a new reader (new streams, credentials or frame timeout)."""
        return [camera.config.camera_id for camera in self.started if camera.config.camera_id not in self.added]

    def apply_readers(self) -> None:
        """Stop the old readers, then start the new ones. Blocking: run it off the event loop.

        Old sessions end before new ones open: cheap cameras allow only 2-4 sessions.
        """
        stop_cameras(self.stopped)
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
    ) -> None:
        self._settings = settings or ReaderSettings()
        # Settable after construction: the listeners (Home Assistant's coordinator) need the site first.
        self.on_state = on_state
        self.on_detection = on_detection
        self.cameras: dict[str, Camera] = {config.camera_id: self._camera(config) for config in cameras}

    def _camera(self, config: CameraConfig) -> Camera:
        return Camera(config, self._settings, self._notify, self._detected)

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

    def reconcile(self, configs: Iterable[CameraConfig], settings: ReaderSettings) -> SiteChanges:
        """Make the site's cameras match `configs`, touching only the readers that must change.

        Called on the event loop (it only swaps objects); the returned changes' `apply_readers` does the
        blocking part. A camera whose streams or credentials changed gets a new reader; one renamed or
        given another snapshot URL keeps its session; new settings (the frame timeout) renew every reader.
        """
        changes = SiteChanges()
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
                    current.reconfigure(config)
                    continue
                changes.stopped.append(current)
            camera = self.cameras[camera_id] = self._camera(config)
            changes.started.append(camera)
        return changes

    def camera(self, camera_id: str) -> Camera:
        """The camera with this id."""
        return self.cameras[camera_id]


def stop_cameras(cameras: list[Camera]) -> None:
    """Stop these cameras' readers together and join them. Blocking.

    One deadline for all: N readers stuck in an open cost one timeout, not N.
    """
    readers = [reader for camera in cameras for reader in camera.readers]
    for reader in readers:
        reader.request_stop()
    deadline = time.monotonic() + max((reader.max_stop_seconds for reader in readers), default=0.0)
    for reader in readers:
        if not reader.join(max(0.0, deadline - time.monotonic())):
            _LOGGER.warning("Reader %s did not stop in time", reader.name)

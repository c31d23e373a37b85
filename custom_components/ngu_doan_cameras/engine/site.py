"""A site: every camera of one place (a police station, a village), each with its shared reader."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .detection import CameraDetection, DetectionEvent, DetectionSettings
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
        self._on_state = on_state
        self.reader = StreamReader(
            config.name, config.authenticated(config.watched_url), settings, on_state=self._reader_state
        )
        self.stills = StillImageSource(self.reader.latest_frame)
        self.detection = CameraDetection(config.detection, lambda event: on_detection(config.camera_id, event))
        self.reader.add_frame_listener(self.detection.process)

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
        self.cameras: dict[str, Camera] = {
            config.camera_id: Camera(config, self._settings, self._notify, self._detected) for config in cameras
        }

    def _notify(self, camera_id: str, stats: StreamStats) -> None:
        if self.on_state is not None:
            self.on_state(camera_id, stats)

    def _detected(self, camera_id: str, event: DetectionEvent) -> None:
        if self.on_detection is not None:
            self.on_detection(camera_id, event)

    def start(self) -> None:
        """Start every reader in the background; returns at once (connecting happens on their threads)."""
        for camera in self.cameras.values():
            camera.reader.start()

    def stop(self) -> None:
        """Stop every reader and join its thread.

        Blocking: readers stop in parallel, so this takes at most one open or read timeout however many
        cameras there are.
        """
        for camera in self.cameras.values():
            camera.reader.request_stop()
        for camera in self.cameras.values():
            if not camera.reader.join(camera.reader.max_stop_seconds):
                _LOGGER.warning("Reader of %s did not stop in time", camera.config.name)

    def camera(self, camera_id: str) -> Camera:
        """The camera with this id."""
        return self.cameras[camera_id]

"""The site's recorder: the one object the Home Assistant layer keeps.

It owns the index, the worker and maintenance threads, and every camera's recorder.

Threads (all stopped and joined by `stop()`):
- `ngu_doan_recorder_io`: closes, fsyncs and indexes files (fed by every camera's reader thread);
- `ngu_doan_recorder_maintenance`: at start repairs files a dead run left open, rebuilds a lost
  index, then applies retention every `retention_interval` seconds, and at once when a camera
  cannot write (the disk may just be full).
Cameras' packets arrive on their readers' threads (`CameraRecorder` is their `PacketSink`).
Everything here blocks on disk I/O: the HA layer calls it from an executor.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from os import PathLike

from .camera import CameraRecorder, CameraRecorderStatus
from .errors import RecordingError, RecordingErrorKind
from .evidence import (
    DEFAULT_MAX_SECONDS,
    CameraInfo,
    ExportRequest,
    ExportResult,
    VerifyReport,
    export_evidence,
    release_hold,
    verify_export,
)
from .index import RecordingIndex
from .layout import RecordingLayout
from .rebuild import RebuildReport, rebuild_index, remove_temporary_exports, repair_open_files
from .records import ClipInfo
from .retention import Retention, RetentionReport, RetentionSettings
from .settings import CameraRecordingSettings, RecorderContext
from .worker import ActiveFiles, IoWorker

_LOGGER = logging.getLogger(__name__)

type ClipListener = Callable[[ClipInfo], None]


@dataclass(frozen=True, slots=True)
class RecorderSettings:
    """Site-wide recording settings."""

    retention: RetentionSettings = field(default_factory=RetentionSettings)
    retention_interval: float = 600.0
    max_export_seconds: float = DEFAULT_MAX_SECONDS
    queue_size: int = 256


@dataclass(frozen=True, slots=True)
class RecorderStatus:
    """The site recorder at a glance (for diagnostics and sensors)."""

    running: bool
    queue_pending: int
    queue_overflows: int
    io_failures: int
    index_error: str | None  # why the index cannot be used, if it cannot
    last_retention: RetentionReport | None
    last_rebuild: RebuildReport | None
    cameras: dict[str, CameraRecorderStatus]


class Recorder:
    """Recording for every camera of one site under `media_dir` (names in time zone `tz`)."""

    def __init__(
        self,
        media_dir: str | PathLike[str],
        *,
        site_name: str = "",
        tz: tzinfo | None = None,
        settings: RecorderSettings | None = None,
    ) -> None:
        self.site_name = site_name
        self.settings = settings or RecorderSettings()
        self.layout = RecordingLayout(media_dir, tz)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.index = RecordingIndex(self.layout.index_path, on_rebuild_needed=self._wake.set)
        self.worker = IoWorker(capacity=self.settings.queue_size)
        self.active = ActiveFiles()
        self.context = RecorderContext(
            self.layout,
            self.index,
            self.worker,
            self.active,
            on_storage_error=lambda _camera: self._wake.set(),
            on_clip_done=self._clip_done,
        )
        self._lock = threading.Lock()
        self._cameras: dict[str, tuple[CameraInfo, CameraRecorder]] = {}
        self._clip_listeners: list[ClipListener] = []
        self._maintenance: threading.Thread | None = None
        self._index_error: str | None = None
        self._last_retention: RetentionReport | None = None
        self._last_rebuild: RebuildReport | None = None

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker and maintenance threads (returns at once)."""
        with self._lock:
            if self._maintenance is not None:
                return
            self._stopping.clear()
            self.worker.start()
            self._maintenance = threading.Thread(
                target=self._maintain, name="ngu_doan_recorder_maintenance", daemon=True
            )
            self._maintenance.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Finish every file in progress, then stop and join the threads; True if they all ended."""
        with self._lock:
            cameras = [recorder for _, recorder in self._cameras.values()]
            thread, self._maintenance = self._maintenance, None
        for recorder in cameras:
            recorder.close()
        stopped = self.worker.stop(timeout)
        self._stopping.set()
        self._wake.set()
        if thread is not None:
            # A retention or rebuild in progress finishes its current file first.
            thread.join(timeout)
            stopped = stopped and not thread.is_alive()
        self.index.close()
        return stopped

    # --- cameras -----------------------------------------------------------------------------------

    def add_camera(self, camera: CameraInfo, settings: CameraRecordingSettings | None = None) -> CameraRecorder:
        """The recorder of `camera` (a PacketSink for its main-stream reader); made on first call."""
        self.layout.check_camera_id(camera.camera_id)
        with self._lock:
            known = self._cameras.get(camera.camera_id)
            if known is not None:
                self._cameras[camera.camera_id] = (camera, known[1])
                if settings is not None:
                    known[1].update(settings)
                return known[1]
            recorder = CameraRecorder(camera.camera_id, self.context, settings or CameraRecordingSettings())
            self._cameras[camera.camera_id] = (camera, recorder)
            return recorder

    def remove_camera(self, camera_id: str) -> None:
        """Stop recording `camera_id` (its files stay; retention ages them out)."""
        with self._lock:
            known = self._cameras.pop(camera_id, None)
        if known is not None:
            known[1].close()

    def camera(self, camera_id: str) -> CameraRecorder:
        """The recorder of a configured camera; RecordingError(unknown_camera) otherwise."""
        with self._lock:
            known = self._cameras.get(camera_id)
        if known is None:
            raise RecordingError(RecordingErrorKind.UNKNOWN_CAMERA, "no such camera")
        return known[1]

    def add_clip_listener(self, listener: ClipListener) -> Callable[[], None]:
        """Call `listener(clip)` on the worker thread whenever a clip is finished; returns a remover."""
        self._clip_listeners = [*self._clip_listeners, listener]

        def remove() -> None:
            self._clip_listeners = [item for item in self._clip_listeners if item is not listener]

        return remove

    def _clip_done(self, clip: ClipInfo) -> None:
        for listener in self._clip_listeners:
            try:
                listener(clip)
            except Exception:
                _LOGGER.exception("Clip listener failed")

    # --- evidence --------------------------------------------------------------------------------------

    def export_evidence(self, request: ExportRequest) -> ExportResult:
        """Export footage for a case (blocking: minutes for hours of footage)."""
        with self._lock:
            known = self._cameras.get(request.camera_id)
        camera = known[0] if known is not None else None
        return export_evidence(
            self.layout,
            self.index,
            request,
            camera,
            site=camera.site if camera is not None and camera.site else self.site_name,
            max_seconds=self.settings.max_export_seconds,
        )

    def verify_export(self, export_id: str) -> VerifyReport:
        """Hash an export's files again (blocking)."""
        return verify_export(self.layout, export_id)

    def release_hold(self, export_id: str, released_by: str) -> None:
        """End an export's legal hold."""
        release_hold(self.layout, self.index, export_id, released_by)

    # --- maintenance ----------------------------------------------------------------------------------

    def run_retention(self) -> RetentionReport:
        """Apply retention now (blocking)."""
        report = Retention(self.layout, self.index, self.settings.retention, active=self.active).run_once()
        self._last_retention = report
        return report

    def request_maintenance(self) -> None:
        """Wake the maintenance thread (retention, and a rebuild if one is due) now."""
        self._wake.set()

    def _maintain(self) -> None:
        prepared = False
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                if not prepared:
                    self._prepare()
                    prepared = True
                if self.index.rebuild_needed:
                    self._last_rebuild = rebuild_index(self.layout, self.index, self.active)
                self.run_retention()
                self._index_error = None
            except RecordingError as exc:
                if self._index_error is None:
                    _LOGGER.warning("Recording maintenance cannot run: %s", exc.detail)
                self._index_error = exc.detail
            except Exception:
                _LOGGER.exception("Recording maintenance failed")
            self._wake.wait(self.settings.retention_interval)

    def _prepare(self) -> None:
        """What a new run does once: the index opened, leftovers of a dead run cleaned up."""
        self.index.ensure_open()
        remove_temporary_exports(self.layout)
        released = self.index.release_orphan_holds()
        if released:
            _LOGGER.info("Released %d holds of exports that never finished", released)
        repaired = repair_open_files(self.layout, self.index, self.active)
        if repaired:
            _LOGGER.warning("Repaired %d recordings left open by a run that stopped abruptly", repaired)

    # --- status --------------------------------------------------------------------------------------

    @property
    def status(self) -> RecorderStatus:
        """A snapshot of the site's recording."""
        with self._lock:
            cameras = {camera_id: recorder.status for camera_id, (_, recorder) in self._cameras.items()}
            running = self._maintenance is not None
        return RecorderStatus(
            running=running,
            queue_pending=self.worker.pending,
            queue_overflows=self.worker.overflows,
            io_failures=self.worker.failures,
            index_error=self._index_error,
            last_retention=self._last_retention,
            last_rebuild=self._last_rebuild,
            cameras=cameras,
        )

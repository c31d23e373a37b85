"""Recording engine (issue 7): plain Python, no Home Assistant imports.

Continuous segments, event clips with pre-roll, the SQLite index, retention and evidence export.

    camera main-stream reader ──PacketSink──▶ CameraRecorder ──▶ segments / clips (MP4, stream copy)
                                                    │ (worker thread) close, fsync
                                                    ▼
                              RecordingIndex (SQLite) ◀── Retention, evidence export, media browser

`Recorder` is the site-level owner; `RecordingLayout` owns every path. Modules:
layout (paths), index/schema/records (the index), timing (packet order), mp4 (muxing), segmenter,
preroll, clips, camera (one camera's sink), worker (I/O thread), retention, joiner + evidence (export),
probe + rebuild (repair and rebuild from the files), recorder (the site).
"""

from .camera import CameraRecorder, CameraRecorderStatus
from .clips import ClipHandle
from .errors import RecordingError, RecordingErrorKind
from .evidence import CameraInfo, ExportRequest, ExportResult, Mismatch, VerifyReport
from .index import RecordingIndex
from .layout import RecordingLayout
from .rebuild import RebuildReport
from .recorder import Recorder, RecorderSettings, RecorderStatus
from .records import ClipInfo, ExportInfo, GapInfo, SegmentInfo
from .retention import Retention, RetentionReport, RetentionSettings
from .settings import CameraRecordingSettings, RecordingMode

__all__ = [
    "CameraInfo",
    "CameraRecorder",
    "CameraRecorderStatus",
    "CameraRecordingSettings",
    "ClipHandle",
    "ClipInfo",
    "ExportInfo",
    "ExportRequest",
    "ExportResult",
    "GapInfo",
    "Mismatch",
    "RebuildReport",
    "Recorder",
    "RecorderSettings",
    "RecorderStatus",
    "RecordingError",
    "RecordingErrorKind",
    "RecordingIndex",
    "RecordingLayout",
    "RecordingMode",
    "Retention",
    "RetentionReport",
    "RetentionSettings",
    "SegmentInfo",
    "VerifyReport",
]

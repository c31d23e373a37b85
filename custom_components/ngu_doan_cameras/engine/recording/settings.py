"""Per-camera recording settings, and what a camera's recorder shares with the rest of the site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from .index import RecordingIndex
from .layout import RecordingLayout
from .records import ClipInfo
from .worker import ActiveFiles, IoWorker


class RecordingMode(StrEnum):
    """What a camera records."""

    OFF = "off"  # nothing (no pre-roll memory either)
    CONTINUOUS = "continuous"  # segments all the time, and event clips
    EVENTS = "events"  # event clips only, with pre-roll from memory


@dataclass(frozen=True, slots=True)
class CameraRecordingSettings:
    """How one camera records (the defaults are issue 7's)."""

    mode: RecordingMode = RecordingMode.CONTINUOUS
    segment_seconds: float = 60.0  # a segment is cut at the first key frame after this long
    pre_roll_seconds: float = 10.0  # clips' default pre-roll, and how much the ring keeps
    post_roll_seconds: float = 10.0  # a motion clip goes on this long after motion ends
    max_clip_seconds: float = 600.0  # no clip longer than this (motion that never ends)
    fragment_seconds: float = 2.0  # at most this much is lost when the power goes (or one GOP)
    sync_seconds: float = 10.0  # fsync an open file this often
    retry_seconds: float = 30.0  # after a storage failure, try again this long after


@dataclass(frozen=True, slots=True)
class RecorderContext:
    """What every camera recorder of a site shares."""

    layout: RecordingLayout
    index: RecordingIndex
    worker: IoWorker
    active: ActiveFiles = field(default_factory=ActiveFiles)
    # Called (on a reader thread) when a camera cannot write: the site may free space at once.
    on_storage_error: Callable[[str], None] = lambda _camera: None
    # Called on the worker thread when a clip is finished and indexed.
    on_clip_done: Callable[[ClipInfo], None] = lambda _clip: None

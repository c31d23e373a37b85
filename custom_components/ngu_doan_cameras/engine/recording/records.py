"""What the index knows about each file, as plain frozen rows.

Shared by the recorder, retention, export and (through the HA layer) the media browser. Times are
seconds since the epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

type FileState = Literal["open", "complete", "truncated"]
type DeletableKind = Literal["segment", "clip", "export"]

# Two pieces of footage closer than this count as continuous (reconnecting takes seconds; floats of
# the same cut differ by far less).
CONTINUITY_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """One continuous-recording segment."""

    camera: str
    path: str  # relative to the layout's root
    day: str  # local date of its start (its folder)
    start: float
    end: float  # the end of its last video packet; start while still open
    size: int
    state: FileState
    session: int | None = None
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    audio_codec: str | None = None
    holds: int = 0  # exports holding it; held files are never deleted
    id: int = 0

    @property
    def held(self) -> bool:
        """Under legal hold (by at least one export)."""
        return self.holds > 0


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """One event clip."""

    camera: str
    path: str
    day: str
    start: float
    end: float
    size: int
    state: FileState
    reason: str
    trigger: float
    holds: int = 0
    id: int = 0


@dataclass(frozen=True, slots=True)
class ExportInfo:
    """One evidence export (a folder)."""

    export_id: str
    camera: str
    path: str  # the export's folder, relative to the layout's root
    created: float
    start: float  # what it covers (from the key frame at or before the requested start)
    end: float
    requested_start: float
    requested_end: float
    case_reference: str
    requested_by: str
    ha_user: str | None
    size: int
    held: bool


@dataclass(frozen=True, slots=True)
class GapInfo:
    """A time without footage of a camera, and why (end None: still going on)."""

    camera: str
    start: float
    end: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class Deletable:
    """A file retention may delete: not held, not being written."""

    kind: DeletableKind
    key: str  # segment or clip path, or export id
    path: str
    size: int
    start: float

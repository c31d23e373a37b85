"""Retention: keep N days, stay under a quota and above a minimum of free space, oldest first.

"Oldest first" runs across every camera at once (by start time), which is what fair means here: each
camera keeps the same span of history, and no camera is emptied while another keeps older footage,
whatever their bit rates. Held files (legal hold) and files being written are never candidates: the
index leaves them out (partial SQL indexes), and the active set is checked again before each delete.

Blocking (file deletion, index writes): run it on a worker thread, never on an event loop.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .errors import RecordingError
from .index import RecordingIndex
from .layout import RecordingLayout
from .records import Deletable

_LOGGER = logging.getLogger(__name__)

GB = 1_000_000_000
_BATCH = 200


class DiskUsage(NamedTuple):
    """What shutil.disk_usage returns."""

    total: int
    used: int
    free: int


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """Limits (None: that limit is off)."""

    keep_days: float | None = 14.0
    quota_gb: float | None = None  # recordings, clips and exports together
    min_free_gb: float | None = 1.0  # free space on the media folder's disk


@dataclass(slots=True)
class RetentionReport:
    """What one run did."""

    deleted: dict[str, int] = field(default_factory=lambda: {"segment": 0, "clip": 0, "export": 0})
    freed_bytes: int = 0
    by_age: int = 0
    by_quota: int = 0
    by_free_space: int = 0
    unsatisfied: list[str] = field(default_factory=list)  # limits still exceeded (all left is held)
    errors: list[str] = field(default_factory=list)
    total_bytes: int = 0  # indexed bytes after the run


class Retention:
    """Applies `settings` to the files of `layout` known to `index`."""

    def __init__(
        self,
        layout: RecordingLayout,
        index: RecordingIndex,
        settings: RetentionSettings,
        *,
        active: Container[str] = frozenset(),
        disk_usage: Callable[[str], DiskUsage] = shutil.disk_usage,  # type: ignore[assignment]
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.layout = layout
        self.index = index
        self.settings = settings
        self._active = active
        self._disk_usage = disk_usage
        self._clock = clock

    def run_once(self) -> RetentionReport:
        """Delete what the limits ask for; returns what was done."""
        report = RetentionReport()
        settings = self.settings
        if settings.keep_days is not None:
            cutoff = self._clock() - settings.keep_days * 86_400
            report.by_age = self._delete_while(lambda _planned: True, report, before=cutoff)
        if settings.quota_gb is not None:
            quota = int(settings.quota_gb * GB)
            excess = self.index.total_bytes() - quota
            report.by_quota = self._delete_while(lambda planned: planned < excess, report)
            if self.index.total_bytes() > quota:
                report.unsatisfied.append("quota")
        if settings.min_free_gb is not None:
            minimum = int(settings.min_free_gb * GB)
            # Freed bytes are an estimate of free space won (blocks, other writers): measure again.
            for _ in range(3):
                free = self._free()
                if free >= minimum:
                    break

                def short(planned: int, free: int = free) -> bool:
                    return free + planned < minimum

                deleted = self._delete_while(short, report)
                report.by_free_space += deleted
                if not deleted:
                    break
            if self._free() < minimum:
                report.unsatisfied.append("min_free")
        report.total_bytes = self.index.total_bytes()
        if report.unsatisfied:
            _LOGGER.warning("Retention cannot meet %s: everything left is held or being written", report.unsatisfied)
        return report

    def _free(self) -> int:
        root = self.layout.root if self.layout.root.exists() else self.layout.media_dir
        return self._disk_usage(str(root)).free

    def _delete_while(
        self, wanted: Callable[[int], bool], report: RetentionReport, *, before: float | None = None
    ) -> int:
        """Delete the oldest deletable files while `wanted(bytes planned so far)`; returns how many."""
        deleted = 0
        planned = 0
        while wanted(planned):
            candidates = [item for item in self.index.oldest_deletable(_BATCH, before) if item.path not in self._active]
            chosen: list[Deletable] = []
            for item in candidates:
                if not wanted(planned):
                    break
                chosen.append(item)
                planned += item.size
            # The index gives up the rows first (atomically against holds), then the files go.
            claimed = self.index.claim(chosen) if chosen else []
            for item in claimed:
                self._remove(item, report)
            deleted += len(claimed)
            if not claimed:
                break
        return deleted

    def _remove(self, item: Deletable, report: RetentionReport) -> None:
        try:
            path = self.layout.resolve(item.path)
            if item.kind == "export":
                if path.exists():
                    shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
                _prune(path.parent)
        except (OSError, RecordingError) as exc:
            report.errors.append(f"{item.path}: {exc}")
            _LOGGER.warning("Retention could not delete %s: %s", item.path, exc)
            return
        report.deleted[item.kind] += 1
        report.freed_bytes += item.size


def _prune(folder: Path) -> None:
    """Remove a day folder, then its camera folder, when they are left empty."""
    for current in (folder, folder.parent):
        try:
            current.rmdir()
        except OSError:
            return

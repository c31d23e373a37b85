"""The index's database file: one SQLite connection, checked, guarded, and replaced when it must be.

Thread-safe: one connection guarded by a lock (the recorder's worker, retention and the HA layer's
executor jobs all call in); every call blocks on disk I/O, so none of them belongs on an event loop.
The connection checks on every call that the file it writes is still the file on disk: an index
deleted while running is noticed at once, replaced by a fresh one, and a rebuild is asked for. A
corrupt file is set aside (kept for inspection) and replaced the same way.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .errors import RecordingError, RecordingErrorKind
from .schema import CREATE, SCHEMA_VERSION

_LOGGER = logging.getLogger(__name__)

# SQLite's primary result codes for a damaged file.
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def _corrupt(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _CORRUPT_CODES


class IndexDatabase:
    """The database file at `path` (created on first use), and the one way to use it: `_run`."""

    def __init__(self, path: Path, on_rebuild_needed: Callable[[], None] | None = None) -> None:
        self.path = path
        self._on_rebuild_needed = on_rebuild_needed
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._rebuild_needed = False

    # --- lifecycle ----------------------------------------------------------------------------------

    @property
    def rebuild_needed(self) -> bool:
        """True when the index was created, found corrupt or lost while files may exist on disk."""
        with self._lock:
            return self._rebuild_needed

    def rebuild_done(self) -> None:
        """The rebuild asked for has run."""
        with self._lock:
            self._rebuild_needed = False

    def ensure_open(self) -> None:
        """Open (or create) the database now; RecordingError(storage_error) if it cannot be."""
        self._run(lambda _db: None)

    def close(self) -> None:
        """Close the connection (the next call opens it again)."""
        with self._lock:
            self._close_db()

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._identity = None

    def _mark_rebuild(self) -> None:
        if self._rebuild_needed:
            return
        self._rebuild_needed = True
        if self._on_rebuild_needed is not None:
            self._on_rebuild_needed()

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_dev, stat.st_ino

    def _connection(self) -> sqlite3.Connection:
        if self._db is not None:
            if self._file_identity() == self._identity:
                return self._db
            # Deleted or replaced under us: writing on would fill an unlinked file nobody will read.
            _LOGGER.warning("The recording index %s vanished; starting a new one, rebuilt from the files", self.path)
            self._close_db()
            self._mark_rebuild()
        return self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists()
            try:
                db = self._connect(existed)
            except sqlite3.DatabaseError as exc:
                if not _corrupt(exc):
                    raise
                self._set_aside()
                existed = False
                db = self._connect(existed)
        except (OSError, sqlite3.Error) as exc:
            raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"cannot open the index: {exc}") from exc
        self._db = db
        self._identity = self._file_identity()
        if not existed:
            self._mark_rebuild()
        return db

    def _connect(self, existed: bool) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a power cut may lose the last transactions, never corrupt the file; the
            # files themselves are the record (rebuild), so the index need not fsync every row.
            db.execute("PRAGMA synchronous=NORMAL")
            version = self._schema_version(db)
            if version != SCHEMA_VERSION:
                db.executescript(CREATE)
                if existed:
                    _LOGGER.warning("Recording index schema %s is not %s: rebuilding it", version, SCHEMA_VERSION)
                    self._mark_rebuild()
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _schema_version(db: sqlite3.Connection) -> int | None:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:  # no meta table: a new (or foreign) database
            return None
        return int(row[0]) if row else None

    def _set_aside(self) -> None:
        """Move a corrupt database out of the way (kept for inspection) and forget its journal."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        _LOGGER.error("The recording index %s is corrupt; moved to %s and rebuilt from the files", self.path, aside)
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _run[T](self, work: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """Run `work` on the connection, in one transaction when writing.

        Failures become RecordingError(storage_error); a database found corrupt is set aside, a new
        one started (and a rebuild asked for), and the work retried once.
        """
        with self._lock:
            for attempt in (1, 2):
                db = self._connection()
                try:
                    if not write:
                        return work(db)
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(db)
                    except BaseException:
                        db.execute("ROLLBACK")
                        raise
                    db.execute("COMMIT")
                    return result
                except sqlite3.DatabaseError as exc:
                    if attempt == 1 and _corrupt(exc):
                        self._close_db()
                        self._set_aside()
                        self._mark_rebuild()
                        continue
                    if write:  # a row lost (disk full, I/O error): the files will bring it back
                        self._mark_rebuild()
                    raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"index: {exc}") from exc
            raise AssertionError("unreachable")  # pragma: no cover

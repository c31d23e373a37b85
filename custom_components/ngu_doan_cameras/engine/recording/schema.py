"""The index's tables and SQL indexes (schema version 1).

The SQL indexes follow the questions asked of the index:
- the media browser: the days of a camera (`segments_by_day`, an index-only scan), the segments of one
  camera-day (`segments_by_day` again, already in time order), clips likewise, exports;
- export: the segments of a camera overlapping a range (`segments_by_end`: end > start of the range);
- retention: the oldest files that are neither held nor being written, across cameras (the partial
  indexes `*_deletable`, which leave held and open rows out of the scan altogether).
"""

from __future__ import annotations

SCHEMA_VERSION = 1  # written by CREATE below: change both together

# Drops whatever an older or newer schema left, creates this one: run in one transaction.
CREATE = """
BEGIN;
DROP TABLE IF EXISTS meta;
DROP TABLE IF EXISTS segments;
DROP TABLE IF EXISTS clips;
DROP TABLE IF EXISTS exports;
DROP TABLE IF EXISTS holds;
DROP TABLE IF EXISTS gaps;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    day TEXT NOT NULL,
    start_at REAL NOT NULL,
    end_at REAL NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    session INTEGER,
    codec TEXT,
    width INTEGER,
    height INTEGER,
    audio_codec TEXT,
    holds INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX segments_by_day ON segments(camera, day, start_at);
CREATE INDEX segments_by_end ON segments(camera, end_at);
CREATE INDEX segments_deletable ON segments(start_at) WHERE holds = 0 AND state != 'open';
CREATE TABLE clips (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    day TEXT NOT NULL,
    start_at REAL NOT NULL,
    end_at REAL NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    trigger_at REAL NOT NULL,
    holds INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX clips_by_day ON clips(camera, day, start_at);
CREATE INDEX clips_deletable ON clips(start_at) WHERE holds = 0 AND state != 'open';
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at REAL NOT NULL,
    start_at REAL NOT NULL,
    end_at REAL NOT NULL,
    requested_start REAL NOT NULL,
    requested_end REAL NOT NULL,
    case_reference TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    ha_user TEXT,
    size INTEGER NOT NULL,
    held INTEGER NOT NULL
);
CREATE INDEX exports_deletable ON exports(created_at) WHERE held = 0;
CREATE TABLE holds (
    export_id TEXT NOT NULL,
    segment_id INTEGER NOT NULL,
    PRIMARY KEY (export_id, segment_id)
) WITHOUT ROWID;
CREATE TABLE gaps (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    start_at REAL NOT NULL,
    end_at REAL,
    reason TEXT NOT NULL
);
CREATE INDEX gaps_by_camera ON gaps(camera, start_at);
INSERT INTO meta VALUES ('schema_version', '1');
COMMIT;
"""

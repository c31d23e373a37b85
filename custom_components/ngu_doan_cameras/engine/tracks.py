"""Tracks: blobs followed from one judged frame to the next.

A person walks a path: the same blob, a little further along, frame after frame. Sensor noise,
compression artefacts and rain make blobs that do not last; moths dart about; a swaying tree makes
one that stays where it is. Tracks keep what motion.py needs to tell them apart: how long a blob has
been seen, how far it has moved from where it was first seen, and how straight its path was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .blobs import Blob

# A blob is the same object as a track's when it lies this close to where the track was heading
# (cells), plus three quarters of the track's size and half the blob's: fast, big things jump far.
GATE = 3.0
LOST_AFTER = 0.6  # seconds without a matching blob before a track is dropped
MAX_BLOBS = 40  # more blobs than this in one frame: only the biggest are followed
MAX_TRACKS = 64
MOVE_STEP = 0.4  # cells: a shorter step between frames is jitter, not a move
STEADY_CELLS = 1.5  # a step this close to where its speed said (or this share of the step) is steady
STEADY_SHARE = 0.35
STEADY_EXTENT = 0.25
MAX_MASS_RATIO = 10.0


@dataclass(slots=True)
class Track:
    """One blob followed over judged frames (positions in cells, times in seconds)."""

    born: float
    x0: float
    y0: float
    blob: Blob
    seen: float
    x: float = 0.0
    y: float = 0.0
    vx: float = 0.0
    vy: float = 0.0
    hits: int = 1
    moves: int = 0  # steps that went on in the direction of its path so far
    travelled: float = 0.0
    extent: int = 0
    confirmed: bool = False
    light: bool = False  # judged to be light, not an object: never confirmed
    surprises: int = 0  # steps that went far from where its speed said it would be
    sizes: list[int] = field(default_factory=list)  # changed cells, per hit (filled by the motion detector)

    @property
    def displacement(self) -> float:
        """Distance from where it was first seen, cells."""
        return math.hypot(self.x - self.x0, self.y - self.y0)

    @property
    def straightness(self) -> float:
        """Displacement over the length of the path: 1 for a straight walk, near 0 for dithering."""
        return self.displacement / self.travelled if self.travelled > 0 else 0.0


@dataclass(slots=True)
class Tracker:
    """The tracks of one camera."""

    tracks: list[Track] = field(default_factory=list)

    def reset(self) -> None:
        """Forget every track (the background was relearned)."""
        self.tracks = []

    def update(self, blobs: list[Blob], now: float) -> list[Track]:
        """Match this frame's blobs to the tracks; returns the tracks seen in this frame."""
        if len(blobs) > MAX_BLOBS:
            blobs = sorted(blobs, key=lambda blob: blob.mass, reverse=True)[:MAX_BLOBS]
        tracks = [track for track in self.tracks if 0 <= now - track.seen <= LOST_AFTER]
        seen: list[Track] = []
        taken: set[int] = set()
        for t_index, b_index in _pairs(tracks, blobs, now):
            _follow(tracks[t_index], blobs[b_index], now)
            seen.append(tracks[t_index])
            taken.add(b_index)
        for b_index, blob in enumerate(blobs):
            if b_index not in taken:
                track = Track(
                    born=now, x0=blob.x, y0=blob.y, blob=blob, seen=now, x=blob.x, y=blob.y, extent=blob.extent
                )
                tracks.append(track)
                seen.append(track)
        # Bounded: the oldest tracks that were never confirmed go first.
        if len(tracks) > MAX_TRACKS:
            tracks.sort(key=lambda track: (track.confirmed, track.seen), reverse=True)
            del tracks[MAX_TRACKS:]
        self.tracks = tracks
        return seen


def _pairs(tracks: list[Track], blobs: list[Blob], now: float) -> list[tuple[int, int]]:
    """Track and blob indices that belong together: nearest first, each used once.

    All distances at once, in few numpy calls (each call costs more than the arithmetic on these
    few dozen numbers): one table per side, one comparison of every track with every blob.
    """
    if not tracks or not blobs:
        return []
    # Per track: where it would be now, how far it may have gone, its mass.
    ahead = np.array(
        [
            (
                track.x + track.vx * (now - track.seen),
                track.y + track.vy * (now - track.seen),
                GATE + 0.75 * track.extent,
                track.blob.mass,
            )
            for track in tracks
        ],
        np.float32,
    ).T[:, :, None]
    found = np.array([(blob.x, blob.y, 0.5 * blob.extent, blob.mass) for blob in blobs], np.float32).T[:, None, :]
    distance = np.hypot(ahead[0] - found[0], ahead[1] - found[1])
    # Near enough, and of a like size: a blob ten times bigger is something else that came by.
    near = (distance <= ahead[2] + found[2]) & (ahead[3] <= MAX_MASS_RATIO * found[3])
    near &= found[3] <= MAX_MASS_RATIO * ahead[3]
    t_indices, b_indices = np.nonzero(near)
    # Nearest first; equal distances in track, then blob order.
    candidates = sorted(
        zip(distance[t_indices, b_indices].tolist(), t_indices.tolist(), b_indices.tolist(), strict=True)
    )
    pairs: list[tuple[int, int]] = []
    used_tracks: set[int] = set()
    used_blobs: set[int] = set()
    for _, t_index, b_index in candidates:
        if t_index not in used_tracks and b_index not in used_blobs:
            used_tracks.add(t_index)
            used_blobs.add(b_index)
            pairs.append((t_index, b_index))
    return pairs


def _follow(track: Track, blob: Blob, now: float) -> None:
    elapsed = max(now - track.seen, 1e-3)
    step_x, step_y = blob.x - track.x, blob.y - track.y
    # Velocity smoothed over a couple of frames: a blob's centre jitters with the picture's noise.
    if track.hits == 1:
        track.vx, track.vy = step_x / elapsed, step_y / elapsed
    else:
        track.vx = 0.5 * track.vx + 0.5 * step_x / elapsed
        track.vy = 0.5 * track.vy + 0.5 * step_y / elapsed
    step = math.hypot(step_x, step_y)
    if track.hits >= 2:
        # Where its speed so far said it would be: an object keeps its pace; blobs of rain or moths that
        # happen to line up do not.
        miss = math.hypot(step_x - track.vx * elapsed, step_y - track.vy * elapsed)
        # (A big blob's centre wanders more: a motorbike's headlight beam changes shape as it goes.)
        if miss > max(STEADY_CELLS, STEADY_SHARE * step, STEADY_EXTENT * blob.extent):
            track.surprises += 1
    # A step counts as moving when it is not a jitter and carries on away from where it began (one
    # jump to a neighbouring blob is not a walk).
    if step >= MOVE_STEP and (step_x * (blob.x - track.x0) + step_y * (blob.y - track.y0)) > 0:
        track.moves += 1
    track.travelled += step
    track.x, track.y = blob.x, blob.y
    track.blob = blob
    track.seen = now
    track.hits += 1
    track.extent = max(track.extent, blob.extent)

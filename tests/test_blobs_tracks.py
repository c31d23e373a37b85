"""Blobs (changed blocks grouped by touching) and tracks (blobs followed over frames), on small made-up grids."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from custom_components.ngu_doan_cameras.engine.blobs import Blob, find_blobs
from custom_components.ngu_doan_cameras.engine.tracks import Tracker


def grid(rows: int, cols: int, hot: dict[tuple[int, int], float]) -> npt.NDArray[np.float32]:
    sums = np.zeros((rows, cols), np.float32)
    for (row, col), value in hot.items():
        sums[row, col] = value
    return sums


def test_blocks_that_touch_at_a_corner_are_one_blob_with_its_weighted_centre() -> None:
    sums = grid(6, 8, {(1, 1): 3.0, (2, 2): 1.0, (4, 6): 5.0})
    first, second = find_blobs(sums, threshold=0.5)
    # In cells of the detection image (blocks are 2x2 cells): the first block found comes first.
    assert (first.left, first.top, first.right, first.bottom) == (2, 2, 6, 6)
    assert first.mass == 4.0
    assert (first.x, first.y) == (2 * (3 * 1 + 1 * 2) / 4 + 1, 2 * (3 * 1 + 1 * 2) / 4 + 1)
    assert second == Blob(x=13.0, y=9.0, left=12, top=8, right=14, bottom=10, mass=5.0)


def test_a_row_end_and_the_next_row_start_are_not_neighbours() -> None:
    sums = grid(3, 5, {(0, 4): 1.0, (1, 0): 1.0, (1, 4): 1.0, (2, 3): 1.0})
    blobs = find_blobs(sums, threshold=0.5)
    # (0,4), (1,4) and (2,3) touch; (1,0) sits just after (0,4) in memory but across the grid.
    assert sorted((blob.left, blob.top, blob.right, blob.bottom) for blob in blobs) == [(0, 2, 2, 4), (6, 0, 10, 6)]


def test_a_busy_picture_is_grouped_on_larger_blocks() -> None:
    rng = np.random.default_rng(1)
    sums = (rng.random((16, 16)) > 0.5).astype(np.float32)  # about 128 hot blocks of 256
    blobs = find_blobs(sums, threshold=0.5, limit=32)
    assert blobs
    # Grouped on blocks of 2x2 blocks or larger: every box edge falls on a multiple of 4 cells.
    assert all(edge % 4 == 0 for blob in blobs for edge in (blob.left, blob.top, blob.right, blob.bottom))
    assert sum(blob.mass for blob in blobs) > 0


def blob_at(x: float, y: float, mass: float = 10.0) -> Blob:
    return Blob(x=x, y=y, left=int(x) - 1, top=int(y) - 1, right=int(x) + 1, bottom=int(y) + 1, mass=mass)


def test_a_track_follows_the_nearest_blob_and_not_one_ten_times_heavier() -> None:
    tracker = Tracker()
    (walker,) = tracker.update([blob_at(10, 10)], now=0.0)
    seen = tracker.update([blob_at(14, 10), blob_at(11, 10, mass=500.0), blob_at(12, 10)], now=0.2)
    # The heavy blob is nearest but something else that came by: the walker takes the nearer light one.
    assert walker in seen
    assert walker.hits == 2
    assert (walker.x, walker.y) == (12.0, 10.0)
    assert len(tracker.tracks) == 3  # the other two start tracks of their own
    # Moving on steadily in the direction it set out in counts as a move.
    tracker.update([blob_at(14, 10)], now=0.4)
    assert walker.moves == 2
    assert walker.displacement == 4.0

"""Blobs: groups of touching blocks where the picture changed, found on a small grid of blocks.

The detection image's change is summed over blocks of 2x2 cells (a person at road distance covers a
handful of them); the few blocks over the threshold are grouped by touching (8 neighbours) in plain
Python. A busy picture is grouped on larger blocks, so the cost stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BLOCK = 2  # cells of the detection image per block side


@dataclass(frozen=True, slots=True)
class Blob:
    """A group of touching changed blocks, in cells of the detection image."""

    x: float  # centre of the change (weighted by how much each block changed)
    y: float
    left: int  # bounding box, cells; right and bottom exclusive
    top: int
    right: int
    bottom: int
    mass: float  # the change summed over its blocks

    @property
    def extent(self) -> int:
        """The longer side of the bounding box, cells."""
        return max(self.right - self.left, self.bottom - self.top)


def block_sums(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Sums over BLOCK x BLOCK (2x2) cells (a trailing odd row or column is left out)."""
    rows, cols = values.shape[0] // BLOCK * BLOCK, values.shape[1] // BLOCK * BLOCK
    cells = values[:rows, :cols]
    # Two strided additions: ten times cheaper than a reduction over a reshaped axis of length 2.
    pairs = cells[:, 0::2] + cells[:, 1::2]
    sums: npt.NDArray[np.float32] = pairs[0::2] + pairs[1::2]
    return sums


def find_blobs(sums: npt.NDArray[np.float32], threshold: float, limit: int = 32) -> list[Blob]:
    """Blobs of the blocks whose sum exceeds `threshold`.

    A busy picture (more than `limit` such blocks: a market, leaves in the wind, rain) is grouped on
    blocks twice as large, and again, so grouping never costs more than `limit` blocks' worth of Python.
    """
    scale = 1
    hot = np.nonzero((sums > threshold).ravel())[0]
    while hot.size > limit and min(sums.shape) >= 2 * BLOCK:
        sums = block_sums(sums)
        scale *= BLOCK
        hot = np.nonzero((sums > threshold).ravel())[0]
    if hot.size == 0:
        return []
    width = sums.shape[1]
    # Plain Python numbers from here: indexing a numpy array one element at a time is slow.
    indices: list[int] = hot.tolist()
    weights: dict[int, float] = dict(zip(indices, sums.ravel()[hot].tolist(), strict=True))
    parent: dict[int, int] = {}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for index in indices:  # row by row: the neighbours above and to the left are already placed
        parent[index] = index
        column = index % width
        for neighbour in (index - 1, index - width - 1, index - width, index - width + 1):
            if neighbour in parent and abs(neighbour % width - column) <= 1:
                parent[root(neighbour)] = root(index)
    groups: dict[int, list[int]] = {}
    for index in indices:
        groups.setdefault(root(index), []).append(index)
    return [_blob(members, weights, width, BLOCK * scale) for members in groups.values()]


def _blob(members: list[int], weights: dict[int, float], width: int, size: int) -> Blob:
    mass = sx = sy = 0.0
    left = top = 1 << 30
    right = bottom = -1
    for index in members:
        row, column = divmod(index, width)
        weight = weights[index]
        mass += weight
        sx += weight * column
        sy += weight * row
        left, right = min(left, column), max(right, column)
        top, bottom = min(top, row), max(bottom, row)
    half = size / 2
    return Blob(
        x=sx / mass * size + half,
        y=sy / mass * size + half,
        left=left * size,
        top=top * size,
        right=(right + 1) * size,
        bottom=(bottom + 1) * size,
        mass=mass,
    )

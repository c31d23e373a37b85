"""Blobs: groups of touching blocks where the picture changed, found on a small grid of blocks.

The detection image's change is summed over blocks of 2x2 cells (a person at road distance covers a
handful of them); the few blocks over the threshold are grouped by touching (8 neighbours) in plain
Python. A busy picture is grouped on larger blocks, so the cost stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

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
    indices = cast(list[int], hot.tolist())
    weights = dict(zip(indices, cast(list[float], sums.ravel()[hot].tolist()), strict=True))
    return [_blob(members, weights, width, BLOCK * scale) for members in _groups(indices, width)]


def _groups(indices: list[int], width: int) -> list[list[int]]:
    """The hot blocks (flat indices, in order) grouped by touching (8 neighbours), each group in order.

    A flood fill from each group's first block: a set lookup per neighbour, cheaper in Python than
    merging labels.
    """
    remaining = set(indices)
    groups: list[list[int]] = []
    for start in indices:
        if start not in remaining:
            continue
        remaining.discard(start)
        stack, members = [start], []
        while stack:
            index = stack.pop()
            members.append(index)
            column = index % width
            # The neighbours in the same column, and those left and right unless at the grid's edge.
            near: tuple[int, ...] = (index - width, index + width)
            if column:
                near += (index - width - 1, index - 1, index + width - 1)
            if column < width - 1:
                near += (index - width + 1, index + 1, index + width + 1)
            for neighbour in near:
                if neighbour in remaining:
                    remaining.discard(neighbour)
                    stack.append(neighbour)
        members.sort()
        groups.append(members)
    return groups


def _blob(members: list[int], weights: dict[int, float], width: int, size: int) -> Blob:
    """A group's blob (`members` in order: its first and last blocks are in its top and bottom rows)."""
    mass = sx = sy = 0.0
    columns: list[int] = []
    for index in members:
        row, column = divmod(index, width)
        weight = weights[index]
        mass += weight
        sx += weight * column
        sy += weight * row
        columns.append(column)
    half = size / 2
    return Blob(
        x=sx / mass * size + half,
        y=sy / mass * size + half,
        left=min(columns) * size,
        top=members[0] // width * size,
        right=(max(columns) + 1) * size,
        bottom=(members[-1] // width + 1) * size,
        mass=mass,
    )

"""Zones and masks: polygons in 0..1 image coordinates, rasterised onto the detection grid."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

type Point = tuple[float, float]
type Polygon = tuple[Point, ...]

_NUMBER = r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?"
_POINT = re.compile(rf"\(?\s*({_NUMBER})\s*[, ]\s*({_NUMBER})\s*\)?")


class PolygonError(ValueError):
    """A polygon text that cannot be read (the message says which part)."""


@dataclass(frozen=True, slots=True)
class Zone:
    """A named region where motion counts."""

    name: str
    polygon: Polygon


def parse_polygons(text: str) -> list[Polygon]:
    """Read polygons typed by a user.

    Accepts JSON (`[[[0.1, 0.2], [0.5, 0.2], [0.5, 0.8]], ...]`) or plain text with one polygon per
    line or `;`-separated, points as `x,y` pairs separated by spaces (`0.1,0.2 0.5,0.2 0.5,0.8`).
    Coordinates are fractions of the image's width and height (0..1).
    """
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise PolygonError(f"not valid JSON: {err.msg}") from None
        if raw and isinstance(raw[0], list) and raw[0] and isinstance(raw[0][0], int | float):
            raw = [raw]  # a single polygon given as a list of points
        return [_polygon([tuple(point) for point in polygon]) for polygon in raw]
    polygons = []
    for part in re.split(r"[;\n]+", text):
        if not part.strip():
            continue
        points = [(float(x), float(y)) for x, y in _POINT.findall(part)]
        leftover = _POINT.sub("", part).strip(" ,")
        if leftover:
            raise PolygonError(f"cannot read '{leftover[:20]}'")
        polygons.append(_polygon(points))
    return polygons


def _polygon(points: Sequence[Sequence[float]]) -> Polygon:
    if len(points) < 3:
        raise PolygonError("a polygon needs at least 3 points")
    clean: list[Point] = []
    for point in points:
        if len(point) != 2:
            raise PolygonError("a point is two numbers, x and y")
        x, y = float(point[0]), float(point[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise PolygonError("coordinates are fractions of the image, between 0 and 1")
        clean.append((x, y))
    return tuple(clean)


def parse_zones(text: str) -> list[Zone]:
    """Read named zones: one per line, `name: x,y x,y x,y` (the name is optional: zone_1, zone_2...).

    JSON works too: `{"Cổng làng": [[0.5, 0], [1, 0], [1, 1]], ...}` or a list of polygons.
    """
    text = text.strip()
    if not text:
        return []
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise PolygonError(f"not valid JSON: {err.msg}") from None
        return [Zone(str(name), _polygon([tuple(point) for point in points])) for name, points in raw.items()]
    if text.startswith("["):
        return [Zone(f"zone_{n}", polygon) for n, polygon in enumerate(parse_polygons(text), start=1)]
    zones = []
    for n, line in enumerate((line for line in re.split(r"[;\n]+", text) if line.strip()), start=1):
        name, _, points = line.rpartition(":")
        polygons = parse_polygons(points)
        if len(polygons) != 1:
            raise PolygonError("each line is one zone: name: x,y x,y x,y")
        zones.append(Zone(name.strip() or f"zone_{n}", polygons[0]))
    names = [zone.name for zone in zones]
    if len(set(names)) != len(names):
        raise PolygonError("two zones have the same name")
    return zones


def format_zones(zones: list[Zone]) -> str:
    """The text form `parse_zones` reads."""
    return "\n".join(f"{zone.name}: {format_polygons([zone.polygon])}" for zone in zones)


def format_polygons(polygons: list[Polygon]) -> str:
    """The text form `parse_polygons` reads, one polygon per line."""
    return "\n".join(" ".join(f"{x:g},{y:g}" for x, y in polygon) for polygon in polygons)


def rasterize(polygons: list[Polygon], width: int, height: int) -> npt.NDArray[np.bool_]:
    """Cells (of a width x height grid) whose centre lies inside any of the polygons (even-odd rule)."""
    inside = np.zeros((height, width), dtype=bool)
    if not polygons:
        return inside
    xs = (np.arange(width, dtype=np.float64) + 0.5) / width
    ys = (np.arange(height, dtype=np.float64) + 0.5) / height
    px, py = np.meshgrid(xs, ys)
    for polygon in polygons:
        hit = np.zeros_like(inside)
        count = len(polygon)
        for i in range(count):
            x1, y1 = polygon[i]
            x2, y2 = polygon[(i + 1) % count]
            if y1 == y2:
                continue
            crosses = (py >= min(y1, y2)) & (py < max(y1, y2))
            x_at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            hit ^= crosses & (px < x_at)
        inside |= hit
    return inside

"""Zones and masks: polygons in 0..1 image coordinates, rasterised onto the detection grid.

People type these into a form that is checked on Home Assistant's event loop, so reading them must
cost little whatever is typed: a text over `MAX_POLYGON_TEXT` is refused before it is read, and the
reader goes through the text once, splitting it with plain string methods (no regular expression
that could backtrack). Every problem is a `PolygonError` saying what is wrong and where.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

type Point = tuple[float, float]
type Polygon = tuple[Point, ...]

MAX_POLYGON_TEXT: Final = 5000  # characters in one zones or masks field
MAX_POLYGONS: Final = 20  # polygons (or zones) in one field
MAX_POINTS: Final = 50  # points of one polygon
MAX_ZONE_NAME: Final = 40  # characters of a zone's name (it shows in events and attributes)
MAX_NEAR: Final = 20  # characters of the offending text quoted back in an error

# Between numbers: spaces, commas and the brackets of "(x, y)". Everything else must be part of a number.
_TO_SPACES = str.maketrans(dict.fromkeys(",()\t\r", " "))
_WITHOUT_NUMBER_CHARS = str.maketrans(dict.fromkeys("0123456789.+-eE"))


class PolygonError(ValueError):
    """A zones or masks text that cannot be used.

    `problem` says what is wrong (one of: json, shape, number, pair, few_points, range, zone_name,
    duplicate_zone, too_large), `line` on which line of the text, `near` the text at fault.
    """

    def __init__(self, problem: str, line: int = 1, near: str = "") -> None:
        super().__init__(f"{problem} on line {line} near {near[:MAX_NEAR]!r}")
        self.problem = problem
        self.line = line
        self.near = near[:MAX_NEAR]


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
    text = _bounded(text)
    if not text:
        return []
    if text.startswith("["):
        return _json_polygons(_load_json(text))
    return [_text_polygon(part, line) for line, part in _text_parts(text)]


def parse_zones(text: str) -> list[Zone]:
    """Read named zones: one per line, `name: x,y x,y x,y` (the name is optional: zone_1, zone_2...).

    JSON works too: `{"Cổng làng": [[0.5, 0], [1, 0], [1, 1]], ...}` or a list of polygons.
    """
    text = _bounded(text)
    if not text:
        return []
    if text.startswith("{"):
        zones = _json_zones(_load_json(text))
    elif text.startswith("["):
        zones = [(1, Zone(f"zone_{n}", polygon)) for n, polygon in enumerate(parse_polygons(text), start=1)]
    else:
        zones = list(_text_zones(text))
    seen: set[str] = set()
    for line, zone in zones:
        if zone.name in seen:
            raise PolygonError("duplicate_zone", line, zone.name)
        seen.add(zone.name)
    return [zone for _, zone in zones]


def _bounded(text: str) -> str:
    if len(text) > MAX_POLYGON_TEXT:
        raise PolygonError("too_large")
    return text.strip()


def _text_parts(text: str) -> Iterator[tuple[int, str]]:
    """Each polygon's text with its line number: one per line, or several separated by `;`."""
    count = 0
    for line, row in enumerate(text.split("\n"), start=1):
        for part in row.split(";"):
            if part.strip():
                count += 1
                if count > MAX_POLYGONS:
                    raise PolygonError("too_large", line)
                yield line, part


def _text_zones(text: str) -> Iterator[tuple[int, Zone]]:
    for n, (line, part) in enumerate(_text_parts(text), start=1):
        name, _, points = part.rpartition(":")
        polygon = _text_polygon(points, line)
        yield line, Zone(_zone_name(name, line) if name.strip() else f"zone_{n}", polygon)


def _text_polygon(part: str, line: int) -> Polygon:
    numbers: list[float] = []
    for token in part.translate(_TO_SPACES).split():
        if len(numbers) == 2 * MAX_POINTS:
            raise PolygonError("too_large", line)
        numbers.append(_number(token, line))
    if len(numbers) % 2:
        raise PolygonError("pair", line, part.strip())
    return _polygon(list(zip(numbers[::2], numbers[1::2], strict=True)), line, part.strip())


def _number(token: str, line: int) -> float:
    """A decimal number; `float` alone would also take nan, inf, 1_000 and non-ASCII digits."""
    if token.translate(_WITHOUT_NUMBER_CHARS):
        raise PolygonError("number", line, token)
    try:
        return float(token)
    except ValueError:
        raise PolygonError("number", line, token) from None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PolygonError("json", err.lineno, text[err.pos : err.pos + MAX_NEAR]) from None
    except (ValueError, RecursionError):  # an integer of over 4300 digits; nesting deeper than the decoder's stack
        raise PolygonError("json", 1, text) from None


def _json_polygons(raw: list[Any]) -> list[Polygon]:
    if raw and isinstance(raw[0], list) and raw[0] and _is_number(raw[0][0]):
        raw = [raw]  # a single polygon given as a list of points
    if len(raw) > MAX_POLYGONS:
        raise PolygonError("too_large")
    return [_json_polygon(item) for item in raw]


def _json_zones(raw: dict[Any, Any]) -> list[tuple[int, Zone]]:
    if len(raw) > MAX_POLYGONS:
        raise PolygonError("too_large")
    return [(1, Zone(_zone_name(str(name), 1), _json_polygon(points))) for name, points in raw.items()]


def _json_polygon(item: Any) -> Polygon:
    if not isinstance(item, list):
        raise PolygonError("shape", 1, _snippet(item))
    if len(item) > MAX_POINTS:
        raise PolygonError("too_large")
    for point in item:
        if not (isinstance(point, list) and len(point) == 2 and all(_is_number(value) for value in point)):
            raise PolygonError("shape", 1, _snippet(point))
    return _polygon(item, 1, _snippet(item))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _snippet(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:MAX_NEAR]


def _zone_name(name: str, line: int) -> str:
    name = name.strip()
    # Names show in events and attributes, and `format_zones` writes them back as `name: points` lines.
    if not name or len(name) > MAX_ZONE_NAME or not name.isprintable() or ";" in name:
        raise PolygonError("zone_name", line, name)
    return name


def _polygon(points: Sequence[Sequence[float]], line: int, near: str) -> Polygon:
    if len(points) < 3:
        raise PolygonError("few_points", line, near)
    clean: list[Point] = []
    for x, y in points:
        # Compared before converting: JSON may hold NaN (never in range) or integers too big for a float.
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise PolygonError("range", line, f"{x},{y}")
        clean.append((float(x), float(y)))
    return tuple(clean)


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

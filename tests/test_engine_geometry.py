"""Zones and masks typed by people: every malformed text is a PolygonError, parsing is linear and bounded."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest

from custom_components.ngu_doan_cameras.engine import geometry
from custom_components.ngu_doan_cameras.engine.geometry import PolygonError, parse_polygons, parse_zones


def short_id(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)} chars)"


SQUARE = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


def test_the_forms_people_type_are_read() -> None:
    expected = [((0.1, 0.2), (0.5, 0.2), (0.5, 0.8))]
    for text in (
        "0.1,0.2 0.5,0.2 0.5,0.8",
        "0.1,0.2, 0.5,0.2, 0.5,0.8",
        "(0.1, 0.2) (0.5,0.2)(0.5, 0.8)",
        "0.1 0.2 0.5 0.2 0.5 0.8",
        " 0.1,0.2\t0.5,0.2 0.5,.8 ",
        "[[0.1,0.2],[0.5,0.2],[0.5,0.8]]",
        "[[[0.1,0.2],[0.5,0.2],[0.5,0.8]]]",
        "1e-1,2E-1 +0.5,0.2 0.5,0.8",
    ):
        assert parse_polygons(text) == expected, text
    assert parse_polygons("0,0 1,0 1,1 0,1; 0,0 1,0 1,1\n\n") == [SQUARE, SQUARE[:3]]
    zones = parse_zones("Cổng làng: 0,0 1,0 1,1 0,1\n0,0 1,0 1,1\nĐường: 10: 0,0 1,0 1,1")
    assert [zone.name for zone in zones] == ["Cổng làng", "zone_2", "Đường: 10"]
    assert parse_zones('{"Cổng": [[0,0],[1,0],[1,1],[0,1]]}')[0].polygon == SQUARE
    assert parse_zones("[[[0,0],[1,0],[1,1],[0,1]]]")[0].name == "zone_1"
    assert parse_zones("") == parse_polygons("  \n ") == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1,2,3]", "shape"),
        ("[null]", "shape"),
        ("[[null]]", "shape"),
        ("[[]]", "few_points"),
        ('[[["x","y"],["x","y"],["x","y"]]]', "shape"),
        ("[[[true,false],[1,0],[1,1]]]", "shape"),
        ("[[[1e400, 0],[1,0],[1,1]]]", "range"),
        ("[[[NaN, 0],[1,0],[1,1]]]", "range"),
        ("[[[Infinity, 0],[1,0],[1,1]]]", "range"),
        ("[[[" + "9" * 400 + ", 0],[1,0],[1,1]]]", "range"),
        ("[[[0,0,0],[1,0],[1,1]]]", "shape"),
        ('[[[0,0],[1,0],[1,1]], {"a": 1}]', "shape"),
        ("[[0.1,0.2],", "json"),
        ("[[[" + "9" * 4400 + ", 0],[1,0],[1,1]]]", "json"),  # more digits than Python turns into an int
        ("[" * 2000 + "]" * 2000, "json|shape"),  # json when the nesting is deeper than the decoder's stack
        ("[" * 900 + "]" * 900, "shape"),
        ("0.1,0.2 0.5,0.2", "few_points"),
        ("0.1,0.2 1.5,0.2 0.5,0.8", "range"),
        ("nan,0 1,0 1,1", "number"),
        ("inf,0 1,0 1,1", "number"),
        ("1_0,0 1,0 1,1", "number"),
        ("a,b c,d e,f", "number"),
        ("0,0 1,0 1", "pair"),
        ("0..1,0 1,0 1,1", "number"),
        ("0,0 1,0 1,1 \x00", "number"),
    ],
    ids=short_id,
)
def test_malformed_polygons_are_a_polygon_error(text: str, problem: str) -> None:
    with pytest.raises(PolygonError) as caught:
        parse_polygons(text)
    assert caught.value.problem in problem.split("|")
    assert caught.value.line >= 1
    assert len(caught.value.near) <= geometry.MAX_NEAR


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"a": 5}', "shape"),
        ('{"a": [[0,0],[1,0]]}', "few_points"),
        ('{"a": null}', "shape"),
        ('{"": [[0,0],[1,0],[1,1]]}', "zone_name"),
        ("{" * 3000, "json"),
        ('{"a": [[0,0],[1,0],[1,1]]', "json"),
        ("[1,2,3]", "shape"),
        ("a: 0,0 1,0 1,1\na: 0,0 1,0 1,1", "duplicate_zone"),
        ("a: 0,0 1,0 1,1; a: 0,0 1,0 1,1", "duplicate_zone"),
        (("x" * 41) + ": 0,0 1,0 1,1", "zone_name"),
        ("a: 0,0 1,0 1,1 oops", "number"),
        ("a:", "few_points"),
    ],
    ids=short_id,
)
def test_malformed_zones_are_a_polygon_error(text: str, problem: str) -> None:
    with pytest.raises(PolygonError) as caught:
        parse_zones(text)
    assert caught.value.problem == problem


def test_the_error_says_where() -> None:
    with pytest.raises(PolygonError) as caught:
        parse_zones("Cổng: 0,0 1,0 1,1\nSân: 0,0 1,0 1,1 0,x1\nĐường: 0,0 1,0 1,1")
    assert (caught.value.problem, caught.value.line, caught.value.near) == ("number", 2, "x1")


@pytest.mark.parametrize("parse", [parse_polygons, parse_zones])
def test_input_is_bounded(parse: Callable[[str], list[object]]) -> None:
    point = "0.5,0.5 "
    too_long = point * (geometry.MAX_POLYGON_TEXT // len(point) + 1)
    too_many_polygons = "\n".join(["0,0 1,0 1,1"] * (geometry.MAX_POLYGONS + 1))
    too_many_points = "0,0 " + "1,0 " * geometry.MAX_POINTS + "1,1"
    json_points = "[" + "[0,0]," * geometry.MAX_POINTS + "[1,1]]"
    json_polygons = "[" + ",".join(["[[0,0],[1,0],[1,1]]"] * (geometry.MAX_POLYGONS + 1)) + "]"
    json_zones = "{" + ",".join(f'"z{n}": [[0,0],[1,0],[1,1]]' for n in range(geometry.MAX_POLYGONS + 1)) + "}"
    for text in (too_long, too_many_polygons, too_many_points, json_points, json_polygons, json_zones):
        if parse is parse_polygons and text is json_zones:
            continue
        with pytest.raises(PolygonError) as caught:
            parse(text)
        assert caught.value.problem == "too_large", text[:40]
    # At the limits, a valid text is read.
    most = "\n".join(["0,0 " + "0.5,0.5 " * (geometry.MAX_POINTS - 2) + "1,1"] * 4)
    assert len(most) <= geometry.MAX_POLYGON_TEXT
    assert len(parse(most)) == 4
    assert len(parse("\n".join(["0,0 1,0 1,1"] * geometry.MAX_POLYGONS))) == geometry.MAX_POLYGONS


def _least_seconds(parse: Callable[[str], object], text: str, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        with contextlib.suppress(PolygonError):
            parse(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("parse", [parse_polygons, parse_zones])
def test_worst_case_text_at_the_limit_parses_in_linear_time(parse: Callable[[str], object]) -> None:
    """The old regex took 0.8 s for 400 digits and 6.5 s for 800 (catastrophic backtracking).

    Deterministic part: the biggest texts allowed are read to the end (an error or a result, never a hang).
    Timing part: a ratio within this run, against an ordinary text of the same size, with a wide margin.
    """
    size = geometry.MAX_POLYGON_TEXT
    # The baseline is read to its end: as many full polygons as the limits allow.
    points = min(geometry.MAX_POINTS, size // geometry.MAX_POLYGONS // len("0.25,0.5 "))
    ordinary = "\n".join(["0.25,0.5 " * points] * geometry.MAX_POLYGONS)
    assert len(parse(ordinary)) == geometry.MAX_POLYGONS
    pathological = [
        "1" * size,  # one long run of digits: what made the old regex backtrack
        ("0." + "1" * (size // 2)) + " " + "2" * (size // 2 - 4),
        ("1" * 99 + "x") * (size // 100),
        ("0.1" + "e" * 50 + " ") * (size // 54),
        ":" * size,
        ("a: " + "1" * 97) * (size // 100),
    ]
    baseline = _least_seconds(parse, ordinary)
    for text in pathological:
        assert len(text) <= size
        with pytest.raises(PolygonError):
            parse(text)
        assert _least_seconds(parse, text) < 25 * baseline, text[:20]


def test_stored_zones_that_no_longer_parse_are_ignored_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    from custom_components.ngu_doan_cameras.data import detection_settings

    too_many = "\n".join(f"z{n}: 0,0 1,0 1,1" for n in range(100))
    settings = detection_settings({"zones": too_many, "masks": "0,0 1,0 1,1"})
    assert settings.motion.zones == ()
    assert len(settings.motion.masks) == 1
    assert "Ignoring stored detection zones" in caplog.text

"""Detection on a representative subset of the evaluation set (the whole set runs in ./scripts/bench).

Generated street scenes, encoded like a cheap camera (H.264, 640x360, 256-512 kbit/s, 2 s GOPs),
through a camera's detection with its default settings. Clips are made once and kept in
bench-output/evalset/ (the first run makes them: about a minute); long nuisance clips are shortened
here, so these are clips of their own, with the same recipes.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest

from tools import evalset

FPS = evalset.FPS

PEOPLE = [
    "person_0.1pct_day_00",  # low contrast, 256 kbit/s
    "person_0.1pct_day_05",  # high contrast, the village gate
    "person_0.25pct_day_07",  # medium contrast, the alley
    "person_0.25pct_night_00",  # low contrast in IR
    "person_0.25pct_night_04",
    "motorbike_0.25pct_night_02",  # its headlight and beam come with it
    "car_1pct_night_04",
]
# Seconds of each nuisance clip kept here (the bench runs a minute of each).
NUISANCES = {
    "trees_day_01": 20.0,
    "trees_dusk_01": 20.0,
    "insects_night_00": 20.0,
    "rain_night_00": 20.0,
    "headlight_sweep_night_01": 20.0,
    "keyframes_night_00": 12.0,
}
FIRES = ["fire_day_00", "fire_night_06"]
FLASHES = ["flash_blast_day_00", "flash_firecracker_night_06", "flash_firecrackers_night_11"]
LIGHTS = {
    "welding_night_02": 30.0,
    "flashlight_night_01": 30.0,
    "street_lights_dusk_00": 25.0,
    "headlights_night_00": 25.0,
}


def shortened(name: str, seconds: float) -> evalset.Case:
    """The case, `seconds` long."""
    return replace(evalset.case(name), seconds=seconds)


@cache
def outcome(item: evalset.Case) -> evalset.Outcome:
    """The case through a camera's detection with default settings (once per test session)."""
    return evalset.run(item)


@pytest.mark.parametrize("name", PEOPLE)
def test_people_and_vehicles_at_road_distance_are_seen_within_a_second_or_so(name: str) -> None:
    result = outcome(evalset.case(name))
    hit, latency = evalset.object_hit(result)
    assert hit, f"{name} was missed"
    assert latency is not None
    assert latency < 1.5  # from the moment it is wholly in view
    assert evalset.object_false_alarms(result) == 0
    # A person is not fire, nor a flash (a motorbike's headlight passing is not a firecracker).
    assert result.count("fire_start") == result.count("flash_start") == 0


@pytest.mark.parametrize(("name", "seconds"), NUISANCES.items())
def test_nuisances_raise_no_motion(name: str, seconds: float) -> None:
    result = outcome(shortened(name, seconds))
    assert result.label.frames == seconds * FPS
    assert result.events == [], f"{name}: {result.events}"


@pytest.mark.parametrize("name", FIRES)
def test_fire_is_seen_while_it_grows(name: str) -> None:
    result = outcome(evalset.case(name))
    onset = result.label.onset
    assert onset is not None
    start = result.first("fire_start")
    assert start is not None, f"{name}: {result.events}"
    assert onset < start <= onset + 25 * FPS
    assert result.count("flash_start") == 0  # flames leaping are not flashes


@pytest.mark.parametrize("name", FLASHES)
def test_blasts_and_firecrackers_are_flashes(name: str) -> None:
    result = outcome(evalset.case(name))
    onset = result.label.onset
    assert onset is not None
    assert result.first("flash_start") is not None
    assert result.first("flash_start", 0, onset - 1) is None
    assert onset <= (result.first("flash_start") or 0) <= onset + FPS  # within a second of the burst
    assert result.count("flash_start") == 1  # a string of firecrackers is one flash that goes on
    assert result.count("fire_start") == 0


@pytest.mark.parametrize(("name", "seconds"), LIGHTS.items())
def test_welding_torches_street_lamps_and_headlights_are_neither_fire_nor_flash(name: str, seconds: float) -> None:
    result = outcome(shortened(name, seconds))
    assert result.count("fire_start") == result.count("flash_start") == 0, f"{name}: {result.events}"


@pytest.mark.parametrize("name", ["ir_switch_dusk_00", "ir_switch_night_01"])
def test_switching_to_and_from_ir_raises_no_tamper_nor_motion(name: str) -> None:
    item = replace(evalset.case(name), seconds=24.0, effect_at=12.0)
    result = outcome(item)
    assert result.label.onset == 12 * FPS
    assert result.events == [], f"{name}: {result.events}"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("tamper_cover_day", "covered"), ("tamper_cover_night", "covered"), ("tamper_turn_night", "moved")],
)
def test_tamper_is_raised_and_clears_when_the_view_comes_back(name: str, kind: str) -> None:
    item = replace(evalset.case(name), seconds=26.0, effect_at=8.0, params=(("back", 18.0),))
    result = outcome(item)
    detection_events = [(index, event) for index, event in result.events if event.startswith("tamper")]
    onset, back = 8 * FPS, 18 * FPS
    assert [event for _, event in detection_events] == ["tamper_start", "tamper_end"]
    (start, _), (end, _) = detection_events
    delay = 3.0 if kind == "covered" else 5.0
    assert onset + delay * FPS <= start <= onset + (delay + 1.0) * FPS
    assert back <= end <= back + FPS  # within a second of the view coming back


def test_a_torch_at_dusk_whose_glow_outlasts_its_flicker_is_not_fire() -> None:
    """Once crashed the fire detector: a region of lasting evidence where nothing flickered any more, then did.

    A held-out clip (the bench's other seeds), here only as that regression: nothing is tuned on it.
    """
    result = outcome(evalset.case("holdout_flashlight_dusk_00"))
    assert result.label.frames == result.case.seconds * FPS
    assert result.count("fire_start") == result.count("flash_start") == 0, result.events


def test_a_moth_swelling_and_shrinking_at_the_ir_lamp_is_not_motion() -> None:
    """Once the held-out set's one false alarm: a moth darting at the lamp, confirmed 49 s into the clip.

    Its track passed every check on the frame it was confirmed (five sightings, a straight enough
    path), but its changed area had just shrunk from 58 cells to 7: it swelled and shrank as it darted
    towards the lens and away. Here as that regression; the nuisance clips above still all pass.
    """
    result = outcome(evalset.case("holdout_insects_night_01"))
    assert result.label.frames == 60 * FPS
    assert result.events == [], result.events

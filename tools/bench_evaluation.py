"""The evaluation set in the bench: every labelled clip through detection with default settings.

The clips (tools/evalset.py) are made once and cached; both halves run in a pool of two processes, the
tuning half first and then the held-out half (other seeds, never tuned on).
"""

from __future__ import annotations

import json
import time
from multiprocessing import Pool
from typing import Any

from tools import evalset

# The figures issue 10 asks for, in the bench's JSON (the held-out half's with a `holdout_` prefix).
EVALUATION_KEYS = (
    "recall_person_0.25pct_day",
    "recall_person_0.25pct_night",
    "recall_person_0.1pct_day",
    "false_alarms_per_camera_day",
    "median_latency_s",
    "fire_recall",
    "flash_recall",
    "nuisance_fire_flash_false_alarms",
    "ir_switch_tamper_events",
)


def evaluation_worker(name: str) -> Any:
    return evalset.run(evalset.case(name))


def encode_worker(name: str) -> str:
    evalset.encode(evalset.case(name))
    return name


def evaluation(holdout: bool) -> dict[str, Any]:
    """Every case of one half of the evaluation set through detection with default settings."""
    names = [item.name for item in evalset.all_cases(holdout)]
    started = time.monotonic()
    with Pool(2) as pool:
        missing = [name for name in names if not evalset.clip_path(evalset.case(name)).exists()]
        if missing:
            print(f"making {len(missing)} clips of the evaluation set (once; kept in {evalset.CACHE})", flush=True)
            pool.map(encode_worker, missing, chunksize=1)
        outcomes = pool.map(evaluation_worker, names, chunksize=2)
    figures = evalset.score(outcomes)
    figures["seconds"] = round(time.monotonic() - started)
    return figures


def print_evaluation(label: str, figures: dict[str, Any]) -> None:
    print(f"evaluation set ({label}): {figures['clips']}")
    for key in (*EVALUATION_KEYS, "p90_latency_s", "false_alarms", "false_alarm_hours"):
        print(f"  {key:<40} {figures[key]}")
    print("  recall by case:")
    for key, value in figures["recall_by_case"].items():
        if "contrast" not in key:
            print(f"    {key:<36} {value}")
    for key in (
        "false_alarms_by_case",
        "fire_latency_by_case",
        "flash_latency_by_case",
        "nuisance_fire_flash_by_case",
        "fire_flash_false_alarms_elsewhere",
        "tamper_by_case",
    ):
        print(f"  {key}: {json.dumps(figures[key], ensure_ascii=False)}")


def evaluation_results(holdout: bool) -> dict[str, Any]:
    """The tuning half, and the held-out half when asked; printed, and the figures for the JSON."""
    figures = evaluation(holdout=False)
    print_evaluation("tuning", figures)
    results: dict[str, Any] = {key: figures[key] for key in EVALUATION_KEYS}
    results["evaluation"] = figures
    if holdout:
        held = evaluation(holdout=True)
        print_evaluation("held out", held)
        results |= {f"holdout_{key}": held[key] for key in EVALUATION_KEYS}
        results["evaluation_holdout"] = held
    return results

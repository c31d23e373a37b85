"""Every way a camera can fail has words for it, in both languages, wherever the user sees it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.ngu_doan_cameras.engine.errors import StreamErrorKind

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / "ngu_doan_cameras" / "translations"


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_error_kind_has_a_repair_issue_text(language: str) -> None:
    issues = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))["issues"]
    # A refused password starts re-authentication instead of a repair issue.
    for kind in set(StreamErrorKind) - {StreamErrorKind.INVALID_AUTH}:
        issue = issues[f"camera_{kind.value}"]
        assert "{camera}" in issue["title"]
        assert issue["description"]

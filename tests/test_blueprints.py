"""The blueprint files themselves, their installation, and the texts that go with the actions."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.util.yaml import load_yaml_dict

from custom_components.ngu_doan_cameras.blueprints import install_missing

from .alerting import BLUEPRINTS, SHIPPED

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "ngu_doan_cameras"


def test_shipped_blueprints_are_the_top_level_ones() -> None:
    """HACS installs only the integration's folder: it carries the same files as the repository's top level."""
    top = {path.name: path.read_bytes() for path in BLUEPRINTS.glob("*.yaml")}
    shipped = {path.name: path.read_bytes() for path in SHIPPED.glob("*.yaml")}
    assert set(top) == {"night_motion_alert.yaml", "camera_problem_alert.yaml", "fire_explosion_alert.yaml"}
    assert shipped == top


@pytest.mark.parametrize("name", ["night_motion_alert.yaml", "camera_problem_alert.yaml", "fire_explosion_alert.yaml"])
def test_every_input_has_a_default_and_words_in_both_languages(name: str) -> None:
    blueprint = Blueprint(
        load_yaml_dict(BLUEPRINTS / name), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert blueprint.metadata["source_url"].endswith(f"/blueprints/automation/ngu_doan_cameras/{name}")
    assert blueprint.inputs
    for key, spec in blueprint.inputs.items():
        assert "default" in spec, key  # nothing is required: every input can be left as it is
        assert " / " in spec["name"], key  # English / Tiếng Việt
        assert " / " in spec["description"], key
    # The descriptions are written for an officer, in both languages.
    description = blueprint.metadata["description"]
    assert "siren" in description or "tampered" in description
    assert "camera" in description.lower()
    assert any(word in description for word in ("cán bộ trực", "Báo cho cán bộ trực"))


def test_installed_when_missing_never_overwritten(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = INTEGRATION / "blueprints"
    target = tmp_path / "blueprints"
    installed = install_missing(source, target)
    assert sorted(path.name for path in installed) == [
        "camera_problem_alert.yaml",
        "fire_explosion_alert.yaml",
        "night_motion_alert.yaml",
    ]
    night = target / "automation" / "ngu_doan_cameras" / "night_motion_alert.yaml"
    assert night.read_bytes() == (SHIPPED / "night_motion_alert.yaml").read_bytes()
    # An officer's edits stay; only a file that was deleted comes back.
    night.write_text("# edited\n", encoding="utf-8")
    (target / "automation" / "ngu_doan_cameras" / "camera_problem_alert.yaml").unlink()
    assert [path.name for path in install_missing(source, target)] == ["camera_problem_alert.yaml"]
    assert night.read_text(encoding="utf-8") == "# edited\n"
    # A folder that cannot be written: a warning, no exception (the import buttons still work).
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "automation").write_text("not a folder", encoding="utf-8")
    caplog.set_level(logging.WARNING)
    assert install_missing(source, blocked) == []
    assert "Cannot install blueprint" in caplog.text


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        keys |= _keys(value, path) if isinstance(value, dict) else {path}
    return keys


def test_translations_cover_every_action_field_in_both_languages() -> None:
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8"))
    vietnamese = json.loads((INTEGRATION / "translations" / "vi.json").read_text(encoding="utf-8"))
    assert _keys(english) == _keys(vietnamese)
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    for action, spec in services.items():
        for language in (english, vietnamese):
            texts = language["services"][action]
            assert texts["name"]
            assert texts["description"]
            for field in spec["fields"]:
                assert texts["fields"][field]["name"], (action, field)
                assert texts["fields"][field]["description"], (action, field)
        assert icons["services"][action]["service"].startswith("mdi:")
    # Vietnamese is written with its diacritics (a sample of what an officer reads).
    assert vietnamese["services"]["acknowledge"]["name"] == "Xác nhận cảnh báo"
    assert vietnamese["entity"]["sensor"]["open_alerts"]["name"] == "Cảnh báo chưa xác nhận"


def test_readme_has_an_import_button_for_each_blueprint() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    raw = "https://raw.githubusercontent.com/ngu-doan-cameras/ngu_doan_cameras/main/"
    links = re.findall(r"my\.home-assistant\.io/redirect/blueprint_import/\?blueprint_url=([^)\s]+)", readme)
    paths = sorted(unquote(link).removeprefix(raw) for link in links)
    assert paths == sorted(f"blueprints/automation/ngu_doan_cameras/{path.name}" for path in BLUEPRINTS.glob("*.yaml"))
    assert all(unquote(link).startswith(raw) for link in links)

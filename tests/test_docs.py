"""Docs are kept in step with the code: settings, commands and instruments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from taperline.cli import app
from taperline.config import Settings
from taperline.domain.instruments.registry import INSTRUMENTS
from taperline.domain.types import Condition

DOCS = Path(__file__).parent.parent / "docs"


def command_paths(command: Any, prefix: str = "taperline") -> list[str]:
    if hasattr(command, "commands"):
        paths = []
        for name, child in command.commands.items():
            paths += command_paths(child, f"{prefix} {name}")
        return paths
    return [prefix]


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`TAPERLINE_{name.upper()}`" not in text]
    assert missing == []


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    paths = command_paths(typer.main.get_command(app))
    assert len(paths) >= 14
    assert [path for path in paths if f"### `{path}`" not in text] == []


def test_every_instrument_is_documented() -> None:
    text = (DOCS / "instruments.md").read_text()
    assert [i for i in INSTRUMENTS if f"`{i}`" not in text] == []


def test_every_condition_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    assert [c.value for c in Condition if f"`{c.value}`" not in text] == []


def test_the_safety_rule_reference_is_up_to_date() -> None:
    from taperline.knowledge import load
    from taperline.knowledge.reference import END, START, render

    text = (DOCS / "safety.md").read_text()
    block = START + text.split(START, 1)[1].split(END, 1)[0] + END + "\n"
    assert block == render(load()), "run: taperline safety rules --write docs/safety.md"
    for rule_id in load().rules:
        assert f"### `{rule_id}`" in text

"""Figures a bench hands to `bench/run`: each with its goal, its verdict and the reference it
was measured beside, written as JSON by a bench given `--json FILE`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Figure:
    goal: str  # the goal it answers, e.g. "1 check-in cost"
    name: str  # what was measured, e.g. "CPU per check-in, SQLite"
    value: float | None  # None: not measured in this run (say why in `how`)
    unit: str
    target: str  # e.g. "≤ 2 ms"
    met: bool | None  # None: no goal of its own (a supporting figure)
    reference: str  # the reference measured in the same run, with its value
    how: str  # the bench, its data and its load


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the figures here (for bench/run)"
    )


def write(path: Path | None, figures: list[Figure]) -> None:
    if path is not None:
        path.write_text(json.dumps([asdict(f) for f in figures], indent=1), encoding="utf-8")


def read(path: Path) -> list[Figure]:
    return [Figure(**item) for item in json.loads(path.read_text(encoding="utf-8"))]

"""The de-identified research export on the real database: no name, email, handle, free text
or real date in any file; the same person gets the same pseudonym across exports and another
key gives another; intervals within a person are kept; small cells are hidden; only an admin;
an existing folder is never overwritten."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.domain.access import Actor
from taperline.domain.errors import InvalidInput
from taperline.services import research
from taperline.services.authz import AccessDenied
from tests.actors import cast
from tests.factories import actor_for, checkin_data, submit

KEY = b"a-research-key-of-more-than-32-characters!"
OPERATOR = Actor.operator("tests")


def _seed(session: Session, clock: FixedClock) -> list[dt.date]:
    who = cast(session, clock)
    who.pat.display_name, who.pat.email = "Winifred Oakhampton", "winifred.o@example.org"
    days = [clock.today() - dt.timedelta(days=n) for n in (9, 5, 0)]
    for day in days:
        data = checkin_data(day, note="Called my brother Ignatius")
        submit(session, clock, actor_for(who.pat), "pat", data)
    return days


def _all_text(folder: Path, *, data_only: bool = False) -> str:
    parts = []
    for path in sorted(folder.iterdir()):
        if data_only and path.suffix == ".json":
            continue
        if path.suffix == ".parquet":
            parts.append(pl.read_parquet(path).write_csv())
        else:
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_nothing_identifying_is_in_the_export(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    days = _seed(session, clock)
    done = research.export(session, clock, OPERATOR, tmp_path / "out", key=KEY, fmt="parquet")
    assert done.rows["checkins"] == 3 and done.rows["scores"] >= 3
    text = _all_text(tmp_path / "out")
    for secret in (
        "Winifred",
        "Oakhampton",
        "winifred.o@example.org",
        "Ignatius",
        '"pat"',
        ",pat,",
    ):
        assert secret not in text
    data = _all_text(tmp_path / "out", data_only=True)  # the manifest dates the export itself
    for day in days:
        assert day.isoformat() not in data  # every date of a person is shifted
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["tables"]["checkins"]["rows"] == 3 and manifest["tables"]["doses"]["sha256"]
    dictionary = json.loads((tmp_path / "out" / "dictionary.json").read_text())
    assert {c["name"] for c in dictionary["sleep"]} >= {"total_sleep_time", "sleep_efficiency"}
    checkins = pl.read_parquet(tmp_path / "out" / "checkins.parquet").sort("day")
    shifted = checkins["day"].to_list()
    assert [(b - a).days for a, b in zip(shifted, shifted[1:], strict=False)] == [4, 5]


def test_pseudonyms_are_stable_per_key(session: Session, clock: FixedClock, tmp_path: Path) -> None:
    _seed(session, clock)
    pids = []
    for name, key in (("a", KEY), ("b", KEY), ("c", KEY + b"-other")):
        research.export(session, clock, OPERATOR, tmp_path / name, key=key, fmt="csv")
        pids.append(set(pl.read_csv(tmp_path / name / "people.csv")["pid"].to_list()))
    assert pids[0] == pids[1] and pids[0].isdisjoint(pids[2])


def test_small_cells_are_suppressed(session: Session, clock: FixedClock, tmp_path: Path) -> None:
    _seed(session, clock)
    research.export(session, clock, OPERATOR, tmp_path / "s", key=KEY, fmt="csv")
    summary = pl.read_csv(tmp_path / "s" / "summary_scores.csv")
    assert summary.height > 0 and set(summary["people"].to_list()) == {"<11"}


def test_only_an_admin_and_only_into_a_new_folder(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    who = cast(session, clock)
    with pytest.raises(AccessDenied):
        research.export(session, clock, actor_for(who.cleo), tmp_path / "x", key=KEY, fmt="csv")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not an empty folder"):
        research.export(session, clock, actor_for(who.ada), tmp_path / "full", key=KEY, fmt="csv")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    with pytest.raises(InvalidInput, match="research_key"):
        research.parse_research_key("short")
    research.export(session, clock, actor_for(who.ada), tmp_path / "ok", key=KEY, fmt="csv")
    assert (tmp_path / "ok" / "manifest.json").exists()

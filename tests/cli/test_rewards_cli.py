"""`taperline rewards` on a real database: a programme from a file, enrolment, check-ins that
earn, clinician-entered screens, redemption and correction, refusals named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import checkin_file, clinic, fails, ok, run  # noqa: F401 - fixtures


@pytest.mark.usefixtures("clinic")
def test_a_programme_from_a_file_then_earn_redeem_and_correct(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    programme = tmp_path / "programme.json"
    programme.write_text(json.dumps({
        "name": "Points", "unit": "points", "unit_note": "10 points buy a coffee",
        "rules": [
            {"behaviour": "checkin_on_time", "first": 2, "step": 1},
            {"behaviour": "negative_uds", "first": 10, "step": 5, "bonus_every": 2, "bonus": 20},
        ],
    }))  # fmt: skip
    assert "Saved “Points”" in ok(
        run("--as", "cleo", "rewards", "configure", "--input", str(programme))
    )
    assert "checkin_on_time" in ok(run("--as", "uma", "rewards", "programme"))
    ok(run("--as", "cleo", "rewards", "enrol", "pat"))
    ok(run("--as", "pat", "checkin", "--input", str(checkin_file(tmp_path))))
    assert "10 points earned (1 in a row)" in ok(
        run("--as", "cleo", "rewards", "record", "pat", "negative_uds", "--date", "2026-03-13")
    )
    second = ok(run("--as", "cleo", "rewards", "record", "pat", "negative_uds"))
    assert "35 points earned (2 in a row)" in second
    shown = json.loads(ok(run("--as", "pat", "rewards", "show", "pat", "--json")))
    assert shown["balance"] == 2 + 10 + 35
    ok(run("--as", "cleo", "rewards", "redeem", "pat", "10", "--note", "Coffee"))
    entry = shown["entries"][0]["id"]
    ok(run("--as", "cleo", "rewards", "correct", "pat", str(entry), "--note", "Wrong day"))
    after = json.loads(ok(run("--as", "cleo", "rewards", "show", "pat", "--json")))
    assert after["balance"] == 2 + 10 - 10


@pytest.mark.usefixtures("clinic")
def test_refusals_and_bad_input_are_named(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {"name": "X", "unit": "points", "rules": [{"behaviour": "dose_taken", "first": 1}]}
        )
    )
    fails(
        run("--as", "cleo", "rewards", "configure", "--input", str(bad)),
        "rules[0].behaviour",
        "never rewards a dose",
    )
    fails(run("--as", "cleo", "rewards", "enrol", "pat"), "no reward programme yet")
    fails(run("--as", "uma", "rewards", "show", "pat"), "You do not have access")
    fails(run("--as", "pat", "rewards", "record", "pat", "negative_uds"), "You do not have access")
    fails(
        run("--as", "cleo", "rewards", "record", "pat", "negative_uds", "--date", "13/03"), "--date"
    )

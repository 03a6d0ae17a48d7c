"""The CLI through Typer's runner, on a real database of its own per test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from taperline.cli import app

TODAY = "2026-03-14"


@pytest.fixture
def run(database_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"TAPERLINE_DATABASE_URL": database_url, "COLUMNS": "220", "TAPERLINE_AS": None}

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, ["--today", TODAY, *args], env=env, input=input)

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def fails(result: Result, *expected: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), result.output
    for text in expected:
        assert text in result.output, result.output
    return result.output


def test_init_then_db_check(run) -> None:  # type: ignore[no-untyped-def]
    assert "Database ready" in ok(run("init"))
    assert "no drift" in ok(run("db", "check"))
    assert "Already up to date" in ok(run("db", "upgrade"))


def test_commands_on_an_empty_database_say_to_run_init(run) -> None:  # type: ignore[no-untyped-def]
    fails(run("person", "list"), "is empty: run `taperline init` first")
    fails(run("db", "check"), "taperline db upgrade")


def test_demo_then_history_shows_the_demo_people(run) -> None:  # type: ignore[no-untyped-def]
    output = ok(run("demo"))
    assert "2 clinicians, 8 people" in output
    listing = ok(run("person", "list"))
    for handle in ("alex", "blair", "casey", "devon", "emery", "frankie", "gray", "harper"):
        assert handle in listing
    history = ok(run("history", "gray", "--days", "3"))
    assert "2026-03-14" in history and "capsules" in history
    rows = json.loads(ok(run("history", "harper", "--days", "60", "--json")))
    assert any("phq9.item9_positive" in row["flags"] for row in rows)
    assert any(row["cows"] for row in rows if row["kind"] == "visit")
    assert "already loaded" in ok(run("demo"))


def test_the_demo_is_the_same_for_the_same_date(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(run("demo"))
    first = ok(run("history", "blair", "--days", "60", "--json"))
    from tests.databases import create_database, drop_database

    other = create_database(tmp_path)
    try:
        runner = CliRunner()
        env = {"TAPERLINE_DATABASE_URL": other, "COLUMNS": "220"}
        assert runner.invoke(app, ["--today", TODAY, "demo"], env=env).exit_code == 0
        second = runner.invoke(
            app, ["--today", TODAY, "history", "blair", "--days", "60", "--json"], env=env
        )
        assert second.output == first
    finally:
        drop_database(other)


def test_score_prints_a_readable_result_and_json(run) -> None:  # type: ignore[no-untyped-def]
    assert "PHQ-9 total 10 — moderate" in ok(run("score", "phq9", "--answers", "1,1,1,1,1,1,1,2,1"))
    data = json.loads(ok(run("score", "phq9", "--answers", "1,1,1,1,1,1,1,2,1", "--json")))
    assert (data["instrument"], data["total"], data["band"]) == ("phq9", 10, "moderate")
    assert data["flags"] == ["phq9.item9_positive"]
    sows = json.loads(ok(run("score", "sows", "--answers", ",".join(["4"] * 16), "--json")))
    assert (sows["total"], sows["band"]) == (64, None)
    assert "no published severity bands" in ok(
        run("score", "sows", "--answers", ",".join(["0"] * 16))
    )
    cows = json.loads(ok(run("score", "cows", "--answers", "4,4,5,5,4,4,5,4,4,4,5", "--json")))
    assert (cows["total"], cows["band"]) == (48, "severe")


def test_score_reads_a_sleep_diary_from_a_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    diary = {
        "into_bed": "23:40",
        "tried_to_sleep": "00:10",
        "sleep_onset_minutes": 30,
        "awakenings": 2,
        "awake_minutes": 40,
        "final_awakening": "06:40",
        "out_of_bed": "07:10",
        "quality": 2,
    }
    path = tmp_path / "night.json"
    path.write_text(json.dumps(diary))
    data = json.loads(ok(run("score", "sleep_diary", "--input", str(path), "--json")))
    # in bed 23:40-07:10 = 450; asleep window 00:10-06:40 = 390 - 30 - 40 = 320; 320/450 = 71.1%
    assert data["metrics"]["time_in_bed"] == 450
    assert data["metrics"]["total_sleep_time"] == 320
    assert data["metrics"]["sleep_efficiency"] == 71.1
    assert data["total"] is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("score", "phq9", "--answers", "1,1,1"),
            "answers: PHQ-9 needs 9 answers but 3 were given",
        ),
        (("score", "phq9", "--answers", "1,1,1,1,1,1,1,1,7"), "item 9: 7 is out of range (0 to 3)"),
        (
            ("score", "cows", "--answers", "3,0,0,0,0,0,0,0,0,0,0"),
            "item 1: 3 is not one of this item's points (0, 1, 2, 4)",
        ),
        (("score", "gad7", "--answers", "a,b,c,d,e,f,g"), "item 1: 'a' is not a whole number"),
        (
            ("score", "bdi", "--answers", "1"),
            "instrument: 'bdi' is not an instrument Taperline knows",
        ),
        (("score", "sleep_diary", "--answers", "1,2"), "takes named fields: use --input FILE.json"),
        (("score", "phq9"), "give either --answers"),
        (("score", "phq9", "--input", "/nonexistent/file.json"), "--input: cannot read"),
    ],
)
def test_score_errors_are_one_clear_line(run, args: tuple[str, ...], expected: str) -> None:  # type: ignore[no-untyped-def]
    fails(run(*args), expected)


def test_a_bad_json_file_names_the_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.json"
    path.write_text('{"into_bed": "23:00",\n oops}')
    fails(run("score", "sleep_diary", "--input", str(path)), "--input: is not valid JSON (line 2")


@pytest.fixture
def clinic(run) -> None:  # type: ignore[no-untyped-def]
    ok(run("init"))
    ok(run("clinic", "add", "Harbor Clinic"))
    ok(run("person", "add", "cleo", "--name", "Cleo Park", "--role", "clinician"))
    ok(run("person", "add", "uma", "--name", "Uma Shah", "--role", "clinician"))
    ok(
        run(
            "person",
            "add",
            "pat",
            "--name",
            "Pat Lee",
            "--clinician",
            "cleo",
            "--timezone",
            "America/Chicago",
        )
    )


def checkin_file(tmp_path: Path, **overrides: object) -> Path:
    data: dict[str, object] = {
        "person": "pat",
        "date": TODAY,
        "idempotency_key": "phone-0001-abcd",
        "doses": [
            {"category": "kratom", "form": "leaf_powder", "amount": 3, "unit": "g", "time": "08:00"}
        ],
        "responses": {"craving": [6, 2], "sows": [1] * 16},
    }
    data.update(overrides)
    path = tmp_path / "checkin.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.usefixtures("clinic")
def test_checkin_from_a_file_is_stored_once_and_shown_in_history(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = checkin_file(tmp_path)
    assert "Saved: check-in" in ok(run("checkin", "--input", str(path)))
    assert "Already saved" in ok(run("checkin", "--input", str(path)))
    rows = json.loads(ok(run("history", "pat", "--json")))
    assert len(rows) == 1
    assert (rows[0]["kratom"], rows[0]["sows"], rows[0]["craving"]) == ("3 g", "16", "6")


@pytest.mark.usefixtures("clinic")
def test_a_bad_checkin_file_names_the_field_and_stores_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad_unit = checkin_file(
        tmp_path, doses=[{"category": "kratom", "form": "capsules", "amount": 3, "unit": "g"}]
    )
    fails(
        run("checkin", "--input", str(bad_unit)),
        "doses[0].unit: kratom capsules is logged in capsule, not g",
    )
    bad_answer = checkin_file(tmp_path, responses={"sows": [1] * 15 + [5]})
    fails(
        run("checkin", "--input", str(bad_answer)),
        "responses.sows.item 16: 5 is out of range (0 to 4)",
    )
    unknown_field = checkin_file(tmp_path, mood="great")
    fails(
        run("checkin", "--input", str(unknown_field)), "mood: is not a field Taperline knows here"
    )
    bad_date = checkin_file(tmp_path, date="14/03/2026")
    fails(run("checkin", "--input", str(bad_date)), "date:")
    assert "No check-ins" in ok(run("history", "pat"))


@pytest.mark.usefixtures("clinic")
def test_interactive_checkin_asks_again_after_a_wrong_answer(run) -> None:  # type: ignore[no-untyped-def]
    answers = [
        "",  # date: today
        "y",
        "leaf_powder",
        "2.5",
        "08:15",
        "n",  # kratom
        "n",  # melatonin
        "n",  # magnesium
        "11",
        "7",  # craving for kratom: 11 is refused, then 7
        "2",  # craving for opioids
        "y",
        *(["1"] * 15),
        "9",
        "2",  # SOWS: item 16 answered 9 (refused) then 2
        "y",
        "23:30",
        "23:45",
        "20",
        "1",
        "10",
        "06:30",
        "25:00",
        "06:50",
        "3",  # diary, bad time re-asked
        "n",  # PHQ-9 / GAD-7
        "y",
        "x",
        "30",
        "n",
        "n",
        "y",  # exercised (a bad number, then 30); went to a meeting
        *(["n"] * 8),  # the eight red-flag questions
        "n",  # non-prescribed opioids
        "",  # note
    ]
    output = ok(run("checkin", "--person", "pat", input="\n".join(answers) + "\n"))
    assert "Saved: check-in" in output
    assert "from 0 to 10" in output and "not a time like" in output
    row = json.loads(ok(run("history", "pat", "--json")))[0]
    assert (row["kratom"], row["craving"], row["sows"]) == ("2.5 g", "7", "17")


@pytest.mark.usefixtures("clinic")
def test_acting_as_another_user_applies_their_access(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(run("checkin", "--input", str(checkin_file(tmp_path))))
    assert "pat" in ok(run("--as", "cleo", "history", "pat"))
    fails(run("--as", "uma", "history", "pat"), "You do not have access")
    fails(run("--as", "uma", "person", "show", "pat"), "You do not have access")
    assert "Nobody to show" in ok(run("--as", "uma", "person", "list"))
    fails(run("--as", "ghost", "person", "list"), "--as: nobody has the handle 'ghost'")


@pytest.mark.usefixtures("clinic")
def test_the_safety_profile_is_recorded_and_shown(run) -> None:  # type: ignore[no-untyped-def]
    ok(run("person", "condition", "pat", "kidney_disease"))
    ok(
        run(
            "person",
            "medication",
            "pat",
            "Suboxone",
            "--category",
            "moud",
            "--amount",
            "8",
            "--unit",
            "mg",
        )
    )
    shown = ok(run("person", "show", "pat"))
    assert "kidney_disease" in shown and "Suboxone" in shown and "8 mg" in shown
    fails(run("person", "condition", "pat", "flu"), "condition: 'flu' is not one of")
    fails(
        run("person", "medication", "pat", "X", "--amount", "8"),
        "give --amount and --unit together",
    )


@pytest.mark.usefixtures("clinic")
def test_person_add_errors_are_clear(run) -> None:  # type: ignore[no-untyped-def]
    fails(run("person", "add", "pat", "--name", "Again"), "handle: 'pat' is already taken")
    fails(
        run("person", "add", "newt", "--name", "Newt", "--role", "wizard"),
        "role: 'wizard' is not one of",
    )
    fails(
        run("person", "add", "newt", "--name", "Newt", "--clinician", "ghost"),
        "clinician: nobody has the handle 'ghost'",
    )
    fails(run("history", "ghost"), "person: nobody has the handle 'ghost'")
    fails(run("history", "pat", "--days", "0"), "days: must be between 1 and 3660")


def test_instruments_lists_every_instrument(run) -> None:  # type: ignore[no-untyped-def]
    output = ok(run("instruments"))
    for instrument_id in ("phq9", "phq2", "gad7", "gad2", "sows", "cows", "craving", "sleep_diary"):
        assert instrument_id in output
    sows = next(line for line in output.splitlines() if "sows" in line)
    assert "UNVERIFIED" in sows and "no published bands" in sows
    phq9 = next(line for line in output.splitlines() if " phq9 " in line)
    assert "sourced" in phq9


@pytest.mark.usefixtures("clinic")
def test_tokens_invites_and_the_audit_export(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fails(run("token", "create", "--name", "laptop"), "token: API tokens belong to a user")
    token = ok(run("--as", "cleo", "token", "create", "--name", "laptop")).strip().splitlines()[-1]
    assert token.startswith("tl_") and len(token) > 30
    assert "Invitation code for pat" in ok(run("person", "invite", "pat"))
    ok(run("person", "add", "ada", "--name", "Ada Admin", "--role", "admin"))
    fails(run("--as", "cleo", "audit", "export"), "You do not have access")
    out = tmp_path / "audit.csv"
    assert "events to" in ok(run("--as", "ada", "audit", "export", "--csv", str(out)))
    text = out.read_text()
    assert (
        text.startswith("occurred_at,actor,action")
        and "account.invite" in text
        and "token_create" in text
    )


@pytest.mark.usefixtures("clinic")
def test_a_clinician_enrols_a_second_factor_only_with_a_right_code(run) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import pyotp

    output = ok(run("--as", "cleo", "totp", "enable"))
    secret = re.search(r"key to your authenticator app: (\w+)", output).group(1)  # type: ignore[union-attr]
    fails(run("--as", "pat", "totp", "enable"), "totp: a second factor is offered to clinicians")
    fails(
        run("--as", "cleo", "totp", "confirm", "--secret", secret, "--code", "000000"),
        "code: does not match",
    )
    noon = dt.datetime.fromisoformat(TODAY + "T12:00:00+00:00")
    assert "Second factor on" in ok(
        run(
            "--as",
            "cleo",
            "totp",
            "confirm",
            "--secret",
            secret,
            "--code",
            pyotp.TOTP(secret).at(noon),
        )
    )


@pytest.mark.usefixtures("clinic")
def test_an_unrecognised_medicine_is_said_and_can_be_corrected(run) -> None:  # type: ignore[no-untyped-def]
    out = ok(run("person", "medication", "pat", "luvoxx 50mg", "--category", "other_medication"))
    assert "does not recognise 'luvoxx 50mg'" in out and "Did you mean Luvox (fluvoxamine)?" in out
    medication = re.search(r"medication (\d+)\)", out)
    assert medication is not None
    assert "NOT RECOGNISED" in ok(run("person", "show", "pat"))
    fails(
        run("--as", "cleo", "person", "medication-fix", "pat", medication.group(1), "luvoxxx"),
        "does not recognise",
    )
    ok(run("--as", "cleo", "person", "medication-fix", "pat", medication.group(1), "Luvox"))
    assert "NOT RECOGNISED" not in ok(run("person", "show", "pat"))


def test_production_refuses_to_serve_the_demo_clinic(tmp_path: Path) -> None:
    env = {
        "TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "TAPERLINE_ENVIRONMENT": "production",
        "TAPERLINE_SECRET_KEY": "a-production-secret-of-more-than-32-characters",
        "TAPERLINE_AS": None,
        "COLUMNS": "300",
    }
    runner = CliRunner()
    fails(runner.invoke(app, ["serve", "--demo"], env=env), "--demo is refused in production")
    demo_env = env | {"TAPERLINE_ENVIRONMENT": "development"}
    ok(runner.invoke(app, ["demo"], env=demo_env))
    fails(runner.invoke(app, ["serve"], env=env), "holds the demo clinic")
    weak = env | {"TAPERLINE_SECRET_KEY": "taperline-development-secret-do-not-use-in-production"}
    fails(runner.invoke(app, ["serve"], env=weak), "configuration: secret_key: set")

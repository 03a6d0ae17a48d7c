"""`taperline safety check`, `taperline alerts`, and safety messages after a check-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from taperline.cli import app
from tests.cli.test_cli import TODAY, checkin_file, fails, ok


@pytest.fixture
def run(database_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"TAPERLINE_DATABASE_URL": database_url, "COLUMNS": "220", "TAPERLINE_AS": None}

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, ["--today", TODAY, *args], env=env, input=input)

    ok(invoke("init"))
    ok(invoke("clinic", "add", "Harbor Clinic"))
    ok(invoke("person", "add", "cleo", "--name", "Cleo Park", "--role", "clinician"))
    ok(invoke("person", "add", "uma", "--name", "Uma Shah", "--role", "clinician"))
    ok(invoke("person", "add", "pat", "--name", "Pat Lee", "--clinician", "cleo"))
    return invoke


def situation(tmp_path: Path, data: dict[str, object]) -> str:
    path = tmp_path / "situation.json"
    path.write_text(json.dumps({"today": TODAY, **data}))
    return str(path)


def test_safety_check_reports_findings_without_storing_anything(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = situation(
        tmp_path,
        {
            "profile": {"medications": ["Luvox 100 mg"]},
            "event": {
                "type": "checkin",
                "doses": [{"category": "melatonin", "amount": 3, "unit": "mg"}],
            },
        },
    )
    data = json.loads(ok(run("safety", "check", "--input", path, "--json")))
    rules = [f["rule"] for f in data["findings"]]
    assert "interaction.melatonin_fluvoxamine" in rules
    readable = ok(run("safety", "check", "--input", path))
    assert "WARNING" in readable and "interaction.melatonin_fluvoxamine" in readable
    person = ok(run("safety", "check", "--input", path, "--audience", "person"))
    assert "interaction.melatonin_fluvoxamine" not in person
    assert "No open alerts" in ok(run("alerts", "list"))


def test_a_benign_situation_reports_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "No safety findings." in ok(run("safety", "check", "--input", situation(tmp_path, {})))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"profile": {"conditions": ["flu"]}}, "profile.conditions[0]: 'flu' is not one of"),
        ({"event": {"type": "nap"}}, "event"),
        ({"event": {"type": "checkin", "responses": {"phq9": [9]}}}, "event.responses.phq9"),
        (
            {"event": {"type": "checkin", "red_flags": ["red_flag.nope"]}},
            "red_flags: unknown red-flag id",
        ),
        ({"country": "ZZ"}, "country: no crisis contacts are configured for 'ZZ'"),
        (
            {
                "event": {
                    "type": "plan_change",
                    "before": {"amount": 10, "unit": "g"},
                    "after": {"amount": 8, "unit": "capsules"},
                    "step_days": 7,
                }
            },
            "event.after.unit",
        ),
    ],
)
def test_safety_check_input_errors_name_the_field(
    run, tmp_path: Path, data: dict[str, object], expected: str
) -> None:  # type: ignore[no-untyped-def]
    fails(run("safety", "check", "--input", situation(tmp_path, data)), expected)


def test_a_checkin_shows_the_person_what_to_do_and_the_clinician_resolves_the_alert(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = checkin_file(tmp_path, responses={"phq9": [1, 1, 1, 1, 0, 0, 0, 0, 1]})
    output = ok(run("checkin", "--input", str(path)))
    assert "URGENT" in output and "988" in output
    fails(run("alerts", "ack", "1", "--note", "operator"), "You do not have access")
    listing = json.loads(ok(run("--as", "cleo", "alerts", "list", "--json")))
    (alert,) = [a for a in listing if a["rule"] == "red_flag.suicidal_thoughts"]
    assert alert["person"] == "pat" and alert["status"] == "open"
    assert "No open alerts" in ok(run("--as", "uma", "alerts", "list"))
    fails(
        run("--as", "uma", "alerts", "ack", str(alert["id"]), "--note", "x"),
        "You do not have access",
    )
    acknowledged = ok(
        run(
            "--as",
            "cleo",
            "alerts",
            "ack",
            str(alert["id"]),
            "--note",
            "Called Pat; safety plan made.",
        )
    )
    assert f"Alert {alert['id']} acknowledged." in acknowledged
    resolved = ok(
        run(
            "--as",
            "cleo",
            "alerts",
            "resolve",
            str(alert["id"]),
            "--note",
            "Seen today; follow-up booked.",
        )
    )
    assert f"Alert {alert['id']} resolved." in resolved
    fails(
        run("--as", "cleo", "alerts", "resolve", str(alert["id"]), "--note", "again"),
        "already resolved",
    )
    done = json.loads(ok(run("--as", "cleo", "alerts", "list", "--status", "resolved", "--json")))
    assert [(a["acknowledged_by"], a["resolved_by"]) for a in done if a["id"] == alert["id"]] == [
        ("cleo", "cleo")
    ]
    fails(
        run("--as", "cleo", "alerts", "ack", "999", "--note", "x"), "alert: there is no alert 999"
    )


def test_the_rule_reference_prints(run) -> None:  # type: ignore[no-untyped-def]
    text = ok(run("safety", "rules"))
    assert "### `red_flag.overdose_signs`" in text and "### `taper.too_fast`" in text


def test_a_clinic_country_must_have_crisis_numbers(run) -> None:  # type: ignore[no-untyped-def]
    fails(
        run("clinic", "add", "Far Away", "--country", "ZZ"),
        "country: no emergency and crisis numbers",
    )
    ok(run("clinic", "add", "Second Site", "--country", "us"))

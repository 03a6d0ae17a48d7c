"""Plans, adherence, today and the calendar through the CLI, on the demo clinic."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
from typer.testing import CliRunner, Result

from taperline.cli import app
from tests.cli.test_cli import TODAY, fails, ok


def runner(database_url: str):  # type: ignore[no-untyped-def]
    cli = CliRunner()
    env = {"TAPERLINE_DATABASE_URL": database_url, "COLUMNS": "220", "TAPERLINE_AS": None}

    def invoke(*args: str) -> Result:
        return cli.invoke(app, ["--today", TODAY, *args], env=env)

    return invoke


def test_the_demo_people_follow_approved_plans(database_url: str, tmp_path: Path) -> None:
    run = runner(database_url)
    ok(run("demo"))
    alex = json.loads(ok(run("adherence", "alex", "--days", "14", "--json")))
    assert alex["counts"]["on_target"] >= 12 and alex["current_streak"] >= 1
    assert all(day["target"] == "6 g" for day in alex["days"][-3:])
    devon = json.loads(ok(run("adherence", "devon", "--days", "14", "--json")))
    assert devon["counts"]["unknown"] >= 5  # missed check-ins are unknown, never zero
    assert all(d["logged"] is None for d in devon["days"] if d["status"] == "unknown")
    casey = json.loads(ok(run("adherence", "casey", "--days", "30", "--json")))
    assert casey["counts"]["above"] >= 1
    gray = json.loads(ok(run("adherence", "gray", "--days", "7", "--json")))
    assert gray["days"][-1]["target"] == "8 capsules"
    assert gray["magnesium_spacing"] and all(c["ok"] for c in gray["magnesium_spacing"])

    versions = ok(run("plan", "versions", "blair"))
    assert "superseded" in versions and "approved" in versions
    shown = ok(run("--as", "cleo", "plan", "show", "blair"))
    assert "Approved with acknowledged warnings: taper.too_fast" in shown
    assert "To approve" not in shown
    assert "6 g" in ok(run("plan", "diff", "blair", "1", "2"))

    today = ok(run("today", "frankie"))
    assert (
        "Melatonin 3 mg" in today and "Kratom (leaf powder)" in today and "Daily check-in" in today
    )

    out = tmp_path / "gray.ics"
    assert "Wrote" in ok(run("export", "ics", "gray", "--out", str(out)))
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert any(s.startswith("Taper step") for s in summaries)
    assert any("capsules" in s for s in summaries) and "Daily check-in" in " ".join(summaries)


def test_access_rules_hold_for_plans_and_calendars(database_url: str, tmp_path: Path) -> None:
    run = runner(database_url)
    ok(run("demo"))
    fails(run("--as", "sam", "plan", "show", "alex"), "You do not have access")
    fails(
        run("--as", "sam", "export", "ics", "alex", "--out", str(tmp_path / "x.ics")),
        "You do not have access",
    )
    fails(run("--as", "blair", "adherence", "alex"), "You do not have access")
    assert "alex: plan version 1" in ok(run("--as", "alex", "plan", "show", "alex"))
    fails(
        run("--as", "alex", "plan", "approve", "alex", "--version", "1"), "You do not have access"
    )


def test_taper_preview_saves_nothing_and_names_bad_fields(
    database_url: str, tmp_path: Path
) -> None:
    run = runner(database_url)
    ok(run("demo"))
    plan = {
        "taper": {
            "form": "capsules",
            "start": TODAY,
            "current": {"amount": 10, "unit": "capsule"},
            "target": {"amount": 0, "unit": "capsule"},
            "method": "percent",
            "step": 10,
            "step_days": 14,
            "smallest_step": {"amount": 1, "unit": "capsule"},
            "doses": [{"time": "08:00"}],
        }
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    preview = ok(run("taper", "preview", "--input", str(path)))
    assert "9 capsules" in preview and "the schedule stops here" in preview
    plan["taper"]["target"] = {"amount": 2, "unit": "g"}  # type: ignore[index]
    path.write_text(json.dumps(plan))
    fails(run("taper", "preview", "--input", str(path)), "taper.target: must be in the same unit")
    assert (
        "version" in ok(run("plan", "versions", "alex"))
        and "3" not in ok(run("plan", "versions", "alex")).split("version")[1][:40]
    )

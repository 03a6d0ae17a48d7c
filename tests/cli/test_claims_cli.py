"""`taperline claims ...` through the real CLI (Typer's CliRunner)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from taperline.cli import app

ARTICLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "kratom-sleep-stack.md"
EXPECTED = {  # sentence start -> (claim id, grade) that a reader of the evidence would give
    "Kratom is a safe alternative to opioids": (
        "kratom-safe-alternative-to-opioids",
        "contradicted",
    ),
    "Kratom's natural magnesium content": ("kratom-natural-magnesium", "no evidence"),
    "Best of all, kratom is not addictive": ("kratom-not-addictive", "contradicted"),
    "Combine kratom with melatonin": ("kratom-melatonin-synergy", "no evidence"),
    "Taking kratom before bed": ("kratom-before-bed-improves-sleep", "no evidence"),
    "Melatonin enhances the calming": ("melatonin-enhances-kratom-sedation", "no evidence"),
    "Magnesium supercharges kratom": ("magnesium-enhances-kratom", "no evidence"),
    "Melatonin helps you fall asleep faster": ("melatonin-helps-fall-asleep", "supported"),
}
runner = CliRunner()


def test_the_marketing_article_gets_the_expected_grades_as_json() -> None:
    result = runner.invoke(app, ["claims", "check", str(ARTICLE), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    found = {c["sentence"]: c for c in report["claims"]}
    for start, (claim_id, grade) in EXPECTED.items():
        sentence = next((s for s in found if s.startswith(start)), None)
        assert sentence is not None, f"no claim found for: {start}"
        assert found[sentence]["claim"]["id"] == claim_id, sentence
        assert found[sentence]["grade"] == grade, sentence
        assert found[sentence]["claim"]["sources"], sentence
    immune = next(s for s in found if s.startswith("Kratom boosts your immune system"))
    assert found[immune]["status"] == "not assessed"
    assert not any(s.startswith("Our shop ships") for s in found)  # not a health claim
    assert report["counts"]["contradicted"] == 2 and report["counts"]["not assessed"] >= 1


def test_the_terminal_report_and_the_html_report(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["claims", "check", str(ARTICLE), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "Contradicted" in result.stdout and "Not in the library — not graded" in result.stdout
    assert "kratom-natural-magnesium" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page
    marks = {
        html.unescape(text).strip(): grade
        for grade, text in re.findall(r'<mark class="claim grade-([a-z-]+)"[^>]*>([^<]+)', page)
    }
    assert marks["Kratom is a safe alternative to opioids, straight from nature."] == "contradicted"
    assert marks["Melatonin helps you fall asleep faster."] == "supported"
    assert "[Contradicted]" in page  # the grade in words, not colour alone


def test_standard_input_plain_text() -> None:
    result = runner.invoke(
        app, ["claims", "check", "-", "--json"], input="Naloxone reverses opioid overdoses.\n"
    )
    assert result.exit_code == 0, result.output
    (claim,) = json.loads(result.stdout)["claims"]
    assert claim["claim"]["id"] == "naloxone-reverses-opioid-overdose"


def test_list_and_show() -> None:
    listed = runner.invoke(app, ["claims", "list", "--grade", "contradicted", "--json"])
    assert listed.exit_code == 0
    claims = json.loads(listed.stdout)
    assert claims and {c["grade"] for c in claims} == {"contradicted"}
    by_topic = json.loads(
        runner.invoke(app, ["claims", "list", "--topic", "naloxone", "--json"]).stdout
    )
    assert by_topic and all("naloxone" in c["topics"] for c in by_topic)
    shown = runner.invoke(app, ["claims", "show", "melatonin-helps-fall-asleep"])
    assert shown.exit_code == 0
    assert "Supported" in shown.stdout and "23691095" in shown.stdout


def test_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args, message in (
        (["claims", "show", "no-such-claim"], "claim_id: there is no claim 'no-such-claim'"),
        (["claims", "list", "--grade", "great"], "--grade: 'great' is not a grade"),
        (["claims", "check", str(tmp_path / "missing.txt")], "FILE: there is no file"),
        (["claims", "check", str(ARTICLE), "--method", "magic"], "method: choose lexical"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert message in result.output.replace("\n", " "), result.output
        assert "Traceback" not in result.output
    empty = tmp_path / "empty.txt"
    empty.write_text("   ")
    result = runner.invoke(app, ["claims", "check", str(empty)])
    assert result.exit_code == 2 and "text: there is no text to check" in result.output

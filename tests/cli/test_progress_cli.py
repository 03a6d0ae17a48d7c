"""Progress, printable reports and the clinic overview through the CLI, on the demo clinic.

The PDF is opened with pypdf and its text checked; page 1 is rendered to
artifacts/reports/ (git-ignored) so a person can look at it.
"""

from __future__ import annotations

from pathlib import Path

import pypdf
import pypdfium2

from tests.cli.test_cli import fails, ok
from tests.cli.test_plans_cli import runner

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"


def page_text(path: Path) -> tuple[int, str]:
    reader = pypdf.PdfReader(path)
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def save_first_page(path: Path, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(str(path))
    try:
        image = document[0].render(scale=1.5).to_pil()
        target = ARTIFACTS / f"{name}.png"
        image.save(target)
    finally:
        document.close()
    return target


def test_reports_render_to_pdf_and_html_with_the_records_text(
    database_url: str, tmp_path: Path
) -> None:
    run = runner(database_url)
    ok(run("demo"))
    visit = tmp_path / "visit.pdf"
    said = ok(run("--as", "cleo", "report", "blair", "--kind", "visit", "--out", str(visit)))
    assert "Wrote the visit report for blair" in said
    assert visit.read_bytes().startswith(b"%PDF-")
    pages, text = page_text(visit)
    assert 1 <= pages <= 2
    for expected in (
        "Visit summary: Blair Okafor (blair)",
        "Current plan (version 2)",
        "Latest scores",
        "Open alerts",
        "Adherence (last 14 days)",
        "Relapse-risk signal",
        "not a validated prediction model",
        "Kratom logged each day against the taper target",  # a text alternative
    ):
        assert expected in text.replace("\n", " "), expected
    image = save_first_page(visit, "visit-blair")
    assert image.stat().st_size > 10_000

    progress_pdf = tmp_path / "progress.pdf"
    ok(run("--as", "alex", "report", "alex", "--kind", "progress", "--out", str(progress_pdf)))
    _, text = page_text(progress_pdf)
    assert "Your progress, Alex Moreno" in text and "Since you started" in text
    assert "Relapse-risk" not in text  # the person's report speaks in kind words, not scores
    save_first_page(progress_pdf, "progress-alex")

    html = tmp_path / "visit.html"
    ok(run("report", "casey", "--format", "html", "--out", str(html)))
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "data:image/svg+xml;base64," in page
    assert 'alt="Withdrawal and craving' in page and "<script" not in page


def test_report_and_progress_refuse_bad_input_and_outsiders(
    database_url: str, tmp_path: Path
) -> None:
    run = runner(database_url)
    ok(run("demo"))
    out = str(tmp_path / "x.pdf")
    fails(run("report", "alex", "--format", "docx", "--out", out), "--format")
    fails(run("report", "alex", "--kind", "weekly", "--out", out), "--kind")
    fails(run("--as", "sam", "report", "alex", "--out", out), "do not have access")
    fails(run("--as", "blair", "progress", "alex"), "do not have access")
    fails(run("progress", "alex", "--exposure", "coffee"), "exposure: 'coffee'")
    fails(run("progress", "alex", "--exposure", "exercise", "--threshold", "0"), "threshold")
    fails(run("progress", "alex", "--days", "3"), "days")
    fails(run("--as", "alex", "clinic", "overview"), "do not have access")
    assert not Path(out).exists()


def test_progress_and_the_clinic_overview_print_what_was_observed(database_url: str) -> None:
    run = runner(database_url)
    ok(run("demo"))
    said = ok(
        run(
            "--as",
            "sam",
            "progress",
            "frankie",
            "--exposure",
            "melatonin",
            "--outcome",
            "sleep_efficiency",
        )
    )
    assert "Relapse-risk signal:" in said and "not a validated prediction model" in said
    assert "95% interval" in said and "Permutation p =" in said
    assert "Within taper steps" in said
    assert "No clear difference" in said or "does not show that one caused" in said
    overview = ok(run("--as", "ada", "clinic", "overview"))
    assert "8 people" in overview and "Still checking in after 30 days" in overview
    assert "Median change in sows since start" in overview

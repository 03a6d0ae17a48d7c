"""A person's data rights through the CLI: the zip download, the clinic's retention setting,
and erasure under it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from typer.testing import CliRunner

from taperline.cli import app
from tests.cli.test_cli import TODAY, fails, ok


def test_export_retention_and_erasure_through_the_cli(tmp_path: Path) -> None:
    env: dict[str, str | None] = {
        "TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "TAPERLINE_AS": None,
        "COLUMNS": "200",
    }

    def run(*args: str) -> object:
        return CliRunner().invoke(app, ["--today", TODAY, *args], env=env)

    ok(run("init"))
    ok(run("clinic", "add", "Harbor Clinic"))
    ok(run("person", "add", "ada", "--name", "Ada Admin", "--role", "admin"))
    ok(run("person", "add", "cleo", "--name", "Cleo Park", "--role", "clinician"))
    ok(run("person", "add", "pat", "--name", "Pat Lee", "--clinician", "cleo"))
    ok(run("--as", "pat", "person", "export", "pat", "--out", str(tmp_path / "pat.zip")))
    names = {n.split("/", 1)[1] for n in zipfile.ZipFile(tmp_path / "pat.zip").namelist()}
    assert {"data.json", "fhir-bundle.json", "progress-report.pdf"} <= names

    assert "retention keep-deidentified" in ok(run("clinic", "retention"))
    fails(run("--as", "cleo", "clinic", "retention", "delete"), "do not have access")
    fails(run("--as", "ada", "clinic", "retention", "forever"), "retention")
    assert "retention is now delete" in ok(run("--as", "ada", "clinic", "retention", "delete"))
    erased = ok(run("--as", "ada", "person", "erase", "pat", "--confirm", "pat"))
    assert "records of care deleted" in erased
    fails(run("person", "show", "pat"), "pat")

"""`taperline backup` end to end through the CLI on real files: keygen, create, inspect,
restore into a new database; refusals are one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taperline.cli import app
from tests.cli.test_cli import TODAY, fails, ok


@pytest.fixture
def runner_env(tmp_path: Path) -> dict[str, str | None]:
    key = CliRunner().invoke(app, ["backup", "keygen"]).stdout.strip()
    return {
        "TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "TAPERLINE_BACKUP_KEY": key,
        "TAPERLINE_AS": None,
        "COLUMNS": "200",
    }


def _run(env: dict[str, str | None], *args: str) -> object:
    return CliRunner().invoke(app, ["--today", TODAY, *args], env=env)


def test_backup_and_restore_through_the_cli(
    runner_env: dict[str, str | None], tmp_path: Path
) -> None:
    env = runner_env
    ok(_run(env, "init"))
    ok(_run(env, "clinic", "add", "Harbor Clinic"))
    ok(_run(env, "person", "add", "ada", "--name", "Ada Admin", "--role", "admin"))
    ok(_run(env, "person", "add", "cleo", "--name", "Cleo Park", "--role", "clinician"))
    ok(_run(env, "person", "add", "pat", "--name", "Pat Lee", "--clinician", "cleo"))
    fails(
        _run(env, "--as", "cleo", "backup", "create", "--out", str(tmp_path / "x.tlbk")),
        "only a clinic admin",
    )
    made = ok(_run(env, "--as", "ada", "backup", "create", "--out", str(tmp_path / "b.tlbk")))
    assert "encrypted" in made
    manifest = json.loads(ok(_run(env, "backup", "inspect", str(tmp_path / "b.tlbk"))))
    assert manifest["row_counts"]["users"] == 3 and manifest["dialect"] == "sqlite"

    fresh = env | {"TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    assert "Restored" in ok(_run(fresh, "backup", "restore", str(tmp_path / "b.tlbk")))
    assert "Pat Lee" in ok(_run(fresh, "person", "show", "pat"))
    fails(_run(fresh, "backup", "restore", str(tmp_path / "b.tlbk")), "not empty")
    other_key = CliRunner().invoke(app, ["backup", "keygen"]).stdout.strip()
    wrong = env | {
        "TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}",
        "TAPERLINE_BACKUP_KEY": other_key,
    }
    fails(_run(wrong, "backup", "restore", str(tmp_path / "b.tlbk")), "key is wrong")
    nokey = env | {"TAPERLINE_BACKUP_KEY": None}
    fails(
        _run(nokey, "backup", "create", "--out", str(tmp_path / "c.tlbk")), "TAPERLINE_BACKUP_KEY"
    )

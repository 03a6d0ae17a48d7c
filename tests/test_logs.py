"""Structured logs: with TAPERLINE_LOG_FORMAT=json every line the real worker writes is a JSON
object with time, level, logger and message."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import Engine


def test_the_worker_writes_json_lines(database_url: str, migrated: Engine) -> None:
    env = {
        **os.environ,
        "TAPERLINE_DATABASE_URL": database_url,
        "TAPERLINE_LOG_FORMAT": "json",
        "TAPERLINE_LOG_LEVEL": "debug",
    }
    done = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "taperline", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines, "the worker logged nothing"
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)

"""Backup and restore at scale, beside a plain copy measured in the same run.

Seeds a throwaway SQLite clinic with bench_overview's seeder (N people, default 10,000,
staggered over 180 days, daily check-ins with SOWS and a sleep diary, plans, alerts; direct
bulk inserts), then times:

- `taperline.backup.database.backup`: a consistent snapshot through SQLite's online backup
  API, row counts, SHA-256, AES-256-GCM in chunks, fsync, rename;
- `taperline.backup.database.restore` into a new empty database: manifest and schema checks,
  decrypt and verify every chunk, row counts checked, atomic move into place;
- reference: the bare online backup API (`sqlite3.Connection.backup`) to a plain file, with
  no encryption, checksums or counts.

Not a test: nothing here asserts a speed. Usage:

    .venv/bin/python bench/bench_backup.py                 # 10,000 people x 180 days
    .venv/bin/python bench/bench_backup.py --people 1000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_overview import NOW, seed  # noqa: E402
from taperline.backup import database  # noqa: E402
from taperline.backup.format import new_key, parse_key  # noqa: E402
from taperline.db.engine import make_engine  # noqa: E402


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        source = root / "clinic.db"
        started = time.perf_counter()
        _, sizes = seed(f"sqlite:///{source}", source, options.people, random.Random(options.seed))
        print(
            f"Seeded in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
        )
        print(f"Database file: {_mb(source.stat().st_size)}")

        started = time.perf_counter()
        with sqlite3.connect(source) as src, sqlite3.connect(root / "plain.db") as dst:
            src.backup(dst)
        plain_s = time.perf_counter() - started

        key = parse_key(new_key())
        engine = make_engine(f"sqlite:///{source}")
        started = time.perf_counter()
        written = database.backup(engine, root / "clinic.backup", key, clock_now=NOW)
        backup_s = time.perf_counter() - started
        engine.dispose()

        target = make_engine(f"sqlite:///{root / 'restored.db'}")
        started = time.perf_counter()
        manifest = database.restore(target, written.path, key)
        restore_s = time.perf_counter() - started
        target.dispose()

        rows = sum(manifest.row_counts.values())
        print(f"\n{'step':<44} {'time':>9}   size")
        print(
            f"{'reference: bare online backup API (plain)':<44} {plain_s:8.2f}s   "
            f"{_mb((root / 'plain.db').stat().st_size)}"
        )
        print(
            f"{'taperline backup (snapshot, count, encrypt)':<44} {backup_s:8.2f}s   "
            f"{_mb(written.bytes)}"
        )
        print(f"{'taperline restore (verify, decrypt, move)':<44} {restore_s:8.2f}s")
        print(
            f"\nRows in the backup: {rows:,} in {len(manifest.row_counts)} tables; "
            f"backup is {backup_s / plain_s:.1f}x the bare copy's time"
        )


if __name__ == "__main__":
    main()

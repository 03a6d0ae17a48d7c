"""Fresh, throwaway databases on the backend the suite runs against.

SQLite: a new file. PostgreSQL (TAPERLINE_TEST_DATABASE_URL set): a new database on that
server, created with CREATE DATABASE and dropped afterwards, so runs never share state.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("TAPERLINE_TEST_DATABASE_URL") or None
BACKEND = "postgresql" if PG_URL else "sqlite"


def create_database(folder: Path) -> str:
    if PG_URL is None:
        return f"sqlite:///{folder / f'taperline-{uuid.uuid4().hex[:8]}.sqlite3'}"
    name = f"taperline_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if PG_URL is None:
        return
    name = make_url(url).database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()

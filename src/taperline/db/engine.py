"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(
    url: str, *, sqlite_busy_timeout_ms: int = 30000, read_only: bool = False, **kwargs: Any
) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout.

    `read_only` (SQLite): connections that refuse to write (PRAGMA query_only) and read without
    a transaction, each statement from the latest commit: WAL readers never wait for the writer.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(
            engine,
            "connect",
            lambda conn, record: _sqlite_pragmas(conn, record, sqlite_busy_timeout_ms, read_only),
        )
        if read_only:
            return engine
        # Let SQLAlchemy issue BEGIN itself so SAVEPOINTs and rollbacks behave (pysqlite quirk).
        # IMMEDIATE: every unit of work may write (audit rows at least), and a deferred
        # transaction that starts as a reader and then writes fails at once with "database is
        # locked" instead of waiting. Taking the write lock at BEGIN makes writers queue on
        # busy_timeout: one writer at a time, short transactions.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(
    dbapi_connection: Any, _record: Any, busy_timeout_ms: int = 30000, read_only: bool = False
) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Writers queue on the lock (BEGIN IMMEDIATE) rather than fail.
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Reads of a large database: map it into memory and keep more pages cached (per connection).
    cursor.execute("PRAGMA mmap_size=268435456")  # 256 MiB
    cursor.execute("PRAGMA cache_size=-32768")  # 32 MiB
    cursor.execute("PRAGMA temp_store=MEMORY")
    if read_only:
        cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def reader_sessions(
    url: str, *, sqlite_busy_timeout_ms: int = 30000
) -> sessionmaker[Session] | None:
    """Sessions on read-only connections (`make_engine(read_only=True)`) for a SQLite file, so
    that long reads hold no write lock; None elsewhere (PostgreSQL readers never block writers,
    and an in-memory SQLite database is not shared between connections)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    engine = make_engine(url, sqlite_busy_timeout_ms=sqlite_busy_timeout_ms, read_only=True)
    return sessionmaker(engine, expire_on_commit=False, info={READ_ONLY: True})


# In a session's `info`: it reads committed rows only and never writes (reader_sessions).
READ_ONLY = "taperline.read_only"


def begin_snapshot(session: Session) -> None:
    """Make the session's next reads one consistent snapshot. On a read-only SQLite connection
    (which reads each statement from the latest commit) this opens a deferred read transaction:
    in WAL mode it sees one commit and never waits for, or blocks, the writer. It ends when the
    session does. Other sessions are in a transaction already."""
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN DEFERRED")

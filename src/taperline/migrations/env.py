"""Alembic environment: the URL comes from Settings or from the caller's connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from taperline.config import get_settings
from taperline.db import models  # noqa: F401 - registers every table
from taperline.db.base import Base
from taperline.db.engine import make_engine
from taperline.db.migrate import include_name

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    engine = make_engine(url)
    with engine.connect() as new_connection:
        _run(new_connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Taperline runs migrations online only: `taperline db upgrade`.")
run_migrations_online()

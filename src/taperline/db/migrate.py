"""Run and check migrations from the installed package (no alembic.ini needed)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from taperline.db import models  # noqa: F401 - registers every table
from taperline.db.base import Base
from taperline.db.partitions import AUDIT

PARTITION_PREFIX = f"{AUDIT}_"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "taperline:migrations")
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """What comparing models with the database looks at: not the audit log's monthly
    partitions on PostgreSQL (taperline.db.partitions), which no model maps."""
    return not (type_ == "table" and name is not None and name.startswith(PARTITION_PREFIX))


def drift(engine: Engine) -> list[Any]:
    """Differences between the models and the database schema; empty means none."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_name": include_name},
        )
        return list(compare_metadata(context, Base.metadata))

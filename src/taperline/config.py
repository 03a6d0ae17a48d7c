"""Settings, read from the environment with the TAPERLINE_ prefix."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    DEMO = "demo"
    PRODUCTION = "production"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("taperline", appauthor=False))


class Settings(BaseSettings):
    """Every setting Taperline reads. Documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="TAPERLINE_", extra="ignore")

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="development, demo or production.",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded SQLite database and other local files.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database. Unset: a SQLite file taperline.sqlite3 in data_dir. "
            "PostgreSQL: postgresql+psycopg://user@host:5432/dbname."
        ),
    )
    timezone: str = Field(
        default="UTC",
        description="IANA time zone for new people when none is named (e.g. America/New_York).",
    )

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver Taperline ships with; say so in the URL.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'taperline.sqlite3'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

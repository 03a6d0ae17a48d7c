"""Settings, read from the environment with the TAPERLINE_ prefix."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    DEMO = "demo"
    PRODUCTION = "production"


DEVELOPMENT_SECRET = "taperline-development-secret-do-not-use-in-production"  # noqa: S105


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

    secret_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET),
        description="Signs sessions and CSRF tokens. Required outside development and demo.",
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="Read the secret key from this file instead (e.g. a mounted secret).",
    )
    password_time_cost: int = Field(default=3, ge=1, le=20, description="argon2id iterations.")
    password_memory_kib: int = Field(
        default=65536, ge=8, le=1048576, description="argon2id memory in KiB (tests lower it)."
    )
    session_hours: int = Field(default=12, ge=1, le=720, description="How long a login lasts.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Mark cookies Secure. Unset: Secure when the request came over HTTPS.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="Failed logins before the account is locked."
    )
    login_lock_minutes: int = Field(default=15, ge=1, le=1440, description="How long a lock lasts.")
    sqlite_busy_timeout_ms: int = Field(
        default=30000,
        ge=1,
        le=600000,
        description="SQLite: how long a request waits for the single writer before answering 503.",
    )

    log_format: Literal["text", "json"] = Field(
        default="text", description="text for a terminal; json for one JSON object a line."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="The least severe log lines written."
    )
    access_log: bool = Field(default=True, description="Write one log line per HTTP request.")
    metrics_token: SecretStr | None = Field(
        default=None,
        description=(
            "Bearer token that may read /metrics. Unset: /metrics answers only on loopback."
        ),
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address people open Taperline at; links in emails point here.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="Mail server for emails. Unset: emails are written to the worker's log.",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Mail server port.")
    smtp_from: str = Field(
        default="Taperline <taperline@localhost>", description="The From address of emails."
    )
    smtp_username: str | None = Field(default=None, description="Mail server login, if any.")
    smtp_password: SecretStr | None = Field(default=None, description="Mail server password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade to TLS with STARTTLS.")
    worker_poll_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="How often the worker looks for due jobs."
    )
    worker_lease_seconds: float = Field(
        default=300,
        ge=1,
        le=86400,
        description=(
            "How long a claimed job is reserved for its worker. If the worker dies, the job is "
            "claimed again after this. Longer than any job takes."
        ),
    )

    backup_key: SecretStr | None = Field(
        default=None,
        description=(
            "Encrypts backups: 32 bytes in URL-safe base64 (`taperline backup keygen`). No "
            "default: backups are refused without it. Keep a copy away from the backups."
        ),
    )
    research_key: SecretStr | None = Field(
        default=None,
        description=(
            "Keys the research export's pseudonyms and date shifts (at least 32 characters). "
            "The clinic keeps it: the same key gives the same pseudonyms in every export."
        ),
    )
    backup_key_file: Path | None = Field(
        default=None, description="Read the backup key from this file instead."
    )

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.backup_key_file is not None:
            try:
                key = self.backup_key_file.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ValueError(
                    f"backup_key_file: cannot read {self.backup_key_file}: {error.strerror}"
                ) from None
            self.backup_key = SecretStr(key)
        if self.secret_key_file is not None:
            try:
                value = self.secret_key_file.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ValueError(
                    f"secret_key_file: cannot read {self.secret_key_file}: {error.strerror}"
                ) from None
            if not value:
                raise ValueError(f"secret_key_file: {self.secret_key_file} is empty")
            self.secret_key = SecretStr(value)
        if self.environment is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET or len(secret) < 32:
                raise ValueError(
                    "secret_key: set TAPERLINE_SECRET_KEY (or TAPERLINE_SECRET_KEY_FILE) to a "
                    "random value of at least 32 characters; the development default is refused "
                    "in production"
                )
        return self

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

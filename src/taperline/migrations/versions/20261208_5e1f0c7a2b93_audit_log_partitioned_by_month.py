"""The audit log partitioned by month on PostgreSQL (declarative partitioning by range of
occurred_at): a partition per month from the oldest row's to twelve months ahead, and a
DEFAULT partition for anything else; the worker makes later months (taperline.db.partitions).

PostgreSQL wants a partitioned table's primary key to hold the partition key, so the key
becomes (id, occurred_at); ids still come from the same sequence and stay unique. The rows
are copied over in this migration's transaction (about 1 s per million rows here), so run it
in a quiet hour on a large database. SQLite is not partitioned: nothing changes there.

Revision ID: 5e1f0c7a2b93
Revises: 9cc253689a4b
Create Date: 2026-12-08 00:40:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "5e1f0c7a2b93"
down_revision: str | None = "9cc253689a4b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS_AHEAD = 12
OLD = "audit_events_unpartitioned"


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], dt.date(first.year, first.month, 1)
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return [*months, month]  # the last one is the end bound of the one before it


def _recreate(partitioned: bool) -> None:
    """Move audit_events aside, make it again (partitioned or plain), copy the rows back."""
    op.execute(f"ALTER TABLE audit_events RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_audit_events TO pk_{OLD}")
    op.execute(f"ALTER INDEX ix_audit_events_person_occurred RENAME TO ix_{OLD}_person_occurred")
    by = " PARTITION BY RANGE (occurred_at)" if partitioned else ""
    op.execute(f"CREATE TABLE audit_events (LIKE {OLD} INCLUDING DEFAULTS){by}")
    key = "id, occurred_at" if partitioned else "id"
    op.execute(f"ALTER TABLE audit_events ADD CONSTRAINT pk_audit_events PRIMARY KEY ({key})")
    for column in ("actor_id", "person_id"):
        op.execute(
            f"ALTER TABLE audit_events ADD CONSTRAINT fk_audit_events_{column}_users "
            f"FOREIGN KEY ({column}) REFERENCES users (id) ON DELETE RESTRICT"
        )
    op.execute(
        "CREATE INDEX ix_audit_events_person_occurred ON audit_events (person_id, occurred_at)"
    )
    if partitioned:
        oldest = op.get_bind().execute(text(f"SELECT min(occurred_at) FROM {OLD}")).scalar()  # noqa: S608
        today = dt.datetime.now(dt.UTC).date()  # noqa: TID251 - a migration runs on its own
        first = min(oldest.date(), today) if oldest is not None else today
        last = dt.date(today.year + (today.month + MONTHS_AHEAD - 1) // 12,
                       (today.month + MONTHS_AHEAD - 1) % 12 + 1, 1)  # fmt: skip
        months = _months(first, last)
        for start, end in zip(months, months[1:], strict=False):
            op.execute(
                f"CREATE TABLE audit_events_{start:%Y_%m} PARTITION OF audit_events "
                f"FOR VALUES FROM ('{start} 00:00+00') TO ('{end} 00:00+00')"
            )
        op.execute("CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT")
    op.execute(f"INSERT INTO audit_events SELECT * FROM {OLD}")  # noqa: S608
    op.execute("ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id")
    op.execute(f"DROP TABLE {OLD}")


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _recreate(partitioned=True)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _recreate(partitioned=False)

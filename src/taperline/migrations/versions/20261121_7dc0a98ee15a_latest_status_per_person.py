"""Latest status per person: the newest response per instrument, the last daily check-in.

Kept up to date by every check-in; filled here from the check-ins already stored.

Revision ID: 7dc0a98ee15a
Revises: b49d16b11895
Create Date: 2026-11-21 22:42:03.135815
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7dc0a98ee15a"
down_revision: str | None = "b49d16b11895"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_LATEST_SCORES = """
INSERT INTO latest_scores
    (person_id, instrument_id, checkin_id, checkin_date, total, band, metrics)
SELECT person_id, instrument_id, checkin_id, checkin_date, total, band, metrics
FROM (
    SELECT c.person_id, r.instrument_id, c.id AS checkin_id, c.checkin_date,
           r.total, r.band, r.metrics,
           row_number() OVER (
               PARTITION BY c.person_id, r.instrument_id
               ORDER BY c.checkin_date DESC, c.id DESC, r.id DESC
           ) AS newest
    FROM instrument_responses r JOIN checkins c ON c.id = r.checkin_id
) ranked
WHERE newest = 1
"""

FILL_PERSON_STATUS = """
INSERT INTO person_status (person_id, last_daily_checkin)
SELECT person_id, max(checkin_date) FROM checkins WHERE kind = 'daily' GROUP BY person_id
"""


def upgrade() -> None:
    op.create_table(
        "person_status",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("last_daily_checkin", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["users.id"],
            name=op.f("fk_person_status_person_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_status")),
    )
    op.create_table(
        "latest_scores",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=30), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("checkin_date", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("band", sa.String(length=40), nullable=True),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkins.id"],
            name=op.f("fk_latest_scores_checkin_id_checkins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["users.id"],
            name=op.f("fk_latest_scores_person_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "instrument_id", name=op.f("pk_latest_scores")),
    )
    op.execute(FILL_LATEST_SCORES)
    op.execute(FILL_PERSON_STATUS)


def downgrade() -> None:
    op.drop_table("latest_scores")
    op.drop_table("person_status")

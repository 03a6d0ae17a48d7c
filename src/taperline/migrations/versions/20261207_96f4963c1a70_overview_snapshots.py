"""Overview snapshots: each clinic's overview as last computed (derived data).

Revision ID: 96f4963c1a70
Revises: a6742835043b
Create Date: 2026-12-07 17:31:57.585585
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from taperline.db.base import JSONType, UTCDateTime

revision: str = "96f4963c1a70"
down_revision: str | None = "a6742835043b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "overview_snapshots",
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("content", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_overview_snapshots_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_overview_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("overview_snapshots")

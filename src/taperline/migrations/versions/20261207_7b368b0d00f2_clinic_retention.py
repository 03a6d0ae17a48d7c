"""A clinic's retention setting: what erasing a person keeps (keep-deidentified or delete).

Revision ID: 7b368b0d00f2
Revises: 7d5b603ff1b3
Create Date: 2026-12-07 08:15:49.729744
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b368b0d00f2"
down_revision: str | None = "7d5b603ff1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "retention",
                sa.String(length=20),
                nullable=False,
                server_default="keep-deidentified",
            )
        )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of `clinics` would drop a
    # table others refer to, which foreign keys refuse once there are rows.
    op.drop_column("clinics", "retention")

"""plan approver name for imported plans

Revision ID: a6742835043b
Revises: 7b368b0d00f2
Create Date: 2026-12-07 10:37:15.266408
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a6742835043b"
down_revision: str | None = "7b368b0d00f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plan_versions", sa.Column("approved_by_name", sa.String(length=200)))


def downgrade() -> None:
    # in place, not a batch copy: other tables refer to plan_versions
    op.drop_column("plan_versions", "approved_by_name")

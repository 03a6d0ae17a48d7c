"""Care relationships by clinician: the caseload looks people up from the clinician's side.

Revision ID: 4ffde27a61a3
Revises: 7dc0a98ee15a
Create Date: 2026-11-22 00:14:17.877129
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "4ffde27a61a3"
down_revision: str | None = "7dc0a98ee15a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("care_relationships", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_relationships_clinician_person", ["clinician_id", "person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("care_relationships", schema=None) as batch_op:
        batch_op.drop_index("ix_care_relationships_clinician_person")

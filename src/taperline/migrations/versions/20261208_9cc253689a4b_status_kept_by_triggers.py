"""The latest status per person is kept by the database: triggers on each new response and
each new daily check-in do the two upserts `services.status.record` sent (issue 19: two
statements fewer per check-in). The rule is the same: newer than what is stored (a later
date, or the same date and a later check-in) wins, so a back-filled check-in never hides a
newer one. Every way a check-in is stored (the API, the web, the CLI, a FHIR import) is
covered, and `services.status.rebuild` still recomputes everything after a bulk load.

Revision ID: 9cc253689a4b
Revises: 96f4963c1a70
Create Date: 2026-12-08 00:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "9cc253689a4b"
down_revision: str | None = "96f4963c1a70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The bodies, in the SQL both SQLite and PostgreSQL read (NEW is the inserted row).
KEEP_LATEST_SCORE = """
INSERT INTO latest_scores
    (person_id, instrument_id, checkin_id, checkin_date, total, band, metrics)
SELECT c.person_id, NEW.instrument_id, NEW.checkin_id, c.checkin_date,
       NEW.total, NEW.band, NEW.metrics
FROM checkins AS c WHERE c.id = NEW.checkin_id
ON CONFLICT (person_id, instrument_id) DO UPDATE SET
    checkin_id = excluded.checkin_id,
    checkin_date = excluded.checkin_date,
    total = excluded.total,
    band = excluded.band,
    metrics = excluded.metrics
WHERE excluded.checkin_date > latest_scores.checkin_date
   OR (excluded.checkin_date = latest_scores.checkin_date
       AND excluded.checkin_id >= latest_scores.checkin_id);
"""
KEEP_LAST_DAILY = """
INSERT INTO person_status (person_id, last_daily_checkin)
VALUES (NEW.person_id, NEW.checkin_date)
ON CONFLICT (person_id) DO UPDATE SET last_daily_checkin = excluded.last_daily_checkin
WHERE person_status.last_daily_checkin IS NULL
   OR excluded.last_daily_checkin > person_status.last_daily_checkin;
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for name, body in (
            ("taperline_keep_latest_score", KEEP_LATEST_SCORE),
            ("taperline_keep_last_daily", KEEP_LAST_DAILY),
        ):
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body}RETURN NULL;\nEND\n$$"
            )
        op.execute(
            "CREATE TRIGGER latest_scores_keep AFTER INSERT ON instrument_responses "
            "FOR EACH ROW EXECUTE FUNCTION taperline_keep_latest_score()"
        )
        op.execute(
            "CREATE TRIGGER person_status_keep AFTER INSERT ON checkins FOR EACH ROW "
            "WHEN (NEW.kind = 'daily') EXECUTE FUNCTION taperline_keep_last_daily()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER latest_scores_keep AFTER INSERT ON instrument_responses "
            f"BEGIN\n{KEEP_LATEST_SCORE}END"
        )
        op.execute(
            f"CREATE TRIGGER person_status_keep AFTER INSERT ON checkins "
            f"WHEN NEW.kind = 'daily' BEGIN\n{KEEP_LAST_DAILY}END"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS latest_scores_keep ON instrument_responses"
               if op.get_context().dialect.name == "postgresql"
               else "DROP TRIGGER IF EXISTS latest_scores_keep")  # fmt: skip
    op.execute("DROP TRIGGER IF EXISTS person_status_keep ON checkins"
               if op.get_context().dialect.name == "postgresql"
               else "DROP TRIGGER IF EXISTS person_status_keep")  # fmt: skip
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS taperline_keep_latest_score()")
        op.execute("DROP FUNCTION IF EXISTS taperline_keep_last_daily()")

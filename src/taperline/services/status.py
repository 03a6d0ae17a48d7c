"""Each person's latest status (newest score per instrument, last daily check-in), so lists
of people never rank their whole history.

The database keeps it, in the check-in's own transaction: triggers on every new response and
every new daily check-in upsert it (migration 9cc253689a4b), guarded by "newer than what is
stored" (a later date, or the same date and a later check-in), so a back-filled check-in never
hides a newer one, and two check-ins committing at once on PostgreSQL both land without a
conflict error. `rebuild` recomputes it all, after a bulk load.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from taperline.db.models import Checkin, InstrumentResponse, LatestScore, PersonStatus
from taperline.domain.types import CheckinKind


def rebuild(session: Session) -> None:
    """Recompute every person's status from their check-ins (after a bulk load)."""
    session.execute(delete(LatestScore))
    session.execute(delete(PersonStatus))
    ranked = (
        select(
            Checkin.person_id,
            InstrumentResponse.instrument_id,
            Checkin.id.label("checkin_id"),
            Checkin.checkin_date,
            InstrumentResponse.total,
            InstrumentResponse.band,
            InstrumentResponse.metrics,
            func.row_number()
            .over(
                partition_by=(Checkin.person_id, InstrumentResponse.instrument_id),
                order_by=(
                    Checkin.checkin_date.desc(),
                    Checkin.id.desc(),
                    InstrumentResponse.id.desc(),
                ),
            )
            .label("newest"),
        )
        .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
        .subquery()
    )
    columns = ("person_id", "instrument_id", "checkin_id", "checkin_date", "total", "band")
    session.execute(
        insert(LatestScore).from_select(
            [*columns, "metrics"],
            select(*(ranked.c[name] for name in columns), ranked.c.metrics).where(
                ranked.c.newest == 1
            ),
        )
    )
    session.execute(
        insert(PersonStatus).from_select(
            ["person_id", "last_daily_checkin"],
            select(Checkin.person_id, func.max(Checkin.checkin_date))
            .where(Checkin.kind == CheckinKind.DAILY.value)
            .group_by(Checkin.person_id),
        )
    )

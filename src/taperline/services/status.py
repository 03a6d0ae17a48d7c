"""Keep each person's latest status (newest score per instrument, last daily check-in) up to
date, in the check-in's own transaction, so lists of people never rank their whole history.

Both writes are upserts guarded by "newer than what is stored" (a later date, or the same date
and a later check-in), so a back-filled check-in never hides a newer one, and two check-ins
committing at once on PostgreSQL both land without a conflict error.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from taperline.db.models import Checkin, InstrumentResponse, LatestScore, PersonStatus
from taperline.domain.checkins import PreparedCheckin
from taperline.domain.types import CheckinKind


@cache
def _statements(dialect: str) -> tuple[Any, Any]:
    """The two upserts, built once per dialect (executed with a list of rows: one compiled
    statement, cached by SQLAlchemy)."""
    upsert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    scores = LatestScore.__table__
    statement = upsert(scores)
    new = statement.excluded
    latest = statement.on_conflict_do_update(
        index_elements=[scores.c.person_id, scores.c.instrument_id],
        set_={
            name: new[name] for name in ("checkin_id", "checkin_date", "total", "band", "metrics")
        },
        where=or_(
            new.checkin_date > scores.c.checkin_date,
            and_(
                new.checkin_date == scores.c.checkin_date,
                new.checkin_id >= scores.c.checkin_id,
            ),
        ),
    )
    people = PersonStatus.__table__
    statement = upsert(people)
    new = statement.excluded
    last_daily = statement.on_conflict_do_update(
        index_elements=[people.c.person_id],
        set_={"last_daily_checkin": new.last_daily_checkin},
        where=or_(
            people.c.last_daily_checkin.is_(None),
            new.last_daily_checkin > people.c.last_daily_checkin,
        ),
    )
    return latest, last_daily


def record(session: Session, person_id: int, checkin_id: int, checkin: PreparedCheckin) -> None:
    """Fold a just-stored check-in into its person's status."""
    latest, last_daily = _statements(session.get_bind().dialect.name)
    if checkin.scores:
        session.execute(
            latest,
            [
                {
                    "person_id": person_id,
                    "instrument_id": score.instrument_id,
                    "checkin_id": checkin_id,
                    "checkin_date": checkin.checkin_date,
                    "total": score.total,
                    "band": score.band,
                    "metrics": dict(score.metrics),
                }
                for score in checkin.scores
            ],
        )
    if checkin.kind is CheckinKind.DAILY:
        session.execute(
            last_daily, {"person_id": person_id, "last_daily_checkin": checkin.checkin_date}
        )


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

"""The latest status each check-in keeps: newest wins, back-fills never hide newer data, and
it always equals a rebuild from the check-ins (and the migration's own fill)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_sessionmaker
from taperline.db.models import Checkin, InstrumentResponse, LatestScore, PersonStatus
from taperline.domain.types import Role
from taperline.services import status
from taperline.services.uow import unit_of_work
from tests.factories import OPERATOR, checkin_data, make_clinic, make_user, submit

STATUS_REVISION = "7dc0a98ee15a"


def snapshot(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    scores = session.execute(
        select(
            LatestScore.person_id,
            LatestScore.instrument_id,
            LatestScore.checkin_id,
            LatestScore.checkin_date,
            LatestScore.total,
            LatestScore.band,
            LatestScore.metrics,
        ).order_by(LatestScore.person_id, LatestScore.instrument_id)
    )
    people = session.execute(
        select(PersonStatus.person_id, PersonStatus.last_daily_checkin).order_by(
            PersonStatus.person_id
        )
    )
    return [tuple(r) for r in scores], [tuple(r) for r in people]


def craving(session: Session, person_id: int) -> tuple[int | None, dt.date]:
    session.expire_all()  # the upserts bypass the identity map: read what the database holds
    row = session.get(LatestScore, (person_id, "craving"))
    assert row is not None
    return row.total, row.checkin_date


def test_the_newest_check_in_wins_and_a_back_fill_does_not_hide_it(
    session: Session, clock: FixedClock
) -> None:
    clinic = make_clinic(session, clock)
    person = make_user(session, clock, clinic, "pat", Role.PERSON)
    today = clock.today()
    submit(
        session,
        clock,
        OPERATOR,
        "pat",
        checkin_data(today, responses={"craving": [6, 2], "sows": [1] * 16}),
    )
    assert craving(session, person.id) == (6, today)

    earlier = today - dt.timedelta(days=3)
    submit(session, clock, OPERATOR, "pat", checkin_data(earlier, responses={"craving": [1, 0]}))
    assert craving(session, person.id) == (6, today)  # the back-fill is older: kept as was
    assert session.get(PersonStatus, person.id).last_daily_checkin == today  # type: ignore[union-attr]

    submit(session, clock, OPERATOR, "pat", checkin_data(today, responses={"craving": [2, 1]}))
    assert craving(session, person.id) == (2, today)  # same day, later check-in: it wins
    sows = session.get(LatestScore, (person.id, "sows"))
    assert sows is not None and sows.checkin_date == today  # the first one's SOWS, still newest


def test_what_check_ins_keep_equals_a_rebuild(session: Session, clock: FixedClock) -> None:
    clinic = make_clinic(session, clock)
    for handle in ("pat", "kim"):
        make_user(session, clock, clinic, handle, Role.PERSON)
    today = clock.today()
    for offset in (5, 1, 3, 0, 2):  # out of order on purpose
        day = today - dt.timedelta(days=offset)
        submit(
            session, clock, OPERATOR, "pat", checkin_data(day, responses={"craving": [offset, 0]})
        )
        if offset % 2:
            submit(session, clock, OPERATOR, "kim", checkin_data(day))
    kept = snapshot(session)
    status.rebuild(session)
    assert snapshot(session) == kept
    assert len(kept[0]) == 3 and len(kept[1]) == 2  # pat: craving; kim: craving, sows


def test_the_migration_fills_the_status_of_check_ins_stored_before_it(migrated: Engine) -> None:
    clock = FixedClock(dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC))
    sessions = make_sessionmaker(migrated)
    with unit_of_work(sessions, clock) as session:
        clinic = make_clinic(session, clock)
        make_user(session, clock, clinic, "pat", Role.PERSON)
        for offset in (2, 0, 1):
            day = clock.today() - dt.timedelta(days=offset)
            submit(session, clock, OPERATOR, "pat", checkin_data(day))
    with unit_of_work(sessions, clock) as session:
        kept = snapshot(session)
    assert kept[0] and kept[1]
    previous = migrate.alembic_config(migrated)  # the revision before the status tables
    migrate.downgrade(migrated, f"{STATUS_REVISION}-1")
    migrate.upgrade(migrated)
    assert previous is not None
    with unit_of_work(sessions, clock) as session:
        assert snapshot(session) == kept


def test_the_database_keeps_the_status_of_rows_stored_any_way(
    session: Session, clock: FixedClock
) -> None:
    """The triggers, not the check-in service, keep it: plain INSERTs (as an import or a
    script would send) fold in the same way; a visit leaves the last daily check-in as it was."""
    clinic = make_clinic(session, clock)
    person = make_user(session, clock, clinic, "pat", Role.PERSON)
    today = clock.today()

    def stored(day: dt.date, kind: str, total: int) -> int:
        checkin_id = session.execute(
            insert(Checkin).returning(Checkin.id),
            {"person_id": person.id, "kind": kind, "checkin_date": day,
             "payload_hash": "x" * 64, "note": "", "red_flags": [],
             "used_non_prescribed_opioids": False, "activities": {},
             "created_at": clock.now()},
        ).scalar_one()  # fmt: skip
        session.execute(
            insert(InstrumentResponse),
            {"checkin_id": checkin_id, "instrument_id": "craving", "instrument_version": "1",
             "answers": {}, "total": total, "band": None, "positive_screen": None,
             "metrics": {"peak": total}, "flags": [], "created_at": clock.now()},
        )  # fmt: skip
        return checkin_id

    yesterday = stored(today - dt.timedelta(days=1), "daily", 7)
    assert craving(session, person.id) == (7, today - dt.timedelta(days=1))
    stored(today - dt.timedelta(days=4), "daily", 1)  # a back-fill: hides nothing
    latest = session.get(LatestScore, (person.id, "craving"))
    assert latest is not None and (latest.checkin_id, latest.metrics) == (yesterday, {"peak": 7})
    stored(today, "visit", 3)
    assert craving(session, person.id) == (3, today)
    status_row = session.get(PersonStatus, person.id)
    assert status_row is not None and status_row.last_daily_checkin == today - dt.timedelta(days=1)
    kept = snapshot(session)
    status.rebuild(session)
    assert snapshot(session) == kept

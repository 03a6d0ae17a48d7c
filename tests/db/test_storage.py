from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.models import Checkin, DoseLog
from taperline.domain.types import Role
from tests.factories import OPERATOR, checkin_data, make_clinic, make_user, submit


def test_datetimes_come_back_timezone_aware_in_utc(session: Session, clock: FixedClock) -> None:
    clinic = make_clinic(session, clock)
    new_york = zoneinfo.ZoneInfo("America/New_York")
    clock.instant = dt.datetime(2026, 7, 1, 23, 30, tzinfo=new_york)
    person = make_user(session, clock, clinic, "pat", Role.PERSON)
    session.expire_all()
    stored = session.get(type(person), person.id)
    assert stored is not None
    assert stored.created_at == dt.datetime(2026, 7, 2, 3, 30, tzinfo=dt.UTC)
    assert stored.created_at.tzinfo is not None


def test_a_naive_datetime_is_refused(session: Session, clock: FixedClock) -> None:
    clinic = make_clinic(session, clock)
    clinic.created_at = dt.datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - deliberately naive
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_amounts_are_stored_exactly(session: Session, clock: FixedClock) -> None:
    clinic = make_clinic(session, clock)
    make_user(session, clock, clinic, "pat", Role.PERSON)
    data = checkin_data(
        clock.today(),
        doses=[
            {"category": "kratom", "form": "leaf_powder", "amount": "0.125", "unit": "g"},
            {"category": "kratom", "form": "leaf_powder", "amount": "2.75", "unit": "g"},
        ],
    )
    result = submit(session, clock, OPERATOR, "pat", data)
    session.expire_all()
    stored = session.scalars(
        select(DoseLog.amount_thousandths).where(DoseLog.checkin_id == result.checkin.id)
    ).all()
    assert sorted(stored) == [125, 2750]
    assert [str(a) for a in result.checkin.kratom_totals] == ["2.875 g"]


def test_foreign_keys_are_enforced(session: Session, clock: FixedClock) -> None:
    session.add(
        Checkin(
            person_id=999_999,
            kind="daily",
            checkin_date=clock.today(),
            payload_hash="x",
            note="",
            created_at=clock.now(),
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_the_same_idempotency_key_cannot_be_stored_twice_for_one_person(
    session: Session, clock: FixedClock
) -> None:
    clinic = make_clinic(session, clock)
    person = make_user(session, clock, clinic, "pat", Role.PERSON)
    for _ in range(2):
        session.add(
            Checkin(
                person_id=person.id,
                kind="daily",
                checkin_date=clock.today(),
                idempotency_key="key-12345",
                payload_hash="x",
                note="",
                created_at=clock.now(),
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_sqlite_runs_with_wal_and_foreign_keys(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"

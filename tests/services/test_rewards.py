"""Rewards on the real database: the clinic's programme, enrolment, check-ins that earn on the
day, clinician-entered sessions and screens on an escalating schedule that resets, an
append-only ledger with redemption and correction, access and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.models import AuditEvent, Notification, RewardEntry
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.rewards import Behaviour, Rule
from taperline.services import rewards
from taperline.services.authz import AccessDenied
from tests.actors import Cast, cast
from tests.factories import actor_for, checkin_data, submit

RULES = [
    Rule(Behaviour.CHECKIN_ON_TIME, first=1, step=1, cap=5),
    Rule(Behaviour.NEGATIVE_UDS, first=250, step=125, bonus_every=3, bonus=1000),
    Rule(Behaviour.COUNSELING, first=100),
]


def _programme(session: Session, clock: FixedClock, people: Cast) -> None:
    rewards.configure(
        session,
        clock,
        actor_for(people.cleo),
        name="Vouchers",
        unit="voucher_cents",
        unit_note="Spent at the front desk on gift cards",
        rules=RULES,
    )
    rewards.enrol(session, clock, actor_for(people.cleo), "pat", on=True)


def _uds(session: Session, clock: FixedClock, people: Cast, day: dt.date, met: bool) -> int:
    return rewards.record(
        session, clock, actor_for(people.cleo), "pat",
        behaviour="negative_uds", day=day, met=met,
    ).amount  # fmt: skip


def test_screens_escalate_reset_and_redeem(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    today = clock.today()
    days = [today - dt.timedelta(days=n) for n in range(10, 0, -1)]
    earned = [_uds(session, clock, people, day, met) for day, met in zip(
        days, [True, True, True, True, False, True, True], strict=False
    )]  # fmt: skip
    assert earned == [250, 375, 1500, 625, 0, 250, 375]
    view = rewards.ledger(session, clock, actor_for(people.pat), "pat")
    assert view.enrolled and view.balance == 3375 and view.balance_text == "$33.75"
    [uds] = [p for p in view.progress if p.behaviour is Behaviour.NEGATIVE_UDS]
    assert uds.streak == 2 and uds.next_text == "$15.00"  # the third in a row brings the bonus
    note = session.scalars(select(Notification).where(Notification.kind == "reward")).first()
    assert note is not None and note.user_id == people.pat.id

    rewards.redeem(session, clock, actor_for(people.cleo), "pat", amount=2000, note="Gift card")
    with pytest.raises(InvalidInput, match="more than the balance"):
        rewards.redeem(session, clock, actor_for(people.cleo), "pat", amount=9999, note="TV")
    assert rewards.ledger(session, clock, actor_for(people.cleo), "pat").balance == 1375
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"reward.configure", "reward.enrol", "reward.award", "reward.miss"} <= actions
    assert {"reward.redeem", "reward.read"} <= actions


def test_a_daily_check_in_on_the_day_earns_and_a_gap_resets(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    pat = actor_for(people.pat)
    amounts = []
    for offset in (0, 1, 2, 4):  # day 3 is missed
        day_clock = FixedClock(clock.now() + dt.timedelta(days=offset))
        submit(session, day_clock, pat, "pat", checkin_data(day_clock.today()))
        amounts.append(rewards.ledger(session, day_clock, pat, "pat").balance)
    assert amounts == [1, 3, 6, 7]  # 1, 2, 3, then back to 1 after the missed day
    # A second check-in the same day, and a back-filled day, earn nothing.
    late = FixedClock(clock.now() + dt.timedelta(days=4))
    submit(session, late, pat, "pat", checkin_data(late.today(), idempotency_key="second-one"))
    backfill = clock.today() + dt.timedelta(days=3)
    submit(session, late, pat, "pat", checkin_data(backfill))
    assert rewards.ledger(session, late, pat, "pat").balance == 7
    entries = session.scalars(select(RewardEntry).order_by(RewardEntry.id)).all()
    assert [e.streak for e in entries] == [1, 2, 3, 1]
    assert all(e.checkin_id for e in entries)


def test_not_enrolled_earns_nothing_and_cannot_be_entered(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    rewards.configure(
        session, clock, actor_for(people.cleo), name="P", unit="points", unit_note="",
        rules=RULES,
    )  # fmt: skip
    submit(session, clock, actor_for(people.pat), "pat", checkin_data(clock.today()))
    assert session.scalar(select(func.count(RewardEntry.id))) == 0
    with pytest.raises(InvalidInput, match="not enrolled"):
        _uds(session, clock, people, clock.today(), True)


def test_corrections_reverse_a_line_and_the_ledger_is_append_only(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    cleo = actor_for(people.cleo)
    first = rewards.record(
        session, clock, cleo, "pat", behaviour="counseling_session",
        day=clock.today() - dt.timedelta(days=1), met=True,
    )  # fmt: skip
    fixed = rewards.correct(session, clock, cleo, "pat", entry_id=first.id, note="Wrong person")
    assert fixed.amount == -100 and fixed.kind == "correction"
    view = rewards.ledger(session, clock, cleo, "pat")
    assert view.balance == 0
    assert [(e.kind, e.corrected) for e in view.entries] == [
        ("correction", False),
        ("earned", True),
    ]
    with pytest.raises(InvalidInput, match="already corrected"):
        rewards.correct(session, clock, cleo, "pat", entry_id=first.id, note="again")
    with pytest.raises(NotFound, match="no ledger entry 999"):
        rewards.correct(session, clock, cleo, "pat", entry_id=999, note="x")
    with pytest.raises(InvalidInput, match="note"):
        rewards.correct(session, clock, cleo, "pat", entry_id=fixed.id, note=" ")
    # The corrected session no longer counts: the next one starts a streak of one.
    again = rewards.record(
        session, clock, cleo, "pat", behaviour="counseling_session", day=clock.today(), met=True
    )
    assert again.streak == 1
    assert session.scalar(select(func.count(RewardEntry.id))) == 3


def test_bad_entries_are_named(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    cleo = actor_for(people.cleo)
    today = clock.today()
    with pytest.raises(InvalidInput, match="never rewards a dose"):
        rewards.record(session, clock, cleo, "pat", behaviour="dose_taken", day=today, met=True)
    with pytest.raises(InvalidInput, match="earned by checking in"):
        rewards.record(
            session, clock, cleo, "pat", behaviour="checkin_on_time", day=today, met=True
        )
    with pytest.raises(InvalidInput, match="future"):
        _uds(session, clock, people, today + dt.timedelta(days=2), True)
    _uds(session, clock, people, today, True)
    with pytest.raises(InvalidInput, match="already recorded"):
        _uds(session, clock, people, today, False)
    with pytest.raises(InvalidInput, match="before the last"):
        _uds(session, clock, people, today - dt.timedelta(days=5), True)
    assert session.scalar(select(func.count(RewardEntry.id))) == 1


@pytest.mark.parametrize("who", ["uma", "olga", "quinn", "ada"])
def test_only_the_persons_clinician_awards_and_only_they_and_the_person_read(
    session: Session, clock: FixedClock, who: str
) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    other = actor_for(getattr(people, who))
    with pytest.raises(AccessDenied):
        rewards.record(
            session, clock, other, "pat", behaviour="negative_uds", day=clock.today(), met=True
        )
    with pytest.raises(AccessDenied):
        rewards.redeem(session, clock, other, "pat", amount=1, note="x")
    with pytest.raises(AccessDenied):
        rewards.ledger(session, clock, other, "pat")
    with pytest.raises(AccessDenied):
        rewards.enrol(session, clock, other, "pat", on=False)


def test_the_person_cannot_award_themself(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    pat = actor_for(people.pat)
    with pytest.raises(AccessDenied):
        rewards.record(
            session, clock, pat, "pat", behaviour="negative_uds", day=clock.today(), met=True
        )
    with pytest.raises(AccessDenied):
        rewards.configure(
            session, clock, pat, name="Mine", unit="points", unit_note="", rules=RULES
        )


def test_a_new_programme_version_applies_from_then_on(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    today = clock.today()
    _uds(session, clock, people, today - dt.timedelta(days=2), True)
    rewards.configure(
        session, clock, actor_for(people.ada), name="Draws", unit="draws", unit_note="Prize bowl",
        rules=[Rule(Behaviour.NEGATIVE_UDS, first=1, step=1, cap=8)],
    )  # fmt: skip
    assert _uds(session, clock, people, today, True) == 2  # the streak carries on, new values
    view = rewards.ledger(session, clock, actor_for(people.pat), "pat")
    assert view.programme is not None and view.programme.name == "Draws"
    with pytest.raises(InvalidInput, match="does not reward"):
        rewards.record(
            session, clock, actor_for(people.cleo), "pat", behaviour="counseling_session",
            day=today, met=True,
        )  # fmt: skip


def test_progress_says_what_the_next_success_earns(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    _programme(session, clock, people)
    today = clock.today()
    for days_ago in (2, 1, 0):
        _uds(session, clock, people, today - dt.timedelta(days=days_ago), True)
    pat = actor_for(people.pat)
    submit(session, clock, pat, "pat", checkin_data(today))
    view = rewards.ledger(session, clock, pat, "pat")
    by = {p.behaviour: p for p in view.progress}
    assert (by[Behaviour.NEGATIVE_UDS].streak, by[Behaviour.NEGATIVE_UDS].next_value) == (3, 625)
    assert (by[Behaviour.CHECKIN_ON_TIME].streak, by[Behaviour.CHECKIN_ON_TIME].next_value) == (
        1,
        2,
    )
    later = FixedClock(clock.now() + dt.timedelta(days=3))  # two days without a check-in
    by = {p.behaviour: p for p in rewards.ledger(session, later, pat, "pat").progress}
    assert (by[Behaviour.CHECKIN_ON_TIME].streak, by[Behaviour.CHECKIN_ON_TIME].next_value) == (
        0,
        1,
    )
    assert by[Behaviour.COUNSELING].next_value == 100

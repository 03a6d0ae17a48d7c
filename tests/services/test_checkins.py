from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.db.models import AuditEvent, Checkin, DoseLog, InstrumentResponse
from taperline.domain.errors import InvalidInput
from taperline.services import checkins
from taperline.services.authz import AccessDenied
from taperline.services.people import find_user
from taperline.services.uow import unit_of_work
from tests.actors import cast
from tests.databases import BACKEND
from tests.factories import actor_for, checkin_data, submit


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_checkin_stores_its_scores_doses_creator_and_audit_row(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    data = checkin_data(
        clock.today(), responses={"sows": [2] * 16, "phq9": [1, 1, 1, 1, 1, 0, 0, 0, 0]}
    )
    result = submit(session, clock, actor_for(people.pat), "pat", data)
    assert result.created
    stored = session.get(Checkin, result.checkin.id)
    assert (
        stored is not None
        and stored.created_by_id == people.pat.id
        and stored.created_at == clock.now()
    )
    totals = {r.instrument_id: (r.total, r.band) for r in stored.responses}
    assert totals == {"sows": (32, None), "phq9": (5, "mild")}
    assert [(d.category, d.amount_thousandths, d.unit) for d in stored.doses] == [
        ("kratom", 2500, "g")
    ]
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "checkin.create")).one()
    assert (audit.actor_id, audit.person_id, audit.outcome) == (
        people.pat.id,
        people.pat.id,
        "allowed",
    )


def test_the_answer_to_a_submission_is_what_history_shows_of_it(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    data = checkin_data(
        clock.today(),
        doses=[
            {"category": "kratom", "form": "leaf_powder", "amount": "2.50", "unit": "g"},
            {"category": "kratom", "form": "capsules", "amount": "3", "unit": "capsule"},
            {"category": "melatonin", "amount": "1.125", "unit": "mg", "time": "22:00"},
        ],
        responses={
            "sows": [2] * 16,
            "craving": [5, 2],
            "sleep_diary": {
                "into_bed": "23:10",
                "tried_to_sleep": "23:20",
                "sleep_onset_minutes": 25,
                "awakenings": 2,
                "awake_minutes": 35,
                "final_awakening": "06:05",
                "out_of_bed": "06:30",
                "quality": 2,
            },
        },
        note="  slept badly  ",
    )
    # Entered by their clinician: the creator is someone other than the person.
    result = submit(session, clock, actor_for(people.cleo), "pat", data)
    [shown] = checkins.history(session, clock, actor_for(people.pat), "pat")
    assert result.checkin == shown
    assert [str(d.amount) for d in result.checkin.doses] == [str(d.amount) for d in shown.doses]
    assert result.checkin.created_by == "cleo" and result.checkin.note == "slept badly"


def test_a_retried_submission_with_the_same_key_is_stored_once(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    data = checkin_data(clock.today(), idempotency_key="phone-7f3a9c21")
    first = submit(session, clock, actor_for(people.pat), "pat", data)
    again = submit(session, clock, actor_for(people.pat), "pat", data)
    assert first.created and not again.created
    assert again.checkin.id == first.checkin.id
    assert count(session, Checkin) == 1 and count(session, DoseLog) == 1


def test_reusing_a_key_for_a_different_checkin_is_refused_and_keeps_the_first(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    submit(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        checkin_data(clock.today(), idempotency_key="phone-7f3a9c21"),
    )
    changed = checkin_data(clock.today(), idempotency_key="phone-7f3a9c21", note="different")
    with pytest.raises(InvalidInput) as error:
        submit(session, clock, actor_for(people.pat), "pat", changed)
    assert error.value.field == "idempotency_key"
    assert count(session, Checkin) == 1


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite's single writer rules this race out")
def test_a_key_stored_by_another_submission_just_before_the_insert_is_answered_as_a_replay(
    migrated: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        people = cast(session, clock)
    data = checkin_data(clock.today(), idempotency_key="raced-key-0001")
    first: list[checkins.SubmitResult] = []
    raced: list[bool] = []

    def other_submission_commits(
        connection: object, cursor: object, statement: str, *rest: object
    ) -> None:
        # Right before this submission inserts its check-in, the same key is stored.
        if not raced and statement.lstrip().startswith("INSERT INTO checkins"):
            raced.append(True)
            with unit_of_work(sessions, clock) as other:
                first.append(submit(other, clock, actor_for(people.pat), "pat", data))

    event.listen(migrated, "before_cursor_execute", other_submission_commits)
    try:
        with unit_of_work(sessions, clock) as session:
            again = submit(session, clock, actor_for(people.pat), "pat", data)
    finally:
        event.remove(migrated, "before_cursor_execute", other_submission_commits)
    assert first and first[0].created and not again.created
    assert again.checkin == first[0].checkin
    with sessions() as session:
        assert count(session, Checkin) == 1 and count(session, DoseLog) == 1


def test_the_same_key_for_two_people_is_two_checkins(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    data = checkin_data(clock.today(), idempotency_key="shared-key-123")
    submit(session, clock, actor_for(people.pat), "pat", data)
    submit(session, clock, actor_for(people.quinn), "quinn", data)
    assert count(session, Checkin) == 2


def test_bad_input_stores_nothing(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with unit_of_work(sessions, clock) as session:
        cast(session, clock)
    bad = checkin_data(
        clock.today(),
        doses=[
            {"category": "kratom", "form": "leaf_powder", "amount": "2", "unit": "g"},
            {"category": "kratom", "form": "capsules", "amount": "3", "unit": "g"},
        ],
    )
    with pytest.raises(InvalidInput) as error, unit_of_work(sessions, clock) as session:
        submit(session, clock, actor_for(find_user(session, "pat")), "pat", bad)
    assert error.value.field == "doses[1].unit"
    with sessions() as session:
        assert count(session, Checkin) == 0 and count(session, DoseLog) == 0
        assert count(session, InstrumentResponse) == 0


def test_an_unrelated_clinician_is_refused_and_the_refusal_is_audited(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        people = cast(session, clock)
        submit(session, clock, actor_for(people.pat), "pat", checkin_data(clock.today()))
    for who in (people.uma, people.olga, people.ada, people.quinn):
        with pytest.raises(AccessDenied), unit_of_work(sessions, clock) as session:
            checkins.history(session, clock, actor_for(who), "pat")
    with sessions() as session:
        denied = session.scalars(
            select(AuditEvent).where(AuditEvent.outcome == "denied").order_by(AuditEvent.id)
        ).all()
        assert [(e.actor_id, e.action, e.person_id) for e in denied] == [
            (who.id, "checkin.read", people.pat.id)
            for who in (people.uma, people.olga, people.ada, people.quinn)
        ]


def test_the_person_and_their_clinician_can_read_the_history_and_it_is_audited(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    submit(session, clock, actor_for(people.pat), "pat", checkin_data(clock.today()))
    for who in (people.pat, people.cleo):
        views = checkins.history(session, clock, actor_for(who), "pat")
        assert [v.score("sows").total for v in views] == [16]  # type: ignore[union-attr]
    reads = session.scalars(
        select(AuditEvent.actor_id).where(AuditEvent.action == "checkin.read")
    ).all()
    assert reads == [people.pat.id, people.cleo.id]


def test_a_person_cannot_submit_for_someone_else(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    with pytest.raises(AccessDenied):
        submit(session, clock, actor_for(people.quinn), "pat", checkin_data(clock.today()))


def test_a_person_cannot_record_cows_but_their_clinician_can_at_a_visit(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    visit = {
        "date": clock.today().isoformat(),
        "kind": "visit",
        "responses": {"cows": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]},
    }
    with pytest.raises(InvalidInput) as error:
        submit(session, clock, actor_for(people.pat), "pat", visit)
    assert error.value.field == "kind"
    daily_cows = {"date": clock.today().isoformat(), "responses": {"cows": [0] * 11}}
    with pytest.raises(InvalidInput) as error:
        submit(session, clock, actor_for(people.cleo), "pat", daily_cows)
    assert error.value.field == "responses.cows"
    result = submit(session, clock, actor_for(people.cleo), "pat", visit)
    assert result.checkin.score("cows").total == 13  # type: ignore[union-attr]
    assert result.checkin.score("cows").band == "moderate"  # type: ignore[union-attr]


def test_phq9_item_9_is_visible_as_a_flag_on_the_stored_checkin(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    data = checkin_data(clock.today(), responses={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]})
    result = submit(session, clock, actor_for(people.pat), "pat", data)
    assert result.flags == ("phq9.item9_positive",)
    stored = session.scalars(
        select(InstrumentResponse).where(InstrumentResponse.instrument_id == "phq9")
    ).one()
    assert stored.flags == ["phq9.item9_positive"] and stored.total == 1


def test_a_checkin_dated_tomorrow_in_the_persons_time_zone_is_refused(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    # 15:00 UTC on 14 March is still 14 March in New York; 15 March is tomorrow there.
    with pytest.raises(InvalidInput) as error:
        submit(
            session,
            clock,
            actor_for(people.pat),
            "pat",
            checkin_data(clock.today() + dt.timedelta(days=1)),
        )
    assert error.value.field == "date"


def test_history_keeps_capsules_and_grams_apart(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    data = checkin_data(
        clock.today(),
        doses=[
            {"category": "kratom", "form": "leaf_powder", "amount": "1.5", "unit": "g"},
            {"category": "kratom", "form": "leaf_powder", "amount": "500", "unit": "mg"},
            {"category": "kratom", "form": "capsules", "amount": "4", "unit": "capsules"},
        ],
    )
    submit(session, clock, actor_for(people.pat), "pat", data)
    (view,) = checkins.history(session, clock, actor_for(people.pat), "pat")
    assert [str(a) for a in view.kratom_totals] == ["2 g", "4 capsules"]

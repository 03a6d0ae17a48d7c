"""Progress services on the real database: values, access, audit, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.db.models import AuditEvent
from taperline.domain.errors import InvalidInput
from taperline.domain.progress.risk import Level
from taperline.domain.types import Role
from taperline.services import caseload, clinic_overview, progress
from taperline.services.authz import AccessDenied
from taperline.services.uow import unit_of_work
from tests.actors import Cast, cast
from tests.factories import OPERATOR, actor_for, checkin_data, make_user, submit
from tests.services.test_caseload import DIARY, counted


def fill(
    session: Session,
    clock: FixedClock,
    handle: str,
    days: int,
    *,
    craving: int = 2,
    sows: int = 1,
    exercise_every: int = 2,
) -> None:
    today = clock.today()
    for back in range(days, 0, -1):
        date = today - dt.timedelta(days=back - 1)
        submit(
            session,
            clock,
            OPERATOR,
            handle,
            checkin_data(
                date,
                responses={
                    "craving": [craving, 0],
                    "sows": [sows] * 16,
                    "sleep_diary": DIARY,
                },
                activities={"exercise_minutes": 30} if back % exercise_every == 0 else {},
            ),
        )


def actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_series_holds_the_stored_values_and_the_read_is_audited(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    fill(session, clock, "pat", 10)
    view = progress.progress(session, clock, actor_for(people.cleo), "pat", days=14)
    days = view.series.days
    assert len(days) == 14 and days[-1].date == clock.today()
    assert [d.checked_in for d in days] == [False] * 4 + [True] * 10
    # the diary: tried 22:40, 20 min, 30 awake, woke 06:30, into bed 22:30, up 06:40:
    # TIB 490, TST 470 - 50 = 420, SE 85.7%
    assert days[-1].get("total_sleep_time") == 420
    assert days[-1].get("sleep_efficiency") == pytest.approx(85.7)
    assert days[-1].get("sows") == 16 and days[-1].get("craving") == 2
    assert days[0].get("sows") is None  # a gap, not zero
    assert [x.instrument for x in view.latest] == ["sows", "craving", "sleep_diary"]
    [event] = actions(session, "progress.read")
    assert event.person_id == people.pat.id and event.actor_id == people.cleo.id


def test_only_the_person_and_their_clinician_may_see_progress(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    assert progress.progress(session, clock, actor_for(people.pat), "pat").handle == "pat"
    for outsider in (people.uma, people.olga, people.ada, people.quinn):
        with pytest.raises(AccessDenied):
            progress.progress(session, clock, actor_for(outsider), "pat")
        # access is decided before the question is even read
        with pytest.raises(AccessDenied):
            progress.compare(
                session, clock, actor_for(outsider), "pat", exposure="coffee", outcome="x"
            )


def test_a_comparison_is_audited_and_bad_questions_name_the_field(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    fill(session, clock, "pat", 30)
    cleo = actor_for(people.cleo)
    result = progress.compare(
        session, clock, cleo, "pat", exposure="exercise", outcome="craving", threshold=30
    )
    # craving is 2 every day, whatever the exercise: no difference at all
    assert result.overall.difference == 0 and result.overall.spans_zero
    assert result.exposed_days == 15 and result.unexposed_days == 14
    [event] = actions(session, "progress.compare")
    assert event.detail["exposure"] == "exercise" and event.detail["threshold"] == 30
    with pytest.raises(InvalidInput) as error:
        progress.compare(session, clock, cleo, "pat", exposure="exercise", outcome="mood")
    assert error.value.field == "outcome"
    with pytest.raises(InvalidInput) as error:
        progress.progress(session, clock, cleo, "pat", days=5)
    assert error.value.field == "days"


def test_a_persons_series_takes_the_same_number_of_queries_for_any_range(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    fill(session, clock, "pat", 40)
    cleo = actor_for(people.cleo)
    with counted(session) as short:
        progress.progress(session, clock, cleo, "pat", days=14)
    with counted(session) as long:
        progress.progress(session, clock, cleo, "pat", days=90)
    assert len(short) == len(long)


def caseload_people(session: Session, clock: FixedClock, people: Cast, n: int) -> None:
    for i in range(n):
        make_user(session, clock, people.pat.clinic, f"p{i}", Role.PERSON, clinicians=("cleo",))


def test_the_caseload_risk_column_matches_each_persons_signal_in_three_queries(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    fill(session, clock, "pat", 14, craving=1)
    # pat's craving jumps from 1 to 7 in the last week
    for back in range(7):
        submit(
            session,
            clock,
            OPERATOR,
            "pat",
            checkin_data(
                clock.today() - dt.timedelta(days=back),
                responses={"craving": [7, 0], "sows": [1] * 16, "sleep_diary": DIARY},
                idempotency_key=f"later-{back:04d}",
            ),
        )
    caseload_people(session, clock, people, 3)
    rows = caseload.caseload(session, clock, actor_for(people.cleo))
    by_handle = {row.handle: row for row in rows}
    pat_risk = by_handle["pat"].risk
    assert pat_risk is not None
    assert pat_risk == progress.progress(session, clock, actor_for(people.cleo), "pat").risk
    assert "craving_rising" in [f.id for f in pat_risk.factors]
    assert pat_risk.level in (Level.RAISED, Level.HIGH)
    silent = by_handle["p0"].risk
    assert silent is not None and [f.id for f in silent.factors] == ["checkins_missed"]

    persons = [people.pat]
    with counted(session) as one:
        progress.risk_for_people(session, persons, clock)
    with counted(session) as four:
        progress.risk_for_people(session, persons + [people.quinn] * 3, clock)
    # what each window holds, then the check-ins and scores (this session is joined to the
    # test's outer transaction, so nothing is cached: every call computes)
    assert len(one) == len(four) == 3


def test_risk_signals_are_reused_until_a_check_in_changes_their_window(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        people = cast(session, clock)
        fill(session, clock, "pat", 14, craving=1)
        cleo, pat = actor_for(people.cleo), people.pat
    with unit_of_work(sessions, clock) as session, counted(session) as first:
        computed = progress.risk_for_people(session, [pat], clock)[pat.id]
    with unit_of_work(sessions, clock) as session, counted(session) as again:
        assert progress.risk_for_people(session, [pat], clock)[pat.id] == computed
    assert (len(first), len(again)) == (3, 1)  # the second only asks what the window holds

    # A back-filled check-in inside the window: computed afresh, and right.
    with unit_of_work(sessions, clock) as session:
        day = clock.today() - dt.timedelta(days=20)
        submit(session, clock, OPERATOR, "pat", checkin_data(day, responses={"craving": [9, 0]}))
    with unit_of_work(sessions, clock) as session:
        with counted(session) as after:
            changed = progress.risk_for_people(session, [pat], clock)[pat.id]
        assert changed == progress.progress(session, clock, cleo, "pat").risk
    assert len(after) == 3


def test_a_risk_computed_in_a_transaction_that_rolls_back_is_not_kept(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        people = cast(session, clock)
        fill(session, clock, "pat", 10, craving=2)
        pat = people.pat
    session = sessions()
    try:
        progress.risk_for_people(session, [pat], clock)
    finally:
        session.rollback()
        session.close()
    with unit_of_work(sessions, clock) as session, counted(session) as later:
        progress.risk_for_people(session, [pat], clock)
    assert len(later) == 3


def test_the_clinic_overview_is_for_its_clinicians_and_admins_only(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    fill(session, clock, "pat", 20, sows=2)
    for user in (people.cleo, people.uma, people.ada):
        found = clinic_overview.clinic_overview(session, clock, actor_for(user))
        assert found.clinic == "Harbor Clinic" and found.overview.people == 2
        assert found.overview.phases["no_plan"] == 2
        [sows, _] = found.overview.changes
        assert (sows.metric, sows.people, sows.median) == ("sows", 1, 0.0)
    assert (
        clinic_overview.clinic_overview(session, clock, actor_for(people.olga)).overview.people == 0
    )
    with pytest.raises(AccessDenied):
        clinic_overview.clinic_overview(session, clock, actor_for(people.pat))
    with pytest.raises(InvalidInput):
        clinic_overview.clinic_overview(session, clock, actor_for(people.cleo), clinic="Far Clinic")
    named = clinic_overview.clinic_overview(session, clock, OPERATOR, clinic="Harbor Clinic")
    assert named.overview.people == 2
    assert len(actions(session, "clinic.overview")) == 5


def test_report_data_gathers_plan_alerts_and_scores_and_is_audited(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    fill(session, clock, "pat", 10)
    data = progress.report_data(session, clock, actor_for(people.cleo), "pat", kind="visit")
    assert data.kind == "visit" and data.name == "Pat" and data.clinicians == ("cleo",)
    assert data.plan_number is None and data.adherence is None
    assert len(data.progress.series.days) == 28
    assert len(actions(session, "report.read")) == 1
    with pytest.raises(InvalidInput):
        progress.report_data(session, clock, actor_for(people.cleo), "pat", kind="weekly")

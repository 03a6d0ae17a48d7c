"""The caseload on the real database: whose rows, their values, urgency order, no N+1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.db.engine import reader_sessions
from taperline.db.models import AuditEvent
from taperline.domain.adherence import KratomStatus
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.schemas.plans import PlanInput
from taperline.services import adherence, caseload, plans
from taperline.services.adherence import day_logs
from taperline.services.authz import AccessDenied
from taperline.services.people import add_condition
from taperline.services.uow import unit_of_work
from tests.actors import Cast, cast
from tests.factories import (
    OPERATOR,
    actor_for,
    checkin_data,
    make_clinic,
    make_user,
    submit,
    taper,
)

DIARY = {
    "into_bed": "22:30",
    "tried_to_sleep": "22:40",
    "sleep_onset_minutes": 20,
    "awakenings": 1,
    "awake_minutes": 30,
    "final_awakening": "06:30",
    "out_of_bed": "06:40",
    "quality": 3,
}


def handles(rows: list[caseload.CaseloadRow]) -> list[str]:
    return [row.handle for row in rows]


def more_people(session: Session, clock: FixedClock, people: Cast, *names: str) -> None:
    for name in names:
        make_user(session, clock, people.pat.clinic, name, Role.PERSON, clinicians=("cleo",))


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    connection = session.connection()

    def before(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def test_a_clinician_sees_only_the_people_in_their_care(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    assert handles(caseload.caseload(session, clock, actor_for(people.cleo))) == ["pat"]
    assert handles(caseload.caseload(session, clock, actor_for(people.uma))) == ["quinn"]
    assert caseload.caseload(session, clock, actor_for(people.olga)) == []  # another clinic
    assert set(handles(caseload.caseload(session, clock, OPERATOR))) >= {"pat", "quinn"}


def test_admins_and_people_have_no_caseload(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    for user in (people.ada, people.pat):
        with pytest.raises(AccessDenied):
            caseload.caseload(session, clock, actor_for(user))


def test_rows_are_sorted_by_urgency(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    more_people(session, clock, people, "rae", "sky", "tom", "uli")
    today = clock.today()
    submit(session, clock, OPERATOR, "pat", checkin_data(today))
    submit(session, clock, OPERATOR, "rae", checkin_data(today, red_flags=["red_flag.seizure"]))
    submit(session, clock, OPERATOR, "sky", checkin_data(today, used_non_prescribed_opioids=True))
    submit(session, clock, OPERATOR, "uli", checkin_data(today - dt.timedelta(days=5)))
    rows = caseload.caseload(session, clock, actor_for(people.cleo))
    assert handles(rows) == ["rae", "sky", "tom", "uli", "pat"]
    by_handle = {row.handle: row for row in rows}
    assert by_handle["rae"].highest_severity == "urgent" and by_handle["rae"].open_alerts >= 1
    assert by_handle["sky"].highest_severity == "warning"
    assert by_handle["tom"].days_since_checkin is None
    assert (by_handle["uli"].days_since_checkin, by_handle["pat"].days_since_checkin) == (5, 0)
    only = caseload.caseload(session, clock, actor_for(people.cleo), only_alerts=True)
    assert handles(only) == ["rae", "sky"]


def test_values_are_what_was_submitted(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    today = clock.today()  # pat lives in New York: 11:00 there, the same date
    start = today - dt.timedelta(days=3)
    draft = plans.draft(
        session,
        clock,
        cleo,
        "pat",
        PlanInput.model_validate({"taper": taper(start.isoformat(), 12, 6, step=0.75)}),
    )
    plans.approve(session, clock, cleo, "pat", draft.number, draft.review.needs_acknowledging)

    def kratom(grams: str) -> list[dict[str, str]]:
        return [{"category": "kratom", "form": "leaf_powder", "amount": grams, "unit": "g"}]

    submit(
        session, clock, OPERATOR, "pat", checkin_data(today - dt.timedelta(2), doses=kratom("13"))
    )
    submit(
        session,
        clock,
        OPERATOR,
        "pat",
        checkin_data(today - dt.timedelta(1), doses=kratom("11.25")),
    )
    submit(
        session,
        clock,
        OPERATOR,
        "pat",
        checkin_data(
            today,
            doses=kratom("11.25"),
            responses={
                "sows": [2] * 8 + [0] * 8,
                "craving": [3, 6],
                "phq9": [1, 1, 1, 1, 1, 1, 0, 0, 0],
                "sleep_diary": DIARY,
            },
        ),
    )
    [row] = caseload.caseload(session, clock, cleo)
    assert (row.handle, row.name) == ("pat", "Pat")
    assert row.sows is not None and (row.sows.value, row.sows.on) == (16, today)
    assert row.craving is not None and row.craving.value == 6  # the stronger of the two
    assert row.phq9 is not None and (row.phq9.value, row.phq9.band) == (6, "mild")
    assert row.sleep_efficiency is not None and row.sleep_efficiency.value == pytest.approx(85.7)
    assert str(row.planned_kratom) == "11.25 g"  # the first step, three days in
    assert row.on_target_days == 2  # 13 g is above; days without a check-in are unknown
    assert (row.last_checkin, row.days_since_checkin, row.open_alerts) == (today, 0, 0)


def test_a_person_without_checkins_or_plan_shows_nothing_not_zero(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    [row] = caseload.caseload(session, clock, actor_for(people.cleo))
    assert (row.sows, row.craving, row.phq9, row.sleep_efficiency) == (None, None, None, None)
    assert (row.last_checkin, row.days_since_checkin) == (None, None)
    assert (row.planned_kratom, row.on_target_days, row.has_plan) == (None, None, False)
    assert (row.open_alerts, row.highest_severity) == (0, None)


def test_search_by_handle_or_name_and_one_audit_row(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    more_people(session, clock, people, "rae", "sky")
    cleo = actor_for(people.cleo)
    before = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "caseload.read")
    )
    assert handles(caseload.caseload(session, clock, cleo, search="  RA ")) == ["rae"]
    assert handles(caseload.caseload(session, clock, cleo, search="%")) == []  # not a wildcard
    after = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "caseload.read")
    )
    assert (after or 0) - (before or 0) == 2
    with pytest.raises(InvalidInput) as error:
        caseload.caseload(session, clock, cleo, search="x" * 101)
    assert error.value.field == "q"


def test_the_number_of_queries_does_not_grow_with_the_caseload(
    session: Session, clock: FixedClock
) -> None:
    other = make_clinic(session, clock, "Quiet Clinic")
    small = make_user(session, clock, other, "nia", Role.CLINICIAN)
    large = make_user(session, clock, other, "oto", Role.CLINICIAN)
    make_user(session, clock, other, "p0", Role.PERSON, clinicians=("nia",))
    for index in range(1, 7):
        make_user(session, clock, other, f"p{index}", Role.PERSON, clinicians=("oto",))
    plan = PlanInput.model_validate({"taper": taper(clock.today().isoformat(), 12, 6, step=0.75)})
    for index in range(7):
        submit(session, clock, OPERATOR, f"p{index}", checkin_data(clock.today()))
        clinician = actor_for(small if index == 0 else large)
        draft = plans.draft(session, clock, clinician, f"p{index}", plan)
        plans.approve(
            session, clock, clinician, f"p{index}", draft.number, draft.review.needs_acknowledging
        )
    session.flush()
    with counted(session) as one:
        [row] = caseload.caseload(session, clock, actor_for(small))
        assert row.has_plan and row.on_target_days is not None
    with counted(session) as six:
        assert len(caseload.caseload(session, clock, actor_for(large))) == 6
    # people, latest scores, alerts, last check-ins, plans, the plan columns (4: what each
    # week holds of check-ins and of doses, then the week's check-ins and kratom doses), risk
    # (3: what each window holds, then check-ins and scores), as this test's session caches
    # nothing; and the audit row
    assert len(one) == len(six) == 13


def test_the_live_plan_check_uses_the_persons_profile_and_is_refused_outside_care(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    add_condition(session, clock, OPERATOR, "pat", "kidney_disease")
    plan = PlanInput.model_validate(
        {"regimen": [{"category": "magnesium", "amount": 250, "unit": "mg", "times": ["22:00"]}]}
    )
    cleo = actor_for(people.cleo)
    review = caseload.review_draft(session, clock, cleo, "pat", plan)
    assert review is not None
    assert "interaction.magnesium_kidney_disease" in {f.rule_id for f in review.findings}
    assert plans.review(plan).findings == ()  # without the profile it would be missed
    assert caseload.review_draft(session, clock, cleo, "pat", None) is None  # access only
    for outsider in (people.uma, people.olga, people.ada, people.pat):
        with pytest.raises(AccessDenied):
            caseload.review_draft(session, clock, actor_for(outsider), "pat", None)


def test_the_plan_editor_starts_from_the_approved_plan_and_lists_drafts(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    empty = caseload.plan_editor(session, clock, cleo, "pat")
    assert (empty.name, empty.approved, empty.drafts) == ("Pat", None, ())
    plan = PlanInput.model_validate(
        {"regimen": [{"category": "melatonin", "amount": 3, "unit": "mg", "times": ["21:30"]}]}
    )
    plans.approve(
        session, clock, cleo, "pat", plans.draft(session, clock, cleo, "pat", plan).number, []
    )
    plans.draft(session, clock, cleo, "pat", plan, "again")
    editor = caseload.plan_editor(session, clock, cleo, "pat")
    assert editor.approved is not None and editor.approved.number == 1
    assert [number for number, _ in editor.drafts] == [2]
    with pytest.raises(AccessDenied):
        caseload.plan_editor(session, clock, actor_for(people.pat), "pat")  # reads, not drafts


def test_day_logs_from_the_database_have_doses_activities_and_the_evening_bedtime(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    today = clock.today()
    yesterday = today - dt.timedelta(days=1)
    melatonin = {"category": "melatonin", "amount": "3", "unit": "mg", "time": "22:10"}
    submit(
        session,
        clock,
        OPERATOR,
        "pat",
        checkin_data(
            yesterday,
            doses=[*checkin_data(yesterday)["doses"], melatonin],
            activities={"exercise_minutes": 30, "counseling": True},
        ),
    )
    # This morning's diary tells when Pat tried to sleep last night.
    submit(
        session,
        clock,
        OPERATOR,
        "pat",
        checkin_data(today, responses={"craving": [2, 1], "sows": [0] * 16, "sleep_diary": DIARY}),
    )
    logs = day_logs(session, people.pat.id, yesterday - dt.timedelta(days=1), today)
    before, evening, now = (logs[yesterday - dt.timedelta(days=1)], logs[yesterday], logs[today])
    assert not before.checked_in and before.doses == () and before.bedtime is None
    assert evening.checked_in and evening.bedtime == dt.time(22, 40)
    assert [(d.category.value, str(d.amount), d.taken_time) for d in evening.doses] == [
        ("kratom", "2.5 g", dt.time(8)),
        ("melatonin", "3 mg", dt.time(22, 10)),
    ]
    assert evening.activities == {"exercise_minutes": 30, "counseling": True}
    assert now.checked_in and now.bedtime is None  # tonight's is not known yet


TAPER = {"taper": taper("2026-03-08", 2.75, 1, step=0.25)}  # first step: 2.5 g, this week


def approve(session: Session, clock: FixedClock, who: Cast, handle: str) -> None:
    cleo = actor_for(who.cleo)
    draft = plans.draft(session, clock, cleo, handle, PlanInput.model_validate(TAPER))
    plans.approve(session, clock, cleo, handle, draft.number, draft.review.needs_acknowledging)


def plan_cells(rows: list[caseload.CaseloadRow]) -> dict[str, tuple[object, object]]:
    return {row.handle: (row.planned_kratom, row.on_target_days) for row in rows}


def test_plan_columns_are_reused_until_the_persons_week_changes_and_are_then_right(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        who = cast(session, clock)
        approve(session, clock, who, "pat")
        for back in range(6, 0, -1):  # 2.5 g a day, the plan's step until 7 March's cut
            submit(
                session, clock, OPERATOR, "pat", checkin_data(clock.today() - dt.timedelta(back))
            )
        cleo = actor_for(who.cleo)
    with unit_of_work(sessions, clock) as session, counted(session) as first:
        before = plan_cells(caseload.caseload(session, clock, cleo))
    with unit_of_work(sessions, clock) as session, counted(session) as again:
        assert plan_cells(caseload.caseload(session, clock, cleo)) == before
    # the second reads no logs (2) and no risk rows (2): it only asks what each week holds
    assert len(again) == len(first) - 4

    # Today's check-in, on target: worked out afresh, and as the person's own adherence
    # report (which never uses the cache) says.
    with unit_of_work(sessions, clock) as session:
        submit(session, clock, OPERATOR, "pat", checkin_data(clock.today()))
    with unit_of_work(sessions, clock) as session:
        after = plan_cells(caseload.caseload(session, clock, cleo))
        report = adherence.report(session, clock, cleo, "pat", days=7).kratom
    assert before["pat"][1] == 6 and after["pat"][1] == 7
    assert after["pat"] == (report.days[-1].target, report.counts[KratomStatus.ON_TARGET])


def test_the_caseload_read_through_a_read_only_session_is_the_same(
    migrated: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        who = cast(session, clock)
        approve(session, clock, who, "pat")
        fill_days = [clock.today() - dt.timedelta(back) for back in range(5)]
        for day in fill_days:
            submit(session, clock, OPERATOR, "quinn", checkin_data(day))
            submit(session, clock, OPERATOR, "pat", checkin_data(day))
        cleo = actor_for(who.cleo)
    readers = reader_sessions(migrated.url.render_as_string(hide_password=False)) or sessions
    for _ in range(2):  # computed, then from what the first call kept
        with unit_of_work(sessions, clock) as session, readers() as reading:
            through_reader = caseload.caseload(session, clock, cleo, reading=reading)
        with sessions() as session:
            direct = caseload.caseload(session, clock, cleo)
            session.rollback()  # nothing kept from this one
        assert through_reader == direct and "pat" in handles(direct)
    with sessions() as session:  # the audit row of each read through the reader
        audited = session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "caseload.read")
        )
    assert audited == 2

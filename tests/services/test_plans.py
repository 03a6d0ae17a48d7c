"""Plans on the real database: drafting, approval rules, versions, pause and re-plan."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.models import AuditEvent, PlanVersion
from taperline.domain.errors import InvalidInput, NotFound
from taperline.schemas.plans import PlanInput, stored_content, to_content
from taperline.services import plans
from taperline.services.authz import AccessDenied
from tests import factories
from tests.actors import cast
from tests.factories import OPERATOR, actor_for, checkin_data, submit


def plan(**taper: Any) -> PlanInput:
    data: dict[str, Any] = {
        "regimen": [{"category": "melatonin", "amount": 3, "unit": "mg", "times": ["21:30"]}],
        "taper": {
            **factories.taper(
                "2026-03-16", 6, 3, step=0.25, step_days=14, times=("08:00", "20:00")
            ),
            **taper,
        },
        "activities": {"exercise_minutes_per_week": 150, "wake_time": "07:00"},
        "monitoring": {"visits": ["2026-03-30T10:00"]},
        "goals": ["Sleep through the night"],
    }
    return PlanInput.model_validate(data)


def test_a_caring_clinician_drafts_and_approves_and_the_person_sees_it(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    draft = plans.draft(session, clock, cleo, "pat", plan())
    assert (draft.number, draft.status) == (1, "draft")
    with pytest.raises(NotFound):
        plans.show(session, clock, actor_for(people.pat), "pat")  # nothing approved yet
    approved = plans.approve(session, clock, cleo, "pat", 1, [])
    assert (approved.status, approved.approved_by) == ("approved", "cleo")
    seen = plans.show(session, clock, actor_for(people.pat), "pat")
    assert seen.number == 1 and seen.review.schedule is not None
    assert str(seen.review.schedule.steps[0].daily) == "5.75 g"
    assert str(seen.review.schedule.steps[-1].daily) == "3 g"
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_type == "plan_version")
    ).all()
    assert {"plan.draft", "plan.approve", "plan.read"} <= set(actions)


def test_warnings_must_be_acknowledged_to_approve(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    plans.draft(
        session,
        clock,
        cleo,
        "pat",
        plan(step=2, long_term_use=True, target={"amount": 0, "unit": "g"}),
    )
    with pytest.raises(InvalidInput) as error:
        plans.approve(session, clock, cleo, "pat", 1, [])
    assert error.value.field == "acknowledge" and "taper.too_fast" in error.value.problem
    assert session.scalar(select(PlanVersion.status)) == "draft"
    approved = plans.approve(
        session, clock, cleo, "pat", 1, ["taper.too_fast", "taper.abrupt_stop"]
    )
    assert approved.acknowledged == ("taper.abrupt_stop", "taper.too_fast")


@pytest.mark.parametrize("who", ["uma", "olga", "ada", "pat", "quinn"])
def test_only_a_clinician_who_cares_for_the_person_may_approve(
    session: Session, clock: FixedClock, who: str
) -> None:
    people = cast(session, clock)
    plans.draft(session, clock, actor_for(people.cleo), "pat", plan())
    with pytest.raises(AccessDenied):
        plans.approve(session, clock, actor_for(getattr(people, who)), "pat", 1, [])


def test_the_operator_may_draft_but_not_approve(session: Session, clock: FixedClock) -> None:
    cast(session, clock)
    plans.draft(session, clock, OPERATOR, "pat", plan())
    with pytest.raises(AccessDenied):
        plans.approve(session, clock, OPERATOR, "pat", 1, [])


def test_a_person_and_an_unrelated_clinician_cannot_draft(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    for who in (people.pat, people.uma):
        with pytest.raises(AccessDenied):
            plans.draft(session, clock, actor_for(who), "pat", plan())


def test_versions_are_kept_superseded_and_compared(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    plans.draft(session, clock, cleo, "pat", plan())
    plans.approve(session, clock, cleo, "pat", 1, [])
    changed = plan(step_days=21)
    changed.regimen[0].amount = Decimal(5)
    plans.draft(session, clock, cleo, "pat", changed, "Slower steps; more melatonin")
    plans.approve(session, clock, cleo, "pat", 2, ["dose.melatonin_nightly_caution"][:0])
    rows = plans.versions(session, clock, cleo, "pat")
    assert [(n, s) for n, s, _ in rows] == [(1, "superseded"), (2, "approved")]
    changes = [str(c) for c in plans.compare(session, clock, cleo, "pat", 1, 2)]
    assert any(
        c.startswith("regimen: melatonin: melatonin 3 mg at 21:30 → melatonin 5 mg at 21:30")
        for c in changes
    )
    assert any(
        c.startswith("taper:") and "every 14 days" in c and "every 21 days" in c for c in changes
    )
    with pytest.raises(InvalidInput, match="not a draft"):
        plans.approve(session, clock, cleo, "pat", 1, [])


def test_the_person_never_sees_drafts(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    plans.draft(session, clock, cleo, "pat", plan())
    plans.approve(session, clock, cleo, "pat", 1, [])
    plans.draft(session, clock, cleo, "pat", plan(step_days=21))
    assert [n for n, _, _ in plans.versions(session, clock, actor_for(people.pat), "pat")] == [1]
    with pytest.raises(NotFound):
        plans.show(session, clock, actor_for(people.pat), "pat", 2)
    assert plans.show(session, clock, cleo, "pat", 2).status == "draft"


def test_a_pause_is_a_new_draft_that_holds_the_step(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    plans.draft(session, clock, cleo, "pat", plan())
    plans.approve(session, clock, cleo, "pat", 1, [])
    paused = plans.pause(session, clock, cleo, "pat", dt.date(2026, 3, 20), 7)
    assert paused.status == "draft" and paused.review.schedule is not None
    assert paused.review.schedule.steps[0].held_days == 7
    assert (
        plans.show(session, clock, actor_for(people.pat), "pat").number == 1
    )  # nothing changes until approved


def test_a_replan_starts_from_what_was_actually_taken(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    plans.draft(session, clock, cleo, "pat", plan())
    plans.approve(session, clock, cleo, "pat", 1, [])
    for back, grams in ((0, "5"), (1, "5.5"), (2, "4.6")):
        day = clock.today() - dt.timedelta(days=back)
        submit(
            session,
            clock,
            actor_for(people.pat),
            "pat",
            checkin_data(
                day,
                doses=[{"category": "kratom", "form": "leaf_powder", "amount": grams, "unit": "g"}],
            ),
        )
    replanned = plans.replan(session, clock, cleo, "pat", days=7)
    taper = replanned.data.taper
    assert taper is not None
    assert (str(taper.current.amount), taper.start) == (
        "5.00",
        clock.today() + dt.timedelta(days=1),
    )
    assert "mean of 3 logged days" in replanned.note


def test_a_bad_plan_names_the_field_and_stores_nothing(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    with pytest.raises(InvalidInput) as error:
        plans.draft(
            session, clock, actor_for(people.cleo), "pat", plan(target={"amount": 8, "unit": "g"})
        )
    assert error.value.field == "taper.target"
    with pytest.raises(InvalidInput) as error:
        plans.draft(session, clock, actor_for(people.cleo), "pat", plan(form="seven_oh"))
    assert error.value.field == "taper.form"
    assert session.scalar(select(PlanVersion.id)) is None


def test_rising_withdrawal_suggests_a_hold_and_changes_nothing(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    plans.draft(session, clock, cleo, "pat", plan())
    plans.approve(session, clock, cleo, "pat", 1, [])
    assert plans.hold_suggestions(session, people.pat.id) == []
    for back in (2, 1, 0):
        submit(
            session,
            clock,
            actor_for(people.pat),
            "pat",
            checkin_data(clock.today() - dt.timedelta(days=back), responses={"craving": [9, 0]}),
        )
    (suggestion,) = plans.hold_suggestions(session, people.pat.id)
    assert (
        "trend.craving_high" in suggestion
        and "holding" in suggestion
        and "increase" not in suggestion
    )
    assert [s for _, s, _ in plans.versions(session, clock, cleo, "pat")] == ["approved"]


def test_a_checkin_above_the_approved_plan_is_flagged(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    plans.draft(session, clock, cleo, "pat", plan(start=clock.today().isoformat()))
    plans.approve(session, clock, cleo, "pat", 1, [])
    # Step 1 of the approved plan is 5.75 g a day; 6.5 g is above it, 5.75 g is not.
    above = submit(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        checkin_data(
            clock.today(),
            doses=[{"category": "kratom", "form": "leaf_powder", "amount": "6.5", "unit": "g"}],
        ),
    )
    assert "dose.above_plan" in {f["rule"] for f in above.findings}
    on_plan = submit(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        checkin_data(
            clock.today() - dt.timedelta(days=1),
            doses=[{"category": "kratom", "form": "leaf_powder", "amount": "6", "unit": "g"}],
        ),
    )
    assert "dose.above_plan" not in {f["rule"] for f in on_plan.findings}  # before the taper: 6 g


def test_a_stored_plan_is_read_once_per_document_and_exactly_as_stored() -> None:
    stored = plan().model_dump(mode="json")
    first = stored_content(stored)
    assert first == to_content(plan())
    # The same document (keys in any order) gives the very same content and schedule back.
    assert stored_content(dict(reversed(list(stored.items())))) is first
    assert first.schedule() is first.schedule()
    # The database's JSON text, as the caseload and the safety checks read it, gives the same.
    assert stored_content(json.dumps(stored, indent=1)) == first
    assert first.schedule() == to_content(plan()).schedule()
    # A document that differs only in how a number is written is its own entry.
    other = {**stored, "taper": {**stored["taper"], "step": "0.250"}}
    assert stored_content(other) is not first
    taper = stored_content(other).taper
    assert taper is not None and taper.step.as_tuple().exponent == -3
    # A stored document that is no longer valid names the field, every time it is read.
    broken = {**stored, "taper": {**stored["taper"], "step_days": 0}}
    for _ in range(2):
        with pytest.raises(InvalidInput) as error:
            stored_content(broken)
        assert error.value.field.startswith("taper")

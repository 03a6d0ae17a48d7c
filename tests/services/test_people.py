from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.models import AuditEvent
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.types import Condition, Role
from taperline.domain.units import Amount
from taperline.services import people as service
from taperline.services.authz import AccessDenied
from tests.actors import cast
from tests.factories import OPERATOR, actor_for, checkin_data, make_clinic, make_user, submit


def test_each_actor_lists_only_whom_they_may_see(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    submit(session, clock, actor_for(people.pat), "pat", checkin_data(clock.today()))

    def handles(user: object) -> list[str]:
        actor = OPERATOR if user is None else actor_for(user)  # type: ignore[arg-type]
        return [p.handle for p in service.list_people(session, clock, actor)]

    assert handles(None) == ["pat", "quinn"]
    assert handles(people.cleo) == ["pat"]
    assert handles(people.uma) == ["quinn"]
    assert handles(people.olga) == []
    assert handles(people.pat) == ["pat"]
    assert handles(people.ada) == ["pat", "quinn"]


def test_an_admin_sees_accounts_but_no_health_data(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    submit(session, clock, actor_for(people.pat), "pat", checkin_data(clock.today()))
    (pat,) = [
        p for p in service.list_people(session, clock, actor_for(people.ada)) if p.handle == "pat"
    ]
    assert pat.last_checkin is None and pat.checkins is None
    (pat,) = service.list_people(session, clock, actor_for(people.cleo))
    assert pat.last_checkin == clock.today() and pat.checkins == 1
    with pytest.raises(AccessDenied):
        service.show_person(session, clock, actor_for(people.ada), "pat")


def test_show_person_gives_the_safety_profile_and_audits_the_read(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    service.add_condition(session, clock, cleo, "pat", "kidney_disease")
    service.add_condition(session, clock, cleo, "pat", "kidney_disease")  # recorded once
    service.add_medication(
        session,
        clock,
        cleo,
        "pat",
        name="Suboxone",
        category="moud",
        amount=Amount.parse("8", "mg"),
        schedule="each morning",
    )
    detail = service.show_person(session, clock, cleo, "pat")
    assert detail.conditions == (Condition.KIDNEY_DISEASE,)
    assert [(m.name, str(m.amount)) for m in detail.medications] == [("Suboxone", "8 mg")]
    assert detail.clinicians == ("cleo",)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.person_id == people.pat.id)
    ).all()
    assert "person.read" in actions and actions.count("profile.update") == 2


def test_a_person_may_record_their_own_medication_but_not_someone_elses(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    service.add_medication(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        name="Melatonin",
        category="melatonin",
        amount=None,
    )
    with pytest.raises(AccessDenied):
        service.add_medication(
            session,
            clock,
            actor_for(people.pat),
            "quinn",
            name="X",
            category="other_medication",
            amount=None,
        )


@pytest.mark.parametrize(
    ("handle", "field"),
    [("P", "handle"), ("1pat", "handle"), ("pat pat", "handle"), ("x", "handle")],
)
def test_bad_handles_are_refused(
    session: Session, clock: FixedClock, handle: str, field: str
) -> None:
    clinic = make_clinic(session, clock)
    with pytest.raises(InvalidInput) as error:
        make_user(session, clock, clinic, handle, Role.PERSON)
    assert error.value.field == field


def test_a_taken_handle_an_unknown_time_zone_and_a_wrong_clinician_are_refused(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    clinic = make_clinic(session, clock, "Third")
    with pytest.raises(InvalidInput, match="already taken"):
        make_user(session, clock, clinic, "pat", Role.PERSON)
    with pytest.raises(InvalidInput) as error:
        make_user(session, clock, clinic, "newt", Role.PERSON, timezone="Mars/Olympus")
    assert error.value.field == "timezone"
    with pytest.raises(InvalidInput) as error:
        make_user(session, clock, clinic, "newt", Role.PERSON, clinicians=("cleo",))
    assert error.value.field == "clinician" and "another clinic" in error.value.problem
    with pytest.raises(InvalidInput, match="is not a clinician"):
        service.assign_clinician(
            session, clock, OPERATOR, person=people.pat, clinician_handle="quinn"
        )


def test_a_clinician_may_add_a_person_but_not_a_clinician(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    clinic = session.get(type(people.cleo.clinic), people.cleo.clinic_id)
    assert clinic is not None
    service.add_account(
        session,
        clock,
        actor_for(people.cleo),
        handle="newt",
        display_name="Newt",
        role=Role.PERSON,
        clinic=clinic,
        timezone="UTC",
        clinician_handles=("cleo",),
    )
    with pytest.raises(AccessDenied):
        service.add_account(
            session,
            clock,
            actor_for(people.cleo),
            handle="nina",
            display_name="Nina",
            role=Role.CLINICIAN,
            clinic=clinic,
            timezone="UTC",
        )
    with pytest.raises(AccessDenied):
        service.add_account(
            session,
            clock,
            actor_for(people.pat),
            handle="nora",
            display_name="Nora",
            role=Role.PERSON,
            clinic=clinic,
            timezone="UTC",
        )


def test_an_unknown_handle_is_not_found(session: Session, clock: FixedClock) -> None:
    with pytest.raises(NotFound, match="nobody has the handle 'ghost'"):
        service.show_person(session, clock, OPERATOR, "ghost")

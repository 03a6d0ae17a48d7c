"""The access policy, as a table: every action for every kind of actor."""

from __future__ import annotations

import pytest

from taperline.domain.access import HEALTH_DATA, Action, Actor, Subject, can
from taperline.domain.types import Role

CLINIC, OTHER = 1, 2
PAT = 10


def user(role: Role, user_id: int, clinic: int = CLINIC) -> Actor:
    return Actor(
        label=f"user:{user_id}", source="test", user_id=user_id, role=role, clinic_id=clinic
    )


PAT_SELF = user(Role.PERSON, PAT)
QUINN = user(Role.PERSON, 11)
CLEO = user(Role.CLINICIAN, 20)
UMA = user(Role.CLINICIAN, 21)
OLGA = user(Role.CLINICIAN, 22, OTHER)
ADA = user(Role.ADMIN, 30)


def pat(cares_for: bool = False) -> Subject:
    return Subject(person_id=PAT, clinic_id=CLINIC, cares_for=cares_for)


@pytest.mark.parametrize("action", sorted(HEALTH_DATA))
def test_health_data_is_for_the_person_and_their_clinicians_only(action: Action) -> None:
    assert can(PAT_SELF, action, pat())
    assert can(CLEO, action, pat(cares_for=True))
    assert not can(UMA, action, pat(cares_for=False))
    assert not can(OLGA, action, Subject(person_id=PAT, clinic_id=CLINIC, cares_for=True))
    assert not can(QUINN, action, pat())
    assert not can(ADA, action, pat())
    assert can(Actor.operator("root"), action, pat())


def test_account_rules() -> None:
    new_person = Subject(clinic_id=CLINIC, new_role=Role.PERSON)
    new_clinician = Subject(clinic_id=CLINIC, new_role=Role.CLINICIAN)
    assert can(ADA, Action.ACCOUNT_CREATE, new_clinician)
    assert not can(ADA, Action.ACCOUNT_CREATE, Subject(clinic_id=OTHER, new_role=Role.PERSON))
    assert can(CLEO, Action.ACCOUNT_CREATE, new_person)
    assert not can(CLEO, Action.ACCOUNT_CREATE, new_clinician)
    assert not can(PAT_SELF, Action.ACCOUNT_CREATE, new_person)
    assert not can(ADA, Action.CLINIC_CREATE, Subject())


def test_only_a_named_clinician_who_cares_for_the_person_may_act_on_an_alert() -> None:
    assert can(CLEO, Action.ALERT_UPDATE, pat(cares_for=True))
    assert not can(UMA, Action.ALERT_UPDATE, pat(cares_for=False))
    assert not can(
        OLGA, Action.ALERT_UPDATE, Subject(person_id=PAT, clinic_id=CLINIC, cares_for=True)
    )
    assert not can(PAT_SELF, Action.ALERT_UPDATE, pat())
    assert not can(ADA, Action.ALERT_UPDATE, pat())
    assert not can(Actor.operator("root"), Action.ALERT_UPDATE, pat(cares_for=True))

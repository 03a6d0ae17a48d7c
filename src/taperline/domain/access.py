"""Who may do what: the whole access policy, as a pure function of facts.

The services gather the facts (is there an active care relationship? which clinic?) and ask
`can`. Nothing else in Taperline decides access.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from taperline.domain.types import Role


class Action(StrEnum):
    CLINIC_CREATE = "clinic.create"
    CLINIC_LIST = "clinic.list"
    ACCOUNT_CREATE = "account.create"
    ACCOUNT_LIST = "account.list"
    CARE_ASSIGN = "care.assign"
    PERSON_READ = "person.read"  # the person's health record: profile, scores, history
    PROFILE_UPDATE = "profile.update"  # conditions and medications
    CHECKIN_CREATE = "checkin.create"
    CHECKIN_READ = "checkin.read"
    ALERT_READ = "alert.read"
    PLAN_READ = "plan.read"
    PLAN_DRAFT = "plan.draft"
    PLAN_APPROVE = "plan.approve"  # a named clinician who cares for the person, only
    AUDIT_READ = "audit.read"  # a clinic admin reads and exports the clinic's audit log
    ALERT_UPDATE = "alert.update"  # acknowledge or resolve: a named clinician only
    CLINIC_OVERVIEW = "clinic.overview"  # aggregates over a clinic: its clinicians and admins
    CONTACT_UPDATE = "contact.update"  # how an account is reached: the account itself only
    SOS_RAISE = "sos.raise"  # "I need help now" to the care team: the person themself only
    CIRCLE_MANAGE = "circle.manage"  # invite supporters, change or end sharing: the person only
    CIRCLE_READ = "circle.read"  # who is in the circle: the person and their clinicians
    SUPPORT_VIEW = "support.view"  # what the person shares: a supporter in their circle only
    MESSAGE_READ = "message.read"  # threads with the care team: as the health record
    MESSAGE_SEND = "message.send"
    REWARD_READ = "reward.read"  # balance and history: as the health record
    REWARD_AWARD = "reward.award"  # enter a verified behaviour, redeem: the person's clinician
    REWARD_CONFIGURE = "reward.configure"  # the clinic's reward programmes: its admins, clinicians


HEALTH_DATA = frozenset(
    {
        Action.PERSON_READ,
        Action.PROFILE_UPDATE,
        Action.CHECKIN_CREATE,
        Action.CHECKIN_READ,
        Action.ALERT_READ,
        Action.PLAN_READ,
        Action.MESSAGE_READ,
        Action.MESSAGE_SEND,
        Action.REWARD_READ,
    }
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting. `operator` is someone at the machine that holds the database (the CLI
    without --as): they already hold every byte, so the policy lets them act, and the audit
    log names them."""

    label: str
    source: str
    user_id: int | None = None
    role: Role | None = None
    clinic_id: int | None = None

    @property
    def is_operator(self) -> bool:
        return self.user_id is None

    @classmethod
    def operator(cls, name: str, source: str = "cli") -> Actor:
        return cls(label=f"operator:{name}", source=source)


@dataclass(frozen=True, slots=True)
class Subject:
    """Facts about the record being touched."""

    person_id: int | None = None
    clinic_id: int | None = None
    cares_for: bool = False  # the actor is a clinician with an active care relationship
    new_role: Role | None = None  # for account.create
    supports: bool = False  # the actor is a supporter in the person's circle, now


def can(actor: Actor, action: Action, subject: Subject) -> bool:
    if action in (Action.ALERT_UPDATE, Action.PLAN_APPROVE):
        # Approving a plan and each step of an alert's lifecycle are taken by a named
        # clinician who cares for the person, never the operator.
        return (
            actor.role is Role.CLINICIAN
            and subject.clinic_id == actor.clinic_id
            and subject.cares_for
        )
    if actor.is_operator:
        return True
    same_clinic = subject.clinic_id is not None and subject.clinic_id == actor.clinic_id
    is_self = subject.person_id is not None and subject.person_id == actor.user_id
    match action:
        case Action.CLINIC_CREATE:
            return False
        case Action.CLINIC_LIST | Action.ACCOUNT_LIST | Action.CLINIC_OVERVIEW:
            return actor.role in (Role.ADMIN, Role.CLINICIAN) and same_clinic
        case Action.ACCOUNT_CREATE:
            if subject.new_role is Role.SUPPORTER:
                return False  # supporters join by the person's invitation only
            if actor.role is Role.ADMIN:
                return same_clinic
            return actor.role is Role.CLINICIAN and same_clinic and subject.new_role is Role.PERSON
        case Action.AUDIT_READ:
            return actor.role is Role.ADMIN and same_clinic
        case Action.CARE_ASSIGN:
            return actor.role in (Role.ADMIN, Role.CLINICIAN) and same_clinic
        case (
            Action.PERSON_READ
            | Action.CHECKIN_READ
            | Action.CHECKIN_CREATE
            | Action.PROFILE_UPDATE
            | Action.ALERT_READ
            | Action.PLAN_READ
            | Action.MESSAGE_READ
            | Action.MESSAGE_SEND
            | Action.REWARD_READ
            | Action.CIRCLE_READ
        ):
            if actor.role is Role.PERSON:
                return is_self
            return actor.role is Role.CLINICIAN and same_clinic and subject.cares_for
        case Action.CONTACT_UPDATE:
            return is_self
        case Action.SOS_RAISE:
            return is_self and actor.role is Role.PERSON
        case Action.CIRCLE_MANAGE:
            return is_self and actor.role is Role.PERSON
        case Action.SUPPORT_VIEW:
            return actor.role is Role.SUPPORTER and subject.supports
        case Action.REWARD_CONFIGURE:
            return actor.role in (Role.ADMIN, Role.CLINICIAN) and same_clinic
        case Action.PLAN_DRAFT | Action.REWARD_AWARD:
            return actor.role is Role.CLINICIAN and same_clinic and subject.cares_for
    return False

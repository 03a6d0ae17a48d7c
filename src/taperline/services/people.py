"""Clinics, accounts, care relationships and the safety profile."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

import email_validator
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from taperline.clock import Clock
from taperline.db.models import CareRelationship, Checkin, Clinic, Medication, PersonCondition, User
from taperline.domain.access import Action, Actor
from taperline.domain.doses import from_thousandths, to_thousandths
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.types import Category, Condition, Role, parse_enum
from taperline.domain.units import Amount
from taperline.knowledge import load
from taperline.services import audit
from taperline.services.authz import require

HANDLE = re.compile(r"^[a-z][a-z0-9_.-]{1,39}$")


@dataclass(frozen=True, slots=True)
class PersonSummary:
    id: int
    handle: str
    display_name: str
    role: Role
    clinic: str
    clinicians: tuple[str, ...]
    last_checkin: dt.date | None
    checkins: int | None  # None where the actor may not see health data


@dataclass(frozen=True, slots=True)
class MedicationView:
    id: int
    name: str
    category: Category
    amount: Amount | None
    schedule: str
    prescribed: bool
    started_on: dt.date | None
    recognised: bool = True  # False: the safety engine cannot read the name
    suggestions: tuple[str, ...] = ()  # aliases it may have meant, to confirm, never applied
    did_you_mean: str = ""


@dataclass(frozen=True, slots=True)
class PersonDetail:
    id: int
    handle: str
    display_name: str
    role: Role
    clinic: str
    timezone: str
    clinicians: tuple[str, ...]
    conditions: tuple[Condition, ...]
    medications: tuple[MedicationView, ...]
    created_at: dt.datetime


# -- clinics -----------------------------------------------------------------------------


def create_clinic(
    session: Session, clock: Clock, actor: Actor, name: str, country: str = "US"
) -> Clinic:
    require(session, actor, Action.CLINIC_CREATE)
    name = name.strip()
    if not name:
        raise InvalidInput("name", "is empty")
    country = country.strip().upper()
    configured = load().crisis
    if country not in configured:
        raise InvalidInput(
            "country",
            f"no emergency and crisis numbers are configured for '{country}' "
            f"(configured: {', '.join(sorted(configured))}); add them to knowledge/crisis.toml",
        )
    clinic = Clinic(name=name, country=country, created_at=clock.now())
    session.add(clinic)
    session.flush()
    audit.record(
        session, clock, actor, "clinic.create", resource_type="clinic", resource_id=clinic.id
    )
    return clinic


def list_clinics(session: Session) -> list[Clinic]:
    return list(session.scalars(select(Clinic).order_by(Clinic.id)))


def find_clinic(session: Session, ref: str | None) -> Clinic:
    """A clinic by id or name; with no reference, the only clinic if there is just one."""
    clinics = list_clinics(session)
    if ref is None:
        if len(clinics) == 1:
            return clinics[0]
        if not clinics:
            raise InvalidInput(
                "clinic", "there is no clinic yet: create one with `taperline clinic add NAME`"
            )
        raise InvalidInput("clinic", "there are several clinics: name one with --clinic")
    for clinic in clinics:
        if str(clinic.id) == ref.strip() or clinic.name.lower() == ref.strip().lower():
            return clinic
    raise InvalidInput("clinic", f"no clinic called '{ref}'")


# -- accounts ----------------------------------------------------------------------------


_BY_HANDLE = select(User).where(User.handle == bindparam("handle"))  # every request: built once


def find_user(session: Session, handle: str, *, field: str = "person") -> User:
    user = session.scalar(_BY_HANDLE, {"handle": handle.strip().lower()})
    if user is None:
        raise NotFound(f"{field}: nobody has the handle '{handle}'")
    return user


def add_account(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    handle: str,
    display_name: str,
    role: Role,
    clinic: Clinic,
    timezone: str,
    clinician_handles: tuple[str, ...] = (),
    email: str | None = None,
) -> User:
    require(session, actor, Action.ACCOUNT_CREATE, clinic_id=clinic.id, new_role=role)
    handle = handle.strip().lower()
    if not HANDLE.match(handle):
        raise InvalidInput(
            "handle",
            "use 2-40 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter",
        )
    if not display_name.strip():
        raise InvalidInput("name", "is empty")
    check_timezone(timezone)
    if role is not Role.PERSON and clinician_handles:
        raise InvalidInput("clinician", "only a person in recovery has clinicians")
    if session.scalar(select(User.id).where(User.handle == handle)) is not None:
        raise InvalidInput("handle", f"'{handle}' is already taken")
    user = User(
        clinic_id=clinic.id,
        role=role.value,
        handle=handle,
        display_name=display_name.strip(),
        email=check_email(email) if email else None,
        timezone=timezone,
        active=True,
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput("handle", f"'{handle}' is already taken") from None
    audit.record(
        session,
        clock,
        actor,
        "account.create",
        person_id=user.id if role is Role.PERSON else None,
        resource_type="user",
        resource_id=user.id,
        detail={"role": role.value},
    )
    for clinician_handle in clinician_handles:
        assign_clinician(session, clock, actor, person=user, clinician_handle=clinician_handle)
    return user


def check_email(address: str, field: str = "email") -> str:
    """The address, normalised, or a clear refusal. Syntax only: no DNS lookups."""
    try:
        return email_validator.validate_email(
            address.strip(), check_deliverability=False
        ).normalized
    except email_validator.EmailNotValidError as error:
        raise InvalidInput(field, f"'{address}' is not an email address: {error}") from None


def set_email(session: Session, clock: Clock, actor: Actor, handle: str, email: str | None) -> User:
    """Set or clear an account's email address: the account itself, or whoever may manage it."""
    user = find_user(session, handle)
    if actor.user_id != user.id:
        require(
            session,
            actor,
            Action.ACCOUNT_CREATE,
            clinic_id=user.clinic_id,
            new_role=Role(user.role),
        )
    user.email = check_email(email) if email else None
    audit.record(
        session,
        clock,
        actor,
        "account.email",
        person_id=user.id if user.role == Role.PERSON else None,
        resource_type="user",
        resource_id=user.id,
        detail={"set": user.email is not None},
    )
    return user


def check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "timezone", f"'{name}' is not an IANA time zone (e.g. America/New_York)"
        ) from None


def assign_clinician(
    session: Session, clock: Clock, actor: Actor, *, person: User, clinician_handle: str
) -> CareRelationship:
    require(session, actor, Action.CARE_ASSIGN, clinic_id=person.clinic_id)
    if person.role != Role.PERSON:
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    try:
        clinician = find_user(session, clinician_handle, field="clinician")
    except NotFound as missing:
        raise InvalidInput("clinician", str(missing).split(": ", 1)[1]) from None
    if clinician.role != Role.CLINICIAN:
        raise InvalidInput("clinician", f"'{clinician.handle}' is not a clinician")
    if clinician.clinic_id != person.clinic_id:
        raise InvalidInput("clinician", f"'{clinician.handle}' works in another clinic")
    existing = session.scalar(
        select(CareRelationship).where(
            CareRelationship.clinician_id == clinician.id,
            CareRelationship.person_id == person.id,
            CareRelationship.ended_at.is_(None),
        )
    )
    if existing is not None:
        return existing
    relationship = CareRelationship(
        clinician_id=clinician.id,
        person_id=person.id,
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(relationship)
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "care.assign",
        person_id=person.id,
        resource_type="care_relationship",
        resource_id=relationship.id,
        detail={"clinician": clinician.handle},
    )
    return relationship


# -- listing and reading -----------------------------------------------------------------


def list_people(session: Session, clock: Clock, actor: Actor) -> list[PersonSummary]:
    """The people the actor may see: everyone (operator), the caseload (clinician), the
    clinic's accounts without health data (admin), or oneself (person)."""
    clinician = aliased(User)
    statement = select(User).where(User.role == Role.PERSON.value).order_by(User.handle)
    shows_health = True
    if not actor.is_operator:
        if actor.role is Role.CLINICIAN:
            statement = statement.where(
                User.clinic_id == actor.clinic_id,
                User.id.in_(
                    select(CareRelationship.person_id).where(
                        CareRelationship.clinician_id == actor.user_id,
                        CareRelationship.ended_at.is_(None),
                    )
                ),
            )
        elif actor.role is Role.ADMIN:
            statement = statement.where(User.clinic_id == actor.clinic_id)
            shows_health = False
        else:
            statement = statement.where(User.id == actor.user_id)
    people = list(session.scalars(statement))
    ids = [person.id for person in people]

    care: dict[int, list[str]] = {}
    if ids:
        rows = session.execute(
            select(CareRelationship.person_id, clinician.handle)
            .join(clinician, clinician.id == CareRelationship.clinician_id)
            .where(CareRelationship.person_id.in_(ids), CareRelationship.ended_at.is_(None))
            .order_by(clinician.handle)
        )
        for person_id, handle in rows:
            care.setdefault(person_id, []).append(handle)
    stats: dict[int, tuple[dt.date | None, int]] = {}
    if ids and shows_health:
        for person_id, last, count in session.execute(
            select(Checkin.person_id, func.max(Checkin.checkin_date), func.count(Checkin.id))
            .where(Checkin.person_id.in_(ids))
            .group_by(Checkin.person_id)
        ):
            stats[person_id] = (last, count)
    audit.record(
        session,
        clock,
        actor,
        "person.list",
        resource_type="person",
        detail={"count": len(people), "health_data": shows_health},
    )
    return [
        PersonSummary(
            id=person.id,
            handle=person.handle,
            display_name=person.display_name,
            role=Role(person.role),
            clinic=person.clinic.name,
            clinicians=tuple(care.get(person.id, ())),
            last_checkin=stats.get(person.id, (None, 0))[0] if shows_health else None,
            checkins=stats.get(person.id, (None, 0))[1] if shows_health else None,
        )
        for person in people
    ]


def show_person(session: Session, clock: Clock, actor: Actor, handle: str) -> PersonDetail:
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    clinicians = session.scalars(
        select(User.handle)
        .join(CareRelationship, CareRelationship.clinician_id == User.id)
        .where(CareRelationship.person_id == person.id, CareRelationship.ended_at.is_(None))
        .order_by(User.handle)
    )
    conditions = session.scalars(
        select(PersonCondition.condition)
        .where(PersonCondition.person_id == person.id)
        .order_by(PersonCondition.condition)
    )
    medications = session.scalars(
        select(Medication)
        .where(Medication.person_id == person.id, Medication.stopped_on.is_(None))
        .order_by(Medication.id)
    )
    audit.record(
        session,
        clock,
        actor,
        "person.read",
        person_id=person.id,
        resource_type="person",
        resource_id=person.id,
    )
    return PersonDetail(
        id=person.id,
        handle=person.handle,
        display_name=person.display_name,
        role=Role(person.role),
        clinic=person.clinic.name,
        timezone=person.timezone,
        clinicians=tuple(clinicians),
        conditions=tuple(Condition(c) for c in conditions),
        medications=tuple(_medication_view(m) for m in medications),
        created_at=person.created_at,
    )


def _medication_view(medication: Medication) -> MedicationView:
    from taperline.domain.safety import substances
    from taperline.knowledge import load

    found = substances.unrecognised(load(), [(medication.name, "medication")])
    unread = found[0] if found else None
    amount = (
        from_thousandths(medication.amount_thousandths, medication.unit)
        if medication.amount_thousandths is not None and medication.unit
        else None
    )
    return MedicationView(
        id=medication.id,
        name=medication.name,
        category=Category(medication.category),
        amount=amount,
        schedule=medication.schedule,
        prescribed=medication.prescribed,
        started_on=medication.started_on,
        recognised=unread is None,
        suggestions=tuple(x.alias for x in unread.suggestions) if unread else (),
        did_you_mean=unread.did_you_mean() if unread else "",
    )


# -- safety profile ----------------------------------------------------------------------


def add_condition(
    session: Session, clock: Clock, actor: Actor, handle: str, condition: str
) -> Condition:
    person = find_user(session, handle)
    require(session, actor, Action.PROFILE_UPDATE, person=person)
    parsed = parse_enum(Condition, condition, field="condition")
    exists = session.scalar(
        select(PersonCondition.id).where(
            PersonCondition.person_id == person.id, PersonCondition.condition == parsed.value
        )
    )
    if exists is None:
        session.add(
            PersonCondition(
                person_id=person.id,
                condition=parsed.value,
                created_at=clock.now(),
                created_by_id=actor.user_id,
            )
        )
        audit.record(
            session,
            clock,
            actor,
            "profile.update",
            person_id=person.id,
            resource_type="condition",
            detail={"added": parsed.value},
        )
    return parsed


def add_medication(
    session: Session,
    clock: Clock,
    actor: Actor,
    handle: str,
    *,
    name: str,
    category: str,
    amount: Amount | None,
    schedule: str = "",
    prescribed: bool = True,
    started_on: dt.date | None = None,
) -> Medication:
    person = find_user(session, handle)
    require(session, actor, Action.PROFILE_UPDATE, person=person)
    if not name.strip():
        raise InvalidInput("name", "is empty")
    parsed_category = parse_enum(Category, category, field="category")
    medication = Medication(
        person_id=person.id,
        name=name.strip(),
        category=parsed_category.value,
        amount_thousandths=to_thousandths(amount) if amount else None,
        unit=amount.unit.value if amount else None,
        schedule=schedule.strip(),
        prescribed=prescribed,
        started_on=started_on,
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(medication)
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "profile.update",
        person_id=person.id,
        resource_type="medication",
        resource_id=medication.id,
        detail={"added": medication.name},
    )
    return medication


def local_today(person: User, clock: Clock) -> dt.date:
    """The date it is now where the person lives."""
    return clock.now().astimezone(zoneinfo.ZoneInfo(person.timezone)).date()

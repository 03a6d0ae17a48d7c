"""Submitting check-ins (idempotently) and reading a person's history."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from taperline import metrics
from taperline.clock import Clock
from taperline.db.models import Checkin, DoseLog, InstrumentResponse, User
from taperline.domain.access import Action, Actor
from taperline.domain.checkins import DoseInput, PreparedCheckin, prepare_checkin
from taperline.domain.doses import DoseEntry, from_thousandths, to_thousandths, totals_by_unit
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import Score
from taperline.domain.types import Category, CheckinKind, Role
from taperline.domain.units import Amount
from taperline.schemas.checkins import CheckinCreate
from taperline.services import audit, person_facts, rewards, safety
from taperline.services.authz import require
from taperline.services.people import find_user, local_today


@dataclass(frozen=True, slots=True)
class ScoreView:
    instrument: str
    total: int | None
    band: str | None
    metrics: dict[str, float | int | None]
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DoseView:
    category: str
    form: str | None
    product: str
    amount: Amount
    taken_on: dt.date
    taken_time: dt.time | None


@dataclass(frozen=True, slots=True)
class CheckinView:
    id: int
    person: str
    kind: CheckinKind
    checkin_date: dt.date
    created_at: dt.datetime
    created_by: str | None
    scores: tuple[ScoreView, ...]
    doses: tuple[DoseView, ...]
    note: str
    kratom_totals: tuple[Amount, ...] = ()

    def score(self, instrument: str) -> ScoreView | None:
        return next((s for s in self.scores if s.instrument == instrument), None)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    checkin: CheckinView
    created: bool  # False when an idempotency key matched an earlier identical submission
    flags: tuple[str, ...] = field(default=())
    findings: tuple[dict[str, object], ...] = field(default=())  # Finding.to_dict(), worst first


def submit_checkin(
    session: Session,
    clock: Clock,
    actor: Actor,
    submission: CheckinCreate,
    *,
    person_handle: str | None = None,
) -> SubmitResult:
    handle = person_handle or submission.person
    if not handle:
        raise InvalidInput("person", "is missing: whose check-in is this?")
    # Work that needs no stored data comes before the first statement: on SQLite the writer is
    # held from then until the commit (taperline.db.gate).
    payload_hash = _payload_hash(submission, handle.strip().lower())  # as find_user looks it up
    # Judged as of the day it is about: a back-filled check-in sees the days before it.
    subject = person_facts.check_in_subject(session, handle, submission.date)
    person = subject.person
    if person.role != Role.PERSON:
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    require(session, actor, Action.CHECKIN_CREATE, person=person)

    # A repeated idempotency key is found by the INSERT itself (ON CONFLICT DO NOTHING, no id
    # back): nearly every key is new, so no statement looks for it first.
    rated_by_clinician = actor.is_operator or actor.role is Role.CLINICIAN
    prepared = prepare_checkin(
        kind=submission.kind,
        checkin_date=submission.date,
        person_today=local_today(person, clock),
        responses=submission.responses,
        doses=[
            DoseInput(
                category=dose.category,
                form=dose.form,
                product=dose.product,
                amount=Amount.parse(dose.amount, dose.unit, field=f"doses[{index}].amount"),
                taken_on=dose.date,
                taken_time=dose.time,
            )
            for index, dose in enumerate(submission.doses)
        ],
        note=submission.note,
        rated_by_clinician=rated_by_clinician,
    )
    created_at = clock.now()
    checkin_id = _store(session, actor, person, prepared, submission, payload_hash, created_at)
    if checkin_id is None:
        # A submission with the same key is stored (earlier, or by another request just now).
        earlier = _by_key(session, person.id, submission.idempotency_key or "")
        if earlier is None:
            raise InvalidInput(
                "idempotency_key", "is in use by another submission right now; please try again"
            )
        return _replay(session, clock, actor, person, earlier, payload_hash)
    rewards.on_checkin(
        session,
        clock,
        actor,
        person,
        checkin_id=checkin_id,
        checkin_date=prepared.checkin_date,
        kind=submission.kind,
        enrolled=subject.enrolled,
    )
    findings = safety.evaluate_checkin(
        session,
        clock,
        actor,
        person,
        safety.NewCheckin(
            id=checkin_id,
            prepared=prepared,
            red_flags=frozenset(submission.red_flags),
            used_non_prescribed_opioids=submission.used_non_prescribed_opioids,
        ),
        prepared.checkin_date,
        facts=subject.facts,
        window=subject.window,
    )
    audit.record(
        session,
        clock,
        actor,
        "checkin.create",
        person_id=person.id,
        resource_type="checkin",
        resource_id=checkin_id,
        detail={
            "instruments": [s.instrument_id for s in prepared.scores],
            "doses": len(prepared.doses),
        },
    )
    metrics.count_on_commit(session, metrics.CHECKINS, submission.kind)
    return SubmitResult(
        checkin=_new_view(
            checkin_id,
            person.handle,
            _creator(session, actor.user_id, person),
            prepared,
            created_at,
        ),
        created=True,
        flags=prepared.flags,
        findings=tuple(finding.to_dict() for finding in findings),
    )


# The rows of a check-in go in with statements built once (plain INSERTs, one RETURNING id):
# the ORM's unit of work costs more than everything else a check-in does.
_INSERT_RESPONSES = insert(cast(Table, InstrumentResponse.__table__))
_INSERT_DOSES = insert(cast(Table, DoseLog.__table__))


@cache
def _insert_checkin(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: no id back means another submission with
    the same idempotency key was stored first (the only unique key a new check-in can meet)."""
    upsert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = Checkin.__table__
    return upsert(table).on_conflict_do_nothing().returning(table.c.id)


def _store(
    session: Session,
    actor: Actor,
    person: User,
    prepared: PreparedCheckin,
    submission: CheckinCreate,
    payload_hash: str,
    created_at: dt.datetime,
) -> int | None:
    """Insert the check-in, its scores and its doses; its id, or None if its key was taken."""
    made = {"created_at": created_at, "created_by_id": actor.user_id}
    checkin_row: dict[str, Any] = {
        "person_id": person.id,
        "kind": prepared.kind.value,
        "checkin_date": prepared.checkin_date,
        "idempotency_key": submission.idempotency_key,
        "payload_hash": payload_hash,
        "note": prepared.note,
        "red_flags": sorted(set(submission.red_flags)),
        "used_non_prescribed_opioids": submission.used_non_prescribed_opioids,
        "activities": submission.activities.model_dump(exclude_none=True),
        **made,
    }
    insert_checkin = _insert_checkin(session.get_bind().dialect.name)
    checkin_id: int | None = session.execute(insert_checkin, checkin_row).scalar()
    if checkin_id is None:
        return None
    if prepared.scores:
        session.execute(
            _INSERT_RESPONSES,
            [
                {
                    "checkin_id": checkin_id,
                    "instrument_id": score.instrument_id,
                    "instrument_version": score.instrument_version,
                    "answers": dict(score.answers),
                    "total": score.total,
                    "band": score.band,
                    "positive_screen": score.positive_screen,
                    "metrics": dict(score.metrics),
                    "flags": list(score.flags),
                    **made,
                }
                for score in prepared.scores
            ],
        )
    if prepared.doses:
        session.execute(
            _INSERT_DOSES,
            [
                {
                    "person_id": person.id,
                    "checkin_id": checkin_id,
                    "category": dose.category.value,
                    "form": dose.form,
                    "product": dose.product,
                    "amount_thousandths": to_thousandths(
                        dose.amount, field=f"doses[{index}].amount"
                    ),
                    "unit": dose.amount.unit.value,
                    "taken_on": dose.taken_on,
                    "taken_time": dose.taken_time,
                    **made,
                }
                for index, dose in enumerate(prepared.doses)
            ],
        )
    return checkin_id


def _replay(
    session: Session, clock: Clock, actor: Actor, person: User, earlier: Checkin, payload_hash: str
) -> SubmitResult:
    if earlier.payload_hash != payload_hash:
        raise InvalidInput(
            "idempotency_key",
            f"was already used for a different check-in (stored for {earlier.checkin_date}); "
            "use a new key for a new check-in",
        )
    audit.record(
        session,
        clock,
        actor,
        "checkin.replay",
        person_id=person.id,
        resource_type="checkin",
        resource_id=earlier.id,
    )
    flags = tuple(flag for response in earlier.responses for flag in response.flags)
    return SubmitResult(
        checkin=_view(earlier, person.handle, _creator(session, earlier.created_by_id, person)),
        created=False,
        flags=flags,
        findings=tuple(safety.stored_findings(session, earlier.id)),
    )


_ID_BY_KEY = select(Checkin.__table__.c.id).where(
    Checkin.__table__.c.person_id == bindparam("person_id"),
    Checkin.__table__.c.idempotency_key == bindparam("key"),
)


def _by_key(session: Session, person_id: int, key: str) -> Checkin | None:
    # Nearly every key is new: look for the id alone (a statement built once), and load the
    # check-in only on a match.
    found = session.execute(_ID_BY_KEY, {"person_id": person_id, "key": key}).scalar()
    if found is None:
        return None
    return session.scalar(
        select(Checkin)
        .options(selectinload(Checkin.responses), selectinload(Checkin.doses))
        .where(Checkin.id == found)
    )


def _payload_hash(submission: CheckinCreate, handle: str) -> str:
    payload = submission.model_dump(mode="json", exclude={"idempotency_key", "person"})
    payload["person"] = handle
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


_HANDLE_BY_ID = select(User.__table__.c.handle).where(User.__table__.c.id == bindparam("id"))


def _creator(session: Session, created_by_id: int | None, person: User) -> str | None:
    if created_by_id is None:
        return None
    if created_by_id == person.id:
        return person.handle  # their own check-in: no query
    handle: str | None = session.execute(_HANDLE_BY_ID, {"id": created_by_id}).scalar()
    return handle


def history(
    session: Session, clock: Clock, actor: Actor, handle: str, *, days: int = 14
) -> list[CheckinView]:
    """The person's check-ins of the last `days` days (their local calendar), newest first."""
    if days < 1 or days > 3660:
        raise InvalidInput("days", "must be between 1 and 3660")
    person = find_user(session, handle)
    require(session, actor, Action.CHECKIN_READ, person=person)
    since = local_today(person, clock) - dt.timedelta(days=days - 1)
    creators: dict[int, str] = {}
    checkins = list(
        session.scalars(
            select(Checkin)
            .options(selectinload(Checkin.responses), selectinload(Checkin.doses))
            .where(Checkin.person_id == person.id, Checkin.checkin_date >= since)
            .order_by(Checkin.checkin_date.desc(), Checkin.id.desc())
        )
    )
    creator_ids = {c.created_by_id for c in checkins if c.created_by_id is not None}
    if creator_ids:
        rows = session.execute(select(User.id, User.handle).where(User.id.in_(creator_ids)))
        creators = {user_id: user_handle for user_id, user_handle in rows}  # noqa: C416 - Result has .keys()
    audit.record(
        session,
        clock,
        actor,
        "checkin.read",
        person_id=person.id,
        resource_type="checkin",
        detail={"days": days, "count": len(checkins)},
    )
    return [
        _view(c, person.handle, creators.get(c.created_by_id) if c.created_by_id else None)
        for c in checkins
    ]


def _new_view(
    checkin_id: int,
    handle: str,
    creator: str | None,
    prepared: PreparedCheckin,
    created_at: dt.datetime,
) -> CheckinView:
    """The view of a check-in just stored, from what was stored (no reading back): the same
    view `history` gives of it, amounts included (stored as exact thousandths)."""
    return _build_view(
        id=checkin_id,
        handle=handle,
        kind=prepared.kind,
        checkin_date=prepared.checkin_date,
        created_at=created_at,
        creator=creator,
        scores=[_score_view(score) for score in prepared.scores],
        doses=[
            DoseView(
                category=dose.category.value,
                form=dose.form,
                product=dose.product,
                amount=from_thousandths(to_thousandths(dose.amount), dose.amount.unit.value),
                taken_on=dose.taken_on,
                taken_time=dose.taken_time,
            )
            for dose in prepared.doses
        ],
        note=prepared.note,
    )


def _view(checkin: Checkin, handle: str, creator: str | None) -> CheckinView:
    return _build_view(
        id=checkin.id,
        handle=handle,
        kind=CheckinKind(checkin.kind),
        checkin_date=checkin.checkin_date,
        created_at=checkin.created_at,
        creator=creator,
        scores=[_score_view(response) for response in checkin.responses],
        doses=[
            DoseView(
                category=d.category,
                form=d.form,
                product=d.product,
                amount=from_thousandths(d.amount_thousandths, d.unit),
                taken_on=d.taken_on,
                taken_time=d.taken_time,
            )
            for d in checkin.doses
        ],
        note=checkin.note,
    )


def _score_view(score: Score | InstrumentResponse) -> ScoreView:
    """As scored (a check-in just stored) or as stored: the two have the same fields."""
    return ScoreView(
        instrument=score.instrument_id,
        total=score.total,
        band=score.band,
        metrics=dict(score.metrics),
        flags=tuple(score.flags),
    )


def _build_view(
    *,
    id: int,  # noqa: A002 - the view's field
    handle: str,
    kind: CheckinKind,
    checkin_date: dt.date,
    created_at: dt.datetime,
    creator: str | None,
    scores: list[ScoreView],
    doses: list[DoseView],
    note: str,
) -> CheckinView:
    entries = [
        DoseEntry(Category(d.category), d.form, d.product, d.amount, d.taken_on, d.taken_time)
        for d in doses
    ]
    return CheckinView(
        id=id,
        person=handle,
        kind=kind,
        checkin_date=checkin_date,
        created_at=created_at,
        created_by=creator,
        scores=tuple(scores),
        doses=tuple(doses),
        note=note,
        kratom_totals=tuple(totals_by_unit(entries, Category.KRATOM)),
    )


def store_history(
    session: Session,
    actor: Actor,
    person: User,
    prepared: PreparedCheckin,
    submission: CheckinCreate,
    created_at: dt.datetime,
) -> int:
    """A check-in of a record brought from another clinic (services.fhir_record): stored as
    it was answered (the database folds it into the person's status). The safety engine does
    not judge it again here: the alerts it raised there come with the record."""
    payload_hash = _payload_hash(submission, person.handle)
    checkin_id = _store(session, actor, person, prepared, submission, payload_hash, created_at)
    if checkin_id is None:
        raise InvalidInput("idempotency_key", "this check-in is in the record twice")
    return checkin_id

"""Audit rows, written in the same transaction as the read or write they describe."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import AuditEvent, User
from taperline.domain.access import Action, Actor
from taperline.services.authz import require

_INSERT = insert(cast(Table, AuditEvent.__table__))


def record(
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    *,
    person_id: int | None = None,
    resource_type: str,
    resource_id: object = None,
    outcome: str = "allowed",
    detail: dict[str, Any] | None = None,
) -> None:
    # A plain INSERT, built once: every request writes one, and the ORM's unit of work would
    # cost more than the row.
    session.execute(
        _INSERT,
        {
            "occurred_at": clock.now(),
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "action": action,
            "person_id": person_id,
            "resource_type": resource_type,
            "resource_id": None if resource_id is None else str(resource_id),
            "outcome": outcome,
            "source": actor.source,
            "detail": detail or {},
        },
    )


def events_for_person(session: Session, person_id: int, limit: int = 100) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.person_id == person_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))


def clinic_log(
    session: Session, clock: Clock, actor: Actor, *, limit: int = 500
) -> list[AuditEvent]:
    """A clinic admin's view of the audit log: events by or about the clinic's accounts.

    Admins manage accounts and read the log; they do not read health data, and the log holds
    none (actions, ids and outcomes only)."""
    require(session, actor, Action.AUDIT_READ, clinic_id=actor.clinic_id)
    members = (
        select(User.id).where(User.clinic_id == actor.clinic_id)
        if not actor.is_operator
        else select(User.id)
    )
    statement = (
        select(AuditEvent)
        .where(or_(AuditEvent.actor_id.in_(members), AuditEvent.person_id.in_(members)))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(max(1, min(limit, 100_000)))
    )
    events = list(session.scalars(statement))
    record(
        session, clock, actor, "audit.read", resource_type="audit", detail={"count": len(events)}
    )
    return events


CSV_HEADER = (
    "occurred_at",
    "actor",
    "action",
    "person_id",
    "resource",
    "resource_id",
    "outcome",
    "from",
)


def to_csv(events: list[AuditEvent]) -> str:
    """The audit log as CSV, one event a row (the same for the admin page and the CLI)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for e in events:
        writer.writerow(
            [
                e.occurred_at.isoformat(),
                e.actor_label,
                e.action,
                e.person_id or "",
                e.resource_type,
                e.resource_id or "",
                e.outcome,
                e.source,
            ]
        )
    return buffer.getvalue()

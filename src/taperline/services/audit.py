"""Audit rows, written in the same transaction as the read or write they describe."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import AuditEvent
from taperline.domain.access import Actor


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
    session.add(
        AuditEvent(
            occurred_at=clock.now(),
            actor_id=actor.user_id,
            actor_label=actor.label,
            action=action,
            person_id=person_id,
            resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id),
            outcome=outcome,
            source=actor.source,
            detail=detail or {},
        )
    )


def events_for_person(session: Session, person_id: int, limit: int = 100) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.person_id == person_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))

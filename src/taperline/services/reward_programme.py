"""The clinic's reward programme: versioned rules for what each verifiable behaviour earns,
set by its clinicians or admins, audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import RewardProgramme
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput
from taperline.domain.rewards import (
    Behaviour,
    Rule,
    Unit,
    check_note,
    check_rules,
    parse_behaviour,
    parse_unit,
)
from taperline.services import audit
from taperline.services.authz import require

MAX_ENTRIES_SHOWN = 500


@dataclass(frozen=True, slots=True)
class ProgrammeView:
    id: int
    name: str
    unit: Unit
    unit_note: str
    rules: tuple[Rule, ...]
    created_at: dt.datetime

    def rule(self, behaviour: Behaviour) -> Rule | None:
        return next((r for r in self.rules if r.behaviour is behaviour), None)


def _to_view(row: RewardProgramme) -> ProgrammeView:
    return ProgrammeView(
        id=row.id,
        name=row.name,
        unit=Unit(row.unit),
        unit_note=row.unit_note,
        rules=tuple(
            Rule(
                behaviour=Behaviour(r["behaviour"]),
                first=int(r["first"]),
                step=int(r.get("step", 0)),
                cap=int(r.get("cap", 0)),
                bonus_every=int(r.get("bonus_every", 0)),
                bonus=int(r.get("bonus", 0)),
            )
            for r in row.rules
        ),
        created_at=row.created_at,
    )


def _active(session: Session, clinic_id: int) -> RewardProgramme | None:
    return session.scalar(
        select(RewardProgramme)
        .where(RewardProgramme.clinic_id == clinic_id, RewardProgramme.retired_at.is_(None))
        .order_by(RewardProgramme.id.desc())
        .limit(1)
    )


def _clinic_of(actor: Actor) -> int:
    if actor.clinic_id is None:
        raise InvalidInput("as", "a reward programme belongs to a clinic: act as one of its staff")
    return actor.clinic_id


def current_programme(session: Session, clock: Clock, actor: Actor) -> ProgrammeView | None:
    clinic_id = _clinic_of(actor)
    require(session, actor, Action.REWARD_CONFIGURE, clinic_id=clinic_id)
    row = _active(session, clinic_id)
    audit.record(
        session,
        clock,
        actor,
        "reward.programme_read",
        resource_type="reward_programme",
        resource_id=row.id if row else None,
    )
    return _to_view(row) if row else None


def rule_from(raw: dict[str, Any], index: int) -> Rule:
    """A rule from user input (API body, form or CLI), with the field named on error."""
    behaviour = parse_behaviour(str(raw.get("behaviour", "")), field=f"rules[{index}].behaviour")
    numbers: dict[str, int] = {}
    for name in ("first", "step", "cap", "bonus_every", "bonus"):
        value = raw.get(name, 0)
        if isinstance(value, str):
            value = value.strip() or "0"
            if not value.isdigit():
                raise InvalidInput(f"rules[{index}].{name}", "must be a whole number, 0 or more")
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(f"rules[{index}].{name}", "must be a whole number, 0 or more")
        numbers[name] = value
    return Rule(behaviour=behaviour, **numbers)


def configure(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    name: str,
    unit: str,
    unit_note: str,
    rules: list[Rule],
) -> ProgrammeView:
    """Set the clinic's programme: a new version; awards from now on follow it."""
    clinic_id = _clinic_of(actor)
    require(session, actor, Action.REWARD_CONFIGURE, clinic_id=clinic_id)
    cleaned_name = " ".join(name.split())
    if not cleaned_name or len(cleaned_name) > 200:
        raise InvalidInput("name", "give the programme a name of up to 200 characters")
    parsed_unit = parse_unit(unit)
    note = check_note(unit_note, required=False)
    checked = check_rules(rules)
    now = clock.now()
    old = _active(session, clinic_id)
    if old is not None:
        old.retired_at = now
    row = RewardProgramme(
        clinic_id=clinic_id,
        name=cleaned_name,
        unit=parsed_unit.value,
        unit_note=note,
        rules=[
            {
                "behaviour": r.behaviour.value,
                "first": r.first,
                "step": r.step,
                "cap": r.cap,
                "bonus_every": r.bonus_every,
                "bonus": r.bonus,
            }
            for r in checked
        ],
        created_at=now,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "reward.configure",
        resource_type="reward_programme",
        resource_id=row.id,
        detail={"replaces": old.id if old else None, "rules": row.rules, "unit": row.unit},
    )
    return _to_view(row)

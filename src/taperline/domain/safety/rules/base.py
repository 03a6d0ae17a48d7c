"""What every rule family receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from taperline.domain.doses import DoseEntry
from taperline.domain.safety.context import CheckinEvent, SafetyContext
from taperline.domain.safety.findings import Finding, make_finding
from taperline.domain.safety.knowledge import CrisisContacts, Knowledge
from taperline.domain.safety.substances import Present


@dataclass(frozen=True, slots=True)
class Facts:
    context: SafetyContext
    knowledge: Knowledge
    crisis: CrisisContacts
    present: tuple[Present, ...]

    @property
    def checkin(self) -> CheckinEvent | None:
        event = self.context.event
        return event if isinstance(event, CheckinEvent) else None

    @property
    def doses(self) -> tuple[DoseEntry, ...]:
        return self.checkin.doses if self.checkin else ()

    def param(self, rule_id: str, name: str) -> Decimal:
        return self.knowledge.param(rule_id, name)

    def finding(
        self,
        rule_id: str,
        *,
        involved: tuple[str, ...] = (),
        values: Mapping[str, object] | None = None,
        detail: str = "",
    ) -> Finding:
        return make_finding(
            self.knowledge,
            self.knowledge.rule(rule_id),
            self.crisis,
            involved=involved,
            values=values,
            detail=detail,
        )


def number(value: Decimal) -> str:
    """A plain number for messages: 22.5, 20, 0.25."""
    text = format(value.normalize(), "f")
    return text

"""Property: for any valid context the engine returns a well-formed, ordered result."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from taperline.domain.doses import DoseEntry
from taperline.domain.instruments.registry import get
from taperline.domain.safety.context import (
    CheckinEvent,
    DayRecord,
    MedicationFact,
    PlanChange,
    Profile,
    SafetyContext,
)
from taperline.domain.safety.engine import evaluate
from taperline.domain.safety.knowledge import Severity
from taperline.domain.types import Category, Condition, KratomForm
from taperline.domain.units import Amount, Unit
from taperline.knowledge import load

TODAY = dt.date(2026, 3, 14)
KNOWLEDGE = load()
ALIASES = sorted({a for s in KNOWLEDGE.substances.values() for a in s.aliases})
RED_FLAGS = [f.rule.id for f in KNOWLEDGE.red_flags]

amounts = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(200), places=3)


@st.composite
def doses(draw: st.DrawFn) -> DoseEntry:
    category = draw(st.sampled_from(list(Category)))
    form: str | None = None
    unit = Unit.MG
    if category is Category.KRATOM:
        form = draw(st.sampled_from(list(KratomForm))).value
        unit = Unit.CAPSULE if form == "capsules" else Unit.G
    elif category in (Category.MOUD, Category.OTHER_MEDICATION):
        unit = draw(st.sampled_from([Unit.MG, Unit.TABLET, Unit.ML]))
    return DoseEntry(
        category, form, draw(st.sampled_from(["", *ALIASES])), Amount(draw(amounts), unit), TODAY
    )


days = st.builds(
    DayRecord,
    date=st.integers(min_value=0, max_value=27).map(lambda n: TODAY - dt.timedelta(days=n)),
    checked_in=st.booleans(),
    kratom_grams=st.none() | amounts,
    sows=st.none() | st.integers(0, 64),
    craving=st.none() | st.integers(0, 10),
    sleep_efficiency=st.none() | st.floats(0, 100),
    cows=st.none() | st.integers(0, 48),
)
scores = st.lists(st.integers(0, 3), min_size=9, max_size=9).map(lambda a: get("phq9").score(a))
checkins = st.builds(
    CheckinEvent,
    date=st.just(TODAY),
    doses=st.lists(doses(), max_size=6).map(tuple),
    scores=st.lists(scores, max_size=1).map(tuple),
    red_flags=st.frozensets(st.sampled_from(RED_FLAGS), max_size=3),
    used_non_prescribed_opioids=st.booleans(),
)
changes = st.builds(
    lambda before, after, original, step, long: PlanChange(
        Amount(before, Unit.G), Amount(after, Unit.G), Amount(original, Unit.G), step, long
    ),
    amounts,
    amounts | st.just(Decimal(0)),
    amounts,
    st.integers(1, 60),
    st.booleans(),
)
contexts = st.builds(
    SafetyContext,
    today=st.just(TODAY),
    profile=st.builds(
        Profile,
        conditions=st.frozensets(st.sampled_from(list(Condition))),
        medications=st.lists(
            st.builds(MedicationFact, st.sampled_from(ALIASES), st.booleans()), max_size=4
        ).map(tuple),
    ),
    event=st.none() | checkins | changes,
    history=st.lists(days, max_size=28, unique_by=lambda d: d.date).map(
        lambda ds: tuple(sorted(ds, key=lambda d: d.date))
    ),
)


@settings(max_examples=300, deadline=None)
@given(contexts)
def test_the_engine_always_returns_a_well_formed_ordered_result(context: SafetyContext) -> None:
    findings = evaluate(context, KNOWLEDGE)
    assert findings == sorted(findings, key=lambda f: f.sort_key)
    assert len({(f.rule_id, f.involved) for f in findings}) == len(findings)
    for finding in findings:
        assert finding.rule_id in KNOWLEDGE.rules
        assert isinstance(finding.severity, Severity)
        assert finding.person_message and "{" not in finding.person_message
        assert finding.clinician_message and "{" not in finding.clinician_message
        assert finding.citations
    assert evaluate(context, KNOWLEDGE) == findings  # deterministic

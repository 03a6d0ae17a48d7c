"""The engine inside the check-in transaction; alerts and their lifecycle; on the real DB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.db.models import Alert, AuditEvent, Checkin, Finding
from taperline.domain.checkins import DoseInput, prepare_checkin
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.safety.context import MedicationFact
from taperline.domain.types import Condition
from taperline.domain.units import Amount
from taperline.schemas.checkins import CheckinCreate
from taperline.services import person_facts, plans, rewards, safety
from taperline.services.authz import AccessDenied
from taperline.services.people import add_condition, add_medication, find_user
from taperline.services.uow import unit_of_work
from tests.actors import cast
from tests.factories import OPERATOR, actor_for, checkin_data, submit
from tests.services import test_plans, test_rewards


def rules(result: object) -> set[str]:
    return {str(f["rule"]) for f in result.findings}  # type: ignore[attr-defined]


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_checkin_is_stored_with_its_findings_and_alerts(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    data = checkin_data(
        clock.today(),
        responses={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 2]},
        doses=[{"category": "kratom", "form": "leaf_powder", "amount": "22", "unit": "g"}],
    )
    result = submit(session, clock, actor_for(people.pat), "pat", data)
    fired = rules(result)
    assert {
        "red_flag.suicidal_thoughts",
        "dose.kratom_single_dose",
        "dose.kratom_daily_escalate",
    } <= fired
    first = result.findings[0]
    assert first["severity"] == "urgent" and "988" in str(first["person_message"])
    stored = session.scalars(
        select(Finding.rule_id).where(Finding.checkin_id == result.checkin.id)
    ).all()
    assert set(stored) == fired
    alerts = session.scalars(select(Alert).where(Alert.person_id == people.pat.id)).all()
    assert {a.rule_id for a in alerts} == {
        f for f in fired if f.startswith(("red_flag.", "dose.kratom_daily_escalate"))
    }
    assert all(a.status == "open" for a in alerts)


def test_a_checkin_is_never_stored_without_its_findings(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        cast(session, clock)
    bad = checkin_data(clock.today(), red_flags=["red_flag.not_a_real_flag"])
    with pytest.raises(InvalidInput) as error, unit_of_work(sessions, clock) as session:
        submit(session, clock, actor_for(find_user(session, "pat")), "pat", bad)
    assert error.value.field == "red_flags"
    with sessions() as session:
        assert (
            count(session, Checkin) == 0
            and count(session, Finding) == 0
            and count(session, Alert) == 0
        )


def test_findings_are_committed_with_their_checkin(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        cast(session, clock)
        data = checkin_data(clock.today(), red_flags=["red_flag.seizure"])
        result = submit(session, clock, actor_for(find_user(session, "pat")), "pat", data)
    with sessions() as session:
        checkin_ids = set(session.scalars(select(Finding.checkin_id)).all())
        assert checkin_ids == {result.checkin.id}
        assert session.get(Checkin, result.checkin.id) is not None
        assert session.scalar(select(Alert.rule_id)) == "red_flag.seizure"


def test_the_same_rule_on_the_same_day_is_one_alert(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    for key in ("morning-1234", "evening-1234"):
        submit(
            session,
            clock,
            actor_for(people.pat),
            "pat",
            checkin_data(clock.today(), idempotency_key=key, red_flags=["red_flag.seizure"]),
        )
    assert count(session, Alert) == 1
    yesterday = clock.today() - dt.timedelta(days=1)
    submit(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        checkin_data(yesterday, red_flags=["red_flag.seizure"]),
    )
    assert count(session, Alert) == 2


def test_a_replayed_checkin_returns_its_stored_findings(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    data = checkin_data(
        clock.today(), idempotency_key="retry-12345", red_flags=["red_flag.seizure"]
    )
    first = submit(session, clock, actor_for(people.pat), "pat", data)
    again = submit(session, clock, actor_for(people.pat), "pat", data)
    assert not again.created and rules(again) == rules(first)
    assert count(session, Finding) == len(first.findings)


def test_the_profile_feeds_interactions(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    add_condition(session, clock, cleo, "pat", "kidney_disease")
    add_medication(
        session, clock, cleo, "pat", name="Xanax", category="other_medication", amount=None
    )
    data = checkin_data(
        clock.today(),
        doses=[
            {"category": "kratom", "form": "leaf_powder", "amount": "2", "unit": "g"},
            {"category": "magnesium", "form": "citrate", "amount": "200", "unit": "mg"},
        ],
    )
    fired = rules(submit(session, clock, actor_for(people.pat), "pat", data))
    assert "interaction.magnesium_kidney_disease" in fired
    assert "interaction.kratom_benzodiazepine" in fired


def test_the_check_in_reads_the_person_and_their_facts_in_one_statement(
    session: Session, clock: FixedClock
) -> None:
    """check_in_subject folds the plan, the profile and the enrolment into the person's row;
    it must agree with reading each of them on its own, for a person with everything and for
    one with nothing."""
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    today = clock.today()
    assert person_facts.check_in_subject(session, " PAT ", today).facts == person_facts.facts_of(
        session, people.pat.id
    )
    bare = person_facts.check_in_subject(session, "pat", today)
    assert (bare.enrolled, bare.facts.content, bare.facts.profile.conditions) == (
        False,
        None,
        frozenset(),
    )
    add_condition(session, clock, cleo, "pat", "kidney_disease")
    add_condition(session, clock, cleo, "pat", "liver_disease")
    add_medication(
        session, clock, cleo, "pat", name="Xanax", category="other_medication", amount=None
    )
    add_medication(
        session,
        clock,
        cleo,
        "pat",
        name='Poppy: "seed",\x1ftea',  # punctuation and a control character, kept as given
        category="other_medication",
        amount=None,
        prescribed=False,
    )
    stopped = add_medication(
        session, clock, cleo, "pat", name="Gabapentin", category="other_medication", amount=None
    )
    stopped.stopped_on = clock.today()
    plans.draft(session, clock, cleo, "pat", test_plans.plan())
    plans.approve(session, clock, cleo, "pat", 1, [])
    rewards.configure(
        session,
        clock,
        cleo,
        name="Vouchers",
        unit="voucher_cents",
        unit_note="",
        rules=test_rewards.RULES,
    )
    rewards.enrol(session, clock, cleo, "pat", on=True)
    session.flush()

    subject = person_facts.check_in_subject(session, "pat", today)
    assert subject.person.id == people.pat.id and subject.enrolled
    alone = person_facts.facts_of(session, people.pat.id)
    assert subject.facts.content == alone.content
    assert subject.facts.profile.conditions == alone.profile.conditions
    assert set(subject.facts.profile.medications) == set(alone.profile.medications)
    assert subject.facts.content is not None
    assert subject.facts.profile.conditions == {Condition.KIDNEY_DISEASE, Condition.LIVER_DISEASE}
    assert set(subject.facts.profile.medications) == {
        MedicationFact('Poppy: "seed",\x1ftea', False),
        MedicationFact("Xanax", True),
    }
    with pytest.raises(NotFound, match="nobody has the handle 'nobody'"):
        person_facts.check_in_subject(session, "nobody", today)


def test_a_check_in_is_judged_over_the_window_it_joins(session: Session, clock: FixedClock) -> None:
    """The check-in reads its window before its own rows go in and adds them itself
    (person_facts.joined): that must be what reading the window after storing it gives."""
    people = cast(session, clock)
    pat = actor_for(people.pat)
    today = clock.today()
    kratom = {"category": "kratom", "form": "leaf_powder", "amount": "3", "unit": "g"}
    for back in (25, 3, 1):  # the first is outside the 21 days
        day = today - dt.timedelta(days=back)
        data = checkin_data(day, responses={"craving": [5, 1], "sleep_diary": POOR_NIGHT})
        submit(session, clock, pat, "pat", {**data, "doses": [kratom]})
    before = person_facts.check_in_subject(session, "pat", today).window
    assert before == person_facts.window_of(session, people.pat.id, today)
    assert sorted({day for day, *_ in before.scores}) == [
        today - dt.timedelta(days=n) for n in (3, 1)
    ]

    doses = [
        {**kratom, "amount": "2.125", "time": "08:00"},
        {"category": "melatonin", "amount": "3", "unit": "mg", "time": "21:30"},
        {**kratom, "date": (today - dt.timedelta(days=2)).isoformat()},  # an earlier day's
    ]
    data = checkin_data(
        today,
        responses={"craving": [8, 2], "sleep_diary": POOR_NIGHT, "phq9": [0] * 9},
        doses=doses,
    )
    submission = CheckinCreate.model_validate(data)
    prepared = prepare_checkin(
        kind=submission.kind,
        checkin_date=submission.date,
        person_today=today,
        responses=submission.responses,
        doses=[
            DoseInput(d.category, d.form, d.product, Amount.parse(d.amount, d.unit), d.date, d.time)
            for d in submission.doses
        ],  # fmt: skip
        note="",
        rated_by_clinician=False,
    )
    submit(session, clock, pat, "pat", data)
    after = person_facts.window_of(session, people.pat.id, today)
    day_doses, whole = person_facts.joined(before, prepared)
    assert person_facts.records(whole) == person_facts.records(after)
    assert day_doses == tuple(d for d in after.doses if d.taken_on == today)
    assert [(d.category.value, d.amount.value) for d in day_doses] == [
        ("kratom", Decimal("2.125")),
        ("melatonin", Decimal("3")),
    ]
    history = person_facts.records(whole)
    assert [d.date for d in history] == [today - dt.timedelta(days=n) for n in (3, 2, 1, 0)]
    assert history[-1].craving == 8 and history[-1].kratom_grams == Decimal("2.125")
    assert history[1].kratom_grams == Decimal("3") and not history[1].checked_in


def test_trends_read_the_stored_history(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    for back in (2, 1, 0):
        day = clock.today() - dt.timedelta(days=back)
        submit(
            session,
            clock,
            actor_for(people.pat),
            "pat",
            checkin_data(day, responses={"craving": [8, 2]}),
        )
    history = person_facts.history_of(session, people.pat.id, clock.today())
    assert [d.craving for d in history] == [8, 8, 8]
    last = session.scalars(select(Finding.rule_id).order_by(Finding.id.desc())).all()
    assert "trend.craving_high" in last


POOR_NIGHT = {  # in bed 22:00-06:00, asleep 23:30-05:00 less 90 minutes awake: 240 of 480
    "into_bed": "22:00",
    "tried_to_sleep": "22:00",
    "sleep_onset_minutes": 90,
    "awakenings": 3,
    "awake_minutes": 90,
    "final_awakening": "05:00",
    "out_of_bed": "06:00",
    "quality": 1,
}


def test_poor_sleep_is_read_back_from_the_stored_diaries(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    fired: list[set[str]] = []
    for back in (4, 3, 2, 1, 0):  # the rule wants 5 poor nights of the last 7
        day = clock.today() - dt.timedelta(days=back)
        data = checkin_data(day, responses={"sleep_diary": POOR_NIGHT})
        fired.append(rules(submit(session, clock, actor_for(people.pat), "pat", data)))
    history = person_facts.history_of(session, people.pat.id, clock.today())
    assert [d.sleep_efficiency for d in history] == [pytest.approx(50.0)] * 5
    assert ["trend.poor_sleep" in found for found in fired] == [False] * 4 + [True]


def test_alert_lifecycle_by_the_persons_clinician_with_notes_and_audit(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    submit(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        checkin_data(clock.today(), red_flags=["red_flag.seizure"]),
    )
    (alert,) = safety.list_alerts(session, clock, actor_for(people.cleo))
    assert alert.person == "pat" and alert.status == "open"
    with pytest.raises(InvalidInput) as error:
        safety.acknowledge(session, clock, actor_for(people.cleo), alert.id, "  ")
    assert error.value.field == "note"
    safety.acknowledge(session, clock, actor_for(people.cleo), alert.id, "Called Pat; she is safe.")
    with pytest.raises(InvalidInput, match="already acknowledged"):
        safety.acknowledge(session, clock, actor_for(people.cleo), alert.id, "again")
    safety.resolve(
        session, clock, actor_for(people.cleo), alert.id, "Seen in clinic; neurology referral."
    )
    (done,) = safety.list_alerts(session, clock, actor_for(people.cleo), status="resolved")
    assert (done.acknowledged_by, done.resolved_by) == ("cleo", "cleo")
    assert done.resolved_note == "Seen in clinic; neurology referral."
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_type == "alert")
    ).all()
    assert {"alert.raise", "alert.acknowledge", "alert.resolve"} <= set(actions)


@pytest.mark.parametrize("who", ["uma", "olga", "ada", "pat", "quinn"])
def test_only_the_persons_own_clinician_may_act_on_an_alert(
    session: Session, clock: FixedClock, who: str
) -> None:
    people = cast(session, clock)
    submit(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        checkin_data(clock.today(), red_flags=["red_flag.seizure"]),
    )
    alert_id = session.scalar(select(Alert.id))
    assert alert_id is not None
    with pytest.raises(AccessDenied):
        safety.acknowledge(session, clock, actor_for(getattr(people, who)), alert_id, "note")
    with pytest.raises(AccessDenied):
        safety.acknowledge(
            session, clock, OPERATOR, alert_id, "the operator is not a named clinician"
        )


def test_each_actor_lists_only_the_alerts_they_may_see(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    for person in ("pat", "quinn"):
        who = people.pat if person == "pat" else people.quinn
        submit(
            session,
            clock,
            actor_for(who),
            person,
            checkin_data(clock.today(), red_flags=["red_flag.seizure"]),
        )

    def seen(user: object) -> list[str]:
        return [a.person for a in safety.list_alerts(session, clock, actor_for(user))]  # type: ignore[arg-type]

    assert seen(people.cleo) == ["pat"] and seen(people.uma) == ["quinn"]
    assert seen(people.olga) == [] and seen(people.ada) == [] and seen(people.pat) == ["pat"]
    with pytest.raises(AccessDenied):
        safety.list_alerts(session, clock, actor_for(people.uma), person="pat")

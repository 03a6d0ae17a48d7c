"""What the JSON API (/api/v1) accepts beyond the shared input models, and what it returns.

Response models are named `XPublic`, list wrappers `XsPublic(data, count)`. Each has a
classmethod `of(...)` that builds it from what a service returns, so routes stay one line of
rendering. Amounts are exact decimals sent as strings ("2.5"), with their unit and a `text`
for display ("2.5 g").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from taperline.domain.adherence import KratomStatus, MelatoninStatus, SignedAmount, Tally
from taperline.domain.instruments.base import Instrument, Rater, Score
from taperline.domain.plans import Change
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.knowledge import EvidenceStatus, Severity
from taperline.domain.taper import TaperStep
from taperline.domain.types import Category, CheckinKind, Condition, Role
from taperline.domain.units import Amount
from taperline.schemas.base import ListPublic, LocalTime, SaneDate
from taperline.schemas.plans import PlanInput

if TYPE_CHECKING:
    from taperline.db.models import Alert, User
    from taperline.domain.calendar import DueItem
    from taperline.services.adherence import AdherenceReport
    from taperline.services.checkins import CheckinView, SubmitResult
    from taperline.services.people import PersonDetail, PersonSummary
    from taperline.services.plans import PlanReview, VersionView
    from taperline.services.safety import AlertView

# Integer ids in paths are bounded so that no number can overflow a database column.
MAX_ID = 2_147_483_647


def _no_nul(text: str) -> str:
    # PostgreSQL cannot store a NUL character in text; refuse it here rather than fail there.
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    return text


Text = Annotated[str, AfterValidator(_no_nul)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- inputs -------------------------------------------------------------------------------


class PlanCreate(PlanInput):
    """A plan as a clinician enters it (`taperline.schemas.plans.PlanInput`; docs/plans.md)."""


class AlertNoteInput(_Input):
    note: Text = Field(
        max_length=2000,
        description="What you have done or will do (acknowledge), or how it was resolved.",
    )


class PlanPauseInput(_Input):
    start: SaneDate = Field(description="The first day of the hold")
    days: int = Field(ge=1, le=365, description="How many days to hold the current step")
    note: str = Field(default="", max_length=2000)


class PlanReplanInput(_Input):
    days: int = Field(
        default=7, ge=1, le=60, description="Days of kratom logs to take the actual amount from"
    )
    start: SaneDate | None = Field(default=None, description="Default: tomorrow")
    note: str = Field(default="", max_length=2000)


class TokenCreateInput(_Input):
    name: str = Field(min_length=1, max_length=100, description="A name you will recognise")


class TokenCreatedPublic(BaseModel):
    token: str = Field(description="Shown once; only its hash is kept. Send it as a Bearer token.")


class TokenPublic(BaseModel):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokensPublic(ListPublic[TokenPublic]):
    """Your API tokens."""


class PlanApprovalInput(_Input):
    acknowledge: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Rule ids of the draft's warnings you have reviewed (its needs_acknowledging).",
    )


class ScoreInput(_Input):
    # Checked by the instrument itself, so that every problem names the item at fault.
    answers: Annotated[
        Any,
        WithJsonSchema({"anyOf": [{"type": "array", "items": {}}, {"type": "object"}]}),
    ] = Field(
        description="One answer per item, in item order; or an object of answers by item key "
        "(the sleep diary takes only named fields)."
    )


# -- shared pieces ------------------------------------------------------------------------


class ProblemPublic(BaseModel):
    """Every error answer (401, 403, 404, 422)."""

    detail: str = Field(description="What went wrong, e.g. 'note: say what you have done'")
    field: str | None = Field(
        default=None, description="The input at fault (422), e.g. 'responses.sows.item 16'"
    )


class AmountPublic(BaseModel):
    amount: Decimal = Field(description="An exact decimal, as a string")
    unit: str
    text: str = Field(description="For display, e.g. '2.5 g' or '2 capsules'")

    @classmethod
    def of(cls, amount: Amount) -> AmountPublic:
        return cls(amount=amount.value, unit=amount.unit.value, text=str(amount))

    @classmethod
    def maybe(cls, amount: Amount | None) -> AmountPublic | None:
        return None if amount is None else cls.of(amount)


class SignedAmountPublic(BaseModel):
    amount: Decimal = Field(description="An exact decimal, as a string; negative means less")
    unit: str
    text: str

    @classmethod
    def maybe(cls, amount: SignedAmount | None) -> SignedAmountPublic | None:
        if amount is None:
            return None
        return cls(amount=amount.value, unit=amount.unit.value, text=str(amount))


class CitationPublic(BaseModel):
    id: str
    text: str
    url: str | None = None
    pmid: str | None = None
    doi: str | None = None


class FindingPublic(BaseModel):
    """A safety finding. Show `person_message` to the person, `clinician_message` to clinicians."""

    rule: str = Field(description="The rule's stable id, e.g. 'interaction.opioid_sedative'")
    family: str
    severity: Severity
    title: str
    involved: list[str]
    person_message: str
    clinician_message: str
    evidence_status: EvidenceStatus
    detail: str = ""
    citations: list[CitationPublic]

    @classmethod
    def of(cls, finding: Finding | Mapping[str, object]) -> FindingPublic:
        data = finding.to_dict() if isinstance(finding, Finding) else dict(finding)
        return cls.model_validate(data)


class FindingsPublic(ListPublic[FindingPublic]):
    @classmethod
    def of(cls, findings: Iterable[Finding | Mapping[str, object]]) -> FindingsPublic:
        data = [FindingPublic.of(f) for f in findings]
        return cls(data=data)


# -- people -------------------------------------------------------------------------------


class ViewerPublic(BaseModel):
    handle: str
    name: str
    role: Role
    clinic: str
    timezone: str

    @classmethod
    def of(cls, user: User) -> ViewerPublic:
        return cls(
            handle=user.handle,
            name=user.display_name,
            role=Role(user.role),
            clinic=user.clinic.name,
            timezone=user.timezone,
        )


class PersonSummaryPublic(BaseModel):
    handle: str
    name: str
    clinic: str
    clinicians: list[str]
    last_checkin: dt.date | None
    checkins: int | None = Field(description="null where the viewer may not see health data")

    @classmethod
    def of(cls, person: PersonSummary) -> PersonSummaryPublic:
        return cls(
            handle=person.handle,
            name=person.display_name,
            clinic=person.clinic,
            clinicians=list(person.clinicians),
            last_checkin=person.last_checkin,
            checkins=person.checkins,
        )


class PeoplePublic(ListPublic[PersonSummaryPublic]):
    @classmethod
    def of(cls, people: Sequence[PersonSummary]) -> PeoplePublic:
        return cls(data=[PersonSummaryPublic.of(p) for p in people])


class MedicationPublic(BaseModel):
    name: str
    category: Category
    amount: AmountPublic | None
    schedule: str
    prescribed: bool
    started_on: dt.date | None


class PersonPublic(BaseModel):
    handle: str
    name: str
    role: Role
    clinic: str
    timezone: str
    clinicians: list[str]
    conditions: list[Condition]
    medications: list[MedicationPublic]
    created_at: dt.datetime

    @classmethod
    def of(cls, person: PersonDetail) -> PersonPublic:
        return cls(
            handle=person.handle,
            name=person.display_name,
            role=person.role,
            clinic=person.clinic,
            timezone=person.timezone,
            clinicians=list(person.clinicians),
            conditions=list(person.conditions),
            medications=[
                MedicationPublic(
                    name=m.name,
                    category=m.category,
                    amount=AmountPublic.maybe(m.amount),
                    schedule=m.schedule,
                    prescribed=m.prescribed,
                    started_on=m.started_on,
                )
                for m in person.medications
            ],
            created_at=person.created_at,
        )


# -- check-ins ----------------------------------------------------------------------------


class CheckinScorePublic(BaseModel):
    instrument: str
    total: int | None
    band: str | None
    metrics: dict[str, float | int | None]
    flags: list[str]


class DosePublic(BaseModel):
    category: str
    form: str | None
    product: str
    amount: AmountPublic
    taken_on: dt.date
    taken_time: LocalTime | None


class CheckinPublic(BaseModel):
    id: int
    person: str
    kind: CheckinKind
    date: dt.date
    created_at: dt.datetime
    created_by: str | None
    scores: list[CheckinScorePublic]
    doses: list[DosePublic]
    kratom_totals: list[AmountPublic] = Field(description="The day's kratom, one per unit")
    note: str

    @classmethod
    def fields_of(cls, view: CheckinView) -> dict[str, Any]:
        return {
            "id": view.id,
            "person": view.person,
            "kind": view.kind,
            "date": view.checkin_date,
            "created_at": view.created_at,
            "created_by": view.created_by,
            "scores": [
                CheckinScorePublic(
                    instrument=s.instrument,
                    total=s.total,
                    band=s.band,
                    metrics=dict(s.metrics),
                    flags=list(s.flags),
                )
                for s in view.scores
            ],
            "doses": [
                DosePublic(
                    category=d.category,
                    form=d.form,
                    product=d.product,
                    amount=AmountPublic.of(d.amount),
                    taken_on=d.taken_on,
                    taken_time=d.taken_time,
                )
                for d in view.doses
            ],
            "kratom_totals": [AmountPublic.of(a) for a in view.kratom_totals],
            "note": view.note,
        }

    @classmethod
    def of(cls, view: CheckinView) -> CheckinPublic:
        return cls(**cls.fields_of(view))


class CheckinsPublic(ListPublic[CheckinPublic]):
    @classmethod
    def of(cls, views: Sequence[CheckinView]) -> CheckinsPublic:
        return cls(data=[CheckinPublic.of(v) for v in views])


class CheckinSubmittedPublic(CheckinPublic):
    """The stored check-in, with what the safety engine found in it."""

    created: bool = Field(
        description="false when the idempotency_key matched an earlier identical check-in"
    )
    flags: list[str] = Field(description="Safety flags raised by answers, e.g. phq9 item 9")
    findings: list[FindingPublic] = Field(description="Worst first")

    @classmethod
    def of_result(cls, result: SubmitResult) -> CheckinSubmittedPublic:
        return cls(
            **CheckinPublic.fields_of(result.checkin),
            created=result.created,
            flags=list(result.flags),
            findings=[FindingPublic.of(f) for f in result.findings],
        )


# -- alerts -------------------------------------------------------------------------------


class AlertPublic(BaseModel):
    id: int
    person: str
    rule: str
    severity: Severity
    title: str
    day: dt.date
    status: str = Field(description="open, acknowledged or resolved")
    involved: list[str]
    clinician_message: str
    acknowledged_by: str | None
    acknowledged_note: str
    resolved_by: str | None
    resolved_note: str

    @classmethod
    def of(cls, alert: AlertView) -> AlertPublic:
        return cls(
            id=alert.id,
            person=alert.person,
            rule=alert.rule_id,
            severity=Severity(alert.severity),
            title=alert.title,
            day=alert.day,
            status=alert.status,
            involved=list(alert.involved),
            clinician_message=alert.clinician_message,
            acknowledged_by=alert.acknowledged_by,
            acknowledged_note=alert.acknowledged_note,
            resolved_by=alert.resolved_by,
            resolved_note=alert.resolved_note,
        )


class AlertsPublic(ListPublic[AlertPublic]):
    @classmethod
    def of(cls, alerts: Sequence[AlertView]) -> AlertsPublic:
        return cls(data=[AlertPublic.of(a) for a in alerts])


class AlertStepPublic(BaseModel):
    """An alert after one step of its lifecycle (open → acknowledged → resolved)."""

    id: int
    rule: str
    severity: Severity
    title: str
    day: dt.date
    status: str = Field(description="acknowledged or resolved")
    acknowledged_at: dt.datetime | None
    acknowledged_note: str
    resolved_at: dt.datetime | None
    resolved_note: str

    @classmethod
    def of(cls, alert: Alert) -> AlertStepPublic:
        return cls(
            id=alert.id,
            rule=alert.rule_id,
            severity=Severity(alert.severity),
            title=alert.title,
            day=alert.day,
            status=alert.status,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_note=alert.acknowledged_note,
            resolved_at=alert.resolved_at,
            resolved_note=alert.resolved_note,
        )


# -- plans --------------------------------------------------------------------------------


class PlanPublic(PlanInput):
    """A plan version's content as the clinician entered it."""


class StepDosePublic(BaseModel):
    time: LocalTime
    amount: AmountPublic


class TaperStepPublic(BaseModel):
    number: int
    start: dt.date
    end: dt.date = Field(description="Inclusive")
    days: int
    held_days: int = Field(description="Days added by pauses")
    daily: AmountPublic
    before: AmountPublic = Field(description="The daily amount in the step before")
    cut: AmountPublic
    doses: list[StepDosePublic]
    findings: list[FindingPublic] = Field(description="This step's pace, reviewed")

    @classmethod
    def of(cls, step: TaperStep, findings: Iterable[Finding]) -> TaperStepPublic:
        return cls(
            number=step.number,
            start=step.start,
            end=step.end,
            days=step.days,
            held_days=step.held_days,
            daily=AmountPublic.of(step.daily),
            before=AmountPublic.of(step.before),
            cut=AmountPublic.of(step.cut),
            doses=[StepDosePublic(time=t, amount=AmountPublic.of(a)) for t, a in step.doses],
            findings=[FindingPublic.of(f) for f in findings],
        )


class SchedulePublic(BaseModel):
    reaches_target: bool
    notes: list[str]
    steps: list[TaperStepPublic]


class PlanReviewPublic(BaseModel):
    """The plan as the safety engine sees it."""

    schedule: SchedulePublic | None = Field(description="null when the plan has no taper")
    findings: list[FindingPublic] = Field(description="The regimen: dose limits, interactions")
    needs_acknowledging: list[str] = Field(
        description="Rule ids a clinician must acknowledge to approve this version"
    )

    @classmethod
    def of(cls, review: PlanReview) -> PlanReviewPublic:
        schedule = None
        if review.schedule is not None:
            schedule = SchedulePublic(
                reaches_target=review.schedule.reaches_target,
                notes=list(review.schedule.notes),
                steps=[TaperStepPublic.of(s.step, s.findings) for s in review.steps],
            )
        return cls(
            schedule=schedule,
            findings=[FindingPublic.of(f) for f in review.findings],
            needs_acknowledging=review.needs_acknowledging,
        )


class PlanVersionPublic(BaseModel):
    number: int
    status: str = Field(description="draft, approved or superseded")
    created_at: dt.datetime
    created_by: str | None
    approved_at: dt.datetime | None
    approved_by: str | None
    acknowledged: list[str] = Field(description="Warnings acknowledged when it was approved")
    note: str
    plan: PlanPublic
    review: PlanReviewPublic

    @classmethod
    def of(cls, view: VersionView) -> PlanVersionPublic:
        return cls(
            number=view.number,
            status=view.status,
            created_at=view.created_at,
            created_by=view.created_by,
            approved_at=view.approved_at,
            approved_by=view.approved_by,
            acknowledged=list(view.acknowledged),
            note=view.note,
            plan=PlanPublic.model_validate(view.data.model_dump()),
            review=PlanReviewPublic.of(view.review),
        )


class PlanVersionSummaryPublic(BaseModel):
    number: int
    status: str = Field(description="draft, approved or superseded")
    created_at: dt.datetime


class PlanVersionsPublic(ListPublic[PlanVersionSummaryPublic]):
    @classmethod
    def of(cls, rows: Sequence[tuple[int, str, dt.datetime]]) -> PlanVersionsPublic:
        data = [
            PlanVersionSummaryPublic(number=number, status=status, created_at=created_at)
            for number, status, created_at in rows
        ]
        return cls(data=data)


class ChangePublic(BaseModel):
    field: str
    before: str = Field(description="Empty when added")
    after: str = Field(description="Empty when removed")
    text: str = Field(description="In words, e.g. 'taper.step: 0.25 → 0.5'")


class ChangesPublic(BaseModel):
    # Not a ListPublic: `old` and `new` come before the list in the answer.
    old: int
    new: int
    data: list[ChangePublic]
    count: int

    @classmethod
    def of(cls, old: int, new: int, changes: Sequence[Change]) -> ChangesPublic:
        data = [
            ChangePublic(field=c.field, before=c.before, after=c.after, text=str(c))
            for c in changes
        ]
        return cls(old=old, new=new, data=data, count=len(data))


# -- adherence, today ---------------------------------------------------------------------


class KratomDayPublic(BaseModel):
    date: dt.date
    status: KratomStatus
    target: AmountPublic | None
    logged: AmountPublic | None = Field(description="null when unknown or not comparable")
    difference: SignedAmountPublic | None = Field(description="logged - target")
    note: str


class KratomAdherencePublic(BaseModel):
    smallest_step: AmountPublic | None = Field(description="The on-target band's width")
    current_streak: int
    longest_streak: int
    counts: dict[KratomStatus, int]
    days: list[KratomDayPublic]


class MelatoninDayPublic(BaseModel):
    date: dt.date
    status: MelatoninStatus
    taken: bool | None = Field(description="null: no check-in and nothing logged")
    times_taken: list[LocalTime]
    planned_times: list[LocalTime]
    minutes_from_plan: int | None = Field(description="Positive is late")
    bedtime: LocalTime | None
    minutes_before_bedtime: int | None


class SpacingCheckPublic(BaseModel):
    date: dt.date
    magnesium_time: LocalTime
    other: str
    product: str
    other_time: LocalTime
    source: str = Field(description="logged, or plan when not logged with a time that day")
    minutes_apart: int = Field(description="Negative: the other was taken before magnesium")
    rule: str
    spacing: str
    before_hours: Decimal
    after_hours: Decimal
    ok: bool


class TallyPublic(BaseModel):
    done: int
    target: int
    met: bool | None = Field(description="null when unknown days may hold what is missing")

    @classmethod
    def of(cls, tally: Tally, days_unknown: int) -> TallyPublic:
        return cls(done=tally.done, target=tally.target, met=tally.met(days_unknown))


class WeekActivityPublic(BaseModel):
    week_start: dt.date
    week_end: dt.date
    partial: bool
    days_in_range: int
    days_reported: int
    days_unknown: int = Field(description="Days without a check-in: not counted as zero")
    exercise_minutes: TallyPublic
    meditation_minutes: TallyPublic
    counseling_sessions: TallyPublic
    support_meetings: TallyPublic


class AdherencePublic(BaseModel):
    person: str
    start: dt.date
    end: dt.date
    kratom: KratomAdherencePublic
    melatonin: list[MelatoninDayPublic] = Field(description="Empty when the plan has none")
    magnesium: list[SpacingCheckPublic]
    activities: list[WeekActivityPublic]

    @classmethod
    def of(cls, report: AdherenceReport) -> AdherencePublic:
        kratom = report.kratom
        return cls(
            person=report.person,
            start=report.start,
            end=report.end,
            kratom=KratomAdherencePublic(
                smallest_step=AmountPublic.maybe(kratom.smallest_step),
                current_streak=kratom.current_streak,
                longest_streak=kratom.longest_streak,
                counts=dict(kratom.counts),
                days=[
                    KratomDayPublic(
                        date=d.date,
                        status=d.status,
                        target=AmountPublic.maybe(d.target),
                        logged=AmountPublic.maybe(d.logged),
                        difference=SignedAmountPublic.maybe(d.difference),
                        note=d.note,
                    )
                    for d in kratom.days
                ],
            ),
            melatonin=[
                MelatoninDayPublic(
                    date=m.date,
                    status=m.status,
                    taken=m.taken,
                    times_taken=list(m.times_taken),
                    planned_times=list(m.planned_times),
                    minutes_from_plan=m.minutes_from_plan,
                    bedtime=m.bedtime,
                    minutes_before_bedtime=m.minutes_before_bedtime,
                )
                for m in report.melatonin
            ],
            magnesium=[
                SpacingCheckPublic(
                    date=c.date,
                    magnesium_time=c.magnesium_time,
                    other=c.other,
                    product=c.product,
                    other_time=c.other_time,
                    source=c.source,
                    minutes_apart=c.minutes_apart,
                    rule=c.rule_id,
                    spacing=c.spacing,
                    before_hours=c.before_hours,
                    after_hours=c.after_hours,
                    ok=c.ok,
                )
                for c in report.magnesium
            ],
            activities=[
                WeekActivityPublic(
                    week_start=w.week_start,
                    week_end=w.week_end,
                    partial=w.partial,
                    days_in_range=w.days_in_range,
                    days_reported=w.days_reported,
                    days_unknown=w.days_unknown,
                    exercise_minutes=TallyPublic.of(w.exercise_minutes, w.days_unknown),
                    meditation_minutes=TallyPublic.of(w.meditation_minutes, w.days_unknown),
                    counseling_sessions=TallyPublic.of(w.counseling_sessions, w.days_unknown),
                    support_meetings=TallyPublic.of(w.support_meetings, w.days_unknown),
                )
                for w in report.activities
            ],
        )


class DueItemPublic(BaseModel):
    kind: str = Field(description="dose, checkin, questionnaire, visit or activity")
    at: LocalTime | None = Field(description="Local wall time; null for all-day items")
    title: str
    detail: str


class DueItemsPublic(BaseModel):
    # Not a ListPublic: `date` comes before the list in the answer.
    date: dt.date = Field(description="The day, in the person's time zone")
    data: list[DueItemPublic]
    count: int

    @classmethod
    def of(cls, date: dt.date, items: Sequence[DueItem]) -> DueItemsPublic:
        data = [DueItemPublic(kind=i.kind, at=i.at, title=i.title, detail=i.detail) for i in items]
        return cls(date=date, data=data, count=len(data))


# -- instruments --------------------------------------------------------------------------


class InstrumentPublic(BaseModel):
    id: str
    name: str
    version: str
    rater: Rater
    has_bands: bool = Field(description="false: no published severity bands")
    structured: bool = Field(description="true: answers are named fields, not a list")
    items: int = Field(description="How many items it has")

    @classmethod
    def of(cls, instrument: Instrument) -> InstrumentPublic:
        return cls(
            id=instrument.id,
            name=instrument.name,
            version=instrument.version,
            rater=instrument.rater,
            has_bands=instrument.has_bands,
            structured=instrument.structured,
            items=len(getattr(instrument, "items", ())),
        )


class InstrumentsPublic(ListPublic[InstrumentPublic]):
    @classmethod
    def of(cls, instruments: Iterable[Instrument]) -> InstrumentsPublic:
        data = [InstrumentPublic.of(i) for i in instruments]
        return cls(data=data)


class ScorePublic(BaseModel):
    """Score.to_dict(): nothing is stored."""

    instrument: str
    version: str
    total: int | None
    band: str | None = Field(description="null when the instrument has no published bands")
    positive_screen: bool | None = Field(description="Short screens only")
    flags: list[str] = Field(description="Safety flags, e.g. phq9.item9_positive")
    answers: dict[str, int | float | str | None]
    metrics: dict[str, float | int | None]

    @classmethod
    def of(cls, score: Score) -> ScorePublic:
        return cls.model_validate(score.to_dict())

"""What the JSON API returns for progress: series, comparisons, the risk signal, the clinic
overview. Each model's `of(...)` builds it from what the service returns."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from taperline.domain.progress.nof1 import Comparison, Estimate
    from taperline.domain.progress.risk import RiskSignal
    from taperline.domain.progress.series import Change
    from taperline.services.clinic_overview import ClinicOverview
    from taperline.services.progress import ProgressView


class DayPublic(BaseModel):
    date: dt.date
    checked_in: bool
    step: int | None = Field(description="Taper step in force (0 before the first cut)")
    values: dict[str, float | None] = Field(description="None: nothing recorded (a gap)")


class WeekPublic(BaseModel):
    start: dt.date
    end: dt.date
    mean: float | None
    low: float | None
    high: float | None
    days_reported: int


class ChangePublic(BaseModel):
    metric: str
    baseline: float
    latest: float
    difference: float
    baseline_days: int
    latest_days: int


class FactorPublic(BaseModel):
    id: str
    points: int
    clinician_text: str
    person_text: str


class RiskPublic(BaseModel):
    score: int
    level: str
    factors: list[FactorPublic]
    not_assessed: list[str]
    note: str = "A transparent sum of simple rules; not a validated prediction model."

    @classmethod
    def of(cls, signal: RiskSignal) -> RiskPublic:
        return cls(
            score=signal.score,
            level=signal.level.value,
            factors=[
                FactorPublic(
                    id=f.id,
                    points=f.points,
                    clinician_text=f.clinician_text,
                    person_text=f.person_text,
                )
                for f in signal.factors
            ],
            not_assessed=list(signal.not_assessed),
        )


class ProgressPublic(BaseModel):
    person: str
    start: dt.date
    end: dt.date
    kratom_unit: str | None
    plan_start: dt.date | None
    last_visit: dt.date | None
    days: list[DayPublic]
    weeks: dict[str, list[WeekPublic]]
    since_start: list[ChangePublic]
    since_last_visit: list[ChangePublic]
    risk: RiskPublic

    @classmethod
    def of(cls, view: ProgressView) -> ProgressPublic:
        built = view.series

        def changes(items: tuple[Change, ...]) -> list[ChangePublic]:
            return [
                ChangePublic(
                    metric=c.metric,
                    baseline=c.baseline,
                    latest=c.latest,
                    difference=round(c.difference, 2),
                    baseline_days=c.baseline_days,
                    latest_days=c.latest_days,
                )
                for c in items
            ]

        return cls(
            person=view.handle,
            start=built.start,
            end=built.end,
            kratom_unit=built.kratom_unit,
            plan_start=built.plan_start,
            last_visit=built.last_visit,
            days=[
                DayPublic(date=d.date, checked_in=d.checked_in, step=d.step, values=dict(d.values))
                for d in built.days
            ],
            weeks={
                metric: [
                    WeekPublic(
                        start=w.start,
                        end=w.end,
                        mean=w.mean,
                        low=w.low,
                        high=w.high,
                        days_reported=w.days_reported,
                    )
                    for w in weeks
                ]
                for metric, weeks in built.weeks.items()
            },
            since_start=changes(built.since_start),
            since_last_visit=changes(built.since_visit),
            risk=RiskPublic.of(view.risk),
        )


class EstimatePublic(BaseModel):
    difference: float | None = Field(description="Mean with the exposure minus mean without")
    low: float | None = Field(description="95% bootstrap interval, low end")
    high: float | None
    p_value: float | None = Field(description="Two-sided permutation p-value")
    strata_used: int

    @classmethod
    def of(cls, estimate: Estimate) -> EstimatePublic:
        return cls(
            difference=estimate.difference,
            low=estimate.low,
            high=estimate.high,
            p_value=estimate.p_value,
            strata_used=estimate.strata_used,
        )


class ComparisonPublic(BaseModel):
    exposure: str
    outcome: str
    threshold: float | None
    exposed_days: int
    unexposed_days: int
    exposed_mean: float | None
    unexposed_mean: float | None
    overall: EstimatePublic
    within_taper_steps: EstimatePublic | None
    missing_outcomes: int
    time_correlation: float | None
    warnings: list[str]
    summary: str
    seed: int

    @classmethod
    def of(cls, result: Comparison) -> ComparisonPublic:
        return cls(
            exposure=result.question.exposure.value,
            outcome=result.question.outcome.value,
            threshold=result.question.threshold,
            exposed_days=result.exposed_days,
            unexposed_days=result.unexposed_days,
            exposed_mean=result.exposed_mean,
            unexposed_mean=result.unexposed_mean,
            overall=EstimatePublic.of(result.overall),
            within_taper_steps=(
                EstimatePublic.of(result.within_steps) if result.within_steps else None
            ),
            missing_outcomes=result.missing_outcomes,
            time_correlation=result.time_correlation,
            warnings=list(result.warnings),
            summary=result.summary,
            seed=result.seed,
        )


class RetentionPublic(BaseModel):
    days: int
    eligible: int
    retained: int
    share: float | None


class MedianChangePublic(BaseModel):
    metric: str
    people: int
    median: float | None


class OverviewPublic(BaseModel):
    clinic: str
    today: dt.date
    as_of: dt.datetime = Field(
        description="When these figures were computed: the overview is kept as a snapshot, "
        "refreshed by the worker and never more than 15 minutes old when shown"
    )
    people: int
    phases: dict[str, int]
    retention: list[RetentionPublic]
    median_change_since_start: list[MedianChangePublic]
    alerts_raised_last_30_days: dict[str, int]
    alerts_open: dict[str, int]

    @classmethod
    def of(cls, found: ClinicOverview) -> OverviewPublic:
        result = found.overview
        return cls(
            clinic=found.clinic,
            today=found.today,
            as_of=found.as_of,
            people=result.people,
            phases=result.phases,
            retention=[
                RetentionPublic(
                    days=r.days, eligible=r.eligible, retained=r.retained, share=r.share
                )
                for r in result.retention
            ],
            median_change_since_start=[
                MedianChangePublic(metric=c.metric, people=c.people, median=c.median)
                for c in result.changes
            ],
            alerts_raised_last_30_days=result.alerts_raised,
            alerts_open=result.alerts_open,
        )

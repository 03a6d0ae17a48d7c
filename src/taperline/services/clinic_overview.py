"""The clinic overview: counts, shares and medians over everyone in a clinic.

Computing it reads every daily check-in and score in the clinic (about 1.6 s and a few hundred
MB at 10,000 people on SQLite), so it is kept as a snapshot per clinic (`OverviewSnapshot`):
the worker refreshes each clinic's every planning period (job kind "overview"), and a page view
reads the snapshot when it is younger than `OVERVIEW_FRESH`, or computes it again and keeps
that. The page says when its figures are from. The analytics are pure
(`taperline.domain.progress.overview`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import polars as pl
from sqlalchemy import CursorResult, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.engine import begin_snapshot
from taperline.db.models import (
    Alert,
    Checkin,
    Clinic,
    InstrumentResponse,
    OverviewSnapshot,
    PlanVersion,
    User,
)
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput
from taperline.domain.progress import overview
from taperline.domain.types import CheckinKind, Role
from taperline.schemas import parse
from taperline.schemas.plans import TaperIn, to_taper
from taperline.services import audit, people, plans
from taperline.services.authz import require

# A snapshot younger than this is shown as it is. The worker refreshes every clinic's once per
# planning period (10 minutes by default), so with a worker running a page view never waits.
OVERVIEW_FRESH = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class ClinicOverview:
    clinic: str
    today: dt.date
    overview: overview.Overview
    as_of: dt.datetime  # when these figures were computed (a snapshot may be minutes old)


def _frame(rows: Iterable[Any], schema: dict[str, Any]) -> pl.DataFrame:
    if not isinstance(rows, CursorResult):
        return pl.DataFrame(list(rows), schema=schema, orient="row", strict=False)
    # Straight from the driver's cursor: no Python work per value. SQLite hands dates back as
    # ISO text, which Polars parses a column at a time; PostgreSQL's driver gives dates.
    fetched = rows.cursor.fetchall()
    rows.close()
    dates = [name for name, kind in schema.items() if kind == pl.Date]
    text = bool(fetched) and any(isinstance(fetched[0][list(schema).index(d)], str) for d in dates)
    raw = {name: (pl.Utf8 if text and name in dates else kind) for name, kind in schema.items()}
    frame = pl.DataFrame(fetched, schema=raw, orient="row", strict=False)
    if text:
        frame = frame.with_columns(pl.col(name).str.to_date("%Y-%m-%d") for name in dates)
    return frame


def _span(taper: object) -> overview.TaperSpan | None:
    """An approved taper's span. Approved versions never change, so spans are kept per
    process by the taper's own JSON: building each schedule again on every overview is what
    made the overview slow at 10,000 people."""
    if not taper:
        return None
    return _span_of_json(json.dumps(taper, sort_keys=True, default=str))


@lru_cache(maxsize=65_536)
def _span_of_json(text: str) -> overview.TaperSpan:
    return overview.taper_span(to_taper(parse(TaperIn, json.loads(text))))


def overview_frames(
    session: Session, clinic_id: int, today: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The four frames the overview needs, in five queries (people, approved plans, daily
    check-ins, scores, alerts)."""
    in_clinic = select(User.id).where(User.clinic_id == clinic_id, User.role == Role.PERSON.value)
    # Core rows straight from the connection: no ORM row processing for large results.
    connection = session.connection()
    ids = list(connection.scalars(in_clinic))
    tapers: dict[int, object] = {
        person_id: content.get("taper")
        for person_id, content in connection.execute(
            select(PlanVersion.person_id, PlanVersion.content).where(
                PlanVersion.person_id.in_(in_clinic), PlanVersion.status == plans.APPROVED
            )
        )
    }
    phases = [
        (
            person_id,
            (
                overview.span_phase(_span(tapers[person_id]), today)
                if person_id in tapers
                else overview.Phase.NO_PLAN
            ).value,
        )
        for person_id in ids
    ]
    people_frame = _frame(phases, overview.PEOPLE_SCHEMA)
    checkins = _frame(
        connection.execute(
            select(Checkin.person_id, Checkin.checkin_date)
            .where(Checkin.person_id.in_(in_clinic), Checkin.kind == CheckinKind.DAILY.value)
            .distinct()
        ),
        overview.CHECKINS_SCHEMA,
    )
    sows = connection.execute(
        select(Checkin.person_id, Checkin.checkin_date, InstrumentResponse.total)
        .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
        .where(Checkin.person_id.in_(in_clinic), InstrumentResponse.instrument_id == "sows")
    )
    sleep = connection.execute(
        select(
            Checkin.person_id,
            Checkin.checkin_date,
            InstrumentResponse.metrics["sleep_efficiency"].as_float(),
        )
        .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
        .where(Checkin.person_id.in_(in_clinic), InstrumentResponse.instrument_id == "sleep_diary")
    )
    scores = (
        pl.concat(
            [
                _frame(sows, overview.SCORE_ROWS_SCHEMA).with_columns(
                    pl.lit("sows").alias("metric")
                ),
                _frame(sleep, overview.SCORE_ROWS_SCHEMA).with_columns(
                    pl.lit("sleep_efficiency").alias("metric")
                ),
            ]
        )
        .select(list(overview.SCORES_SCHEMA))
        .drop_nulls("value")
    )
    alerts = _frame(
        connection.execute(
            select(Alert.person_id, Alert.day, Alert.severity, Alert.status).where(
                Alert.person_id.in_(in_clinic)
            )
        ),
        overview.ALERTS_SCHEMA,
    )
    return people_frame, checkins, scores, alerts


def clinic_overview(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    clinic: str | None = None,
    reading: Session | None = None,
) -> ClinicOverview:
    """Aggregates over a clinic, for its clinicians and admins (the operator names a clinic).
    No person's data leaves this function, only counts, shares and medians. Read from the
    clinic's snapshot when it is fresh, computed again (and kept) when it is not.

    `reading` (SQLite): a read-only session. Everything is read through it, so the computing
    (seconds at 10,000 people) holds no write lock; `session` then takes the writer only for
    the snapshot and the audit row."""
    reader = reading or session
    if actor.is_operator:
        found = people.find_clinic(reader, clinic)
    else:
        if clinic is not None:
            raise InvalidInput("clinic", "only the operator names a clinic; you see your own")
        found = people.find_clinic(reader, str(actor.clinic_id))
    require(reader, actor, Action.CLINIC_OVERVIEW, clinic_id=found.id)
    now = clock.now()
    today = now.astimezone(dt.UTC).date()
    kept = reader.get(OverviewSnapshot, found.id)
    if kept is not None and kept.day == today and now - kept.computed_at < OVERVIEW_FRESH:
        result, as_of = overview.from_content(kept.content), kept.computed_at
    else:
        result, as_of = compute(reader, found.id, now), now
        keep(session, found.id, now, result)
    audit.record(
        session,
        clock,
        actor,
        "clinic.overview",
        resource_type="clinic",
        resource_id=found.id,
        detail={"people": result.people, "as_of": as_of.isoformat()},
    )
    return ClinicOverview(found.name, today, result, as_of)


def compute(session: Session, clinic_id: int, now: dt.datetime) -> overview.Overview:
    """A clinic's overview as of `now`, its five queries read as one snapshot."""
    begin_snapshot(session)
    today = now.astimezone(dt.UTC).date()
    return overview.compute(*overview_frames(session, clinic_id, today), today)


def keep(session: Session, clinic_id: int, now: dt.datetime, result: overview.Overview) -> None:
    """Keep `result` as the clinic's snapshot: an upsert, so two processes refreshing at once
    both succeed, and the later one's figures stay."""
    row = {
        "clinic_id": clinic_id,
        "day": now.astimezone(dt.UTC).date(),
        "computed_at": now,
        "content": overview.to_content(result),
    }
    session.execute(_upsert(session.get_bind().dialect.name), [row])


def refresh_all(session: Session, now: dt.datetime, *, reading: Session | None = None) -> int:
    """Refresh every clinic's snapshot (the worker's "overview" job), computed through
    `reading` when given (see clinic_overview). Returns how many clinics."""
    reader = reading or session
    ids = list(reader.scalars(select(Clinic.id).order_by(Clinic.id)))
    computed = [(clinic_id, compute(reader, clinic_id, now)) for clinic_id in ids]
    for clinic_id, result in computed:
        keep(session, clinic_id, now, result)
    return len(ids)


@cache
def _upsert(dialect: str) -> Any:
    insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = OverviewSnapshot.__table__
    statement = insert(table)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.clinic_id],
        set_={name: new[name] for name in ("day", "computed_at", "content")},
        where=new.computed_at >= table.c.computed_at,
    )

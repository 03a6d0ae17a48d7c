"""The web benchmark's clinic: N people × D days of check-ins bulk-inserted, approved plans,
clinicians and their caseloads; the constants and goals of bench_web.py."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.config import Settings
from taperline.db import migrate
from taperline.db.engine import make_sessionmaker
from taperline.db.models import (
    CareRelationship,
    Checkin,
    DoseLog,
    InstrumentResponse,
    PlanVersion,
    User,
)
from taperline.domain.access import Actor
from taperline.domain.instruments.registry import INSTRUMENTS
from taperline.domain.types import Role
from taperline.schemas.plans import PlanInput
from taperline.services import accounts, people, plans, status
from taperline.services.uow import unit_of_work

POSTGRES_ENV = "TAPERLINE_BENCH_POSTGRES_URL"
BENCH_INSTANT = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)  # 11:00 in New York
TIMEZONE = "America/New_York"
OPERATOR = Actor.operator("bench")
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway database
SEED_CHUNK_PEOPLE = 250  # people per insert batch (× days rows per executemany)

# Goals from the issue.
GOAL_CHECKIN_RATIO = 0.3  # check-ins/s ≥ 0.3 × hello-world requests/s
GOAL_CHECKIN_P99_MS = 50.0
GOAL_CASELOAD_FACTOR = 10.0  # caseload p95 ≤ 10 × hello-world p99
WRK_THREADS = 2  # wrk's own threads (its --connections are spread over them)
# Check-in dates are laid out before the run: room for this many check-ins a second.
WRK_CHECKINS_PER_S_CAP = 1000

SOWS = INSTRUMENTS["sows"].score([1] * 16)
CRAVING = INSTRUMENTS["craving"].score([4, 1])


def web_settings(database_url: str) -> Settings:
    """As tests/web/conftest.py: cheap argon2 (only the one login hashes)."""
    return Settings(database_url=database_url, password_time_cost=1, password_memory_kib=8)


# -- 1. seeding --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seeded:
    seconds: float
    rows: dict[str, int]
    clinician: str  # the benchmark's clinician
    caseload: list[str]  # handles of the people in that clinician's care
    token: str  # that clinician's API token
    first_seeded_day: dt.date
    last_bench_day: dt.date  # last day seeded for the clinician's people (posts go after it)
    db_bytes: int | None


def clinician_handle(number: int) -> str:
    return f"c{number + 1:03d}"


def person_handle(number: int) -> str:
    return f"p{number + 1:06d}"


def noon_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(16, 0), tzinfo=dt.UTC)  # noon in New York, roughly


def seed(engine: Engine, args: argparse.Namespace, post_days: int) -> Seeded:
    """Accounts through the services; people and their history bulk-inserted with Core."""
    start = time.perf_counter()
    migrate.upgrade(engine)
    clock = FixedClock(BENCH_INSTANT)
    sessions = make_sessionmaker(engine)
    settings = web_settings(engine.url.render_as_string(hide_password=False))
    with unit_of_work(sessions, clock) as session:
        clinic = people.create_clinic(session, clock, OPERATOR, "Bench Clinic")
        clinic_id = clinic.id
        for number in range(args.clinicians):
            user = people.add_account(
                session,
                clock,
                OPERATOR,
                handle=clinician_handle(number),
                display_name=f"Clinician {number + 1}",
                role=Role.CLINICIAN,
                clinic=clinic,
                timezone=TIMEZONE,
            )
            if number == 0:
                accounts.set_password(session, clock, settings, user, PASSWORD, OPERATOR)
                bench_actor = Actor(
                    label=f"user:{user.handle}",
                    source="bench",
                    user_id=user.id,
                    role=Role.CLINICIAN,
                    clinic_id=clinic_id,
                )
        token = accounts.create_token(session, clock, bench_actor, "bench")
    with engine.connect() as connection:
        clinician_ids = dict(
            connection.execute(
                select(User.handle, User.id).where(User.role == Role.CLINICIAN.value)
            ).all()
        )
    print(f"  accounts of {args.clinicians} clinicians created", flush=True)

    today = clock.today()
    # People per clinician: `args.caseload` when given (bench_pages: 300), else an even share.
    per_clinician = getattr(args, "caseload", None) or -(-args.people // args.clinicians)
    if per_clinician * args.clinicians < args.people:
        raise ValueError(f"{args.clinicians} clinicians of {per_clinician} cannot hold everyone")
    bench_people = min(per_clinician, args.people)
    # The benchmark clinician's people get their history `post_days` earlier, so the timed
    # check-ins fill the days after it up to today (each person one check-in a day, in order).
    now = clock.now()
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {
                    "clinic_id": clinic_id,
                    "role": Role.PERSON.value,
                    "handle": person_handle(n),
                    "display_name": f"Person {n + 1}",
                    "timezone": TIMEZONE,
                    "active": True,
                    "created_at": now - dt.timedelta(days=args.days + post_days + 1),
                    "created_by_id": None,
                    "password_hash": None,
                    "failed_logins": 0,
                }
                for n in range(args.people)
            ],
        )
        person_ids = dict(
            connection.execute(
                select(User.handle, User.id).where(User.role == Role.PERSON.value)
            ).all()
        )
        connection.execute(
            insert(CareRelationship),
            [
                {
                    "clinician_id": clinician_ids[clinician_handle(n // per_clinician)],
                    "person_id": person_ids[person_handle(n)],
                    "created_at": now - dt.timedelta(days=args.days + post_days + 1),
                    "created_by_id": None,
                    "ended_at": None,
                    "ended_by_id": None,
                }
                for n in range(args.people)
            ],
        )
    print(f"  {args.people:,} people and their care relationships inserted", flush=True)
    first_day = today - dt.timedelta(days=args.days + post_days)
    seed_plans(
        engine, sessions, clock, bench_actor, first_day, person_ids, clinician_ids, per_clinician
    )
    print(f"  an approved plan for each of {args.people:,} people", flush=True)

    with engine.connect() as connection:
        next_id = (connection.scalar(select(func.max(Checkin.id))) or 0) + 1
    payload_hash = "0" * 64
    sows_answers, craving_answers = dict(SOWS.answers), dict(CRAVING.answers)
    for chunk_start in range(0, args.people, SEED_CHUNK_PEOPLE):
        checkin_rows: list[dict[str, Any]] = []
        response_rows: list[dict[str, Any]] = []
        dose_rows: list[dict[str, Any]] = []
        for n in range(chunk_start, min(chunk_start + SEED_CHUNK_PEOPLE, args.people)):
            person_id = person_ids[person_handle(n)]
            last_day = today - dt.timedelta(days=post_days if n < bench_people else 0)
            for back in range(args.days - 1, -1, -1):
                day = last_day - dt.timedelta(days=back)
                created = noon_utc(day)
                checkin_id = next_id
                next_id += 1
                checkin_rows.append(
                    {
                        "id": checkin_id,
                        "person_id": person_id,
                        "kind": "daily",
                        "checkin_date": day,
                        "idempotency_key": f"seed-{day.isoformat()}",
                        "payload_hash": payload_hash,
                        "note": "",
                        "red_flags": [],
                        "used_non_prescribed_opioids": False,
                        "activities": {},
                        "created_at": created,
                        "created_by_id": None,
                    }
                )
                for score, answers in ((CRAVING, craving_answers), (SOWS, sows_answers)):
                    response_rows.append(
                        {
                            "checkin_id": checkin_id,
                            "instrument_id": score.instrument_id,
                            "instrument_version": score.instrument_version,
                            "answers": answers,
                            "total": score.total,
                            "band": score.band,
                            "positive_screen": score.positive_screen,
                            "metrics": {},
                            "flags": [],
                            "created_at": created,
                            "created_by_id": None,
                        }
                    )
                dose_rows.append(
                    {
                        "person_id": person_id,
                        "checkin_id": checkin_id,
                        "category": "kratom",
                        "form": "leaf_powder",
                        "product": "",
                        "amount_thousandths": 2500,
                        "unit": "g",
                        "taken_on": day,
                        "taken_time": dt.time(8, 0),
                        "created_at": created,
                        "created_by_id": None,
                    }
                )
        with engine.begin() as connection:
            connection.execute(insert(Checkin), checkin_rows)
            connection.execute(insert(InstrumentResponse), response_rows)
            connection.execute(insert(DoseLog), dose_rows)
        done = min(chunk_start + SEED_CHUNK_PEOPLE, args.people)
        if done % 2000 < SEED_CHUNK_PEOPLE or done == args.people:
            print(
                f"  check-ins of {done:,} people inserted ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )

    with unit_of_work(sessions, clock) as session:
        status.rebuild(session)  # the latest status each check-in would have kept
    print(f"  latest status rebuilt ({time.perf_counter() - start:.0f} s)", flush=True)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Ids were given explicitly: move the sequence past them.
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('checkins', 'id'), "
                    "(SELECT max(id) FROM checkins))"
                )
            )
        else:
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        settle_postgres(engine)
    seconds = time.perf_counter() - start
    db_bytes = None
    if engine.dialect.name == "sqlite" and engine.url.database:
        db_bytes = sum(
            p.stat().st_size
            for p in Path(engine.url.database).parent.glob(Path(engine.url.database).name + "*")
        )
    return Seeded(
        seconds=seconds,
        rows=count_rows(engine),
        clinician=clinician_handle(0),
        caseload=[person_handle(n) for n in range(bench_people)],
        token=token,
        first_seeded_day=today - dt.timedelta(days=args.days - 1),
        last_bench_day=today - dt.timedelta(days=post_days),
        db_bytes=db_bytes,
    )


def bench_plan(first_day: dt.date) -> dict[str, Any]:
    """A kratom taper from 4 g to 1 g a day, a quarter gram every three weeks, one dose at
    08:00 (the check-ins log 2.5 g at 08:00), with the activities a plan usually has.
    Every person in the benchmark has it, approved, so the caseload computes their taper step
    and adherence and every check-in is checked against a plan, as in a clinic."""
    return {
        "taper": {
            "form": "leaf_powder",
            "start": first_day.isoformat(),
            "current": {"amount": "4", "unit": "g"},
            "target": {"amount": "1", "unit": "g"},
            "method": "fixed",
            "step": "0.25",
            "step_days": 21,
            "smallest_step": {"amount": "0.25", "unit": "g"},
            "doses": [{"time": "08:00"}],
            "long_term_use": False,
        },
        "activities": {
            "exercise_minutes_per_week": 150,
            "meditation_minutes_per_day": 10,
            "counseling_sessions_per_week": 1,
            "support_meetings_per_week": 2,
        },
        "monitoring": {"daily_checkin_time": "09:00", "weekly_questionnaires_day": "monday"},
        "goals": ["Taper off kratom safely"],
    }


def seed_plans(
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    actor: Actor,
    first_day: dt.date,
    person_ids: dict[str, int],
    clinician_ids: dict[str, int],
    per_clinician: int,
) -> None:
    """The first person's plan is drafted and approved through the services (so it is checked
    as a clinician's would be); everyone else gets the same stored version, bulk-inserted,
    approved by the clinician who cares for them."""
    with unit_of_work(sessions, clock) as session:
        view = plans.draft(
            session, clock, actor, person_handle(0), PlanInput.model_validate(bench_plan(first_day))
        )
        plans.approve(
            session, clock, actor, person_handle(0), view.number, view.review.needs_acknowledging
        )
    with engine.begin() as connection:
        stored = connection.execute(select(PlanVersion)).mappings().one()
        template = {key: value for key, value in stored.items() if key not in ("id", "person_id")}
        content = template["content"]
        connection.execute(
            insert(PlanVersion),
            [
                {
                    **template,
                    # People start their tapers on different days (no two neighbours alike),
                    # so no request is spared work by another person's identical plan.
                    "content": {
                        **content,
                        "taper": {
                            **content["taper"],
                            "start": (first_day + dt.timedelta(days=n % 29)).isoformat(),
                        },
                    },
                    "person_id": person_ids[person_handle(n)],
                    "approved_by_id": clinician_ids[clinician_handle(n // per_clinician)],
                    "created_by_id": clinician_ids[clinician_handle(n // per_clinician)],
                }
                for n in range(1, len(person_ids))
            ],
        )


def settle_postgres(engine: Engine) -> None:
    """Leave the bulk load as a running clinic's database would be: vacuumed, analysed and
    checkpointed. Otherwise autovacuum starts on millions of fresh rows, and a checkpoint
    writes the load out, while the timed requests run."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
        try:
            connection.execute(text("CHECKPOINT"))
        except DBAPIError as error:  # needs superuser or pg_checkpoint
            print(f"  (no CHECKPOINT: {error.orig})", flush=True)
    print("  vacuumed, analysed and checkpointed", flush=True)


def count_rows(engine: Engine) -> dict[str, int]:
    tables = ("users", "care_relationships", "checkins", "instrument_responses", "dose_logs")
    with engine.connect() as connection:
        return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) or 0 for t in tables}

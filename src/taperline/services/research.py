"""The de-identified research export: one table per entity for a clinic's people, with
pseudonymous ids, dates shifted per person, no free text, small cells suppressed in the
summary; a data dictionary and a manifest. Only an admin (or the operator); audited.

- Pseudonyms: HMAC-SHA256 of the person's id under the clinic's research key: the same person
  gets the same pseudonym in every export with that key, and a different key gives different
  ones. The key never leaves the clinic.
- Dates: every date of a person is moved by the same secret number of days (derived from the
  key, within ±182), so intervals within a person are kept and calendar dates are not.
- Left out: names, handles, emails, time zones, free text (notes, messages, product names,
  comments), exact times of day, and everyone who is not a person in recovery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Text, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Alert, Checkin, DoseLog, InstrumentResponse, PlanVersion, User
from taperline.domain.access import Action, Actor
from taperline.domain.doses import from_thousandths
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.services import audit
from taperline.services.authz import AccessDenied

SHIFT_DAYS = 182
SMALL_CELL = 11  # summary counts below this are shown as "<11"
FORMATS = ("parquet", "csv")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    description: str
    unit: str = ""
    values: tuple[str, ...] = ()


DICTIONARY: dict[str, tuple[Column, ...]] = {
    "people": (
        Column("pid", "string", "Pseudonymous person id (HMAC-SHA256 under the research key)"),
        Column("enrolled_day", "date", "Account created, shifted"),
        Column("active", "boolean", "Account still active"),
    ),
    "plans": (
        Column("pid", "string", "Person"),
        Column("version", "integer", "Plan version number"),
        Column("status", "string", "Version status", values=("approved", "superseded")),
        Column("approved_day", "date", "Approved on, shifted"),
        Column(
            "taper_form",
            "string",
            "Kratom form of the taper, if any",
            values=("leaf_powder", "capsules"),
        ),  # fmt: skip
    ),
    "plan_items": (
        Column("pid", "string", "Person"),
        Column("version", "integer", "Plan version"),
        Column(
            "category",
            "string",
            "Item kind",
            values=("kratom", "moud", "melatonin", "magnesium", "other_medication"),
        ),  # fmt: skip
        Column("form", "string", "Form (for kratom and magnesium); null otherwise"),
        Column("amount_per_dose", "decimal", "Amount per dose", unit="see unit"),
        Column(
            "unit",
            "string",
            "Unit of the amount",
            values=("g", "mg", "mcg", "capsule", "tablet", "film", "mL"),
        ),  # fmt: skip
        Column("doses_per_day", "integer", "Planned doses a day"),
    ),
    "checkins": (
        Column("pid", "string", "Person"),
        Column("cid", "string", "Pseudonymous check-in id"),
        Column("day", "date", "The day the check-in is about, shifted"),
        Column("kind", "string", "Check-in kind", values=("daily", "weekly", "visit")),
        Column("red_flags", "integer", "Number of red-flag questions answered yes"),
        Column("non_prescribed_opioids", "boolean", "Reported use of opioids not prescribed"),
    ),
    "doses": (
        Column("pid", "string", "Person"),
        Column("cid", "string", "Check-in it was logged with (null if none)"),
        Column("day", "date", "Day taken, shifted"),
        Column(
            "category",
            "string",
            "Kind of dose",
            values=("kratom", "moud", "melatonin", "magnesium", "other_medication"),
        ),  # fmt: skip
        Column("form", "string", "Form; null if none"),
        Column("amount", "decimal", "Amount", unit="see unit"),
        Column("unit", "string", "Unit of the amount"),
    ),
    "scores": (
        Column("pid", "string", "Person"),
        Column("cid", "string", "Check-in"),
        Column("day", "date", "Day, shifted"),
        Column(
            "instrument",
            "string",
            "Instrument id",
            values=("sows", "cows", "craving", "phq9", "phq2", "gad7", "gad2"),
        ),  # fmt: skip
        Column("total", "integer", "Total score (null for instruments without one)"),
        Column("band", "string", "Severity band, where the instrument has bands"),
    ),
    "sleep": (
        Column("pid", "string", "Person"),
        Column("cid", "string", "Check-in"),
        Column("day", "date", "Night's diary day, shifted"),
        Column("time_in_bed", "integer", "Time in bed", unit="min"),
        Column("sleep_onset_latency", "integer", "Sleep onset latency", unit="min"),
        Column("awakenings", "integer", "Number of awakenings", unit="count"),
        Column("wake_after_sleep_onset", "integer", "Wake after sleep onset", unit="min"),
        Column("total_sleep_time", "integer", "Total sleep time", unit="min"),
        Column("sleep_efficiency", "decimal", "Sleep efficiency", unit="%"),
        Column("quality", "integer", "Sleep quality rating", unit="1-5"),
    ),
    "alerts": (
        Column("pid", "string", "Person"),
        Column("day", "date", "Day raised, shifted"),
        Column("rule", "string", "Safety rule id (see docs/safety.md)"),
        Column("severity", "string", "Severity", values=("warning", "urgent")),
        Column("status", "string", "Status", values=("open", "acknowledged", "resolved")),
    ),
    "activities": (
        Column("pid", "string", "Person"),
        Column("cid", "string", "Check-in"),
        Column("day", "date", "Day, shifted"),
        Column(
            "activity",
            "string",
            "What was done",
            values=(
                "exercise_minutes",
                "meditation_minutes",
                "counseling_session",
                "support_meeting",
            ),
        ),  # fmt: skip
        Column("value", "integer", "Minutes, or 1 for a session or meeting"),
    ),
    "summary_scores": (
        Column("instrument", "string", "Instrument id"),
        Column("band", "string", "Band"),
        Column(
            "people",
            "string",
            f"People with a score in this band (below {SMALL_CELL}: '<{SMALL_CELL}')",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Exported:
    path: Path
    rows: dict[str, int]


class _Keys:
    """Keyed pseudonyms (HMAC-SHA256) and per-person date shifts. A person's pseudonym and
    shift are made once per export; the keyed hash state is copied rather than rebuilt."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._pids: dict[int, str] = {}
        self._cids: dict[int, str] = {}  # a check-in's rows (doses, scores, sleep) share one

    def _mac(self, text: str) -> bytes:
        mac = self._keyed.copy()
        mac.update(text.encode())
        return mac.digest()

    def pid(self, person_id: int) -> str:
        found = self._pids.get(person_id)
        if found is None:
            found = self._pids[person_id] = self._mac(f"person:{person_id}").hex()[:20]
        return found

    def cid(self, checkin_id: int | None) -> str | None:
        if checkin_id is None:
            return None
        found = self._cids.get(checkin_id)
        if found is None:
            found = self._cids[checkin_id] = self._mac(f"checkin:{checkin_id}").hex()[:20]
        return found

    def shift(self, person_id: int) -> dt.timedelta:
        number = int.from_bytes(self._mac(f"shift:{person_id}")[:4], "big") % (2 * SHIFT_DAYS)
        # -182 … -1 or 1 … 182: never 0, so no date is left where it was
        return dt.timedelta(
            days=number - SHIFT_DAYS if number < SHIFT_DAYS else number - SHIFT_DAYS + 1
        )


def parse_research_key(text: str | None) -> bytes:
    if not text or len(text.strip()) < 32:
        raise InvalidInput(
            "research_key",
            "set TAPERLINE_RESEARCH_KEY to a random secret of at least 32 characters (the "
            "clinic keeps it: it makes pseudonyms stable across exports)",
        )
    return text.strip().encode()


def _frame(rows: list[dict[str, Any]], table: str) -> pl.DataFrame:
    names = [c.name for c in DICTIONARY[table]]
    if not rows:
        return pl.DataFrame({name: [] for name in names})
    return pl.DataFrame(rows).select(names)


def _people(session: Session, clinic_id: int | None) -> list[User]:
    statement = select(User).where(User.role == Role.PERSON.value).order_by(User.id)
    if clinic_id is not None:
        statement = statement.where(User.clinic_id == clinic_id)
    return list(session.scalars(statement))


def _chunked(ids: list[int], size: int = 2000) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def export(
    session: Session, clock: Clock, actor: Actor, out: Path, *, key: bytes, fmt: str
) -> Exported:
    if not actor.is_operator and actor.role is not Role.ADMIN:
        raise AccessDenied(actor, Action.AUDIT_READ, None)  # an admin's task, as the audit log
    if fmt not in FORMATS:
        raise InvalidInput("format", f"choose {' or '.join(FORMATS)}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput("--out", f"{out} exists and is not an empty folder; choose a new one")
    keys = _Keys(key)
    people = _people(session, actor.clinic_id)
    ids = [p.id for p in people]
    shift = {p.id: keys.shift(p.id) for p in people}
    tables: dict[str, pl.DataFrame] = {}
    tables["people"] = _frame(
        [
            {"pid": keys.pid(p.id), "enrolled_day": p.created_at.date() + shift[p.id],
             "active": p.active}
            for p in people
        ],
        "people",
    )  # fmt: skip
    plan_rows: dict[str, list[dict[str, Any]]] = {"plans": [], "plan_items": []}
    for chunk in _chunked(ids):
        _plans(session, chunk, keys, shift, plan_rows)
    tables["plans"] = _frame(plan_rows["plans"], "plans")
    tables["plan_items"] = _frame(plan_rows["plan_items"], "plan_items")
    who = pl.DataFrame(
        {
            "person_id": ids,
            "pid": [keys.pid(i) for i in ids],
            "shift": [shift[i].days for i in ids],
        },
        schema={"person_id": pl.Int64, "pid": pl.String, "shift": pl.Int64},
    )
    tables |= _bulk(session, actor.clinic_id, keys, who)
    tables["summary_scores"] = _summary(tables["scores"])
    tables = {name: tables[name] for name in DICTIONARY}
    staging = Path(
        tempfile.mkdtemp(prefix=".research-", dir=out.parent if out.parent.exists() else None)
    )
    try:
        files: dict[str, dict[str, Any]] = {}
        for name, frame in tables.items():
            path = staging / f"{name}.{fmt}"
            if fmt == "parquet":
                frame.write_parquet(path)
            else:
                frame.write_csv(path)
            files[name] = {"file": path.name, "rows": frame.height, "sha256": _sha256(path)}
        (staging / "dictionary.json").write_text(
            json.dumps({t: [_col(c) for c in cols] for t, cols in DICTIONARY.items()}, indent=1),
            encoding="utf-8",
        )
        manifest = {
            "format": "taperline-research-export/1",
            "created_at": clock.now().isoformat(),
            "file_format": fmt,
            "people": len(people),
            "tables": files,
            "date_shift": f"per person, within ±{SHIFT_DAYS} days, secret",
            "small_cell_threshold": SMALL_CELL,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    counts = {name: int(info["rows"]) for name, info in files.items()}
    audit.record(session, clock, actor, "research.export", resource_type="research_export",
                 detail={"people": len(people), "rows": counts, "format": fmt})  # fmt: skip
    return Exported(out, counts)


def _col(column: Column) -> dict[str, Any]:
    return {"name": column.name, "type": column.type, "description": column.description,
            "unit": column.unit, "values": list(column.values)}  # fmt: skip


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plans(session: Session, chunk: list[int], keys: _Keys, shift: dict[int, dt.timedelta],
           tables: dict[str, list[dict[str, Any]]]) -> None:  # fmt: skip
    from taperline.schemas.plans import stored_content_unscheduled

    versions = session.scalars(
        select(PlanVersion).where(
            PlanVersion.person_id.in_(chunk), PlanVersion.status.in_(("approved", "superseded"))
        )
    )
    for version in versions:
        pid, move = keys.pid(version.person_id), shift[version.person_id]
        content = stored_content_unscheduled(version.content)
        tables["plans"].append(
            {
                "pid": pid,
                "version": version.number,
                "status": version.status,
                "approved_day": version.approved_at.date() + move if version.approved_at else None,
                "taper_form": content.kratom_form if content.taper else None,
            }  # fmt: skip
        )
        for item in content.items:
            tables["plan_items"].append(
                {
                    "pid": pid,
                    "version": version.number,
                    "category": item.category.value,
                    "form": item.form,
                    "amount_per_dose": str(item.amount_per_dose.value),
                    "unit": item.amount_per_dose.unit.value,
                    "doses_per_day": len(item.times),
                }  # fmt: skip
            )


ACTIVITY_KEYS = ("exercise_minutes", "meditation_minutes", "counseling_session", "support_meeting")
SLEEP_METRICS = (
    "time_in_bed",
    "sleep_onset_latency",
    "awakenings",
    "wake_after_sleep_onset",
    "total_sleep_time",
    "sleep_efficiency",
)


_INT, _TEXT = pl.Int64, pl.String
_TYPES = {
    "person_id": _INT,
    "checkin_id": _INT,
    "red_flags": _INT,
    "thousandths": _INT,
    "total": _INT,
    "non_prescribed_opioids": pl.Boolean,
    "sleep_efficiency": pl.Float64,
}


def _read(session: Session, statement: Any, names: list[str]) -> pl.DataFrame:
    """A statement's rows as a frame (dates as the driver gives them, made dates by Polars)."""
    result = session.connection().execute(statement)
    try:
        rows = result.cursor.fetchall()  # the driver's tuples: no Row object per row
    finally:
        result.close()
    if not rows:
        return pl.DataFrame(schema={n: _TYPES.get(n, _INT if n in SLEEP_METRICS else _TEXT)
                                    for n in names})  # fmt: skip
    columns = zip(*rows, strict=True)  # a column at a time: Polars types each list in Rust
    return pl.DataFrame(
        [pl.Series(name, values, strict=False) for name, values in zip(names, columns, strict=True)]
    )


def _day(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A stored date moved by the person's shift (SQLite gives text, PostgreSQL dates)."""
    value = pl.col(column)
    if frame.schema[column] == pl.String:
        value = value.str.to_date("%Y-%m-%d")
    return (value.cast(pl.Date) + pl.duration(days=pl.col("shift"))).alias("day")


def _bulk(
    session: Session, clinic_id: int | None, keys: _Keys, who: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Check-ins and what hangs off them, a table at a time: read as columns, de-identified
    by joins on the person's pseudonym and shift (no Python loop over rows but the keyed
    hash of each check-in id)."""
    mine = select(User.id).where(User.role == Role.PERSON.value)
    if clinic_id is not None:
        mine = mine.where(User.clinic_id == clinic_id)
    checkins = _read(
        session,
        select(Checkin.id, Checkin.person_id, as_text(Checkin.checkin_date), Checkin.kind,
               func.coalesce(_json_length(session, Checkin.red_flags), 0),
               Checkin.used_non_prescribed_opioids,
               *(cast(Checkin.activities[name].as_string(), Text) for name in ACTIVITY_KEYS))
        .where(Checkin.person_id.in_(mine)).order_by(Checkin.id),
        ["checkin_id", "person_id", "date", "kind", "red_flags", "non_prescribed_opioids",
         *ACTIVITY_KEYS],
    )  # fmt: skip
    cids = pl.DataFrame(
        {
            "checkin_id": checkins["checkin_id"],
            "cid": [keys.cid(i) for i in checkins["checkin_id"].to_list()],
        },
        schema={"checkin_id": pl.Int64, "cid": pl.String},
    )

    def identify(frame: pl.DataFrame, date: str) -> pl.DataFrame:
        frame = frame.join(who, on="person_id", how="inner", maintain_order="left")
        if "checkin_id" in frame.columns:
            frame = frame.join(cids, on="checkin_id", how="left", maintain_order="left")
        return frame.with_columns(_day(frame, date))

    found: dict[str, pl.DataFrame] = {}
    marked = identify(checkins, "date")
    found["checkins"] = marked.with_columns(
        pl.col("red_flags").cast(pl.Int64),
        pl.col("non_prescribed_opioids").cast(pl.Boolean),
    ).select([c.name for c in DICTIONARY["checkins"]])
    activity = pl.concat(
        [
            marked.select(
                "pid", "cid", "day", pl.lit(name).alias("activity"),
                pl.when(pl.col(name) == "true").then(pl.lit("1"))
                .when(pl.col(name) == "false").then(pl.lit("0"))
                .otherwise(pl.col(name)).cast(pl.Int64, strict=False).alias("value"),
                pl.col("checkin_id"),
            )
            for name in ACTIVITY_KEYS
        ]
    )  # fmt: skip
    found["activities"] = (
        activity.filter(pl.col("value") > 0)
        .sort("checkin_id", maintain_order=True)
        .select([c.name for c in DICTIONARY["activities"]])
    )
    doses = _read(
        session,
        select(DoseLog.person_id, DoseLog.checkin_id, as_text(DoseLog.taken_on),
               DoseLog.category, DoseLog.form, DoseLog.amount_thousandths, DoseLog.unit)
        .where(DoseLog.person_id.in_(mine)).order_by(DoseLog.id),
        ["person_id", "checkin_id", "taken_on", "category", "form", "thousandths", "unit"],
    )  # fmt: skip
    amounts = doses.select("thousandths", "unit").unique()
    amounts = amounts.with_columns(
        pl.Series(
            "amount",
            [str(from_thousandths(t, u).value) for t, u in amounts.iter_rows()],
            dtype=pl.String,
        )
    )
    found["doses"] = (
        identify(doses, "taken_on")
        .join(amounts, on=["thousandths", "unit"], how="left", maintain_order="left")
        .select([c.name for c in DICTIONARY["doses"]])
    )
    kind = InstrumentResponse.instrument_id
    responses = (
        select(InstrumentResponse.checkin_id, Checkin.person_id, as_text(Checkin.checkin_date))
        .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
        .where(Checkin.person_id.in_(mine))
        .order_by(InstrumentResponse.id)
    )
    scores = _read(
        session,
        responses.add_columns(kind, InstrumentResponse.total, InstrumentResponse.band).where(
            kind != "sleep_diary"
        ),
        ["checkin_id", "person_id", "date", "instrument", "total", "band"],
    )
    found["scores"] = identify(scores, "date").select([c.name for c in DICTIONARY["scores"]])
    metric = InstrumentResponse.metrics
    sleep = _read(
        session,
        responses.add_columns(
            *(
                metric[name].as_float() if name == "sleep_efficiency"
                else metric[name].as_integer()
                for name in SLEEP_METRICS
            ),
            InstrumentResponse.answers["quality"].as_integer(),
        ).where(kind == "sleep_diary"),
        ["checkin_id", "person_id", "date", *SLEEP_METRICS, "quality"],
    )  # fmt: skip
    found["sleep"] = identify(sleep, "date").select([c.name for c in DICTIONARY["sleep"]])
    alerts = _read(
        session,
        select(Alert.person_id, as_text(Alert.day), Alert.rule_id, Alert.severity, Alert.status)
        .where(Alert.person_id.in_(mine)).order_by(Alert.id),
        ["person_id", "date", "rule", "severity", "status"],
    )  # fmt: skip
    found["alerts"] = identify(alerts, "date").select([c.name for c in DICTIONARY["alerts"]])
    return found


def as_text(column: Any) -> Any:
    """A column read as the driver gives it (no per-row conversion by SQLAlchemy)."""
    return type_coerce(column, Text)


def _json_length(session: Session, column: Any) -> Any:
    """The length of a JSON array column, in the database's own terms."""
    if session.get_bind().dialect.name == "postgresql":
        return func.jsonb_array_length(column)
    return func.json_array_length(column)


def _summary(scores: pl.DataFrame) -> pl.DataFrame:
    """People per instrument and band (a person counted once per band), small cells hidden."""
    counted = (
        scores.select("instrument", pl.col("band").fill_null(""), "pid")
        .unique()
        .group_by("instrument", "band")
        .len("n")
        .sort("instrument", "band")
    )
    return counted.select(
        "instrument",
        "band",
        pl.when(pl.col("n") >= SMALL_CELL)
        .then(pl.col("n").cast(pl.String))
        .otherwise(pl.lit(f"<{SMALL_CELL}"))
        .alias("people"),
    )

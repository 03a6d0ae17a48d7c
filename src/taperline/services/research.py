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
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
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
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in DICTIONARY}
    for person in people:
        tables["people"].append(
            {
                "pid": keys.pid(person.id),
                "enrolled_day": person.created_at.date() + shift[person.id],
                "active": person.active,
            }  # fmt: skip
        )
    for chunk in _chunked(ids):
        _plans(session, chunk, keys, shift, tables)
        _checkins(session, chunk, keys, shift, tables)
        alerts = session.execute(
            select(Alert.person_id, Alert.day, Alert.rule_id, Alert.severity, Alert.status)
            .where(Alert.person_id.in_(chunk))
        )  # fmt: skip
        for person_id, day, rule, severity, status in alerts:
            tables["alerts"].append(
                {"pid": keys.pid(person_id), "day": day + shift[person_id], "rule": rule,
                 "severity": severity, "status": status}
            )  # fmt: skip
    tables["summary_scores"] = _summary(tables["scores"])
    staging = Path(
        tempfile.mkdtemp(prefix=".research-", dir=out.parent if out.parent.exists() else None)
    )
    try:
        files: dict[str, dict[str, Any]] = {}
        for name, rows in tables.items():
            frame = _frame(rows, name)
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


def _checkins(session: Session, chunk: list[int], keys: _Keys, shift: dict[int, dt.timedelta],
              tables: dict[str, list[dict[str, Any]]]) -> None:  # fmt: skip
    # Plain column reads (no ORM objects): this is the export's bulk.
    checkins = session.execute(
        select(Checkin.id, Checkin.person_id, Checkin.checkin_date, Checkin.kind,
               Checkin.red_flags, Checkin.used_non_prescribed_opioids, Checkin.activities)
        .where(Checkin.person_id.in_(chunk))
    )  # fmt: skip
    out_checkins, out_activities = tables["checkins"], tables["activities"]
    for checkin_id, person_id, date, kind, red_flags, opioids, activities in checkins:
        pid, cid = keys.pid(person_id), keys.cid(checkin_id)
        day = date + shift[person_id]
        out_checkins.append(
            {"pid": pid, "cid": cid, "day": day, "kind": kind,
             "red_flags": len(red_flags or []), "non_prescribed_opioids": opioids}
        )  # fmt: skip
        if not activities:
            continue
        for name in ACTIVITY_KEYS:
            value = activities.get(name)
            if isinstance(value, bool):
                value = int(value)
            if isinstance(value, int) and value > 0:
                out_activities.append(
                    {"pid": pid, "cid": cid, "day": day, "activity": name, "value": value}
                )
    doses = session.execute(
        select(DoseLog.person_id, DoseLog.checkin_id, DoseLog.taken_on, DoseLog.category,
               DoseLog.form, DoseLog.amount_thousandths, DoseLog.unit)
        .where(DoseLog.person_id.in_(chunk))
    )  # fmt: skip
    for person_id, checkin_id, taken_on, category, form, thousandths, unit in doses:
        tables["doses"].append(
            {
                "pid": keys.pid(person_id),
                "cid": keys.cid(checkin_id),
                "day": taken_on + shift[person_id],
                "category": category,
                "form": form,
                "amount": str(from_thousandths(thousandths, unit).value),
                "unit": unit,
            }  # fmt: skip
        )

    def responses(*columns: Any, sleep: bool) -> Any:
        kind = InstrumentResponse.instrument_id
        return session.execute(
            select(InstrumentResponse.checkin_id, Checkin.person_id, Checkin.checkin_date,
                   *columns)
            .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
            .where(Checkin.person_id.in_(chunk),
                   kind == "sleep_diary" if sleep else kind != "sleep_diary")
        )  # fmt: skip

    scores = responses(
        InstrumentResponse.instrument_id, InstrumentResponse.total, InstrumentResponse.band,
        sleep=False,
    )  # fmt: skip
    out_scores = tables["scores"]
    for checkin_id, person_id, date, instrument, total, band in scores:
        out_scores.append(
            {"pid": keys.pid(person_id), "cid": keys.cid(checkin_id),
             "day": date + shift[person_id], "instrument": instrument, "total": total,
             "band": band}
        )  # fmt: skip
    diaries = responses(InstrumentResponse.metrics, InstrumentResponse.answers, sleep=True)
    out_sleep = tables["sleep"]
    for checkin_id, person_id, date, metrics, answers in diaries:
        row = {"pid": keys.pid(person_id), "cid": keys.cid(checkin_id),
               "day": date + shift[person_id]}  # fmt: skip
        metrics = metrics or {}
        for name in SLEEP_METRICS:
            row[name] = metrics.get(name)
        row["quality"] = (answers or {}).get("quality")
        out_sleep.append(row)


SLEEP_METRICS = (
    "time_in_bed",
    "sleep_onset_latency",
    "awakenings",
    "wake_after_sleep_onset",
    "total_sleep_time",
    "sleep_efficiency",
)


def _summary(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People per instrument and band (a person counted once per band), small cells hidden."""
    seen = {(s["instrument"], s["band"] or "", s["pid"]) for s in scores}
    counts = Counter((instrument, band) for instrument, band, _ in seen)
    return [
        {
            "instrument": instrument,
            "band": band,
            "people": str(n) if n >= SMALL_CELL else f"<{SMALL_CELL}",
        }  # fmt: skip
        for (instrument, band), n in sorted(counts.items())
    ]

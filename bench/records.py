"""Whole records for the export benches: bench_overview's seeder stores only what the clinic
overview reads (a SOWS total, a sleep efficiency); an export reads everything, so this fills in
what a real check-in holds, in place, with direct SQL:

- SOWS: sixteen item answers (0-4) that add up to the stored total;
- the sleep diary: a full night's answers (as the demo writes them) and the metrics the real
  instrument derives from them;
- doses: one to three kratom doses per check-in (leaf powder, grams, with a time);
- activities: exercise minutes on about a third of check-ins, a counseling session weekly.

Usage: fill(path, rng) after seed(); returns what it added.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from pathlib import Path

from taperline.demo.history import _diary
from taperline.domain.instruments import registry
from taperline.domain.instruments.sleep_diary import SleepDiaryInstrument


def _sows_answers(total: int, keys: list[str], rng: random.Random) -> dict[str, int]:
    answers = dict.fromkeys(keys, 0)
    left = min(total, 4 * len(keys))
    while left:
        key = rng.choice(keys)
        if answers[key] < 4:
            answers[key] += 1
            left -= 1
    return answers


def fill(path: Path, rng: random.Random) -> dict[str, int]:
    sows_keys = [item.key for item in registry.get("sows").items]  # type: ignore[attr-defined]
    diary = registry.get("sleep_diary")
    assert isinstance(diary, SleepDiaryInstrument)
    connection = sqlite3.connect(path)
    responses = connection.execute(
        "SELECT id, instrument_id, total, metrics FROM instrument_responses"
    ).fetchall()
    updates = []
    for response_id, instrument, total, metrics in responses:
        if instrument == "sows":
            updates.append(
                (json.dumps(_sows_answers(total or 0, sows_keys, rng)), metrics, response_id)
            )
        else:
            efficiency = json.loads(metrics or "{}").get("sleep_efficiency", 80.0) / 100
            answers = _diary(efficiency, rng)
            derived = dict(diary.score(answers).metrics)
            updates.append((json.dumps(answers), json.dumps(derived), response_id))
    connection.executemany(
        "UPDATE instrument_responses SET answers = ?, metrics = ? WHERE id = ?", updates
    )
    checkins = connection.execute(
        "SELECT id, person_id, checkin_date, created_at FROM checkins"
    ).fetchall()
    doses, activities = [], []
    for checkin_id, person_id, day, created in checkins:
        for number in range(rng.randint(1, 3)):
            grams = rng.choice((1000, 1500, 2000, 2500, 3000))
            doses.append(
                (person_id, checkin_id, "kratom", "leaf_powder", grams, "g", day,
                 dt.time(8 + 5 * number, 0).isoformat(), created)
            )  # fmt: skip
        done: dict[str, int] = {}
        if rng.random() < 0.35:
            done["exercise_minutes"] = rng.choice((15, 20, 30, 45))
        if dt.date.fromisoformat(day).weekday() == 2:
            done["counseling_session"] = 1
        if done:
            activities.append((json.dumps(done), checkin_id))
    connection.executemany(
        "INSERT INTO dose_logs (person_id, checkin_id, category, form, product, "
        "amount_thousandths, unit, taken_on, taken_time, created_at) "
        "VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
        doses,
    )
    connection.executemany("UPDATE checkins SET activities = ? WHERE id = ?", activities)
    connection.commit()
    connection.close()
    return {"answers filled": len(updates), "doses": len(doses), "activities": len(activities)}

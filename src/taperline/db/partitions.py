"""Monthly partitions of the audit log on PostgreSQL (declarative partitioning by range of
`occurred_at`, made by migration 5e1f0c7a2b93). SQLite, the single-clinic default, has none.

Each month is a partition of its own, `audit_events_YYYY_MM`, so a year of a large network's
audit rows is twelve tables whose indexes each fit in memory, and an old month can be detached
and archived without a long DELETE. A DEFAULT partition takes any row no month was made for,
so writing an audit row never fails for want of a partition.

The worker makes the coming months ahead of time (its planning job, through
`services.outreach.keep_partitions`; a no-op once they exist). Should rows
ever have reached the default partition for a month that has none yet, that month is made as a
table of its own, the rows move into it and it is attached, in one transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

AUDIT = "audit_events"
DEFAULT = f"{AUDIT}_default"
MONTHS_AHEAD = 12

_CHILDREN = """
SELECT child.relname FROM pg_inherits
JOIN pg_class child ON child.oid = pg_inherits.inhrelid
JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
WHERE parent.relname = %(table)s
"""


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def name_of(month: dt.date) -> str:
    return f"{AUDIT}_{month:%Y_%m}"


def partitions(connection: Connection) -> list[str]:
    """The audit log's partitions, by name (empty on SQLite or before the migration)."""
    if connection.dialect.name != "postgresql":
        return []
    rows = connection.exec_driver_sql(_CHILDREN, {"table": AUDIT}).scalars()
    return sorted(str(name) for name in rows)


def ensure_ahead(connection: Connection, now: dt.datetime, months: int = MONTHS_AHEAD) -> list[str]:
    """Make every missing month from now's to `months` ahead; the names made, in order."""
    if connection.dialect.name != "postgresql":
        return []
    existing = set(partitions(connection))
    if not existing:
        return []  # not partitioned (an older schema)
    made = []
    month = month_start(now)
    for _ in range(months + 1):
        if name_of(month) not in existing:
            _make(connection, month)
            made.append(name_of(month))
        month = next_month(month)
    return made


def _make(connection: Connection, month: dt.date) -> None:
    name, bounds = name_of(month), _bounds(month)
    stranded = connection.exec_driver_sql(
        f"SELECT count(*) FROM {DEFAULT} WHERE occurred_at >= %(start)s AND occurred_at < %(end)s",  # noqa: S608
        _range(month),
    ).scalar_one()
    if not stranded:
        connection.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF {AUDIT} {bounds}")
        return
    # Rows in the default partition would break its constraint: move them into the new month
    # first, then attach it (all in the caller's transaction).
    connection.exec_driver_sql(
        f"CREATE TABLE {name} (LIKE {AUDIT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    connection.exec_driver_sql(
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE occurred_at >= %(start)s "  # noqa: S608
        f"AND occurred_at < %(end)s RETURNING *) INSERT INTO {name} SELECT * FROM moved",
        _range(month),
    )
    connection.exec_driver_sql(f"ALTER TABLE {AUDIT} ATTACH PARTITION {name} {bounds}")


def _range(month: dt.date) -> dict[str, dt.datetime]:
    start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(next_month(month), dt.time(), tzinfo=dt.UTC)
    return {"start": start, "end": end}


def _bounds(month: dt.date) -> str:
    return f"FOR VALUES FROM ('{month.isoformat()} 00:00+00') TO ('{next_month(month)} 00:00+00')"

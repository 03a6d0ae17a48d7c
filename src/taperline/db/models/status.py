"""Each person's latest status, kept up to date by every check-in in its own transaction.

Derived data: it can always be rebuilt from the check-ins (`services.status.rebuild`). It
exists so the caseload reads one row per person and instrument instead of ranking months of
check-ins on every page view.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from taperline.db.base import Base, JSONType, UTCDateTime


class LatestScore(Base):
    """A person's most recent response on one instrument (latest date, then latest check-in)."""

    __tablename__ = "latest_scores"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    instrument_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    checkin_date: Mapped[dt.date] = mapped_column(Date)
    total: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(40))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)


class PersonStatus(Base):
    """Facts about a person's check-ins as a whole."""

    __tablename__ = "person_status"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_daily_checkin: Mapped[dt.date | None] = mapped_column(Date)


class OverviewSnapshot(Base):
    """A clinic's overview as last computed: counts, shares and medians, no person's data.

    Derived data, like the tables above: the worker refreshes it (job kind "overview") and a
    page view computes it again when it is older than `services.progress.OVERVIEW_FRESH`. It
    exists so the overview page reads one row instead of every check-in in the clinic.
    """

    __tablename__ = "overview_snapshots"

    clinic_id: Mapped[int] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date)  # the "today" it was computed for (UTC)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)

"""Safety findings (per check-in) and the alerts raised from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from taperline.db.base import Base, Created, JSONType, UTCDateTime


class Finding(Base, Created):
    """One finding of the safety engine, stored with the check-in that caused it."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    rule_id: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    knowledge_version: Mapped[str] = mapped_column(String(30))


class Alert(Base, Created):
    """A warning or urgent finding for the clinician: open → acknowledged → resolved.

    The same rule for the same person on the same day is one alert.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("person_id", "rule_id", "day"),
        Index("ix_alerts_status_person", "status", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    rule_id: Mapped[str] = mapped_column(String(60))
    day: Mapped[dt.date] = mapped_column(Date)
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    clinician_message: Mapped[str] = mapped_column(Text)
    involved: Mapped[list[str]] = mapped_column(JSONType)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(15), default="open")
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_note: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_note: Mapped[str] = mapped_column(Text, default="")

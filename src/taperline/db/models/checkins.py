"""Check-ins, the instrument responses in them, and dose log entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from taperline.db.base import Base, Created, JSONType


class Checkin(Base, Created):
    """One submission: a person's daily check-in, or a clinician's visit rating."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("person_id", "idempotency_key"),
        Index("ix_checkins_person_date", "person_id", "checkin_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    checkin_date: Mapped[dt.date] = mapped_column(Date)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    payload_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    red_flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    used_non_prescribed_opioids: Mapped[bool] = mapped_column(Boolean, default=False)
    activities: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    responses: Mapped[list[InstrumentResponse]] = relationship(
        back_populates="checkin", cascade="all, delete-orphan", order_by="InstrumentResponse.id"
    )
    doses: Mapped[list[DoseLog]] = relationship(back_populates="checkin", order_by="DoseLog.id")


class InstrumentResponse(Base, Created):
    __tablename__ = "instrument_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[str] = mapped_column(String(30))
    instrument_version: Mapped[str] = mapped_column(String(30))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    total: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(40))
    positive_screen: Mapped[bool | None] = mapped_column(Boolean)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    flags: Mapped[list[str]] = mapped_column(JSONType)

    checkin: Mapped[Checkin] = relationship(back_populates="responses")


class DoseLog(Base, Created):
    """One dose taken, as logged. Amounts are stored exactly, in thousandths of the unit."""

    __tablename__ = "dose_logs"
    __table_args__ = (Index("ix_dose_logs_person_taken_on", "person_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(30))
    form: Mapped[str | None] = mapped_column(String(30))
    product: Mapped[str] = mapped_column(String(200), default="")
    amount_thousandths: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(10))
    taken_on: Mapped[dt.date] = mapped_column(Date)
    taken_time: Mapped[dt.time | None] = mapped_column(Time)

    checkin: Mapped[Checkin | None] = relationship(back_populates="doses")

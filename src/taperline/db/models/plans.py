"""Plan versions: drafted, reviewed by the safety engine, approved by a caring clinician."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from taperline.db.base import Base, Created, JSONType, UTCDateTime


class PlanVersion(Base, Created):
    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("person_id", "number"),
        Index("ix_plan_versions_person_status", "person_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # draft, approved, superseded
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the plan as entered (PlanInput)
    note: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # who approved it, by name, when the approver is not an account here (a plan imported
    # from another clinic's FHIR export)
    approved_by_name: Mapped[str | None] = mapped_column(String(200))
    acknowledged: Mapped[list[str]] = mapped_column(JSONType)  # warning rule ids acknowledged

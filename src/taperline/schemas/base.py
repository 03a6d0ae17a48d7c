"""What every edge model shares: unknown fields refused, no NUL characters, sane dates; the
shape of every list answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    computed_field,
    model_validator,
)

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
MAX_AMOUNT = Decimal(1_000_000)  # any unit; far above any real dose, far below any overflow


def _date_in_range(value: dt.date) -> dt.date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value


def _datetime_in_range(value: dt.datetime) -> dt.datetime:
    _date_in_range(value.date())
    return value


SaneDate = Annotated[dt.date, AfterValidator(_date_in_range)]

# Clock times in a plan or a check-in are the person's local wall-clock times, with no UTC
# offset. JSON Schema's "time" and "date-time" formats (RFC 3339) require an offset, so these
# are documented by their pattern instead: what is sent back ("08:00:00") and what is accepted
# ("08:00" too) both match.
_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
LocalTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{_CLOCK}$",
            "description": "A local wall-clock time, HH:MM or HH:MM:SS, without a UTC offset",
            "examples": ["08:00"],
        }
    ),
]
LocalDateTime = Annotated[
    dt.datetime,
    AfterValidator(_datetime_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T{_CLOCK}$",
            "description": "A local date and time, YYYY-MM-DDTHH:MM, without a UTC offset",
            "examples": ["2026-03-20T10:00"],
        }
    ),
]
AmountValue = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


T = TypeVar("T")


class ListPublic(BaseModel, Generic[T]):
    """A list answer: the items and how many there are. Subclass it once per item type
    (`class AlertsPublic(ListPublic[AlertPublic])`) so that the OpenAPI schema keeps its name."""

    data: list[T]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def count(self) -> int:
        return len(self.data)

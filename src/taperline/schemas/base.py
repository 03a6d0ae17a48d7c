"""What every edge model shares: unknown fields refused, no NUL characters, sane dates; the
shape of every list answer."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
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


def _date_as_text(value: Any) -> Any:
    # JSON carries a date as "YYYY-MM-DD"; a number (read by pydantic as a Unix time) is refused,
    # as the documented schema (a string of format date) says.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("give the date as YYYY-MM-DD")
    return value


def _whole_number_text(value: Any) -> Any:
    # int() would also read "4\u0085" or " 4" (Unicode whitespace) or "4_000": a query or path
    # number is digits only, as the documented integer type says.
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]{1,18}", value):
        raise ValueError("give a whole number (digits only)")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number_text)]

SaneDate = Annotated[dt.date, BeforeValidator(_date_as_text), AfterValidator(_date_in_range)]


# Clock times in a plan or a check-in are the person's local wall-clock times, with no UTC
# offset. JSON Schema's "time" and "date-time" formats (RFC 3339) require an offset, so these
# are documented by their pattern instead: what is sent back ("08:00:00") and what is accepted
# ("08:00" too) both match.
def _clock_as_text(value: Any) -> Any:
    # A number would be read as seconds after midnight UTC: refused, as the pattern says.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("give the time as HH:MM")
    return value


def _wall_clock(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("give a local time like 08:00, without a UTC offset")
    return value


def _wall_clock_datetime(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        raise ValueError("give a local date and time like 2026-03-20T10:00, without a UTC offset")
    return value


_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
LocalTime = Annotated[
    dt.time,
    BeforeValidator(_clock_as_text),
    AfterValidator(_wall_clock),
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
    BeforeValidator(_clock_as_text),
    AfterValidator(_wall_clock_datetime),
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
# An amount is a number or its decimal text ("1.5"); the pattern documents what text is read.
AmountValue = Annotated[
    Decimal,
    Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT)},
                {"type": "string", "pattern": r"^\s*[0-9]{1,7}(\.[0-9]{1,6})?\s*$"},
            ],
            "description": f"An amount from 0 to {int(MAX_AMOUNT)}, as a number or as decimal text",
        }
    ),
]


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

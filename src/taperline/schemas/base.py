"""What every edge model shares: unknown fields refused, no NUL characters, sane dates; the
shape of every list answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, model_validator

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
SaneDateTime = Annotated[dt.datetime, AfterValidator(_datetime_in_range)]
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

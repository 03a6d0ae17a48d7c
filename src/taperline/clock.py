"""The only place that reads the wall clock. Everything else takes a Clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware in UTC."""
        ...

    def today(self) -> dt.date: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)  # noqa: TID251 - this is the one allowed place

    def today(self) -> dt.date:
        return self.now().date()


@dataclass
class FixedClock:
    """A clock that says what it is told; for tests, the demo and reproducible runs."""

    instant: dt.datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> dt.datetime:
        return self.instant

    def today(self) -> dt.date:
        return self.instant.date()

    def advance(self, delta: dt.timedelta) -> None:
        self.instant = self.instant + delta

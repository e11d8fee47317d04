"""Declaration periods (申报期) and fee months (费款所属期) — guide §一.1, PER-1, PER-2, PER-7.

On the provincial platform a declaration period runs from the 11th of a month
to the 6th of the next, and everything declared in it belongs to the next
month's fee month (8-11 … 9-06 → 2021-09).  The 7th–10th are the paused days
(暂停申报期) while the closed period is settled.  Under the old system (PER-7)
the period ran from the 11th to the month's last day, for that same month.

A :class:`DeclarationCalendar` states such a rule as data; which calendar is in
force for a city on a date is a rule-variant decision made by plugins
(hook ``select_rule_variant``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from simulator.months import Month


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True)
class PeriodInfo:
    """What the platform says about one day."""

    date: date
    period_start: date
    period_end: date
    fee_month: Month
    paused: bool
    variant: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "fee_month": str(self.fee_month),
            "paused": self.paused,
        }

    def contains(self, day: date) -> bool:
        return self.period_start <= day <= self.period_end


@dataclass(frozen=True)
class DeclarationCalendar:
    """A monthly declaration window.

    ``open_day``: the day of the month the period opens.
    ``close_day``: the day of the *next* month it closes, or ``None`` for the
    last day of the month it opened in.  The fee month is the month the period
    opens in plus ``fee_month_offset``.  ``in_force_from``: the first day this calendar
    applies (a platform's go-live, PER-7); a period it cuts starts that day.
    """

    open_day: int
    close_day: int | None
    fee_month_offset: int
    in_force_from: date | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.open_day <= 28:
            raise ValueError("open_day must be 1..28")
        if self.close_day is not None and not 1 <= self.close_day < self.open_day:
            raise ValueError("close_day must fall before open_day in the next month")

    def _period_opened_in(self, month: Month, on: date, *, paused: bool) -> PeriodInfo:
        start = date(month.year, month.month, self.open_day)
        if self.close_day is None:
            end = date(month.year, month.month, _last_day(month.year, month.month))
        else:
            following = month.plus(1)
            end = date(following.year, following.month, self.close_day)
        if self.in_force_from is not None and start < self.in_force_from:
            start = self.in_force_from  # the days before belong to the former calendar
        return PeriodInfo(
            date=on,
            period_start=start,
            period_end=end,
            fee_month=month.plus(self.fee_month_offset),
            paused=paused,
        )

    def period_on(self, on: date) -> PeriodInfo:
        """The period ``on`` falls in; on a paused day, the period that has just closed."""
        this_month = Month.of(on)
        if on.day >= self.open_day:
            return self._period_opened_in(this_month, on, paused=False)
        previous = this_month.plus(-1)
        if self.close_day is not None and on.day <= self.close_day:
            return self._period_opened_in(previous, on, paused=False)
        return self._period_opened_in(previous, on, paused=True)

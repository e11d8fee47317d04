"""PER-1, PER-2: declaration period, fee month and paused days for every day of a year,
computed independently here from the guide's words and compared with the platform."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from simulator.months import Month
from simulator.periods import DeclarationCalendar


def expected_provincial(day: date) -> tuple[date, date, str, bool]:
    """G §一.1: 11th → next 6th belongs to next month; 7th–10th paused (describes the closed period)."""
    first = day.replace(day=1)
    previous_month_first = (first - timedelta(days=1)).replace(day=1)
    next_month_first = (first + timedelta(days=32)).replace(day=1)
    if day.day >= 11:
        return (
            day.replace(day=11),
            next_month_first.replace(day=6),
            str(Month.of(next_month_first)),
            False,
        )
    return (
        previous_month_first.replace(day=11),
        day.replace(day=6),
        str(Month.of(day)),
        7 <= day.day <= 10,
    )


def every_day(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + timedelta(days=n) for n in range((date(year + 1, 1, 1) - start).days)]


@pytest.mark.parametrize("year", [2021, 2024])
def test_every_day_of_a_year(platform, year):  # type: ignore[no-untyped-def]
    for day in every_day(year):
        if day < date(2021, 8, 1):
            continue  # before go-live: the old system (tested below)
        info = platform.period_on(day)
        start, end, fee_month, paused = expected_provincial(day)
        start = max(start, date(2021, 8, 1))  # the first period starts on go-live day
        assert (info.period_start, info.period_end, str(info.fee_month), info.paused) == (
            start,
            end,
            fee_month,
            paused,
        ), day


@pytest.mark.parametrize(
    ("day", "start", "end", "fee_month", "paused"),
    [
        ("2021-08-11", "2021-08-11", "2021-09-06", "2021-09", False),  # the guide's example
        ("2021-09-06", "2021-08-11", "2021-09-06", "2021-09", False),
        ("2021-09-07", "2021-08-11", "2021-09-06", "2021-09", True),
        ("2021-09-10", "2021-08-11", "2021-09-06", "2021-09", True),
        ("2021-12-11", "2021-12-11", "2022-01-06", "2022-01", False),  # across the year end
        ("2021-12-31", "2021-12-11", "2022-01-06", "2022-01", False),
        ("2022-01-01", "2021-12-11", "2022-01-06", "2022-01", False),
        ("2022-01-06", "2021-12-11", "2022-01-06", "2022-01", False),
        ("2022-01-07", "2021-12-11", "2022-01-06", "2022-01", True),
        ("2024-02-29", "2024-02-11", "2024-03-06", "2024-03", False),
    ],
)
def test_documented_edges(platform, day, start, end, fee_month, paused):  # type: ignore[no-untyped-def]
    info = platform.period_on(date.fromisoformat(day))
    assert info.as_dict() == {
        "date": day,
        "period_start": start,
        "period_end": end,
        "fee_month": fee_month,
        "paused": paused,
    }


@pytest.mark.parametrize(
    ("day", "start", "end", "fee_month", "paused"),
    [
        ("2021-07-11", "2021-07-11", "2021-07-31", "2021-07", False),
        ("2021-07-31", "2021-07-11", "2021-07-31", "2021-07", False),
        ("2021-07-05", "2021-06-11", "2021-06-30", "2021-06", True),
        ("2021-01-10", "2020-12-11", "2020-12-31", "2020-12", True),
    ],
)
def test_pre_platform_calendar_before_go_live(platform, day, start, end, fee_month, paused):  # type: ignore[no-untyped-def]
    """PER-7: before the go-live date, 11th → month end for the same month."""
    info = platform.period_on(date.fromisoformat(day))
    assert info.variant == "pre-platform"
    assert (str(info.period_start), str(info.period_end), str(info.fee_month), info.paused) == (
        start,
        end,
        fee_month,
        paused,
    )


def test_calendar_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        DeclarationCalendar(open_day=11, close_day=12, fee_month_offset=1)
    with pytest.raises(ValueError):
        DeclarationCalendar(open_day=0, close_day=None, fee_month_offset=0)


def test_month_arithmetic() -> None:
    assert str(Month(2021, 12).plus(1)) == "2022-01"
    assert str(Month(2022, 1).plus(-1)) == "2021-12"
    assert Month.parse("202109") == Month(2021, 9)
    assert Month(2022, 3).minus(Month(2021, 9)) == 6
    with pytest.raises(ValueError):
        Month.parse("2021-9x")


def test_the_first_provincial_days_after_go_live_form_a_period_of_their_own(platform):  # type: ignore[no-untyped-def]
    """PER-1/PER-7 at go-live (2021-08-01): the old calendar's July period closed on
    07-31; 08-01 … 08-06 declare fee month 2021-08 in a period that starts on go-live
    day, not on 07-11 (which the old calendar's fee month 2021-07 had)."""
    july = platform.period_on(date(2021, 7, 20))
    transition = platform.period_on(date(2021, 8, 3))
    assert (str(july.period_start), str(july.fee_month)) == ("2021-07-11", "2021-07")
    assert (str(transition.period_start), str(transition.period_end)) == (
        "2021-08-01",
        "2021-08-06",
    )
    assert str(transition.fee_month) == "2021-08"
    assert not transition.contains(date(2021, 7, 20))
    first_full = platform.period_on(date(2021, 8, 11))
    assert (str(first_full.period_start), str(first_full.fee_month)) == ("2021-08-11", "2021-09")

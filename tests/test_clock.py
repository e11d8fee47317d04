"""The sandbox clock: set, advance, follow the wall clock; hooks see the move."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from simulator.clock import InvalidInstant, SandboxClock, as_instant
from simulator.errors import Refused


def test_set_and_advance(platform, sandbox_id):  # type: ignore[no-untyped-def]
    clock = platform.clock(sandbox_id)
    assert clock["now"] == "2021-08-16 09:00:00"
    assert clock["period_state"] == "申报期"
    moved = platform.advance_clock(sandbox_id, days=22)
    assert moved["date"] == "2021-09-07"
    assert moved["period"]["paused"] is True
    assert moved["period_state"] == "暂停申报期"
    assert platform.set_clock(sandbox_id, "2021-12-31T23:59")["period"]["fee_month"] == "2022-01"
    assert platform.advance_clock(sandbox_id, minutes=2)["date"] == "2022-01-01"


def test_follow_wall_clock(platform, sandbox_id):  # type: ignore[no-untyped-def]
    clock = platform.follow_wall_clock(sandbox_id)
    assert clock["follows_wall_clock"] is True


def test_clock_only_moves_forward() -> None:
    with pytest.raises(ValueError):
        SandboxClock(datetime(2021, 1, 1)).advance(days=-1)


def test_instants() -> None:
    assert as_instant("2021-08-16") == datetime(2021, 8, 16, 9, 0)
    assert as_instant(date(2021, 8, 16)) == datetime(2021, 8, 16, 9, 0)
    assert as_instant("2021-08-16T14:30") == datetime(2021, 8, 16, 14, 30)
    assert SandboxClock(datetime(2021, 8, 16, 9)).today() == date(2021, 8, 16)


@pytest.mark.parametrize("text", ["2021-02-30", "notadate", "2021-08-16T25:00", "", "2021-8-1"])
def test_invalid_instants_are_refused_as_input(platform, sandbox_id, text):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInstant):  # a ValueError, as the world loader expects
        as_instant(text)
    with pytest.raises(Refused) as refused:
        SandboxClock().set(text)
    problem = refused.value.problem
    assert (problem.code, problem.http_status, problem.field) == ("E_INVALID_INPUT", 400, "clock")
    assert problem.message.startswith(f"clock: 不是有效的日期或时间：{text}（")
    with pytest.raises(Refused):
        platform.set_clock(sandbox_id, text)
    assert platform.clock(sandbox_id)["now"] == "2021-08-16 09:00:00"

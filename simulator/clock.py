"""The sandbox clock: each sandbox has its own "now".

A sandbox whose clock was never set follows the wall clock in Asia/Shanghai;
once set (or advanced) it stands still at that instant until set or advanced
again, so that trainers and testers get the same answers every time.  This
module is the only place in the simulator that reads the wall clock.

Times are naive datetimes in China Standard Time (the platform's own time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from simulator.errors import INVALID_INPUT

PLATFORM_TZ = ZoneInfo("Asia/Shanghai")

#: Setting the clock to a bare date puts it at this time of day: the hall is open.
DEFAULT_TIME_OF_DAY = time(9, 0)


def wall_clock_now() -> datetime:
    """Now in Asia/Shanghai, naive.  The one wall-clock read of the simulator."""
    return datetime.now(PLATFORM_TZ).replace(tzinfo=None, microsecond=0)


class InvalidInstant(ValueError):
    """Text that is not a valid date or date and time (``2021-02-30``, ``25:00``, ``notadate``)."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(
            f"不是有效的日期或时间：{value}（应为YYYY-MM-DD或YYYY-MM-DDTHH:MM[:SS]，"
            "时间在00:00至23:59之间）"
        )


def as_instant(value: date | datetime | str) -> datetime:
    """A date, datetime or ISO text as a clock instant (a bare date means 09:00).

    Text that is no valid date or date and time raises :class:`InvalidInstant` (a
    ``ValueError``); :func:`parse_instant` turns it into the refusal of a field."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            raise InvalidInstant(value) from None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(PLATFORM_TZ).replace(tzinfo=None)
        return value.replace(microsecond=0)
    return datetime.combine(value, DEFAULT_TIME_OF_DAY)


def parse_instant(value: date | datetime | str, *, field: str = "clock") -> datetime:
    """:func:`as_instant`, refusing invalid text as ``E_INVALID_INPUT`` naming ``field`` (400),
    as the API names a field it cannot read (``at: 不是有效的日期或时间：2021-02-30…``)."""
    try:
        return as_instant(value)
    except InvalidInstant as error:
        raise INVALID_INPUT.refuse(field=field, message=f"{field}: {error}") from None


@dataclass(frozen=True)
class SandboxClock:
    """A sandbox's clock: ``frozen_at`` is ``None`` while it follows the wall clock."""

    frozen_at: datetime | None = None

    def now(self) -> datetime:
        return self.frozen_at if self.frozen_at is not None else wall_clock_now()

    def today(self) -> date:
        return self.now().date()

    @property
    def follows_wall_clock(self) -> bool:
        return self.frozen_at is None

    def set(self, value: date | datetime | str, *, field: str = "clock") -> SandboxClock:
        """The clock standing at ``value``; invalid text is refused (``E_INVALID_INPUT``)."""
        return SandboxClock(parse_instant(value, field=field))

    def advance(self, *, days: int = 0, hours: int = 0, minutes: int = 0) -> SandboxClock:
        if days < 0 or hours < 0 or minutes < 0:
            raise ValueError("the clock only moves forward; use set to go back")
        return SandboxClock(self.now() + timedelta(days=days, hours=hours, minutes=minutes))

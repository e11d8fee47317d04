"""Fee months (费款所属期) as ``YYYY-MM`` values, and month arithmetic."""

from __future__ import annotations

from datetime import date
from functools import total_ordering


@total_ordering
class Month:
    """A calendar month; ``str(Month(2021, 9)) == '2021-09'``."""

    __slots__ = ("_text", "month", "year")

    def __init__(self, year: int, month: int) -> None:
        if not 1 <= month <= 12:
            raise ValueError(f"month out of range: {month}")
        self.year = year
        self.month = month

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """``'2021-09'`` or ``'202109'`` (the platform prints both)."""
        text = text.strip()
        if len(text) == 6 and text.isdigit():
            return cls(int(text[:4]), int(text[4:]))
        year, _, month = text.partition("-")
        if not (year.isdigit() and month.isdigit() and len(year) == 4):
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls(int(year), int(month))

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    def plus(self, months: int) -> Month:
        index = self.index + months
        return Month(index // 12, index % 12 + 1)

    def minus(self, other: Month) -> int:
        """Number of months from ``other`` to ``self``."""
        return self.index - other.index

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def compact(self) -> str:
        return f"{self.year:04d}{self.month:02d}"

    def __str__(self) -> str:
        try:  # kept: a batch prints the same few months hundreds of thousands of times
            return self._text
        except AttributeError:
            self._text: str = f"{self.year:04d}-{self.month:02d}"
            return self._text

    def __repr__(self) -> str:
        return f"Month({self.year}, {self.month})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Month) and self.index == other.index

    def __lt__(self, other: Month) -> bool:
        return self.index < other.index

    def __hash__(self) -> int:
        return hash(self.index)


def month_range(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last`` inclusive (empty when last < first)."""
    return [first.plus(i) for i in range(last.minus(first) + 1)]

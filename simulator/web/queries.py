"""单位中心 queries for the pages (guide §四; Q-1, Q-6 … Q-9), as plain functions.

Every question is answered by :mod:`simulator.queries`, as for the JSON API
(``simulator/api/unit_centre.py``); these functions take the unit and the filters from
the page and present the same rows, with the same Chinese column names, for the
templates (insurance names, blanks for nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator import queries as core
from simulator.db.models import Unit
from simulator.platform import Platform

INSURANCE_NAMES = core.INSURANCE_NAMES
STATUS_NAMES = core.STATUS_NAMES


@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = 20

    @classmethod
    def of(cls, page: Any, per_page: Any = 20) -> Paging:
        def number(value: Any, default: int) -> int:
            try:
                return max(1, int(value))
            except (TypeError, ValueError):
                return default

        return cls(number(page, 1), min(500, number(per_page, 20)))


@dataclass(frozen=True)
class Page:
    total: int
    page: int
    per_page: int
    rows: list[dict[str, Any]]

    @classmethod
    def empty(cls, paging: Paging) -> Page:
        """No rows: what a list shows when its filters were refused."""
        return cls(0, paging.page, paging.per_page, [])

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def unit_information(sim: Platform, sandbox_id: str, unit_id: int) -> dict[str, Any]:
    """单位信息 (Q-1): the API's answer, as the page shows it."""
    with sim.db.transaction() as session:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.sandbox_id != sandbox_id:
            return {}
        found = core.unit_information(sim, session, unit_id)
    found.pop("参保地")  # the page shows 现参保地
    shown = {key: "" if value is None else value for key, value in found.items()}
    shown["单位编号"] = found["单位编号"] or "（未参保）"
    shown["参保险种"] = "、".join(code["name"] for code in found["参保险种"])
    shown["人力资源服务机构"] = "是" if found["人力资源服务机构"] else "否"
    return shown


def _present(found: dict[str, Any], paging: Paging) -> Page:
    """The core query's rows as the pages show them: insurance names, blanks for nothing."""
    rows = []
    for row in found["rows"]:
        shown = {key: "" if value is None else value for key, value in row.items()}
        if "险种" in shown:
            shown["险种"] = INSURANCE_NAMES.get(shown["险种"], shown["险种"])
        shown.pop("险种名称", None)
        shown.pop("说明", None)
        rows.append(shown)
    return Page(found["total"], paging.page, paging.per_page, rows)


def _answer(
    sim: Platform,
    query: Callable[..., dict[str, Any]],
    sandbox_id: str,
    unit_id: int | None,
    paging: Paging,
    **filters: Any,
) -> Page:
    """A core query's page, asked in its own transaction; an empty text filter is none."""
    with sim.db.transaction() as session:
        found = query(
            session,
            sandbox_id,
            unit_id,
            page=core.Page(paging.page, paging.per_page),
            **{key: (value or None) if isinstance(value, str) else value
               for key, value in filters.items()},
        )  # fmt: skip
    return _present(found, paging)


def insured_people(
    sim: Platform,
    sandbox_id: str,
    unit_id: int,
    paging: Paging,
    *,
    id_number: str = "",
    name: str = "",
    insurance_code: str = "",
    status: str = "",
) -> Page:
    """参保信息 — 人员缴费基数 (Q-9: listed here = successfully insured)."""
    return _answer(
        sim, core.insured_people, sandbox_id, unit_id, paging,
        id_number=id_number, name=name, insurance_code=insurance_code, status=status,
    )  # fmt: skip


def collection_notices(
    sim: Platform, sandbox_id: str, unit_id: int, paging: Paging, *, fee_month: str = ""
) -> Page:
    """缴费信息 — 单位征缴通知单 per settled month (Q-6)."""
    return _answer(sim, core.collection_notices, sandbox_id, unit_id, paging, fee_month=fee_month)


def monthly_details(
    sim: Platform,
    sandbox_id: str,
    unit_id: int,
    paging: Paging,
    *,
    fee_month: str = "",
    start_month: str = "",
    end_month: str = "",
    id_number: str = "",
    insurance_code: str = "",
) -> Page:
    """缴费信息 — 人员月缴费明细 (Q-7); the filters are its export's."""
    return _answer(
        sim, core.monthly_details, sandbox_id, unit_id, paging,
        fee_month=fee_month, start_month=start_month, end_month=end_month,
        id_number=id_number, insurance_code=insurance_code,
    )  # fmt: skip


def unit_businesses(
    sim: Platform,
    sandbox_id: str,
    unit_id: int | None,
    paging: Paging,
    *,
    item: str = "",
    state: str = "",
    fee_month: str = "",
) -> Page:
    """单位办件: the unit's businesses with their state (Q-8); ``unit_id=None``: the sandbox's."""
    return _answer(
        sim, core.unit_businesses, sandbox_id, unit_id, paging,
        item=item, state=state, fee_month=fee_month, every_unit=unit_id is None,
    )  # fmt: skip

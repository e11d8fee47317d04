"""单位中心 queries for the pages (guide §四; Q-1, Q-6 … Q-9), as plain functions.

Every question is answered by :mod:`simulator.queries`, as for the JSON API
(``simulator/api/unit_centre.py``); these functions take the unit and the filters from
the page and present the same rows, with the same Chinese column names, for the
templates (insurance names, blanks for nothing).
"""

from __future__ import annotations

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


def _core_page(paging: Paging) -> core.Page:
    return core.Page(paging.page, paging.per_page)


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
    with sim.db.transaction() as session:
        found = core.insured_people(
            session,
            sandbox_id,
            unit_id,
            id_number=id_number or None,
            name=name or None,
            insurance_code=insurance_code or None,
            status=status or None,
            page=_core_page(paging),
        )
    return _present(found, paging)


def collection_notices(
    sim: Platform, sandbox_id: str, unit_id: int, paging: Paging, *, fee_month: str = ""
) -> Page:
    """缴费信息 — 单位征缴通知单 per settled month (Q-6)."""
    with sim.db.transaction() as session:
        found = core.collection_notices(
            session, sandbox_id, unit_id, fee_month=fee_month or None, page=_core_page(paging)
        )
    return _present(found, paging)


def monthly_details(
    sim: Platform,
    sandbox_id: str,
    unit_id: int,
    paging: Paging,
    *,
    fee_month: str = "",
    id_number: str = "",
) -> Page:
    """缴费信息 — 人员月缴费明细 (Q-7)."""
    with sim.db.transaction() as session:
        found = core.monthly_details(
            session,
            sandbox_id,
            unit_id,
            fee_month=fee_month or None,
            id_number=id_number or None,
            page=_core_page(paging),
        )
    return _present(found, paging)


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
    with sim.db.transaction() as session:
        found = core.unit_businesses(
            session,
            sandbox_id,
            unit_id,
            item=item or None,
            state=state or None,
            fee_month=fee_month or None,
            page=_core_page(paging),
            every_unit=unit_id is None,
        )
    return _present(found, paging)

"""单位中心 queries for the pages (guide §四; Q-1, Q-6 … Q-9), as plain functions.

The JSON API (``simulator/api/unit_centre.py``) answers the same questions in its
view functions, which read the bearer token; these functions take the unit and
the filters instead, and return the same rows with the same Chinese column names
(so that what the API returns is what the page shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from simulator import queries as core
from simulator.db.models import (
    Business,
    Unit,
)
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


def _page(session: Session, query: Select[Any], paging: Paging) -> tuple[int, list[Any]]:
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(
        query.limit(paging.per_page).offset((paging.page - 1) * paging.per_page)
    ).all()
    return int(total or 0), list(rows)


def unit_information(sim: Platform, sandbox_id: str, unit_id: int) -> dict[str, Any]:
    """单位信息 (Q-1)."""
    with sim.db.transaction() as session:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.sandbox_id != sandbox_id:
            return {}
        city = sim.city(unit.city_code).as_dict()
        return {
            "单位编号": unit.unit_no or "（未参保）",
            "单位名称": unit.name,
            "统一社会信用代码": unit.uscc,
            "单位性质": unit.nature,
            "现参保地": city.get("insured_place_label", ""),
            "地址": unit.address,
            "法定代表人": unit.legal_rep_name,
            "参保险种": "、".join(INSURANCE_NAMES.get(c, c) for c in unit.insurance_list()),
            "参保状态": unit.status,
            "人力资源服务机构": "是" if unit.is_hr_agency else "否",
            "工伤行业类别": unit.industry_class or "",
            "开户银行": unit.bank_name,
            "户名": unit.bank_account_name,
            "账号": unit.bank_account_no,
            "联系人": unit.contact_name,
            "联系电话": unit.contact_phone,
            "社保登记日期": unit.registered_on.isoformat() if unit.registered_on else "",
        }


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


def business_rows(businesses: list[Business]) -> list[dict[str, Any]]:
    return [
        {
            "业务编号": b.business_no,
            "事项": b.item_name,
            "事项代码": b.item_code,
            "办件状态": b.state,
            "经办时间": b.submitted_at.isoformat(sep=" ", timespec="seconds"),
            "经办方式": b.channel,
            "经办人": b.actor,
            "费款所属期": b.fee_month,
            "结果": (b.result or {}).get("message") or "",
        }
        for b in businesses
    ]


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
        query = (
            select(Business).where(Business.sandbox_id == sandbox_id).order_by(Business.id.desc())
        )
        if unit_id is not None:
            query = query.where(Business.unit_id == unit_id)
        if item:
            query = query.where(Business.item_code == item)
        if state:
            query = query.where(Business.state == state)
        if fee_month:
            query = query.where(Business.fee_month == fee_month)
        total, rows = _page(session, query, paging)
        return Page(total, paging.page, paging.per_page, business_rows([b for (b,) in rows]))

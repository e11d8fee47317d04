"""单位中心 queries (guide §四, FAQ Q9–Q11): Q-1, Q-6, Q-7, Q-8, Q-9, as plain functions.

The JSON API (``simulator/api/unit_centre.py``), the web pages and the BDD drivers all
read the unit centre through these functions; they keep the platform's Chinese column
names so that what a tester reads matches the screen.  Every list is filtered and paged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from simulator.auth import ROLE_LABELS
from simulator.contributions import refuse_medical_platform
from simulator.db.models import (
    Business,
    ContributionLine,
    InsuredRelation,
    Person,
    Settlement,
    Unit,
    stored_trace,
)
from simulator.errors import INVALID_INPUT, NOT_FOUND
from simulator.months import Month

INSURANCE_NAMES = {
    "110": "企业职工基本养老保险",
    "120": "机关事业单位养老保险",
    "210": "失业保险",
    "410": "工伤保险",
}
STATUS_NAMES = {"1": "参保缴费", "2": "暂停缴费", "3": "终止缴费"}
#: how an actor's level shows: A-1's three levels, the counter (P-3), the system
ROLE_DISPLAY = {**ROLE_LABELS, "counter": "柜台", "system": "系统"}
_CODED_ACTOR = re.compile(r"^(?P<name>.*)\((?P<role>[a-z_]+)\)$")


def actor_display(actor: str | None) -> str:
    """Who acted, as the platform shows it: ``姓名(法定代表人)``.

    Businesses, exports, printed records and refusals store ``Actor.label``, which
    spells the level as its code (``周明远(legal_rep)``); the display translates it, so
    rows already stored read right too.  A label already in Chinese is left as it is; a
    level the name already says is not repeated (``系统``, ``柜台经办``).
    """
    if not actor:
        return ""
    match = _CODED_ACTOR.match(actor)
    label = ROLE_DISPLAY.get(match["role"]) if match else None
    if match is None or label is None:
        return actor
    name = match["name"]
    return name if label in name else f"{name}({label})"


# --- filters: the lists and their exports filter alike (Q-2, Q-7, Q-9, F-2) ---------------------


def month_filter(value: str | None, field: str) -> str | None:
    """A month filter, ``YYYYMM`` or ``YYYY-MM``, as stored (``YYYY-MM``); ``None`` for none.
    Anything else is refused naming the field, as 打印证明's 查询时间 is."""
    if value is None or not str(value).strip():
        return None
    try:
        return str(Month.parse(str(value)))
    except ValueError:
        raise INVALID_INPUT.refuse(
            message=f"{field}: 不是有效的年月：{value}", field=field
        ) from None


def month_range(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """``start_month`` … ``end_month`` (either may be absent); a start after the end is
    refused with 打印证明's ``E_RECORD_RANGE``."""
    first, last = month_filter(start, "start_month"), month_filter(end, "end_month")
    if first is not None and last is not None and last < first:
        from simulator.certificate import RANGE_REVERSED

        raise RANGE_REVERSED.refuse(field="start_month")
    return first, last


def insurance_filter(code: str | None, field: str = "insurance_code") -> str | None:
    """A 险种 filter: 医疗/生育 are on the medical platform (F-2); any other code that is
    not one of this platform's types is refused naming the field."""
    if code is None or not str(code).strip():
        return None
    code = str(code).strip()
    refuse_medical_platform(code, field=field)
    if code not in INSURANCE_NAMES:
        raise INVALID_INPUT.refuse(
            message=f"{field}: 不是本平台的险种代码：{code}（可选 {'、'.join(INSURANCE_NAMES)}）",
            field=field,
        )
    return code


def status_filter(status: str | None, field: str = "status") -> str | None:
    """A 参保状态 filter: 1, 2 or 3."""
    if status is None or not str(status).strip():
        return None
    status = str(status).strip()
    if status not in STATUS_NAMES:
        raise INVALID_INPUT.refuse(
            message=f"{field}: 不是有效的参保状态：{status}（可选 {'、'.join(STATUS_NAMES)}）",
            field=field,
        )
    return status


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


class _Filters:
    def as_dict(self) -> dict[str, str]:
        """The filters given, as applied (the export's audit entry keeps them)."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name))}  # type: ignore[arg-type]


@dataclass(frozen=True)
class InsuredFilters(_Filters):
    """参保信息—人员缴费基数's filters (Q-9), checked; the list and its export use them."""

    id_number: str | None = None
    name: str | None = None
    insurance_code: str | None = None
    status: str | None = None

    @classmethod
    def of(cls, filters: Mapping[str, Any]) -> InsuredFilters:
        """The filters of a request (other keys ignored, empty values none), or the refusal."""
        id_number = _text(filters.get("id_number"))
        return cls(
            id_number=id_number.upper() if id_number else None,
            name=_text(filters.get("name")),
            insurance_code=insurance_filter(filters.get("insurance_code")),
            status=status_filter(filters.get("status")),
        )

    def apply(self, query: Select) -> Select:
        if self.id_number:
            query = query.where(Person.id_number == self.id_number)
        if self.name:
            query = query.where(Person.name == self.name)
        if self.insurance_code:
            query = query.where(InsuredRelation.insurance_code == self.insurance_code)
        if self.status:
            query = query.where(InsuredRelation.status == self.status)
        return query


@dataclass(frozen=True)
class DetailFilters(_Filters):
    """人员月缴费明细's filters (Q-7), checked; the list and its export use them.  Months
    are ``YYYYMM`` or ``YYYY-MM``; ``fee_month`` is one month, ``start_month`` …
    ``end_month`` a range (inclusive, either end open); given together, both hold."""

    fee_month: str | None = None
    start_month: str | None = None
    end_month: str | None = None
    id_number: str | None = None
    insurance_code: str | None = None

    @classmethod
    def of(cls, filters: Mapping[str, Any]) -> DetailFilters:
        """The filters of a request (other keys ignored, empty values none), or the refusal."""
        start, end = month_range(filters.get("start_month"), filters.get("end_month"))
        id_number = _text(filters.get("id_number"))
        return cls(
            fee_month=month_filter(filters.get("fee_month"), "fee_month"),
            start_month=start,
            end_month=end,
            id_number=id_number.upper() if id_number else None,
            insurance_code=insurance_filter(filters.get("insurance_code")),
        )

    def apply(self, query: Select) -> Select:
        if self.fee_month:
            query = query.where(ContributionLine.fee_month == self.fee_month)
        if self.start_month:
            query = query.where(ContributionLine.fee_month >= self.start_month)
        if self.end_month:
            query = query.where(ContributionLine.fee_month <= self.end_month)
        if self.id_number:
            query = query.where(Person.id_number == self.id_number)
        if self.insurance_code:
            query = query.where(ContributionLine.insurance_code == self.insurance_code)
        return query


@dataclass(frozen=True)
class Page:
    page: int = 1
    per_page: int = 50


def _paged(session: Session, query: Select, page: Page, row: Any) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.limit(page.per_page).offset((page.page - 1) * page.per_page))
    return {
        "total": int(total or 0),
        "page": page.page,
        "per_page": page.per_page,
        "rows": [row(*found) for found in rows.all()],
    }


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def unit_information(platform: Any, session: Session, unit_id: int | None) -> dict[str, Any]:
    """单位信息 (Q-1)."""
    unit = session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise NOT_FOUND.refuse(what="单位")
    city = platform.city(unit.city_code)
    return {
        "单位编号": unit.unit_no,
        "单位名称": unit.name,
        "统一社会信用代码": unit.uscc,
        "单位性质": unit.nature,
        "现参保地": city.as_dict()["insured_place_label"],
        "参保地": city.as_dict(),
        "地址": unit.address,
        "法定代表人": unit.legal_rep_name,
        "参保险种": [{"code": c, "name": INSURANCE_NAMES.get(c, c)} for c in unit.insurance_list()],
        "参保状态": unit.status,
        "人力资源服务机构": unit.is_hr_agency,
        "工伤行业类别": unit.industry_class,
        "开户银行": unit.bank_name,
        "户名": unit.bank_account_name,
        "账号": unit.bank_account_no,
        "联系人": unit.contact_name,
        "联系电话": unit.contact_phone,
        "社保登记日期": unit.registered_on.isoformat() if unit.registered_on else None,
    }


def insured_people(
    session: Session,
    sandbox_id: str,
    unit_id: int | None,
    *,
    id_number: str | None = None,
    name: str | None = None,
    insurance_code: str | None = None,
    status: str | None = None,
    page: Page = Page(),
) -> dict[str, Any]:
    """参保信息—人员缴费基数 (Q-9: a person listed here is successfully insured).  The
    filters are :class:`InsuredFilters` (F-2: 医疗/生育 are on the medical platform)."""
    filters = InsuredFilters.of(
        {"id_number": id_number, "name": name, "insurance_code": insurance_code, "status": status}
    )
    query = filters.apply(
        select(InsuredRelation, Person)
        .join(Person, Person.id == InsuredRelation.person_id)
        .where(InsuredRelation.sandbox_id == sandbox_id, InsuredRelation.unit_id == unit_id)
        .order_by(Person.name, InsuredRelation.insurance_code, InsuredRelation.id)
    )

    def row(relation: InsuredRelation, person: Person) -> dict[str, Any]:
        return {
            "个人编号": person.person_no,
            "姓名": person.name,
            "证件号码": person.id_number,
            "险种": relation.insurance_code,
            "险种名称": INSURANCE_NAMES.get(relation.insurance_code),
            "参保身份": relation.identity,
            "缴费基数": _money(relation.base),
            "申报基数": _money(relation.declared_base),
            "参保开始年月": relation.start_month,
            "参保截止年月": relation.stop_month,
            "参保状态": STATUS_NAMES.get(relation.status, relation.status),
            "备注": relation.note,
        }

    return _paged(session, query, page, row)


def collection_notices(
    session: Session,
    sandbox_id: str,
    unit_id: int | None,
    *,
    fee_month: str | None = None,
    page: Page = Page(),
) -> dict[str, Any]:
    """缴费信息—单位征缴通知单 per settled month (Q-6); ``fee_month``: YYYYMM or YYYY-MM."""
    fee_month = month_filter(fee_month, "fee_month")
    query = (
        select(Settlement)
        .where(Settlement.sandbox_id == sandbox_id, Settlement.unit_id == unit_id)
        .order_by(Settlement.fee_month.desc())
    )
    if fee_month:
        query = query.where(Settlement.fee_month == fee_month)

    def row(settlement: Settlement) -> dict[str, Any]:
        return {
            "征缴通知单号": settlement.notice_no,
            "费款所属期": settlement.fee_month,
            "缴费人数": settlement.people,
            "单位缴费合计": _money(settlement.unit_total),
            "个人缴费合计": _money(settlement.personal_total),
            "扣款总金额": _money(settlement.total),
            "结算时间": settlement.settled_at.isoformat(sep=" "),
            "说明": settlement.notes,
        }

    return _paged(session, query, page, row)


def monthly_details(
    session: Session,
    sandbox_id: str,
    unit_id: int | None,
    *,
    fee_month: str | None = None,
    start_month: str | None = None,
    end_month: str | None = None,
    id_number: str | None = None,
    insurance_code: str | None = None,
    page: Page = Page(),
) -> dict[str, Any]:
    """缴费信息—人员月缴费明细 (Q-7); the filters are :class:`DetailFilters`, as its export's."""
    filters = DetailFilters.of(
        {"fee_month": fee_month, "start_month": start_month, "end_month": end_month,
         "id_number": id_number, "insurance_code": insurance_code}
    )  # fmt: skip
    query = filters.apply(
        select(ContributionLine, Person)
        .join(Person, Person.id == ContributionLine.person_id)
        .where(ContributionLine.sandbox_id == sandbox_id, ContributionLine.unit_id == unit_id)
        .order_by(
            ContributionLine.fee_month.desc(),
            Person.name,
            ContributionLine.insurance_code,
            ContributionLine.id,
        )
    )

    def row(line: ContributionLine, person: Person) -> dict[str, Any]:
        return {
            "费款所属期": line.fee_month,
            "个人编号": person.person_no,
            "姓名": person.name,
            "证件号码": person.id_number,
            "险种": line.insurance_code,
            "缴费基数": _money(line.base),
            "单位缴费": _money(line.unit_amount),
            "个人缴费": _money(line.personal_amount),
            "缴费类型": "补缴" if line.kind == "backpay" else "正常应缴",
            "补退流水号": line.serial_no,
        }

    return _paged(session, query, page, row)


def unit_businesses(
    session: Session,
    sandbox_id: str,
    unit_id: int | None,
    *,
    item: str | None = None,
    state: str | None = None,
    fee_month: str | None = None,
    page: Page = Page(),
    every_unit: bool = False,
) -> dict[str, Any]:
    """单位办件: the unit's businesses with their state (Q-8); ``every_unit``: the whole
    sandbox's (the trainer console)."""
    query = select(Business).where(Business.sandbox_id == sandbox_id).order_by(Business.id.desc())
    if not every_unit:
        query = query.where(Business.unit_id == unit_id)
    if item:
        query = query.where(Business.item_code == item)
    if state:
        query = query.where(Business.state == state)
    if fee_month:
        query = query.where(Business.fee_month == fee_month)

    return _paged(session, query, page, business_row)


def business_row(business: Business) -> dict[str, Any]:
    """One line of 单位办件 (Q-8)."""
    return {
        "业务编号": business.business_no,
        "事项": business.item_name,
        "事项代码": business.item_code,
        "办件状态": business.state,
        "经办时间": business.submitted_at.isoformat(sep=" ", timespec="seconds"),
        "经办方式": business.channel,
        "经办人": actor_display(business.actor),
        "费款所属期": business.fee_month,
        "结果": business.result.get("message") if business.result else None,
    }


def unit_business(
    session: Session, sandbox_id: str, unit_id: int | None, business_no: str
) -> dict[str, Any]:
    """办件详情: one business of the unit — its line of 单位办件, what was declared, the
    result (message, data, notices) and the trace of the rules and parameters that
    decided it (Q-8)."""
    business = session.scalars(
        select(Business).where(
            Business.sandbox_id == sandbox_id,
            Business.business_no == business_no,
            Business.unit_id == unit_id,
        )
    ).first()
    if business is None or unit_id is None:
        raise NOT_FOUND.refuse(what="办件")
    return {
        **business_row(business),
        "申报内容": business.payload or {},
        "result": business.result or {},
        "trace": stored_trace(session, business),
    }

"""The counter console (经办机构/柜台) — P-3, F-5 (and I1-4, I2-2, I3-8, PER-5, I7-3 remedies).

Several documented errors send the unit (or the employee) to the counter: the
guide and the FAQ close those loops offline.  The simulator's counter closes
them in the sandbox, so that a scenario can follow the remedy and then succeed
online:

=========================  ==========================================  ==================
counter function           the loop it closes                          recorded as
=========================  ==========================================  ==================
柜台单位参保登记             I1-4 ``需至当地社保大厅处理``                 CounterRecord + 办件
柜台人员基础信息采集         I2-2 ``公安部门比对不成功，请至窗口办理``;     CounterRecord + 办件
                           I2-1 other ID documents
柜台补缴                    PER-5 months older than six                 CounterRecord + 办件
柜台缴费基数调整             I7-3 downward or past-month changes         CounterRecord + 办件
失业金退回                  I3-8 ``自参保开始日期下一月起，存在失业金…``    CounterRecord + 办件
退费申请                    F-5 (FAQ Q8) 《社会保险费清退申请表》          CounterRecord only
失业金发放登记               stages I3-8 (a trainer's tool)              CounterRecord only
=========================  ==========================================  ==================

The first five change data the online hall checks: each is a business item
(``counter_*``) done through ``Platform.submit`` with
``Actor(role="counter", name="柜台经办")`` for the unit and channel ``柜台`` —
the same pipeline (periods, traces, 办件 list) — and its
:class:`~simulator.db.models.CounterRecord` is written inside the same
transaction; a unit's own account cannot do these items (``E_COUNTER_ONLY``).
The last two are records only (失业金发放登记 also adds the benefit rows).
Counter businesses are not listed for 人员变更回退 and are not rolled back online
(I6-1, I6-3).  The counter's later work on a person rests on the person's online
businesses: a 柜台补缴 or 柜台缴费基数调整 done after them at the same unit, or a
退费申请 whose record names them (依据业务编号: the businesses that registered
and stopped the relations and generated the lines it refunds).  While it stands,
人员变更回退 refuses to roll those businesses back
(:func:`counter_work_resting_on`, docs/decisions.md).

The refund (退费申请, F-5) moves no money: "经办科室对于符合退费条件的单位受理其退费
申请，确认单位银行账号后进行系统操作" happens outside the simulator; the record keeps
the application form's details.

Decisions (docs/decisions.md):

* **Counter unit registration** also creates the legal representative's
  account when the unit has not signed up (实名注册) yet, with the password
  given — a trainer's shortcut, so that a world can be built over HTTP alone.
* **The counter keeps the calendar**: on the paused days (7th–10th) it does not
  change contributions either (柜台补缴, 柜台缴费基数调整 are refused, PER-2).
* **柜台补缴** defaults to every month of the person's relations at the unit,
  before the current fee month, that has no contribution line — exactly the
  months PER-5 listed; unreturned unemployment benefit in those months refuses
  it like online (I3-8).
* **失业金发放登记** records unemployment benefit paid to a person for some months
  (:class:`~simulator.db.models.BenefitPayment`), so that a trainer can stage
  I3-8 over HTTP; the benefit itself is paid by another system.
* **柜台缴费基数调整** may go down or up, from any month since the start month up
  to the next month.  Months already settled are listed; their difference is
  settled by the office (补退), which the simulator does not compute.

The routes (``/api/v1/sandboxes/<sid>/counter/...``) are trainer/tester routes:
no unit token.  The CLI is ``shebao-sim counter …``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import click
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from plugins.items import common
from plugins.items.base_adjustment import (
    BASE_UNCHANGED,
    base_in_force,
    latest_change_month,
    relations_at_unit,
)
from plugins.items.common import text
from plugins.items.person_collection import (
    PERSON_EXISTS,
    RESIDENT_ID_CARD,
    RESIDENT_ID_CARD_SPELLINGS,
    check_form,
    collection_form,
    existing_person_nos,
)
from simulator import hookimpl
from simulator.auth import ROLE_LEGAL_REP, hash_password
from simulator.backpay import generate_backpay
from simulator.context import Actor, BusinessContext
from simulator.contributions import clamp_base
from simulator.db.models import (
    Account,
    BaseChange,
    BenefitPayment,
    Business,
    BusinessEffect,
    ContributionLine,
    CounterRecord,
    InsuredRelation,
    Person,
    Unit,
)
from simulator.errors import INVALID_INPUT, NOT_FOUND, ErrorSpec
from simulator.identifiers import (
    InvalidIdentifier,
    parse_credit_code,
    parse_resident_id,
    prefecture_of,
)
from simulator.items import BusinessItem, FormField, ItemResult
from simulator.months import Month, month_range

if TYPE_CHECKING:
    from simulator.platform import Platform

CHANNEL = "柜台"
COUNTER_CLERK = "柜台经办"
#: 证件类型 the counter collects: the 居民身份证 as online, and the documents the hall sends to
#: the counter (I2-1)
ID_TYPES = (
    RESIDENT_ID_CARD,
    "护照",
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "港澳台居民居住证",
    "外国人永久居留身份证",
)

#: counter businesses that change a person's contributions at a unit: done after a person's
#: online business there, they rest on it (人员变更回退, I6-1)
CONTRIBUTION_ITEMS = ("counter_backpay", "counter_base_change")
#: a refund's people rows name the businesses the refund rests on (I6-1, F-5)
RESTS_ON = "依据业务编号"
#: the columns a stop changes on a relation (退工停保)
STOP_COLUMNS = frozenset({"stop_month", "status"})
DONE = "办结"

KIND_LABELS = {
    "unit_registration": "柜台单位参保登记",
    "identity_collection": "柜台人员基础信息采集",
    "backpay": "柜台补缴",
    "base_change": "柜台缴费基数调整",
    "benefit_return": "失业金退回",
    "refund": "退费申请",
    "benefit_payment": "失业金发放登记",
}

# --- errors ----------------------------------------------------------------------------------

COUNTER_ONLY = ErrorSpec(
    code="E_COUNTER_ONLY",
    message="该业务须至经办机构（柜台）办理",
    remedy="请携带相关材料至社保经办机构窗口办理。",
    behaviour_id="P-3",
    http_status=403,
)
UNIT_REQUIRED = ErrorSpec(
    code="E_COUNTER_UNIT_REQUIRED",
    message="请选择办理业务的参保单位（统一社会信用代码）",
    remedy="柜台补缴、缴费基数调整和退费申请须指明参保单位。",
    behaviour_id="P-3",
    http_status=400,
)
UNIT_ALREADY_INSURED = ErrorSpec(
    code="E_UNIT_ALREADY_INSURED",
    message="该单位已参保登记",
    remedy="已参保的单位无需再次办理，请直接登录网上服务大厅办理业务。",
    behaviour_id="I1-5",
)
NOT_INSURED_AT_UNIT = ErrorSpec(
    code="E_COUNTER_NOT_INSURED_AT_UNIT",
    message="该人员在本单位没有参保记录",
    remedy="请先办理用人单位用工参保登记。",
    behaviour_id="P-3",
)
BACKPAY_MONTH_INVALID = ErrorSpec(
    code="E_COUNTER_BACKPAY_MONTH",
    message="补缴月份{month}不在该人员在本单位的参保期间内（须早于当前费款所属期{fee_month}）",
    remedy="补缴月份应在参保开始年月之后、当前费款所属期之前。",
    behaviour_id="PER-5",
    http_status=400,
)
ALREADY_PAID = ErrorSpec(
    code="E_ALREADY_PAID",
    message="{month}已有缴费记录，不能重复补缴",
    remedy="请核对补缴月份。",
    behaviour_id="PER-5",
)
NOTHING_TO_BACKPAY = ErrorSpec(
    code="E_NOTHING_TO_BACKPAY",
    message="该人员在本单位没有需要补缴的月份",
    remedy="参保期间内各月均已有缴费记录。",
    behaviour_id="PER-5",
)
BASE_CHANGE_MONTH = ErrorSpec(
    code="E_COUNTER_BASE_MONTH",
    message="调整起始年月{month}须在参保开始年月（{start}）至{latest}之间",
    remedy="柜台可调整参保以来任一月起的缴费基数，最晚自次月起。",
    behaviour_id="I7-3",
    http_status=400,
)
NO_BENEFIT_TO_RETURN = ErrorSpec(
    code="E_NO_BENEFIT_TO_RETURN",
    message="该人员没有待退回的失业金发放记录{months}",
    remedy="请核对证件号码和退回月份。",
    behaviour_id="I3-8",
)
REFUND_NEEDS_STOP = ErrorSpec(
    code="E_REFUND_NEEDS_STOP",
    message="请先在网办系统中办理用人单位退工停保登记，再申请退费",
    remedy=(
        "企业先在网办系统中办理用人单位退工停保登记，持填报完整且盖企业公章确认"
        "《社会保险费清退申请表》以及相关员工离职证明材料，至社保中心业务科室提出退费申请。"
    ),
    behaviour_id="F-5",
)
NOTHING_TO_REFUND = ErrorSpec(
    code="E_NOTHING_TO_REFUND",
    message="该人员在所申请月份没有可清退的缴费记录",
    remedy="请核对清退人员和清退月份（费款所属期）。",
    behaviour_id="F-5",
)
REFUND_EXISTS = ErrorSpec(
    code="E_REFUND_EXISTS",
    message="该人员{month}的退费申请已受理，不能重复申请",
    remedy="请勿重复提交；受理情况可在柜台记录中查询。",
    behaviour_id="F-5",
    http_status=409,
)


# --- helpers ------------------------------------------------------------------------------------


def counter_actor(unit_id: int | None) -> Actor:
    """The counter clerk acting for a unit (or for nobody in particular)."""
    return Actor(unit_id=unit_id, name=COUNTER_CLERK, role="counter")


def months_of(value: Any, key: str = "months") -> list[Month]:
    """Months given as a list or a comma-separated text (``2021-01,2021-02``), sorted, unique."""
    if value in (None, "", []):
        return []
    parts = value if isinstance(value, list | tuple) else str(value).replace("，", ",").split(",")
    months = set()
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        try:
            months.add(Month.parse(part))
        except ValueError:
            raise INVALID_INPUT.refuse(
                field=key, message=f"月份格式不正确，应为YYYY-MM：{part}"
            ) from None
    return sorted(months)


def unit_id_by_uscc(platform: Platform, sandbox_id: str, uscc: str | None) -> int | None:
    if not uscc:
        return None
    with platform.sandbox_session(sandbox_id) as ctx:
        unit_id = ctx.session.scalar(
            select(Unit.id).where(Unit.sandbox_id == sandbox_id, Unit.uscc == uscc.strip().upper())
        )
    if unit_id is None:
        raise NOT_FOUND.refuse(field="uscc", what=f"统一社会信用代码为{uscc}的单位")
    return int(unit_id)


def add_record(
    ctx: BusinessContext,
    kind: str,
    *,
    person: Person | None = None,
    unit_id: int | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> CounterRecord:
    """The counter's own record of what it did (P-3), in the business's transaction."""
    record = CounterRecord(
        sandbox_id=ctx.sandbox.id,
        at=ctx.now,
        kind=kind,
        unit_id=unit_id if unit_id is not None else (ctx.unit.id if ctx.unit else None),
        person_id=person.id if person else None,
        note=note,
        details={
            **(details or {}),
            "事项": KIND_LABELS[kind],
            "business_no": ctx.business.business_no if ctx.business else None,
            "经办人": COUNTER_CLERK,
        },
    )
    ctx.session.add(record)
    ctx.session.flush()
    return record


def businesses_behind(
    session: Session,
    sandbox_id: str,
    relation_ids: Iterable[int],
    lines: Iterable[ContributionLine],
) -> list[str]:
    """业务编号 of the businesses (办结) that inserted or stopped these relations or these lines.

    A refund application rests on them (F-5, its ``依据业务编号``): rolling one of them back
    would take away the stop or the contributions the refund was accepted for (I6-1).
    """
    ids = set(relation_ids)
    business_ids = {line.business_id for line in lines if line.business_id is not None}
    if ids:
        low, high = min(ids), max(ids)
        effects = session.execute(
            select(
                BusinessEffect.business_id,
                BusinessEffect.row_id,
                BusinessEffect.row_count,
                BusinessEffect.op,
                BusinessEffect.before,
            ).where(
                BusinessEffect.sandbox_id == sandbox_id,
                BusinessEffect.table_name == InsuredRelation.__tablename__,
                or_(
                    BusinessEffect.row_id.in_(ids),
                    and_(
                        BusinessEffect.op == "insert",
                        BusinessEffect.row_id <= high,
                        BusinessEffect.row_id + BusinessEffect.row_count > low,
                    ),
                ),
            )
        ).all()
        for business_id, row_id, row_count, op, before in effects:
            inserted = op == "insert" and any(row_id <= i < row_id + row_count for i in ids)
            stopped = op == "update" and row_id in ids and bool(STOP_COLUMNS & set(before or {}))
            if inserted or stopped:
                business_ids.add(business_id)
    if not business_ids:
        return []
    return sorted(
        session.scalars(
            select(Business.business_no).where(
                Business.id.in_(business_ids), Business.state == DONE
            )
        )
    )


def counter_work_resting_on(session: Session, business: Business) -> list[str]:
    """The counter's work that rests on a business of the online hall (人员变更回退, I6-1).

    A 柜台补缴 or 柜台缴费基数调整 done later for the business's person at its unit, and a
    退费申请 whose record names the business among those it rests on (``依据业务编号``; a
    record from before that list was kept: one for the person at the unit accepted since the
    business).  The counter's work is not rolled back online, so while it stands the
    business cannot be rolled back either: the counter undoes its own work first.
    """
    if business.person_id is None or business.unit_id is None:
        return []
    found = [
        f"{later.item_name}（业务编号{later.business_no}）"
        for later in session.scalars(
            select(Business)
            .where(
                Business.sandbox_id == business.sandbox_id,
                Business.person_id == business.person_id,
                Business.unit_id == business.unit_id,
                Business.id > business.id,
                Business.state == DONE,
                Business.item_code.in_(CONTRIBUTION_ITEMS),
            )
            .order_by(Business.id)
        )
    ]
    person = session.get(Person, business.person_id)
    refunds = session.scalars(
        select(CounterRecord)
        .where(
            CounterRecord.sandbox_id == business.sandbox_id,
            CounterRecord.unit_id == business.unit_id,
            CounterRecord.kind == "refund",
        )
        .order_by(CounterRecord.id)
    )
    for record in refunds:
        for row in (record.details or {}).get("清退人员", []):
            rests_on = row.get(RESTS_ON)
            if rests_on is not None:
                hit = business.business_no in rests_on
            else:
                hit = (
                    person is not None
                    and row.get("证件号码") == person.id_number
                    and record.at >= business.submitted_at
                )
            if hit:
                found.append(f"{KIND_LABELS['refund']}（{record.at:%Y-%m-%d}受理）")
                break
    return found


def record_row(record: CounterRecord, unit: Unit | None, person: Person | None) -> dict[str, Any]:
    return {
        "id": record.id,
        "时间": record.at.isoformat(sep=" "),
        "kind": record.kind,
        "事项": KIND_LABELS.get(record.kind, record.kind),
        "单位": {"uscc": unit.uscc, "name": unit.name} if unit else None,
        "人员": {"id_number": person.id_number, "name": person.name, "person_no": person.person_no}
        if person
        else None,
        "note": record.note,
        "details": record.details,
    }


class CounterItem(BusinessItem):
    """A business only the counter does (``Actor.role == 'counter'``), recorded as 柜台."""

    kind: ClassVar[str]

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        if context.actor.role != "counter":
            raise COUNTER_ONLY.refuse()
        self.check(context, payload)

    def check(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def unit(context: BusinessContext) -> Unit:
        if context.unit is None:
            raise UNIT_REQUIRED.refuse(field="uscc")
        return context.unit


# --- 柜台单位参保登记 (I1-4's remedy) -------------------------------------------------------------


class CounterUnitRegistration(CounterItem):
    code = "counter_unit_registration"
    name = "柜台单位参保登记"
    guide_section = "G §三.1"
    kind = "unit_registration"
    needs_unit = False
    changes_insurance = False

    def form(self, context: BusinessContext) -> list[FormField]:
        section = "单位基本信息"
        return [
            FormField("uscc", "统一社会信用代码", True, "text", section),
            FormField("name", "单位名称", True, "text", section),
            FormField("nature", "单位性质", False, "text", section, help="默认为企业"),
            FormField("region_code", "行政区划", True, "text", section),
            FormField("address", "单位地址", False, "text", section),
            FormField("legal_rep_name", "法定代表人姓名", True, "text", section),
            FormField("legal_rep_id_number", "法定代表人证件号码", True, "id_number", section),
            FormField("is_hr_agency", "人力资源服务机构", False, "text", section),
            FormField("industry_class", "工伤行业类别", False, "text", section),
            FormField("password", "法定代表人登录密码", False, "text", section,
                      help="单位尚未实名注册时，同时为法定代表人开通账号"),
        ]  # fmt: skip

    def check(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        common.require(
            payload,
            {
                "uscc": "统一社会信用代码",
                "name": "单位名称",
                "region_code": "行政区划",
                "legal_rep_name": "法定代表人姓名",
                "legal_rep_id_number": "法定代表人证件号码",
            },
        )
        try:
            uscc = parse_credit_code(text(payload, "uscc")).code
            city_code = prefecture_of(text(payload, "region_code"))
            legal_rep_id = parse_resident_id(text(payload, "legal_rep_id_number")).number
        except InvalidIdentifier as error:
            raise INVALID_INPUT.refuse(message=error.reason) from None
        nature = text(payload, "nature") or "企业"
        by_nature = context.parameters().value("unit_insurance_by_nature")
        if nature not in by_nature:
            raise INVALID_INPUT.refuse(field="nature", message=f"单位性质取值不正确：{nature}")
        industry_class = int(text(payload, "industry_class") or 1)
        if not 1 <= industry_class <= 8:
            raise INVALID_INPUT.refuse(field="industry_class", message="工伤行业类别应为1至8类")
        unit = context.unit_by_uscc(uscc)
        if unit is not None and unit.status == "参保":
            raise UNIT_ALREADY_INSURED.refuse(field="uscc")
        context.scratch.update(
            uscc=uscc, city_code=city_code, legal_rep_id=legal_rep_id, nature=nature,
            insurance_codes=list(by_nature[nature]), industry_class=industry_class, unit=unit,
        )  # fmt: skip

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        found = context.scratch
        unit: Unit | None = found["unit"]
        if unit is None:
            unit = Unit(sandbox_id=context.sandbox.id, uscc=found["uscc"])
            context.session.add(unit)
        unit.name = text(payload, "name")
        unit.nature = found["nature"]
        unit.region_code = text(payload, "region_code")
        unit.city_code = found["city_code"]
        unit.address = text(payload, "address")
        unit.legal_rep_name = text(payload, "legal_rep_name")
        unit.legal_rep_id_number = found["legal_rep_id"]
        unit.is_hr_agency = text(payload, "is_hr_agency").lower() in ("1", "true", "是", "y", "yes")
        unit.industry_class = found["industry_class"]
        unit.insurance_codes = ",".join(found["insurance_codes"])
        unit.bank_name = text(payload, "bank_name")
        unit.bank_account_name = text(payload, "bank_account_name")
        unit.bank_account_no = text(payload, "bank_account_no")
        unit.contact_name = text(payload, "contact_name")
        unit.contact_phone = text(payload, "contact_phone")
        unit.registered_on = context.today
        unit.status = "参保"
        unit.unit_no = unit.unit_no or f"{unit.city_code}{context.next_number('unit'):06d}"
        context.session.flush()
        account = context.session.scalars(
            select(Account).where(Account.unit_id == unit.id, Account.role == ROLE_LEGAL_REP)
        ).first()
        password = text(payload, "password")
        if account is None and password:
            account = Account(
                sandbox_id=context.sandbox.id,
                unit_id=unit.id,
                role=ROLE_LEGAL_REP,
                id_number=found["legal_rep_id"],
                name=unit.legal_rep_name,
                mobile=text(payload, "mobile"),
                password_hash=hash_password(password),
                verified_at=context.now,
                scopes=[],
                status="active",
                created_at=context.now,
            )
            context.session.add(account)
            context.session.flush()
        if context.business is not None:
            context.business.unit_id = unit.id  # so that it shows among the unit's 办件
        add_record(context, self.kind, unit_id=unit.id,
                   note="市场监管信息无法获取，经办机构核验营业执照后办理参保登记",
                   details={"unit_no": unit.unit_no, "uscc": unit.uscc, "name": unit.name,
                            "insurance_codes": unit.insurance_list()})  # fmt: skip
        context.note("unit registered at the counter", behaviour_id="I1-4", uscc=unit.uscc)
        return ItemResult(
            message="单位参保登记成功",
            data={
                "unit_id": unit.id,
                "unit_no": unit.unit_no,
                "uscc": unit.uscc,
                "name": unit.name,
                "status": unit.status,
                "is_hr_agency": unit.is_hr_agency,
                "insurance_codes": unit.insurance_list(),
                "legal_rep_account": account is not None,
            },
        )


def _person_fields(section: str) -> list[FormField]:
    """Whom a counter business is for: 证件号码★, and the record when there are several (I3-7)."""
    return [
        FormField("id_number", "证件号码", True, "id_number", section),
        FormField("person_no", "个人唯一识别码", False, "text", section,
                  help="同一证件号码有多条人员信息时填写"),
    ]  # fmt: skip


# --- 柜台人员基础信息采集 (I2-2's remedy) ------------------------------------------------------------


class CounterIdentityCollection(CounterItem):
    code = "counter_identity_collection"
    name = "柜台人员基础信息采集"
    guide_section = "G §三.2"
    kind = "identity_collection"
    needs_unit = False
    changes_insurance = False

    def form(self, context: BusinessContext) -> list[FormField]:
        """The hall's 人员基础信息采集 form (I2-6), with every document the counter accepts (I2-1).

        ★ as for a 居民身份证; other documents need only 证件号码, 姓名, 性别, 出生日期.
        """
        helps = {
            "id_type": "持其他证件的人员，只须填写证件号码、姓名、性别和出生日期",
            "nationality": "默认为中国",
        }
        return collection_form(context, tuple(ID_TYPES), helps)

    def check(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        id_type = text(payload, "id_type") or RESIDENT_ID_CARD
        if id_type in RESIDENT_ID_CARD_SPELLINGS:
            # The form's own rules still hold; only the public-security comparison is replaced
            # by the clerk checking the card in hand.  An empty 证件类型 is a 居民身份证.
            form = check_form({**payload, "id_type": id_type})
            fields = {
                "id_type": RESIDENT_ID_CARD,
                "id_number": form.id_number,
                "name": form.name,
                "gender": form.gender,
                "birth_date": form.birth_date,
                "nationality": form.nationality,
                "ethnicity": form.ethnicity,
                "mobile": form.mobile,
                "hukou_region": form.hukou_region,
                "hukou_address": form.hukou_address,
                **form.optional,
            }
        else:
            common.require(
                payload,
                {
                    "id_number": "证件号码",
                    "name": "姓名",
                    "gender": "性别",
                    "birth_date": "出生日期",
                },
            )
            gender = text(payload, "gender")
            if gender not in ("男", "女"):
                raise INVALID_INPUT.refuse(field="gender", message=f"性别取值不正确：{gender}")
            fields = {
                "id_type": id_type,
                "id_number": text(payload, "id_number").upper(),
                "name": text(payload, "name"),
                "gender": gender,
                "birth_date": common.parse_date(payload, "birth_date", "出生日期"),
                "nationality": text(payload, "nationality") or "中国",
                "ethnicity": text(payload, "ethnicity") or "",
                "mobile": text(payload, "mobile"),
                "hukou_region": text(payload, "hukou_region"),
                "hukou_address": text(payload, "hukou_address"),
            }
        hukou_nature = common.check_choice(
            payload, "hukou_nature", "户籍性质", context.parameters().value("codes.hukou_natures")
        )
        existing = existing_person_nos(context, fields["id_number"])
        if existing:
            raise PERSON_EXISTS.refuse(field="id_number", person_no="、".join(existing))
        context.scratch["fields"] = {**fields, "hukou_nature": hukou_nature}

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        fields = context.scratch["fields"]
        person = Person(
            sandbox_id=context.sandbox.id,
            person_no=f"{context.city.code}{context.next_number('person'):010d}",
            created_at=context.now,
            **fields,
        )
        context.session.add(person)
        context.session.flush()
        add_record(context, self.kind, person=person,
                   note="经办人员核验本人有效身份证件后采集，不经公安部人员基准信息比对",
                   details={"person_no": person.person_no, "id_type": person.id_type})  # fmt: skip
        context.note("collected at the counter on the documents in hand", behaviour_id="I2-2",
                     person_no=person.person_no)  # fmt: skip
        return ItemResult(
            message="人员信息已采集",
            person_id=person.id,
            data={
                "person_no": person.person_no,
                "id_type": person.id_type,
                "id_number": person.id_number,
                "name": person.name,
                "gender": person.gender,
                "birth_date": person.birth_date.isoformat(),
                "hukou_nature": person.hukou_nature,
            },
        )


# --- 柜台补缴 (PER-5's remedy) ---------------------------------------------------------------------


class CounterBackpay(CounterItem):
    code = "counter_backpay"
    name = "柜台补缴"
    guide_section = "G §三.3"
    kind = "backpay"

    def form(self, context: BusinessContext) -> list[FormField]:
        section = "补缴信息"
        return [
            *_person_fields(section),
            FormField("months", "补缴月份", False, "text", section,
                      help="YYYY-MM，多个用逗号分隔；不填则补缴在本单位参保期间内所有未缴费的月份"),
            FormField("base", "缴费基数", False, "money", section,
                      help="不填则按申报的缴费基数"),
        ]  # fmt: skip

    def check(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        unit = self.unit(context)
        common.require(payload, {"id_number": "证件号码"})
        person = common.find_person(
            context, common.check_id_number(payload), text(payload, "person_no")
        )
        relations = list(
            context.session.scalars(
                select(InsuredRelation)
                .where(
                    InsuredRelation.sandbox_id == context.sandbox.id,
                    InsuredRelation.person_id == person.id,
                    InsuredRelation.unit_id == unit.id,
                    InsuredRelation.kind == "employee",
                )
                .order_by(InsuredRelation.id)
            )
        )
        if not relations:
            raise NOT_INSURED_AT_UNIT.refuse(field="id_number")
        current = context.fee_month
        asked = months_of(payload.get("months"))
        plan: dict[int, list[Month]] = {}
        for relation in relations:
            last = current.plus(-1)
            if relation.stop_month:
                last = min(last, Month.parse(relation.stop_month))
            span = month_range(Month.parse(relation.start_month), last)
            paid = set(
                context.session.scalars(
                    select(ContributionLine.fee_month).where(
                        ContributionLine.relation_id == relation.id
                    )
                )
            )
            wanted = [m for m in span if str(m) not in paid and (not asked or m in asked)]
            if wanted:
                plan[relation.id] = wanted
        for month in asked:
            covering = [
                r
                for r in relations
                if Month.parse(r.start_month) <= month < current
                and (not r.stop_month or month <= Month.parse(r.stop_month))
            ]
            if not covering:
                raise BACKPAY_MONTH_INVALID.refuse(field="months", month=month, fee_month=current)
            if not any(month in plan.get(r.id, []) for r in covering):
                raise ALREADY_PAID.refuse(field="months", month=month)
        if not plan:
            raise NOTHING_TO_BACKPAY.refuse(field="id_number")
        unemployment = [r for r in relations if r.insurance_code == "210" and r.id in plan]
        if unemployment:
            months = {str(m) for r in unemployment for m in plan[r.id]}
            start = min(Month.parse(r.start_month) for r in unemployment)
            if set(common.benefit_months_after(context, person, start)) & months:
                raise common.BENEFIT_PAID.refuse(field="months")
        declared = common.parse_money(payload, "base", "缴费基数")
        context.scratch.update(person=person, relations=relations, plan=plan, declared=declared)

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        person: Person = context.scratch["person"]
        plan: dict[int, list[Month]] = context.scratch["plan"]
        declared: Decimal | None = context.scratch["declared"]
        lines = []
        for relation in context.scratch["relations"]:
            months = plan.get(relation.id)
            if not months:
                continue
            base = declared if declared is not None else (
                relation.declared_base or relation.base or Decimal(0)
            )  # fmt: skip
            lines += generate_backpay(context, [relation], tuple(months), base)
        all_months = sorted({str(m) for months in plan.values() for m in months})
        details = [line.as_dict() for line in lines]
        add_record(context, self.kind, person=person,
                   note="超过六个月的补缴，经办机构审核材料后办理",
                   details={"months": all_months, "补缴明细": details})  # fmt: skip
        context.note("back pay at the counter (beyond the six months online)",
                     behaviour_id="PER-5", months=len(all_months))  # fmt: skip
        return ItemResult(
            message="补缴成功",
            person_id=person.id,
            data={
                "person_no": person.person_no,
                "name": person.name,
                "months": all_months,
                "补缴明细": details,
            },
        )


# --- 柜台缴费基数调整 (I7-3's remedy) -----------------------------------------------------------------


class CounterBaseChange(CounterItem):
    code = "counter_base_change"
    name = "柜台缴费基数调整"
    guide_section = "G §三.7"
    kind = "base_change"

    def form(self, context: BusinessContext) -> list[FormField]:
        section = "缴费基数调整"
        return [
            *_person_fields(section),
            FormField("base", "调整后缴费基数", True, "money", section),
            FormField("from_month", "调整起始年月", False, "month", section,
                      help="YYYY-MM，参保开始年月至次月；不填则自次月起"),
        ]  # fmt: skip

    def check(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        self.unit(context)
        common.require(payload, {"id_number": "证件号码", "base": "缴费基数"})
        person = common.find_person(
            context, common.check_id_number(payload), text(payload, "person_no")
        )
        relations = relations_at_unit(context, person)
        if not relations:
            raise NOT_INSURED_AT_UNIT.refuse(field="id_number")
        declared = common.parse_money(payload, "base", "缴费基数")
        assert declared is not None
        latest = context.fee_month.plus(1)
        months = months_of(payload.get("from_month"), "from_month")
        from_month = months[0] if months else latest
        start = min(Month.parse(r.start_month) for r in relations)
        if not start <= from_month <= latest:
            raise BASE_CHANGE_MONTH.refuse(
                field="from_month", month=from_month, start=start, latest=latest
            )
        decision = clamp_base(declared, context.parameters(from_month))
        changes = []
        for relation in relations:
            if Month.parse(relation.start_month) > from_month:
                continue
            current = base_in_force(context.session, relation, from_month)
            if current != decision.effective:
                changes.append((relation, current))
        if not changes:
            raise BASE_UNCHANGED.refuse(field="base")
        context.scratch.update(person=person, from_month=from_month, decision=decision,
                               changes=changes)  # fmt: skip

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        person: Person = context.scratch["person"]
        from_month: Month = context.scratch["from_month"]
        decision = context.scratch["decision"]
        settled: set[str] = set()
        directions = set()
        for relation, current in context.scratch["changes"]:
            latest = latest_change_month(context.session, relation)
            context.session.add(
                BaseChange(
                    sandbox_id=context.sandbox.id,
                    relation_id=relation.id,
                    from_month=str(from_month),
                    old_base=current,
                    new_base=decision.effective,
                    declared_base=decision.declared,
                    business_id=context.business.id if context.business else None,
                )
            )
            # The relation shows the latest base: a change of past months under a later one
            # does not replace it (see the settlement contract in base_adjustment).
            if latest is None or str(from_month) >= latest:
                relation.declared_base = decision.declared
                relation.base = decision.effective
            directions.add(
                "下调" if current is not None and decision.effective < current else "上调"
            )
            settled.update(
                context.session.scalars(
                    select(ContributionLine.fee_month).where(
                        ContributionLine.relation_id == relation.id,
                        ContributionLine.fee_month >= str(from_month),
                    )
                )
            )
        olds = sorted({str(c) for _, c in context.scratch["changes"]})
        record_details = {
            "from_month": str(from_month),
            "原缴费基数": olds,
            "调整后缴费基数": str(decision.declared),
            "实际缴费基数": str(decision.effective),
            "调整方向": "、".join(sorted(directions)),
            "已结算月份": sorted(settled),
        }
        add_record(context, self.kind, person=person,
                   note="下调缴费基数或调整往期缴费基数，经办机构审核相关材料后办理；"
                        "已结算月份的差额由经办机构另行补退（模拟器不计算）",
                   details=record_details)  # fmt: skip
        context.note("base changed at the counter", behaviour_id="I7-3",
                     from_month=str(from_month), new_base=decision.effective)  # fmt: skip
        return ItemResult(
            message="缴费基数调整成功",
            person_id=person.id,
            data={"person_no": person.person_no, "name": person.name, **record_details},
        )


# --- 失业金退回 (I3-8's remedy) -----------------------------------------------------------------------


class CounterBenefitReturn(CounterItem):
    code = "counter_benefit_return"
    name = "失业金退回"
    guide_section = "G §五 问题三(4)"
    kind = "benefit_return"
    needs_unit = False
    changes_insurance = False

    def form(self, context: BusinessContext) -> list[FormField]:
        section = "失业金退回"
        return [
            *_person_fields(section),
            FormField("months", "退回月份", False, "text", section,
                      help="YYYY-MM，多个用逗号分隔；不填则退回全部未退回的月份"),
        ]  # fmt: skip

    def check(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        common.require(payload, {"id_number": "证件号码"})
        person = common.find_person(
            context, common.check_id_number(payload), text(payload, "person_no")
        )
        asked = {str(m) for m in months_of(payload.get("months"))}
        payments = [
            payment
            for payment in context.session.scalars(
                select(BenefitPayment)
                .where(
                    BenefitPayment.sandbox_id == context.sandbox.id,
                    BenefitPayment.person_id == person.id,
                    BenefitPayment.returned_on.is_(None),
                )
                .order_by(BenefitPayment.month)
            )
            if not asked or payment.month in asked
        ]
        missing = asked - {p.month for p in payments}
        if not payments or missing:
            label = f"（{'、'.join(sorted(missing))}）" if missing else ""
            raise NO_BENEFIT_TO_RETURN.refuse(field="months", months=label)
        context.scratch.update(person=person, payments=payments)

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        person: Person = context.scratch["person"]
        payments: list[BenefitPayment] = context.scratch["payments"]
        for payment in payments:
            payment.returned_on = context.today
        months = [p.month for p in payments]
        total = sum((p.amount for p in payments), Decimal(0))
        add_record(context, self.kind, person=person,
                   note="补缴期间已领取的失业保险金已退回",
                   details={"months": months, "amount": str(total)})  # fmt: skip
        context.note("unemployment benefit returned", behaviour_id="I3-8", months="、".join(months))
        return ItemResult(
            message="失业金退回成功",
            person_id=person.id,
            data={
                "person_no": person.person_no,
                "name": person.name,
                "months": months,
                "退回金额": str(total),
                "returned_on": context.today.isoformat(),
            },
        )


@hookimpl
def register_items() -> list[BusinessItem]:
    return [
        CounterUnitRegistration(),
        CounterIdentityCollection(),
        CounterBackpay(),
        CounterBaseChange(),
        CounterBenefitReturn(),
    ]


#: the API's counter routes (``/counter/<route>``) and the business item each one declares
COUNTER_ROUTE_ITEMS = {
    "unit-registrations": CounterUnitRegistration.code,
    "identity-collections": CounterIdentityCollection.code,
    "backpays": CounterBackpay.code,
    "base-changes": CounterBaseChange.code,
    "benefit-returns": CounterBenefitReturn.code,
}

# --- the console's functions (API, CLI, BDD drivers) --------------------------------------------------


def counter_submit(
    platform: Platform,
    sandbox_id: str,
    item_code: str,
    payload: dict[str, Any],
    *,
    uscc: str | None = None,
) -> dict[str, Any]:
    """Do a counter business for the unit with this 统一社会信用代码 (or none)."""
    if not item_code.startswith("counter_"):
        raise NOT_FOUND.refuse(what=f"柜台业务{item_code}")
    unit_id = unit_id_by_uscc(platform, sandbox_id, uscc)
    outcome = platform.submit(
        sandbox_id, item_code, payload, actor=counter_actor(unit_id), channel=CHANNEL
    )
    return outcome.as_dict()


def record_refund(
    platform: Platform,
    sandbox_id: str,
    *,
    uscc: str,
    id_numbers: Sequence[str],
    months: Iterable[str] | str,
    reason: str = "",
    applicant: str = "",
    phone: str = "",
) -> dict[str, Any]:
    """退费申请 (F-5, FAQ Q8): the 《社会保险费清退申请表》 accepted at the counter; no money moves."""
    unit_id = unit_id_by_uscc(platform, sandbox_id, uscc)
    if unit_id is None:
        raise UNIT_REQUIRED.refuse(field="uscc")
    wanted = [str(m) for m in months_of(list(months) if not isinstance(months, str) else months)]
    if not wanted:
        raise INVALID_INPUT.refuse(field="months", message="请填写清退月份（费款所属期）")
    if not id_numbers:
        raise INVALID_INPUT.refuse(field="id_numbers", message="请填写清退人员的证件号码")
    with platform.sandbox_session(sandbox_id) as ctx:
        unit = ctx.session.get(Unit, unit_id)
        assert unit is not None
        earlier = ctx.session.scalars(
            select(CounterRecord).where(
                CounterRecord.sandbox_id == sandbox_id,
                CounterRecord.unit_id == unit_id,
                CounterRecord.kind == "refund",
            )
        ).all()
        refunded = {
            (row["证件号码"], month)
            for record in earlier
            for row in record.details.get("清退人员", [])
            for month in row.get("清退月份", [])
        }
        people_rows: list[dict[str, Any]] = []
        person_ids: list[int] = []
        unit_total = personal_total = Decimal(0)
        for raw in id_numbers:
            id_number = raw.strip().upper()
            person = ctx.session.scalars(
                select(Person)
                .where(Person.sandbox_id == sandbox_id, Person.id_number == id_number)
                .order_by(Person.id)
            ).first()
            if person is None:
                raise common.NO_BASE_RECORD.refuse(field="id_numbers")
            stopped = ctx.session.scalars(
                select(InsuredRelation).where(
                    InsuredRelation.person_id == person.id,
                    InsuredRelation.unit_id == unit_id,
                    InsuredRelation.stop_month.is_not(None),
                )
            ).all()
            if not stopped:
                raise REFUND_NEEDS_STOP.refuse(field="id_numbers")
            for month in wanted:
                if (id_number, month) in refunded:
                    raise REFUND_EXISTS.refuse(field="months", month=month)
            lines = ctx.session.scalars(
                select(ContributionLine)
                .where(
                    ContributionLine.person_id == person.id,
                    ContributionLine.unit_id == unit_id,
                    ContributionLine.fee_month.in_(wanted),
                )
                .order_by(ContributionLine.fee_month, ContributionLine.insurance_code)
            ).all()
            if not lines:
                raise NOTHING_TO_REFUND.refuse(field="months")
            person_unit = sum((line.unit_amount for line in lines), Decimal(0))
            person_personal = sum((line.personal_amount for line in lines), Decimal(0))
            unit_total += person_unit
            personal_total += person_personal
            person_ids.append(person.id)
            relation_ids = {r.id for r in stopped} | {
                line.relation_id for line in lines if line.relation_id is not None
            }
            people_rows.append(
                {
                    "姓名": person.name,
                    "证件号码": person.id_number,
                    "停保年月": max(r.stop_month for r in stopped if r.stop_month),
                    "清退月份": sorted({line.fee_month for line in lines}),
                    RESTS_ON: businesses_behind(ctx.session, sandbox_id, relation_ids, lines),
                    "明细": [
                        {
                            "险种": line.insurance_code,
                            "费款所属期": line.fee_month,
                            "单位缴费金额": str(line.unit_amount),
                            "个人缴费金额": str(line.personal_amount),
                        }
                        for line in lines
                    ],
                    "单位金额": str(person_unit),
                    "个人金额": str(person_personal),
                }
            )
        details = {
            "事项": KIND_LABELS["refund"],
            "申请表": "《社会保险费清退申请表》",
            "单位名称": unit.name,
            "统一社会信用代码": unit.uscc,
            "单位编号": unit.unit_no,
            "开户银行": unit.bank_name,
            "户名": unit.bank_account_name,
            "账号": unit.bank_account_no,
            "申请原因": reason or "2021年9月、10月因业务结算期调整来不及停保",
            "申请人": applicant,
            "联系电话": phone,
            "清退人员": people_rows,
            "单位金额合计": str(unit_total),
            "个人金额合计": str(personal_total),
            "合计": str(unit_total + personal_total),
            "材料": ["《社会保险费清退申请表》（加盖单位公章）", "相关员工离职证明材料"],
            "受理状态": "已受理",
            "申请表去向": ["一份归档", "一份返回参保单位", "一份流转至医保经办部门进行医保退费"],
            "说明": "经办科室确认单位银行账号后进行系统操作；模拟器仅作记录，不发生资金变动。",
            "经办人": COUNTER_CLERK,
        }
        record = CounterRecord(
            sandbox_id=sandbox_id,
            at=ctx.now,
            kind="refund",
            unit_id=unit_id,
            person_id=person_ids[0] if len(person_ids) == 1 else None,
            note="退费申请已受理（线下办理，不发生资金变动）",
            details=details,
        )
        ctx.session.add(record)
        ctx.session.flush()
        return record_row(record, unit, ctx.session.get(Person, record.person_id or 0))


def record_benefit_payment(
    platform: Platform,
    sandbox_id: str,
    *,
    id_number: str,
    months: Iterable[str] | str,
    amount: str | Decimal = "1800",
) -> dict[str, Any]:
    """失业金发放登记: unemployment benefit paid for these months (stages I3-8; no business)."""
    wanted = [str(m) for m in months_of(list(months) if not isinstance(months, str) else months)]
    if not wanted:
        raise INVALID_INPUT.refuse(field="months", message="请填写发放月份")
    try:
        monthly = Decimal(str(amount))
    except ArithmeticError:
        raise INVALID_INPUT.refuse(field="amount", message=f"发放金额应为金额：{amount}") from None
    if not monthly.is_finite() or monthly <= 0:
        raise INVALID_INPUT.refuse(field="amount", message="发放金额应大于0")
    with platform.sandbox_session(sandbox_id) as ctx:
        person = ctx.session.scalars(
            select(Person)
            .where(Person.sandbox_id == sandbox_id, Person.id_number == id_number.strip().upper())
            .order_by(Person.id)
        ).first()
        if person is None:
            raise common.NO_BASE_RECORD.refuse(field="id_number")
        for month in wanted:
            ctx.session.add(
                BenefitPayment(sandbox_id=sandbox_id, person_id=person.id, month=month,
                               amount=monthly)
            )  # fmt: skip
        record = CounterRecord(
            sandbox_id=sandbox_id,
            at=ctx.now,
            kind="benefit_payment",
            person_id=person.id,
            note="失业保险金发放记录（由失业保险经办系统发放，模拟器仅登记）",
            details={"事项": KIND_LABELS["benefit_payment"], "months": wanted,
                     "amount": str(monthly), "经办人": COUNTER_CLERK},
        )  # fmt: skip
        ctx.session.add(record)
        ctx.session.flush()
        return record_row(record, None, person)


def counter_records(
    platform: Platform, sandbox_id: str, *, uscc: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """What the counter did in a sandbox, oldest first (optionally for one unit or kind)."""
    unit_id = unit_id_by_uscc(platform, sandbox_id, uscc)
    with platform.sandbox_session(sandbox_id) as ctx:
        query = (
            select(CounterRecord)
            .where(CounterRecord.sandbox_id == sandbox_id)
            .order_by(CounterRecord.id)
        )
        if unit_id is not None:
            query = query.where(CounterRecord.unit_id == unit_id)
        if kind:
            query = query.where(CounterRecord.kind == kind)
        return [
            record_row(
                record,
                ctx.session.get(Unit, record.unit_id) if record.unit_id else None,
                ctx.session.get(Person, record.person_id) if record.person_id else None,
            )
            for record in ctx.session.scalars(query)
        ]


# --- the API (trainer/tester routes: no unit token) ---------------------------------------------------


class CounterPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class CounterFormBody(BaseModel):
    """The item's form fields (see GET /api/v1/items), plus the unit's uscc."""

    model_config = ConfigDict(extra="allow")
    uscc: str | None = Field(None, max_length=18, description="统一社会信用代码 of the unit")


class CounterRefundBody(BaseModel):
    uscc: str = Field(max_length=18, description="统一社会信用代码")
    id_numbers: list[str] = Field(description="清退人员的证件号码", min_length=1)
    months: list[str] = Field(description="清退月份 (费款所属期, YYYY-MM)", min_length=1)
    reason: str = Field("", max_length=300, description="申请原因")
    applicant: str = Field("", max_length=50, description="申请人")
    phone: str = Field("", max_length=20, description="联系电话")


class CounterBenefitBody(BaseModel):
    id_number: str = Field(max_length=18, description="证件号码")
    months: list[str] = Field(description="发放月份 (YYYY-MM)", min_length=1)
    amount: str = Field("1800", max_length=20, description="每月发放金额 (元)")


class CounterRecordsQuery(BaseModel):
    uscc: str | None = Field(None, max_length=18)
    kind: str | None = Field(None, max_length=40, description=", ".join(KIND_LABELS))


@hookimpl
def register_blueprints() -> list[Any]:
    from flask import request
    from flask_openapi3 import APIBlueprint, Tag

    from simulator.api import ADMIN_RESPONSES, admin_only, platform

    api = admin_only(  # the counter is the trainer's: the trainer's key when one is configured
        APIBlueprint("counter", __name__, url_prefix="/api/v1", abp_responses=ADMIN_RESPONSES)
    )
    tag = Tag(
        name="柜台 counter",
        description="The counter console (经办机构) that closes the loops the documents send "
        "there (P-3, F-5). Trainer/tester routes: no unit token.",
    )

    def submit(sandbox_id: str, item_code: str, *, unit_in_payload: bool = False):  # type: ignore[no-untyped-def]
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            raise INVALID_INPUT.refuse(message="请求体须为JSON对象（表单字段）")
        uscc = None if unit_in_payload else payload.pop("uscc", None)
        return counter_submit(platform(), sandbox_id, item_code, payload, uscc=uscc), 201

    @api.post("/sandboxes/<sandbox_id>/counter/unit-registrations", tags=[tag],
              summary="柜台单位参保登记 (closes I1-4)")  # fmt: skip
    def unit_registration(path: CounterPath, body: CounterFormBody):  # type: ignore[no-untyped-def]
        return submit(path.sandbox_id, CounterUnitRegistration.code, unit_in_payload=True)

    @api.post("/sandboxes/<sandbox_id>/counter/identity-collections", tags=[tag],
              summary="柜台人员基础信息采集, without the public-security check (closes I2-2)")  # fmt: skip
    def identity_collection(path: CounterPath, body: CounterFormBody):  # type: ignore[no-untyped-def]
        return submit(path.sandbox_id, CounterIdentityCollection.code)

    @api.post("/sandboxes/<sandbox_id>/counter/backpays", tags=[tag],
              summary="柜台补缴: months older than six (closes PER-5)")  # fmt: skip
    def backpay(path: CounterPath, body: CounterFormBody):  # type: ignore[no-untyped-def]
        return submit(path.sandbox_id, CounterBackpay.code)

    @api.post("/sandboxes/<sandbox_id>/counter/base-changes", tags=[tag],
              summary="柜台缴费基数调整: downward or past months (closes I7-3)")  # fmt: skip
    def base_change(path: CounterPath, body: CounterFormBody):  # type: ignore[no-untyped-def]
        return submit(path.sandbox_id, CounterBaseChange.code)

    @api.post("/sandboxes/<sandbox_id>/counter/benefit-returns", tags=[tag],
              summary="失业金退回 (closes I3-8)")  # fmt: skip
    def benefit_return(path: CounterPath, body: CounterFormBody):  # type: ignore[no-untyped-def]
        return submit(path.sandbox_id, CounterBenefitReturn.code)

    @api.post("/sandboxes/<sandbox_id>/counter/refunds", tags=[tag],
              summary="退费申请 《社会保险费清退申请表》 (F-5; no money moves)")  # fmt: skip
    def refund(path: CounterPath, body: CounterRefundBody):  # type: ignore[no-untyped-def]
        record = record_refund(
            platform(), path.sandbox_id, uscc=body.uscc, id_numbers=body.id_numbers,
            months=body.months, reason=body.reason, applicant=body.applicant, phone=body.phone,
        )  # fmt: skip
        return record, 201

    @api.post(
        "/sandboxes/<sandbox_id>/counter/benefit-payments",
        tags=[tag],
        summary="失业金发放登记: stage unemployment benefit paid (for I3-8)",
    )
    def benefit_payment(path: CounterPath, body: CounterBenefitBody):  # type: ignore[no-untyped-def]
        record = record_benefit_payment(
            platform(), path.sandbox_id, id_number=body.id_number, months=body.months,
            amount=body.amount,
        )  # fmt: skip
        return record, 201

    @api.get("/sandboxes/<sandbox_id>/counter/records", tags=[tag],
             summary="What the counter did (CounterRecord), oldest first")  # fmt: skip
    def records(path: CounterPath, query: CounterRecordsQuery):  # type: ignore[no-untyped-def]
        return {
            "records": counter_records(
                platform(), path.sandbox_id, uscc=query.uscc, kind=query.kind
            )
        }

    return [api]


# --- the CLI: shebao-sim counter … ----------------------------------------------------------------------


def _fields(pairs: Sequence[str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, not {pair!r}", param_hint="--field")
        payload[key.strip()] = value.strip()
    return payload


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@hookimpl
def register_commands(cli: click.Group) -> None:
    from simulator.cli import State

    pass_state = click.make_pass_decorator(State)
    sandbox_option = click.option("--sandbox", "sandbox_id", default="demo", show_default=True)
    uscc_option = click.option("--uscc", help="统一社会信用代码 of the unit")
    field_option = click.option(
        "--field", "-f", "fields", multiple=True, metavar="KEY=VALUE", help="a form field"
    )

    @cli.group("counter")
    def counter_group() -> None:
        """The counter console (经办机构/柜台): the remedies the hall sends there (P-3, F-5)."""

    @counter_group.command("register-unit")
    @sandbox_option
    @field_option
    @pass_state
    def register_unit(state: State, sandbox_id: str, fields: Sequence[str]) -> None:
        """柜台单位参保登记 (I1-4): -f uscc=… -f name=… -f region_code=… -f legal_rep_name=… …"""
        payload = _fields(fields)
        _echo(counter_submit(state.platform(), sandbox_id, CounterUnitRegistration.code, payload))

    @counter_group.command("collect")
    @sandbox_option
    @uscc_option
    @field_option
    @pass_state
    def collect(state: State, sandbox_id: str, uscc: str | None, fields: Sequence[str]) -> None:
        """柜台人员基础信息采集 (I2-2): -f id_number=… -f name=… -f gender=… …"""
        _echo(counter_submit(state.platform(), sandbox_id, CounterIdentityCollection.code,
                             _fields(fields), uscc=uscc))  # fmt: skip

    @counter_group.command("backpay")
    @sandbox_option
    @click.option("--uscc", required=True)
    @click.option("--id-number", required=True)
    @click.option("--months", help="YYYY-MM,YYYY-MM (default: every unpaid month)")
    @click.option("--base", help="缴费基数 (default: the relation's declared base)")
    @pass_state
    def backpay(state: State, sandbox_id: str, uscc: str, id_number: str, months: str | None,
                base: str | None) -> None:  # fmt: skip
        """柜台补缴 (PER-5): months older than the six generated online."""
        payload = {"id_number": id_number, "months": months, "base": base}
        _echo(counter_submit(state.platform(), sandbox_id, CounterBackpay.code,
                             {k: v for k, v in payload.items() if v}, uscc=uscc))  # fmt: skip

    @counter_group.command("base-change")
    @sandbox_option
    @click.option("--uscc", required=True)
    @click.option("--id-number", required=True)
    @click.option("--base", required=True)
    @click.option("--from-month", help="YYYY-MM (default: the next month)")
    @pass_state
    def base_change(state: State, sandbox_id: str, uscc: str, id_number: str, base: str,
                    from_month: str | None) -> None:  # fmt: skip
        """柜台缴费基数调整 (I7-3): downward, or from a past month."""
        payload = {"id_number": id_number, "base": base, "from_month": from_month}
        _echo(counter_submit(state.platform(), sandbox_id, CounterBaseChange.code,
                             {k: v for k, v in payload.items() if v}, uscc=uscc))  # fmt: skip

    @counter_group.command("benefit-return")
    @sandbox_option
    @click.option("--id-number", required=True)
    @click.option("--months", help="YYYY-MM,YYYY-MM (default: every unreturned month)")
    @pass_state
    def benefit_return(state: State, sandbox_id: str, id_number: str, months: str | None) -> None:
        """失业金退回 (I3-8)."""
        payload = {"id_number": id_number, "months": months}
        _echo(counter_submit(state.platform(), sandbox_id, CounterBenefitReturn.code,
                             {k: v for k, v in payload.items() if v}))  # fmt: skip

    @counter_group.command("benefit-payment")
    @sandbox_option
    @click.option("--id-number", required=True)
    @click.option("--months", required=True, help="YYYY-MM,YYYY-MM")
    @click.option("--amount", default="1800", show_default=True, help="每月发放金额")
    @pass_state
    def benefit_payment(state: State, sandbox_id: str, id_number: str, months: str,
                        amount: str) -> None:  # fmt: skip
        """失业金发放登记: stage unemployment benefit paid (I3-8)."""
        _echo(record_benefit_payment(state.platform(), sandbox_id, id_number=id_number,
                                     months=months, amount=amount))  # fmt: skip

    @counter_group.command("refund")
    @sandbox_option
    @click.option("--uscc", required=True)
    @click.option("--id-number", "id_numbers", required=True, multiple=True)
    @click.option("--months", required=True, help="YYYY-MM,YYYY-MM")
    @click.option("--reason", default="")
    @pass_state
    def refund(state: State, sandbox_id: str, uscc: str, id_numbers: Sequence[str], months: str,
               reason: str) -> None:  # fmt: skip
        """退费申请 (F-5): records the 《社会保险费清退申请表》; no money moves."""
        _echo(record_refund(state.platform(), sandbox_id, uscc=uscc, id_numbers=id_numbers,
                            months=months, reason=reason))  # fmt: skip

    @counter_group.command("records")
    @sandbox_option
    @uscc_option
    @click.option("--kind", type=click.Choice(sorted(KIND_LABELS)))
    @pass_state
    def records(state: State, sandbox_id: str, uscc: str | None, kind: str | None) -> None:
        """What the counter did."""
        _echo(counter_records(state.platform(), sandbox_id, uscc=uscc, kind=kind))

"""企业社会保险信息登记 (首次参保用人单位使用) — guide §三.1; I1-1 … I1-5; and F-4 (FAQ Q7).

A unit registered with market regulation (市场监管) but never insured registers
for social insurance here, once.  It is known to the platform only by its
实名注册 (PREP-1, ``simulator/hall.py``: a :class:`~simulator.db.models.Unit` with
status ``未参保``); its legal representative (or an administrator) logs in and
declares this item:

* the basic information — name, nature, region, address, legal representative —
  comes from the market-registration service by 统一社会信用代码; the unit does
  not type it, and anything it types there is ignored (I1-1);
* the insurance types default from the unit's nature (单位性质) through the
  parameter ``unit_insurance_by_nature`` (I1-2);
* bank (开户银行, 户名, 账号) and contact (联系人, 联系电话) must be complete; the
  refusal names every missing field in one message (I1-3);
* a look-up that finds nothing, a unit that is not 存续 (注销, 吊销) or a failing
  service → ``需至当地社保大厅处理``, the remedy saying which case it was (I1-4);
* an insured unit skips this step: ``该单位已参保登记`` (I1-5).

F-4 (FAQ Q7: the unit changes its registration at market regulation first, then
at the social-insurance office) is the second item of this module,
:class:`UnitInfoRefresh` (单位信息变更（同步市场监管登记信息）): it re-reads the
registration and updates the insured unit's record, listing what changed, as a
business (办件) of its own so that it is audited like any other.

Both items ask market regulation in ``consult`` (before the transaction opens).
Until the pipeline hands the acting unit to ``consult``, the payload carries the
unit's 统一社会信用代码 (``uscc``, shown on top of every form of the hall); it must
be the logged-in unit's.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from plugins.items.common import text
from simulator import hookimpl
from simulator.cities import prefecture_code
from simulator.context import BusinessContext
from simulator.db.models import Unit
from simulator.errors import REQUIRED_FIELD, ErrorSpec, Refused
from simulator.gateways import MARKET_NOT_FOUND, GatewayError, MarketUnit, market_refusal
from simulator.items import BusinessItem, Choice, FormField, ItemResult

if TYPE_CHECKING:
    from simulator.gateways import Gateways

# --- the documented errors ------------------------------------------------------------------

UNIT_ALREADY_INSURED = ErrorSpec(
    code="E_UNIT_ALREADY_INSURED",
    message="该单位已参保登记",
    remedy=(
        "已参保单位直接跳过此步骤，可直接办理用人单位用工参保登记等业务；"
        "单位信息与市场监管登记信息不一致的，请办理单位信息变更。"
    ),
    behaviour_id="I1-5",
)
BANK_CONTACT_INCOMPLETE = ErrorSpec(
    code="E_UNIT_INFO_INCOMPLETE",
    message="单位银行信息及联系人信息请补充完整：{labels}",
    remedy="请填写开户银行、户名、账号、联系人和联系电话后重新提交。",
    behaviour_id="I1-3",
    http_status=400,
)
CONTACT_PHONE_INVALID = ErrorSpec(
    code="E_CONTACT_PHONE_FORMAT",
    message="联系电话格式不正确",
    remedy="请填写11位手机号码，或带区号的固定电话（如025-83123456）。",
    behaviour_id="I1-3",
    http_status=400,
)
BANK_ACCOUNT_INVALID = ErrorSpec(
    code="E_BANK_ACCOUNT_FORMAT",
    message="账号格式不正确，应为8至32位数字",
    remedy="请按开户许可证或银行出具的账户信息填写单位银行账号（不含空格和符号）。",
    behaviour_id="I1-3",
    http_status=400,
)
INDUSTRY_CLASS_INVALID = ErrorSpec(
    code="E_INDUSTRY_CLASS",
    message="工伤行业类别应为1至8类",
    remedy="请按《工伤保险行业风险分类表》选择本单位的行业类别（一类至八类）。",
    behaviour_id="PER-8",
    http_status=400,
)
FLOATING_TIER_INVALID = ErrorSpec(
    code="E_FLOATING_TIER",
    message="工伤保险浮动档次不正确：{klass}类行业的浮动档次为1至{count}",
    remedy="一类行业有三个浮动档次，二类至八类行业有五个浮动档次；不填写时按基准费率（100%）执行。",
    behaviour_id="PER-8",
    http_status=400,
)
USCC_NOT_THIS_UNIT = ErrorSpec(
    code="E_UNIT_USCC_MISMATCH",
    message="统一社会信用代码与登录单位不一致",
    remedy="请以本单位法定代表人或管理员身份登录后，为本单位办理。",
    behaviour_id="PREP-1",
    http_status=400,
)
UNIT_NOT_INSURED = ErrorSpec(
    code="E_UNIT_NOT_INSURED",
    message="本单位尚未办理企业社会保险信息登记",
    remedy="首次参保的用人单位请先办理“企业社会保险信息登记”，单位基本信息将自动从市场监管部门获取。",
    behaviour_id="F-4",
)
UNIT_INFO_UNCHANGED = ErrorSpec(
    code="E_UNIT_INFO_UNCHANGED",
    message="单位信息与市场监管登记信息一致，无需变更",
    remedy="单位信息与实际不一致的，请先至原注册登记机构（如市场监管部门）办理变更，再办理本业务。",
    behaviour_id="F-4",
)

#: the gateway's failure kinds, as the remedy names them

BANK_CONTACT_FIELDS = {
    "bank_name": "开户银行",
    "bank_account_name": "户名",
    "bank_account_no": "账号",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
}
#: facts that come from market registration; typed values are ignored (I1-1)
MARKET_FACT_FIELDS = {
    "name": "单位名称",
    "nature": "单位性质",
    "region_code": "行政区划",
    "address": "住所",
    "legal_rep_name": "法定代表人",
    "legal_rep_id_number": "法定代表人证件号码",
}
#: Decision: a nature the parameter ``unit_insurance_by_nature`` has no row for
#: (农民专业合作社, 基金会, 其他) takes the insurance types of an enterprise.
FALLBACK_NATURE = "企业"
DEFAULT_INDUSTRY_CLASS = 1

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
BANK_ACCOUNT = re.compile(r"^\d{8,32}$")


def phone_is_valid(phone: str) -> bool:
    """An 11-digit mobile number or a landline with its area code."""
    return bool(MOBILE.match(phone) or LANDLINE.match(phone))


# --- market registration (consult) ----------------------------------------------------------


def _payload_uscc(payload: dict[str, Any], unit: Unit | None) -> str:
    return text(payload, "uscc").upper() or (unit.uscc if unit is not None else "")


def ask_market(
    services: Gateways, sandbox_id: str, payload: dict[str, Any], unit: Unit | None = None
) -> dict[str, Any]:
    """Look the unit up at market regulation; a failure is kept for ``validate`` to raise.

    The refusal is raised in ``validate`` rather than here so that the unit's own
    state decides first (an insured unit hears I1-5, not I1-4).
    """
    uscc = _payload_uscc(payload, unit)
    if not uscc:
        return {}
    try:
        found = services.market.lookup(sandbox_id, uscc)
    except GatewayError as error:
        return {"uscc": uscc, "market_refusal": market_refusal(None, error)}
    refusal = market_refusal(found)
    if refusal is not None:
        return {"uscc": uscc, "market_refusal": refusal}
    return {"uscc": uscc, "market": found}


def market_facts(ctx: BusinessContext, payload: dict[str, Any]) -> MarketUnit:
    """The registration ``consult`` found for the logged-in unit, or the I1-4 refusal."""
    unit = ctx.unit
    assert unit is not None  # needs_unit: the pipeline refuses a business without one
    if not text(payload, "uscc") and "uscc" not in ctx.consulted:
        raise REQUIRED_FIELD.refuse(field="uscc", label="统一社会信用代码")
    if ctx.consulted.get("uscc", "") != unit.uscc:
        raise USCC_NOT_THIS_UNIT.refuse(field="uscc")
    refusal = ctx.consulted.get("market_refusal")
    if isinstance(refusal, Refused):
        raise refusal
    market = ctx.consulted.get("market")
    if not isinstance(market, MarketUnit):
        raise MARKET_NOT_FOUND.refuse()  # consult was skipped: nothing to register from
    return market


def unit_record(ctx: BusinessContext, unit: Unit) -> dict[str, Any]:
    """The unit's social-insurance record, as the unit centre shows it (Q-1)."""
    types = ctx.parameters().value("insurance_types")
    return {
        "unit_no": unit.unit_no,
        "uscc": unit.uscc,
        "name": unit.name,
        "nature": unit.nature,
        "region_code": unit.region_code,
        "city_code": unit.city_code,
        "address": unit.address,
        "legal_rep_name": unit.legal_rep_name,
        "legal_rep_id_type": unit.legal_rep_id_type,
        "is_hr_agency": unit.is_hr_agency,
        "industry_class": unit.industry_class,
        "floating_tier": unit.floating_tier,
        "insurance_codes": unit.insurance_list(),
        "insurance": [
            {"code": code, "name": types.get(code, {}).get("name", code)}
            for code in unit.insurance_list()
        ],
        "bank_name": unit.bank_name,
        "bank_account_name": unit.bank_account_name,
        "bank_account_no": unit.bank_account_no,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "status": unit.status,
        "registered_on": unit.registered_on.isoformat() if unit.registered_on else None,
    }


# --- 企业社会保险信息登记 ----------------------------------------------------------------------


@dataclass
class RegistrationPlan:
    """What ``validate`` decided, for ``apply``."""

    market: MarketUnit
    insurance_codes: list[str]
    industry_class: int
    floating_tier: int


class UnitRegistration(BusinessItem):
    code = "unit_registration"
    name = "企业社会保险信息登记"
    guide_hint = (
        "已在市场监管部门登记注册但从未参保过的用人单位使用；单位基本信息由系统自市场"
        "监管部门自动获取，参保信息根据单位性质默认险种，请补充单位银行信息及联系人信"
        "息。已参保单位直接跳过此步骤。"
    )
    looks_up_person = False
    fills_unit_uscc = True
    guide_section = "G §三.1"
    changes_insurance = False  # PER-2: stays open on the paused days
    needs_unit = True  # the unit's own account, after 实名注册 (PREP-1)

    def form(self, context: BusinessContext) -> list[FormField]:
        params = context.parameters()
        market = "单位基本信息（自市场监管部门获取）"
        insurance = "参保信息"
        bank = "银行信息"
        contact = "联系人信息"
        classes = params.value("work_injury.class_rates")
        return [
            FormField("uscc", "统一社会信用代码", True, "text", market,
                      help="登录单位的统一社会信用代码，据此自市场监管部门获取单位基本信息"),
            FormField("industry_class", "工伤行业类别", False, "choice", insurance,
                      tuple(Choice(str(k), f"{k}类") for k in classes),
                      help="不填写时按一类"),
            FormField("floating_tier", "工伤浮动档次", False, "text", insurance,
                      help="不填写时按基准费率（100%）的档次"),
            FormField("bank_name", "开户银行", True, "text", bank),
            FormField("bank_account_name", "户名", True, "text", bank),
            FormField("bank_account_no", "账号", True, "text", bank),
            FormField("contact_name", "联系人", True, "text", contact),
            FormField("contact_phone", "联系电话", True, "phone", contact),
        ]  # fmt: skip

    def consult(
        self,
        services: Gateways,
        sandbox_id: str,
        payload: dict[str, Any],
        unit: Unit | None = None,
    ) -> dict[str, Any]:
        return ask_market(services, sandbox_id, payload, unit)

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        unit = context.unit
        assert unit is not None
        if unit.status == "参保":
            raise UNIT_ALREADY_INSURED.refuse()
        market = market_facts(context, payload)
        missing = [key for key in BANK_CONTACT_FIELDS if not text(payload, key)]
        if missing:
            labels = "、".join(BANK_CONTACT_FIELDS[key] for key in missing)
            problem = BANK_CONTACT_INCOMPLETE.error(field=missing[0], labels=labels)
            raise Refused(dataclasses.replace(problem, details={"missing": missing}))
        if not phone_is_valid(text(payload, "contact_phone")):
            raise CONTACT_PHONE_INVALID.refuse(field="contact_phone")
        if not BANK_ACCOUNT.match(text(payload, "bank_account_no").replace(" ", "")):
            raise BANK_ACCOUNT_INVALID.refuse(field="bank_account_no")
        industry_class, floating_tier = self._work_injury_class(context, payload)
        typed = [label for key, label in MARKET_FACT_FIELDS.items() if text(payload, key)]
        if typed:
            context.note("basic information comes from market registration; typed values ignored",
                         behaviour_id="I1-1", ignored="、".join(typed))  # fmt: skip
        context.scratch["plan"] = RegistrationPlan(
            market=market,
            insurance_codes=self._insurance_for(context, market.nature),
            industry_class=industry_class,
            floating_tier=floating_tier,
        )

    @staticmethod
    def _insurance_for(ctx: BusinessContext, nature: str) -> list[str]:
        """I1-2: the insurance types by the unit's nature (a parameter)."""
        defaults = ctx.parameters().value("unit_insurance_by_nature")
        chosen = nature if nature in defaults else FALLBACK_NATURE
        codes = list(defaults[chosen])
        ctx.note("insurance types default from the unit's nature", behaviour_id="I1-2",
                 nature=nature, applied=chosen, insurance_codes=",".join(codes))  # fmt: skip
        return codes

    @staticmethod
    def _work_injury_class(ctx: BusinessContext, payload: dict[str, Any]) -> tuple[int, int]:
        """工伤行业类别 (1–8, default 1) and 浮动档次 (default: the 100 % tier)."""
        params = ctx.parameters()
        tiers_by_class = params.value("work_injury.floating_tiers")
        raw_class = text(payload, "industry_class")
        try:
            industry_class = int(raw_class) if raw_class else DEFAULT_INDUSTRY_CLASS
        except ValueError:
            raise INDUSTRY_CLASS_INVALID.refuse(field="industry_class") from None
        if industry_class not in tiers_by_class:
            raise INDUSTRY_CLASS_INVALID.refuse(field="industry_class")
        tiers = list(tiers_by_class[industry_class])
        raw_tier = text(payload, "floating_tier")
        if not raw_tier:
            return industry_class, tiers.index(Decimal(1)) + 1
        try:
            tier = int(raw_tier)
        except ValueError:
            tier = 0
        if not 1 <= tier <= len(tiers):
            raise FLOATING_TIER_INVALID.refuse(
                field="floating_tier", klass=industry_class, count=len(tiers)
            )
        return industry_class, tier

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        unit = context.unit
        assert unit is not None
        plan: RegistrationPlan = context.scratch["plan"]
        copy_market_facts(unit, plan.market)
        unit.insurance_codes = ",".join(plan.insurance_codes)
        unit.industry_class = plan.industry_class
        unit.floating_tier = plan.floating_tier
        for key in BANK_CONTACT_FIELDS:
            setattr(unit, key, text(payload, key))
        unit.bank_account_no = unit.bank_account_no.replace(" ", "")
        # 单位编号: the city's code and a per-sandbox sequence (as world files number them).
        unit.unit_no = f"{unit.city_code}{context.next_number('unit'):06d}"
        unit.status = "参保"
        unit.registered_on = context.today
        context.session.flush()
        return ItemResult(
            message="企业社会保险信息登记成功", data={"unit": unit_record(context, unit)}
        )


def copy_market_facts(unit: Unit, market: MarketUnit) -> None:
    """I1-1: the unit's basic information is market registration's."""
    unit.name = market.name
    unit.nature = market.nature
    unit.region_code = market.region_code
    unit.city_code = prefecture_code(market.region_code)
    unit.address = market.address
    unit.legal_rep_name = market.legal_rep_name
    unit.legal_rep_id_type = market.legal_rep_id_type
    unit.legal_rep_id_number = market.legal_rep_id_number
    unit.is_hr_agency = market.is_hr_agency


# --- F-4: 单位信息变更（同步市场监管登记信息） --------------------------------------------------

#: what a refresh follows from market registration: unit attribute → label
REFRESHED_FIELDS = {
    "name": "单位名称",
    "address": "住所",
    "nature": "单位性质",
    "legal_rep_name": "法定代表人",
    "legal_rep_id_type": "法定代表人证件类型",
    "legal_rep_id_number": "法定代表人证件号码",
    "is_hr_agency": "人力资源服务机构",
}


class UnitInfoRefresh(BusinessItem):
    """F-4: the insured unit's record follows a change made at market regulation first.

    Decisions: the insurance types stay as registered (a change of nature that
    would change them is a counter matter and is only noticed); a move to another
    region (住所跨统筹区) is not followed online either.  A refresh that finds
    nothing to change is refused, so that every 办件 of this item changed something.
    """

    code = "unit_info_refresh"
    name = "单位信息变更（同步市场监管登记信息）"
    looks_up_person = False
    fills_unit_uscc = True
    guide_section = "F Q7"
    changes_insurance = False
    needs_unit = True

    def form(self, context: BusinessContext) -> list[FormField]:
        return [
            FormField("uscc", "统一社会信用代码", True, "text", "单位基本信息",
                      help="据此重新获取市场监管部门的登记信息"),
        ]  # fmt: skip

    def consult(
        self,
        services: Gateways,
        sandbox_id: str,
        payload: dict[str, Any],
        unit: Unit | None = None,
    ) -> dict[str, Any]:
        return ask_market(services, sandbox_id, payload, unit)

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        unit = context.unit
        assert unit is not None
        if unit.status != "参保":
            raise UNIT_NOT_INSURED.refuse()
        market = market_facts(context, payload)
        changes = [
            {"field": key, "label": label, "before": getattr(unit, key), "after": value}
            for key, label in REFRESHED_FIELDS.items()
            if (value := getattr(market, key)) != getattr(unit, key)
        ]
        notices = []
        if market.region_code != unit.region_code:
            notices.append({
                "code": "N_REGION_CHANGED",
                "message": "市场监管登记的住所行政区划已变更，参保地变更请至经办机构办理",
                "region_code": market.region_code,
            })  # fmt: skip
        if not changes:
            raise UNIT_INFO_UNCHANGED.refuse()
        defaults = context.parameters().value("unit_insurance_by_nature")
        by_nature = list(defaults.get(market.nature, defaults[FALLBACK_NATURE]))
        if any(c["field"] == "nature" for c in changes) and by_nature != unit.insurance_list():
            notices.append({
                "code": "N_NATURE_CHANGED",
                "message": "单位性质已变更，参保险种未自动调整，如需调整请至经办机构办理",
                "insurance_codes": by_nature,
            })  # fmt: skip
        context.scratch["refresh"] = (market, changes, notices)

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        unit = context.unit
        assert unit is not None
        market, changes, notices = context.scratch["refresh"]
        for change in changes:
            setattr(unit, change["field"], getattr(market, change["field"]))
        context.note("unit record refreshed from market registration", behaviour_id="F-4",
                     changed="、".join(c["label"] for c in changes))  # fmt: skip
        context.session.flush()
        return ItemResult(
            message="单位信息已按市场监管登记信息变更",
            notices=notices,
            data={
                "changes": [
                    {**change, "before": _plain(change["before"]), "after": _plain(change["after"])}
                    for change in changes
                ],
                "unit": unit_record(context, unit),
            },
        )


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | bool | int) or value is None else str(value)


@hookimpl
def register_items() -> list[BusinessItem]:
    return [UnitRegistration(), UnitInfoRefresh()]

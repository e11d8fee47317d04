"""The online hall (网上服务大厅) outside the unit's business items.

Two things the documents need before or beside the unit's businesses:

* **单位实名注册** (PREP-1, guide §二.4 “确认参保单位已完成网上服务大厅实名注册，并可以登陆”):
  the legal representative registers the unit with its 统一社会信用代码.  Market
  regulation must know the unit and hold it 存续, with this legal representative;
  public security must confirm the representative's (证件号码, 姓名); the
  representative passes face verification.  The unit is then known to the platform
  with status ``未参保`` (no insurance types, no 单位编号) and the representative
  holds its 法定代表人 account (A-1), so they can log in and do
  企业社会保险信息登记 (I1).  The other agencies are asked before any transaction
  opens, as in ``BusinessItem.consult``.
* **The personal side** (个人办事, P-1 and P-2), which the unit's errors send the
  person to: 灵活就业人员停保登记 clears ``该人员为灵活就业参保人员`` (I3-9), and
  maintaining 户籍性质 in the personal centre clears ``户籍性质为空`` (I3-10).
  The simulator acts as the person without a login of its own: the personal hall's
  registration and login are not simulated; (证件号码, 姓名) must name a known
  person.  These are not the unit's 办件; each is written to the audit log.

``simulator/api/hall.py`` exposes these functions; the BDD in-process driver
calls them directly.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from simulator.auth import ROLE_LEGAL_REP, hash_password
from simulator.cities import prefecture_code
from simulator.context import SandboxContext
from simulator.db.models import Account, AuditEntry, InsuredRelation, Person, Unit
from simulator.errors import INVALID_INPUT, ErrorSpec, Refused
from simulator.gateways import GatewayError, MarketUnit, market_refusal
from simulator.identifiers import InvalidIdentifier, parse_credit_code, parse_resident_id

if TYPE_CHECKING:
    from simulator.platform import Platform

# --- 单位实名注册 (PREP-1) ------------------------------------------------------------------

UNIT_ALREADY_SIGNED_UP = ErrorSpec(
    code="E_UNIT_SIGNED_UP",
    message="该单位已完成实名注册",
    remedy="请法定代表人使用统一社会信用代码、证件号码和密码登录；忘记密码可点击“忘记密码？”重置。",
    behaviour_id="PREP-1",
    http_status=409,
)
SIGNUP_LEGAL_REP_MISMATCH = ErrorSpec(
    code="E_SIGNUP_LEGAL_REP_MISMATCH",
    message="法定代表人信息与市场监管登记信息不一致",
    remedy=(
        "请填写营业执照上登记的法定代表人姓名和证件号码；"
        "法定代表人已变更的，请先至市场监管部门办理变更登记。"
    ),
    behaviour_id="PREP-1",
)
SIGNUP_LEGAL_REP_ID_TYPE = ErrorSpec(
    code="E_SIGNUP_LEGAL_REP_ID_TYPE",
    message="法定代表人证件类型为{id_type}，不能在网上办理实名注册",
    remedy="法定代表人持居民身份证以外证件的，请至当地社保大厅办理单位注册。",
    behaviour_id="PREP-1",
)
SIGNUP_IDENTITY_MISMATCH = ErrorSpec(
    code="E_SIGNUP_IDENTITY_MISMATCH",
    message="法定代表人身份信息与公安部门比对不成功",
    remedy="请核对法定代表人的姓名和证件号码；仍不成功的，请法定代表人持本人有效身份证件至当地社保大厅办理。",
    behaviour_id="PREP-1",
)
SIGNUP_FACE_FAILED = ErrorSpec(
    code="E_SIGNUP_FACE_FAILED",
    message="人脸识别未通过",
    remedy="请法定代表人本人在光线充足处正对镜头重新进行人脸识别。",
    behaviour_id="PREP-1",
)
WEAK_PASSWORD = ErrorSpec(
    code="E_WEAK_PASSWORD",
    message="密码须为8至20位，且同时包含字母和数字",
    remedy="请重新设置密码。",
    behaviour_id="PREP-1",
    http_status=400,
)

MOBILE = re.compile(r"^1[3-9]\d{9}$")
PASSWORD_LENGTH = (8, 20)


@dataclass(frozen=True)
class SignupRequest:
    """单位实名注册: what the legal representative enters."""

    uscc: str
    legal_rep_name: str
    legal_rep_id_number: str
    mobile: str
    password: str


def _check_signup(request: SignupRequest) -> SignupRequest:
    """The request's own rules (no data needed); returns it normalised."""
    try:
        uscc = parse_credit_code(request.uscc).code
    except InvalidIdentifier as error:
        raise INVALID_INPUT.refuse(field="uscc", message=error.reason) from None
    name = request.legal_rep_name.strip()
    if not name:
        raise INVALID_INPUT.refuse(field="legal_rep_name", message="法定代表人姓名不能为空")
    try:
        id_number = parse_resident_id(request.legal_rep_id_number).number
    except InvalidIdentifier as error:
        raise INVALID_INPUT.refuse(field="legal_rep_id_number", message=error.reason) from None
    mobile = request.mobile.strip()
    if not MOBILE.match(mobile):
        raise INVALID_INPUT.refuse(field="mobile", message="手机号码格式不正确，应为11位手机号码")
    password = request.password
    shortest, longest = PASSWORD_LENGTH
    if not (
        shortest <= len(password) <= longest
        and any(c.isascii() and c.isalpha() for c in password)
        and any(c.isdigit() for c in password)
    ):
        raise WEAK_PASSWORD.refuse(field="password")
    return SignupRequest(uscc, name, id_number, mobile, password)


def _unit_of(ctx: SandboxContext, uscc: str) -> Unit | None:
    return ctx.session.scalars(
        select(Unit).where(Unit.sandbox_id == ctx.sandbox.id, Unit.uscc == uscc)
    ).first()


def _refusal(spec: ErrorSpec, **details: Any) -> Refused:
    problem = spec.error(**{k: v for k, v in details.items() if isinstance(v, str)})
    return Refused(dataclasses.replace(problem, details=details))


def _ask_agencies(platform: Platform, sandbox_id: str, request: SignupRequest) -> MarketUnit:
    """Market registration, public security and face verification, in that order."""
    gateways = platform.gateways
    try:
        market = gateways.market.lookup(sandbox_id, request.uscc)
    except GatewayError as error:
        raise market_refusal(None, error) from error  # type: ignore[misc]
    refusal = market_refusal(market)  # I1-4: the documents' answer to a failed look-up
    if refusal is not None:
        raise refusal
    assert market is not None
    if market.legal_rep_id_type != "居民身份证":
        raise _refusal(SIGNUP_LEGAL_REP_ID_TYPE, id_type=market.legal_rep_id_type)
    if (market.legal_rep_name.strip(), market.legal_rep_id_number.upper()) != (
        request.legal_rep_name,
        request.legal_rep_id_number,
    ):
        raise SIGNUP_LEGAL_REP_MISMATCH.refuse(field="legal_rep_name")
    try:
        identity = gateways.identity.verify(
            sandbox_id, request.legal_rep_id_number, request.legal_rep_name
        )
        if not identity.matched:
            raise _refusal(SIGNUP_IDENTITY_MISMATCH, result=identity.result)
        if not gateways.verification.face(
            sandbox_id, request.legal_rep_id_number, request.legal_rep_name
        ):
            raise SIGNUP_FACE_FAILED.refuse()
    except GatewayError as error:
        raise error.refusal() from error  # I2-3's message, or the verification service's
    return market


def sign_up_unit(
    platform: Platform,
    sandbox_id: str,
    *,
    uscc: str,
    legal_rep_name: str,
    legal_rep_id_number: str,
    mobile: str,
    password: str,
) -> dict[str, Any]:
    """单位实名注册 (PREP-1): the unit (未参保) and its 法定代表人 account, or a refusal."""
    request = _check_signup(
        SignupRequest(uscc, legal_rep_name, legal_rep_id_number, mobile, password)
    )
    with platform.sandbox_session(sandbox_id) as ctx:  # unknown sandbox → 404
        if _unit_of(ctx, request.uscc) is not None:
            raise UNIT_ALREADY_SIGNED_UP.refuse(field="uscc")
    market = _ask_agencies(platform, sandbox_id, request)  # no transaction open
    password_hash = hash_password(request.password)
    with platform.sandbox_session(sandbox_id) as ctx:
        if _unit_of(ctx, request.uscc) is not None:  # signed up meanwhile
            raise UNIT_ALREADY_SIGNED_UP.refuse(field="uscc")
        unit = Unit(
            sandbox_id=sandbox_id,
            unit_no=None,
            uscc=request.uscc,
            name=market.name,
            nature=market.nature,
            region_code=market.region_code,
            city_code=prefecture_code(market.region_code),
            address=market.address,
            legal_rep_name=market.legal_rep_name,
            legal_rep_id_type=market.legal_rep_id_type,
            legal_rep_id_number=market.legal_rep_id_number,
            is_hr_agency=market.is_hr_agency,
            insurance_codes="",
            status="未参保",
        )
        ctx.session.add(unit)
        ctx.session.flush()
        account = Account(
            sandbox_id=sandbox_id,
            unit_id=unit.id,
            role=ROLE_LEGAL_REP,
            id_type="居民身份证",
            id_number=request.legal_rep_id_number,
            name=request.legal_rep_name,
            mobile=request.mobile,
            password_hash=password_hash,
            verified_at=ctx.now,
            scopes=[],
            status="active",
            created_at=ctx.now,
        )
        ctx.session.add(account)
        ctx.session.flush()
        _audit(ctx, f"{account.name}(法定代表人)", "unit_signup", unit.uscc, {"unit_id": unit.id})
        return {
            "message": "实名注册成功",
            "unit": {
                "id": unit.id,
                "uscc": unit.uscc,
                "name": unit.name,
                "nature": unit.nature,
                "region_code": unit.region_code,
                "city_code": unit.city_code,
                "address": unit.address,
                "legal_rep_name": unit.legal_rep_name,
                "status": unit.status,
            },
            "account": {
                "id": account.id,
                "name": account.name,
                "role": account.role,
                "mobile": account.mobile,
                "verified_at": ctx.now.isoformat(sep=" "),
            },
        }


def _audit(
    ctx: SandboxContext, actor: str, action: str, target: str, details: dict[str, Any]
) -> None:
    ctx.session.add(
        AuditEntry(
            sandbox_id=ctx.sandbox.id,
            at=ctx.now,
            actor=actor,
            action=action,
            target=target,
            details=details,
        )
    )


# --- the personal side (P-1, P-2) -------------------------------------------------------------

PERSON_UNKNOWN = ErrorSpec(
    code="E_PERSON_UNKNOWN",
    message="未查询到该人员的基础信息",
    remedy="请核对证件号码；在我省没有基础信息的人员，请由用人单位办理人员基础信息采集。",
    http_status=404,
)
PERSON_NAME_MISMATCH = ErrorSpec(
    code="E_PERSON_NAME_MISMATCH",
    message="证件号码与姓名不一致",
    remedy="请核对本人的证件号码和姓名后重新提交。",
    http_status=400,
)
NO_ACTIVE_FLEXIBLE = ErrorSpec(
    code="E_NO_FLEXIBLE_INSURANCE",
    message="未查询到该人员正在参保的灵活就业人员参保信息",
    remedy="该人员没有正在缴费的灵活就业参保关系，无需办理灵活就业人员停保登记。",
    behaviour_id="P-1",
)

FLEXIBLE = "flexible"
ACTIVE = "1"
TERMINATED = "3"


def _people(ctx: SandboxContext, id_number: str, name: str, behaviour_id: str) -> list[Person]:
    """Every base record of (证件号码, 姓名); refuses an unknown number or another name."""
    try:
        number = parse_resident_id(id_number).number
    except InvalidIdentifier as error:
        raise INVALID_INPUT.refuse(field="id_number", message=error.reason) from None
    records = list(
        ctx.session.scalars(
            select(Person)
            .where(Person.sandbox_id == ctx.sandbox.id, Person.id_number == number)
            .order_by(Person.id)
        )
    )
    if not records:
        raise Refused(
            dataclasses.replace(PERSON_UNKNOWN.error(field="id_number"), behaviour_id=behaviour_id)
        )
    matching = [p for p in records if p.name.strip() == name.strip()]
    if not matching:
        raise Refused(
            dataclasses.replace(PERSON_NAME_MISMATCH.error(field="name"), behaviour_id=behaviour_id)
        )
    return matching


def stop_flexible_employment(
    platform: Platform, sandbox_id: str, *, id_number: str, name: str
) -> dict[str, Any]:
    """P-1 灵活就业人员停保登记: stop the person's running flexible-employment insurance.

    Decision: the stop takes effect from the current fee month (费款所属期), so the
    last insured month (``stop_month``) is the month before it; on the paused days
    (7th–10th) the current fee month has just been settled, so it is the last
    insured month itself.  The relations end with status 3 (终止).
    """
    with platform.sandbox_session(sandbox_id) as ctx:
        people = _people(ctx, id_number, name, "P-1")
        relations = list(
            ctx.session.scalars(
                select(InsuredRelation)
                .where(
                    InsuredRelation.sandbox_id == sandbox_id,
                    InsuredRelation.person_id.in_([p.id for p in people]),
                    InsuredRelation.kind == FLEXIBLE,
                    InsuredRelation.status == ACTIVE,
                    InsuredRelation.stop_month.is_(None),
                )
                .order_by(InsuredRelation.id)
            )
        )
        if not relations:
            raise NO_ACTIVE_FLEXIBLE.refuse(field="id_number")
        period = ctx.period
        last_month = period.fee_month if period.paused else period.fee_month.plus(-1)
        for relation in relations:
            relation.stop_month = str(last_month)
            relation.status = TERMINATED
            relation.note = _append(
                relation.note, f"{ctx.today:%Y-%m-%d} 灵活就业人员停保登记（个人办理）"
            )
        stopped = [
            {
                "insurance_code": r.insurance_code,
                "start_month": r.start_month,
                "stop_month": r.stop_month,
                "status": r.status,
            }
            for r in relations
        ]
        _audit(ctx, f"{name.strip()}(个人)", "personal_flexible_stop", people[0].person_no,
               {"relations": [r.id for r in relations], "stop_month": str(last_month)})  # fmt: skip
        return {
            "message": "灵活就业人员停保登记成功",
            "id_number": people[0].id_number,
            "name": people[0].name,
            "fee_month": str(period.fee_month),
            "stop_month": str(last_month),
            "stopped": stopped,
        }


def maintain_hukou_nature(
    platform: Platform, sandbox_id: str, *, id_number: str, name: str, hukou_nature: str
) -> dict[str, Any]:
    """P-2 个人中心维护户籍性质: set 户籍性质 on every base record of the person."""
    with platform.sandbox_session(sandbox_id) as ctx:
        table: dict[str, str] = ctx.parameters().value("codes.hukou_natures")
        value = hukou_nature.strip()
        code = value if value in table else next((c for c, v in table.items() if v == value), None)
        if code is None:
            raise INVALID_INPUT.refuse(field="hukou_nature", message=f"户籍性质取值不正确：{value}")
        people = _people(ctx, id_number, name, "P-2")
        before = {p.person_no: p.hukou_nature for p in people}
        for person in people:
            person.hukou_nature = code
        _audit(ctx, f"{name.strip()}(个人)", "personal_hukou_nature", people[0].person_no,
               {"before": before, "after": code})  # fmt: skip
        return {
            "message": "户籍性质维护成功",
            "id_number": people[0].id_number,
            "name": people[0].name,
            "hukou_nature": code,
            "hukou_nature_label": table[code],
            "person_nos": [p.person_no for p in people],
        }


def _append(note: str, line: str) -> str:
    return f"{note}；{line}" if note else line


__all__ = [
    "SignupRequest",
    "maintain_hukou_nature",
    "sign_up_unit",
    "stop_flexible_employment",
]

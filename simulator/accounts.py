"""单位账号与授权 — 经办人管理, activation, login and 忘记密码 (guide §五 问题一, 问题二).

Behaviours A-1 … A-4 and PREP-1 (``behaviours.md``):

* **A-1** A unit's accounts have three levels — 法定代表人, 单位管理员, 单位经办人 — and
  every holder is a real-name verified person: a grantee's (证件号码, 姓名) is compared
  with public security (the identity mock) when the grant is made, and the grantee
  passes face verification (the verification mock) before the account works.
* **A-2** The legal representative adds and removes administrators and agents and
  grants agents business-item scopes; administrators hold every item and add, remove
  and grant agents (not administrators); agents manage nothing.  An agent may do only
  the granted items (``simulator.auth.may_do``; the pipeline refuses with
  ``您没有办理“{item}”的权限``).  Every grant, change and removal is written to the
  audit log: who, whom, what, and when on the sandbox clock.
* **A-3** The granting flow of 单位中心—经办人管理: read the notice (授权注意事项),
  agree (同意开通), fill in the person and submit — the account is then *pending* (no
  password); the grantee passes face verification and sets a password
  (:func:`activate_account`), after which they log in to the unit with the unit's
  统一社会信用代码, their 证件号码 and the password.
* **A-4** 忘记密码, a small state machine per attempt (a reset token): the unit's
  统一社会信用代码 and the legal representative's 证件类型/证件号码/姓名 → a slider
  check → face verification *or* an SMS code sent to the legal representative's
  registered mobile → the new password twice → done (password changed, every token
  revoked).  Each wrong step is refused with a stable code; steps out of order too.
* **PREP-1** Login (:func:`log_in`) is rate-limited: five failures for one
  (sandbox, 统一社会信用代码, 证件号码) within 15 minutes lock it for 15 minutes.

Plain functions, so that the JSON API (``simulator/api/accounts.py``), the BDD drivers
and the web UI call the same rules.  Calls to other agencies are made with no
transaction open (as ``BusinessItem.consult``).

Storage (decision, see ``docs/decisions.md``): accounts are :class:`Account` rows
(status ``pending`` → ``active`` → ``removed``).  Consent to the notice, login failures
and the steps of a password reset are :class:`AuditEntry` rows — they are audit facts
anyway — and the lock and the reset's current step are read back from them.  Security
timers (login lock, reset lifetime) run on the wall clock like token expiry; business
facts (audit times, SMS code expiry in the mock) on the sandbox clock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from simulator.auth import (
    LOGIN_FAILED,
    NOT_LOGGED_IN,
    ROLE_ADMIN,
    ROLE_AGENT,
    ROLE_LABELS,
    ROLE_LEGAL_REP,
    hash_password,
    login,
    revoke,
)
from simulator.clock import wall_clock_now
from simulator.context import Actor, SandboxContext
from simulator.db.models import Account, ApiToken, AuditEntry, Unit
from simulator.errors import INVALID_INPUT, ErrorSpec, Problem, Refused
from simulator.gateways import GatewayError
from simulator.hall import MOBILE, PASSWORD_LENGTH, WEAK_PASSWORD
from simulator.identifiers import InvalidIdentifier, parse_credit_code, parse_resident_id
from simulator.queries import actor_display

if TYPE_CHECKING:
    from simulator.platform import Platform

# --- levels and states ------------------------------------------------------------------------

ACCOUNT_PENDING = "pending"  # granted; the grantee has not verified their face nor set a password
ACCOUNT_ACTIVE = "active"
ACCOUNT_REMOVED = "removed"  # 已取消授权: kept for the audit trail, re-granting revives it
STATUS_LABELS = {ACCOUNT_PENDING: "待激活", ACCOUNT_ACTIVE: "正常", ACCOUNT_REMOVED: "已取消授权"}

#: 经办人管理 shows the accounts by level, in this order (guide §五 问题一 (3))
LEVEL_GROUPS = {ROLE_LEGAL_REP: "法定代表人", ROLE_ADMIN: "管理员", ROLE_AGENT: "经办人"}
#: what a grant may name as the level (the API's codes and the screen's words)
GRANTABLE_LEVELS = {
    ROLE_ADMIN: ROLE_ADMIN,
    "管理员": ROLE_ADMIN,
    "单位管理员": ROLE_ADMIN,
    ROLE_AGENT: ROLE_AGENT,
    "经办人": ROLE_AGENT,
    "单位经办人": ROLE_AGENT,
}
RESIDENT_ID = "居民身份证"
#: items the counter (经办机构) does are never granted to a unit's agent
COUNTER_ITEM_PREFIX = "counter_"

#: 授权注意事项 (A-3).  The documents do not give the text: this is the simulator's own.
GRANT_NOTICE = (
    "授权注意事项\n"
    "一、单位用户分为法定代表人、单位管理员、单位经办人三个级别，均须为实名认证用户。\n"
    "二、单位法定代表人可增加、减少单位管理员和单位经办人；单位管理员可增加、减少单位经办人。\n"
    "三、单位管理员默认具有本单位所有事项的办理权限；单位经办人只能办理被授权的事项。\n"
    "四、开通授权时，被授权人的姓名和证件号码将与公安部门人员基准信息比对。\n"
    "五、授权成功后，被授权人须在“江苏智慧人社APP”“企业服务”中完成人脸识别身份验证并设置"
    "登录密码，之后方可使用本人证件号码和密码登录网上服务大厅。\n"
    "六、单位对授权人员在网上服务大厅办理的业务负责；人员离职或岗位变动的，请及时取消授权。\n"
    "七、每一次开通授权、变更授权事项和取消授权，均记录操作人、被授权人、授权内容和操作时间。"
)

# --- audit actions -----------------------------------------------------------------------------

AUDIT_NOTICE_AGREED = "grant_notice_agreed"
AUDIT_GRANTED = "account_granted"
AUDIT_SCOPES_CHANGED = "account_scopes_changed"
AUDIT_REMOVED = "account_removed"
AUDIT_ACTIVATED = "account_activated"
AUDIT_LOGIN = "login"
AUDIT_LOGIN_FAILED = "login_failed"
AUDIT_LOGOUT = "logout"
AUDIT_RESET_STEP = "password_reset_step"
AUDIT_PASSWORD_RESET = "password_reset"
AUDIT_LABELS = {
    "unit_signup": "单位实名注册",
    AUDIT_NOTICE_AGREED: "同意授权注意事项",
    AUDIT_GRANTED: "开通授权",
    AUDIT_SCOPES_CHANGED: "变更授权事项",
    AUDIT_REMOVED: "取消授权",
    AUDIT_ACTIVATED: "人脸识别并设置密码",
    AUDIT_LOGIN: "登录",
    AUDIT_LOGIN_FAILED: "登录失败",
    AUDIT_LOGOUT: "退出登录",
    AUDIT_RESET_STEP: "找回密码",
    AUDIT_PASSWORD_RESET: "找回密码—设置新密码",
    # written elsewhere, shown here too: simulator.exports, simulator.web.support, simulator.hall
    "personal_data_export": "导出个人信息",
    "web_refused": "办理未通过（网上大厅提示）",
    "personal_flexible_stop": "灵活就业人员停保登记",
    "personal_hukou_nature": "个人中心维护户籍性质",
}
#: the events that end a run of login failures (a success, a new password)
LOGIN_RUN_ENDS = (AUDIT_LOGIN, AUDIT_PASSWORD_RESET)

# --- login rate limiting (PREP-1) -------------------------------------------------------------

LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
LOGIN_LOCK = timedelta(minutes=15)

# --- errors -----------------------------------------------------------------------------------

ACCOUNT_MANAGEMENT_NOT_ALLOWED = ErrorSpec(
    code="E_ACCOUNT_MANAGEMENT_NOT_ALLOWED",
    message="单位经办人不能办理经办人管理",
    remedy="增加、减少单位管理员和经办人及为经办人授权，由单位法定代表人或管理员办理。",
    behaviour_id="A-2",
    http_status=403,
)
ADMINS_BY_LEGAL_REP_ONLY = ErrorSpec(
    code="E_ADMIN_BY_LEGAL_REP_ONLY",
    message="单位管理员只能由法定代表人增加或减少",
    remedy="单位管理员可增加、减少单位经办人并为其授权；增加或减少单位管理员请联系单位法定代表人。",
    behaviour_id="A-2",
    http_status=403,
)
LEGAL_REP_NOT_MANAGED = ErrorSpec(
    code="E_LEGAL_REP_NOT_MANAGED",
    message="法定代表人账号不能在经办人管理中增加、减少或变更",
    remedy="法定代表人变更的，请先至市场监管部门办理变更登记，再至当地社保大厅办理。",
    behaviour_id="A-2",
    http_status=403,
)
SCOPES_FOR_AGENTS_ONLY = ErrorSpec(
    code="E_SCOPES_FOR_AGENTS_ONLY",
    message="只能为单位经办人授权事项范围，单位管理员默认具有单位所有事项权限",
    remedy="开通单位管理员时请不要选择授权事项。",
    behaviour_id="A-2",
    http_status=400,
)
UNKNOWN_SCOPE = ErrorSpec(
    code="E_UNKNOWN_SCOPE",
    message="授权事项不存在或不能授权给单位经办人：{item}",
    remedy="请从授权注意事项页面列出的可授权事项中选择。",
    behaviour_id="A-2",
    http_status=400,
)
ACCOUNT_EXISTS = ErrorSpec(
    code="E_ACCOUNT_EXISTS",
    message="该人员已是本单位的{level}",
    remedy="同一人员在一个单位只能有一个账号；变更级别请先取消原授权。",
    behaviour_id="A-2",
    http_status=409,
)
ACCOUNT_NOT_FOUND = ErrorSpec(
    code="E_ACCOUNT_NOT_FOUND",
    message="本单位没有该授权账号",
    remedy="请在经办人管理的账号列表中选择。",
    behaviour_id="A-2",
    http_status=404,
)
GRANT_NOTICE_NOT_AGREED = ErrorSpec(
    code="E_GRANT_NOTICE_NOT_AGREED",
    message="请先阅读授权注意事项并点击“同意开通”",
    remedy="在经办人管理中阅读授权注意事项，点击“同意开通”后再开通授权。",
    behaviour_id="A-3",
    http_status=409,
)
ID_TYPE_NOT_ONLINE = ErrorSpec(
    code="E_ID_TYPE_NOT_ONLINE",
    message="证件类型为{id_type}的人员不能在网上开通授权",
    remedy="持居民身份证以外证件的人员，请持有效证件至当地社保大厅办理。",
    behaviour_id="A-1",
)
GRANTEE_IDENTITY_MISMATCH = ErrorSpec(
    code="E_GRANTEE_IDENTITY_MISMATCH",
    message="被授权人身份信息与公安部门比对不成功",
    remedy="单位管理员和经办人必须是实名认证用户：请核对被授权人的姓名和证件号码。",
    behaviour_id="A-1",
)
ACTIVATION_NOT_FOUND = ErrorSpec(
    code="E_ACTIVATION_NOT_FOUND",
    message="未查询到待激活的授权信息",
    remedy="请核对统一社会信用代码、证件号码和姓名；授权由单位法定代表人或管理员在“经办人管理”中开通。",
    behaviour_id="A-3",
    http_status=404,
)
ACCOUNT_ALREADY_ACTIVE = ErrorSpec(
    code="E_ACCOUNT_ALREADY_ACTIVE",
    message="该账号已完成人脸识别并设置密码，请直接登录",
    remedy="忘记密码的，请联系单位法定代表人或管理员取消后重新授权。",
    behaviour_id="A-3",
    http_status=409,
)
FACE_FAILED = ErrorSpec(
    code="E_FACE_FAILED",
    message="人脸识别未通过",
    remedy="请被授权人本人在光线充足处正对镜头重新进行人脸识别。",
    behaviour_id="A-3",
)
PASSWORDS_DIFFER = ErrorSpec(
    code="E_PASSWORDS_DIFFER",
    message="两次输入的密码不一致",
    remedy="请重新输入新密码和确认密码。",
    http_status=400,
)
ACCOUNT_NOT_ACTIVATED = ErrorSpec(
    code="E_ACCOUNT_NOT_ACTIVATED",
    message="账号尚未激活，请先完成人脸识别并设置登录密码",
    remedy="被授权人须在“江苏智慧人社APP”“企业服务”中完成人脸识别身份验证并设置登录密码后登录。",
    behaviour_id="A-3",
    http_status=401,
)
LOGIN_LOCKED = ErrorSpec(
    code="E_LOGIN_LOCKED",
    message="登录失败次数过多，账号已锁定，请15分钟后再试",
    remedy="15分钟内连续5次登录失败将锁定15分钟；忘记密码可点击“忘记密码？”重置。",
    behaviour_id="PREP-1",
    http_status=429,
)

# A-4 忘记密码
RESET_UNIT_NOT_SIGNED_UP = ErrorSpec(
    code="E_RESET_UNIT_NOT_SIGNED_UP",
    message="该统一社会信用代码的单位尚未完成网上服务大厅实名注册",
    remedy="请核对统一社会信用代码；尚未注册的单位请由法定代表人办理单位实名注册。",
    behaviour_id="A-4",
    http_status=404,
)
RESET_LEGAL_REP_MISMATCH = ErrorSpec(
    code="E_RESET_LEGAL_REP_MISMATCH",
    message="法定代表人证件类型、证件号码或姓名与单位注册信息不一致",
    remedy="请填写单位实名注册时登记的法定代表人证件类型、证件号码和姓名。",
    behaviour_id="A-4",
)
RESET_INVALID = ErrorSpec(
    code="E_RESET_INVALID",
    message="找回密码操作已失效，请重新开始",
    remedy="找回密码须在30分钟内完成，验证失败次数过多也会失效；请重新填写账号信息。",
    behaviour_id="A-4",
    http_status=410,
)
RESET_STEP_ORDER = ErrorSpec(
    code="E_RESET_STEP_ORDER",
    message="请先完成{step}",
    remedy="找回密码须依次完成：填写账号信息、滑块验证、人脸识别或短信验证码认证、设置新密码。",
    behaviour_id="A-4",
    http_status=409,
)
RESET_DONE = ErrorSpec(
    code="E_RESET_DONE",
    message="密码已重新设置，请使用新密码登录",
    remedy="如需再次修改密码，请重新点击“忘记密码？”。",
    behaviour_id="A-4",
    http_status=409,
)
SLIDER_FAILED = ErrorSpec(
    code="E_SLIDER_FAILED",
    message="滑块验证未通过，请拖动滑块完成拼图",
    remedy="请把拼图块拖到缺口处；已为您换一张拼图。",
    behaviour_id="A-4",
)
SLIDER_EXPIRED = ErrorSpec(
    code="E_SLIDER_EXPIRED",
    message="滑块验证已超时，请重新拖动滑块完成拼图",
    remedy="拼图须在2分钟内完成；已为您换一张拼图。",
    behaviour_id="A-4",
)
RESET_FACE_FAILED = ErrorSpec(
    code="E_RESET_FACE_FAILED",
    message="人脸识别未通过",
    remedy="请法定代表人本人重新进行人脸识别，或改用短信验证码认证。",
    behaviour_id="A-4",
)
NO_REGISTERED_MOBILE = ErrorSpec(
    code="E_NO_REGISTERED_MOBILE",
    message="未登记法定代表人手机号码，请使用人脸识别认证",
    remedy="短信验证码发送至单位实名注册时登记的法定代表人手机号码。",
    behaviour_id="A-4",
)
SMS_SENDS_EXHAUSTED = ErrorSpec(
    code="E_SMS_SENDS_EXHAUSTED",
    message="短信验证码获取次数过多，请改用人脸识别或重新开始找回密码",
    remedy="一次找回密码最多获取5次短信验证码。",
    behaviour_id="A-4",
    http_status=429,
)
SMS_CODE_WRONG = ErrorSpec(
    code="E_SMS_CODE_WRONG",
    message="短信验证码错误",
    remedy="请核对短信中的6位验证码后重新输入；同一验证码最多可输入5次。",
    behaviour_id="A-4",
)
SMS_CODE_EXPIRED = ErrorSpec(
    code="E_SMS_CODE_EXPIRED",
    message="短信验证码已失效，请重新获取",
    remedy="短信验证码5分钟内有效且只能使用一次，请点击“获取验证码”重新获取。",
    behaviour_id="A-4",
)
SMS_TOO_MANY_ATTEMPTS = ErrorSpec(
    code="E_SMS_TOO_MANY_ATTEMPTS",
    message="短信验证码输入错误次数过多，请重新获取",
    remedy="同一验证码最多可输入5次，请点击“获取验证码”重新获取。",
    behaviour_id="A-4",
    http_status=429,
)

# --- A-4 state machine --------------------------------------------------------------------------

#: a reset attempt lasts this long on the wall clock (like tokens and the login lock)
RESET_LIFETIME = timedelta(minutes=30)
#: failed slider checks and face verifications before the attempt is closed
RESET_MAX_FAILURES = 5
#: SMS codes one attempt may request
RESET_MAX_SMS = 5

STEP_IDENTIFIED = "identified"  # 账号信息 matched; the slider is next
STEP_SLIDER_PASSED = "slider_passed"  # face or SMS next
STEP_SMS_SENT = "sms_sent"  # the code (or face) next
STEP_VERIFIED = "verified"  # the new password next
STEP_DONE = "done"
STEP_CLOSED = "closed"  # too many failures
#: what each state waits for, as the user reads it
NEXT_STEP_LABELS = {
    STEP_IDENTIFIED: "滑块验证",
    STEP_SLIDER_PASSED: "人脸识别或短信验证码认证",
    STEP_SMS_SENT: "短信验证码认证",
    STEP_VERIFIED: "设置新密码",
}


# --- small helpers ---------------------------------------------------------------------------


def _refusal(spec: ErrorSpec, field: str | None = None, **details: Any) -> Refused:
    """``spec`` as a refusal carrying ``details`` (strings also fill the message)."""
    fill = {key: value for key, value in details.items() if isinstance(value, str)}
    problem: Problem = spec.error(field=field, **fill)
    return Refused(dataclasses.replace(problem, details=details))


def _wall(moment: datetime) -> str:
    return moment.isoformat(sep=" ")


def _who(account: Account) -> str:
    """The audit's name for an account holder: 姓名(级别)."""
    return f"{account.name}({ROLE_LABELS.get(account.role, account.role)})"


def _whom(account: Account) -> str:
    return f"{account.name}({ROLE_LABELS.get(account.role, account.role)}，{account.id_number})"


def login_key(uscc: str, id_number: str) -> str:
    """What login failures are counted by: (统一社会信用代码, 证件号码), normalised."""
    return f"{uscc.strip().upper()}/{id_number.strip().upper()}"


def masked_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else mobile


def meets_password_policy(password: str) -> bool:
    """The hall's password rule (PREP-1): 8–20 characters with letters and digits."""
    shortest, longest = PASSWORD_LENGTH
    return (
        shortest <= len(password) <= longest
        and any(c.isascii() and c.isalpha() for c in password)
        and any(c.isdigit() for c in password)
    )


def check_new_password(password: str, password_confirm: str, *, behaviour_id: str) -> None:
    """A new password, typed twice: the policy first, then that both are the same."""
    problem = None
    if not meets_password_policy(password):
        problem = WEAK_PASSWORD.error(field="password")
    elif password != password_confirm:
        problem = PASSWORDS_DIFFER.error(field="password_confirm")
    if problem is not None:
        raise Refused(dataclasses.replace(problem, behaviour_id=behaviour_id))


def _audit(
    ctx: SandboxContext,
    *,
    actor: str,
    action: str,
    target: str,
    unit_id: int | None,
    **details: Any,
) -> None:
    """One audit entry at the sandbox clock's now; ``unit_id`` makes it the unit's."""
    ctx.session.add(
        AuditEntry(
            sandbox_id=ctx.sandbox.id,
            at=ctx.now,
            actor=actor,
            action=action,
            target=target,
            details={"unit_id": unit_id, **details},
        )
    )


def _unit_by_uscc(ctx: SandboxContext, uscc: str) -> Unit | None:
    return ctx.session.scalars(
        select(Unit).where(Unit.sandbox_id == ctx.sandbox.id, Unit.uscc == uscc.strip().upper())
    ).first()


def _revoke_tokens(ctx: SandboxContext, account_id: int) -> int:
    """Revoke every token of an account; how many were still valid."""
    result = ctx.session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- the items an agent may be granted -----------------------------------------------------------


def grantable_items(platform: Platform) -> dict[str, str]:
    """Item code → name of every item a unit's agent may be granted (not the counter's)."""
    return {
        code: item.name
        for code, item in platform.items.items()
        if not code.startswith(COUNTER_ITEM_PREFIX)
    }


def normalise_scopes(platform: Platform, scopes: Iterable[str]) -> list[str]:
    """Item codes (or the items' names) as a sorted list of codes; unknown ones refused."""
    items = grantable_items(platform)
    by_name = {name: code for code, name in items.items()}
    codes: set[str] = set()
    for scope in scopes:
        text = scope.strip()
        code = text if text in items else by_name.get(text)
        if code is None:
            raise UNKNOWN_SCOPE.refuse(field="scopes", item=text)
        codes.add(code)
    return sorted(codes)


# --- who manages (A-2) -------------------------------------------------------------------------


def _acting_account(ctx: SandboxContext, actor: Actor) -> Account:
    """The actor's own account, active and of this sandbox (else: not logged in, PREP-1)."""
    account = ctx.session.get(Account, actor.account_id) if actor.account_id is not None else None
    if account is None or account.sandbox_id != ctx.sandbox.id or account.status != ACCOUNT_ACTIVE:
        raise NOT_LOGGED_IN.refuse()
    return account


def _manager(ctx: SandboxContext, actor: Actor) -> Account:
    """The acting legal representative or administrator (A-2); agents are refused."""
    account = _acting_account(ctx, actor)
    if account.role not in (ROLE_LEGAL_REP, ROLE_ADMIN):
        raise ACCOUNT_MANAGEMENT_NOT_ALLOWED.refuse()
    return account


def _may_manage_level(manager: Account, level: str) -> None:
    """法定代表人: administrators and agents; 管理员: agents only (A-2)."""
    if level == ROLE_LEGAL_REP:
        raise LEGAL_REP_NOT_MANAGED.refuse()
    if level == ROLE_ADMIN and manager.role != ROLE_LEGAL_REP:
        raise ADMINS_BY_LEGAL_REP_ONLY.refuse()


def _managed_account(ctx: SandboxContext, manager: Account, account_id: int) -> Account:
    """An account of the manager's unit that is not removed (404 for anything else)."""
    account = ctx.session.get(Account, account_id)
    if (
        account is None
        or account.sandbox_id != ctx.sandbox.id
        or account.unit_id != manager.unit_id
        or account.status == ACCOUNT_REMOVED
    ):
        raise ACCOUNT_NOT_FOUND.refuse(field="account_id")
    return account


def account_row(platform: Platform, account: Account) -> dict[str, Any]:
    """One account as 经办人管理 lists it (the screen's Chinese column names)."""
    names = grantable_items(platform)
    all_items = account.role in (ROLE_LEGAL_REP, ROLE_ADMIN)
    return {
        "账号编号": account.id,
        "账号级别": ROLE_LABELS.get(account.role, account.role),
        "级别代码": account.role,
        "姓名": account.name,
        "证件类型": account.id_type,
        "证件号码": account.id_number,
        "手机号码": account.mobile,
        "账号状态": STATUS_LABELS.get(account.status, account.status),
        "状态代码": account.status,
        "全部事项": all_items,
        "授权事项": []
        if all_items
        else [{"事项代码": c, "事项名称": names.get(c, c)} for c in account.scopes or []],
        "授权时间": _wall(account.created_at) if account.created_at else None,
        "实名认证时间": _wall(account.verified_at) if account.verified_at else None,
    }


# --- 经办人管理 (A-2, A-3) ---------------------------------------------------------------------


def _agreed_to_notice(ctx: SandboxContext, account: Account) -> bool:
    return (
        ctx.session.scalars(
            select(AuditEntry.id)
            .where(
                AuditEntry.sandbox_id == ctx.sandbox.id,
                AuditEntry.action == AUDIT_NOTICE_AGREED,
                AuditEntry.details["account_id"].as_integer() == account.id,
            )
            .limit(1)
        ).first()
        is not None
    )


def grant_notice(platform: Platform, sandbox_id: str, actor: Actor) -> dict[str, Any]:
    """授权注意事项 (A-3): the notice, whether the actor agreed, and the items to grant."""
    with platform.sandbox_session(sandbox_id) as ctx:
        manager = _manager(ctx, actor)
        return {
            "notice": GRANT_NOTICE,
            "agreed": _agreed_to_notice(ctx, manager),
            "grantable_items": [
                {"事项代码": code, "事项名称": name}
                for code, name in grantable_items(platform).items()
            ],
        }


def agree_to_grant_notice(platform: Platform, sandbox_id: str, actor: Actor) -> dict[str, Any]:
    """同意开通 (A-3): recorded once per account holder, in the audit log."""
    with platform.sandbox_session(sandbox_id) as ctx:
        manager = _manager(ctx, actor)
        if not _agreed_to_notice(ctx, manager):
            _audit(ctx, actor=_who(manager), action=AUDIT_NOTICE_AGREED, target=_whom(manager),
                   unit_id=manager.unit_id, account_id=manager.id)  # fmt: skip
        return {"message": "已同意授权注意事项，可以开通授权", "agreed": True}


def list_accounts(platform: Platform, sandbox_id: str, actor: Actor) -> dict[str, Any]:
    """账号授权管理 by level: 法定代表人, 管理员, 经办人 (guide §五 问题一 (3))."""
    with platform.sandbox_session(sandbox_id) as ctx:
        manager = _manager(ctx, actor)
        accounts = ctx.session.scalars(
            select(Account)
            .where(
                Account.sandbox_id == sandbox_id,
                Account.unit_id == manager.unit_id,
                Account.status != ACCOUNT_REMOVED,
            )
            .order_by(Account.id)
        ).all()
        return {
            label: [account_row(platform, a) for a in accounts if a.role == level]
            for level, label in LEVEL_GROUPS.items()
        }


def my_account(platform: Platform, sandbox_id: str, actor: Actor) -> dict[str, Any]:
    """The logged-in holder's own account (any level)."""
    with platform.sandbox_session(sandbox_id) as ctx:
        return account_row(platform, _acting_account(ctx, actor))


@dataclass(frozen=True)
class GrantRequest:
    """开通授权: what the legal representative or administrator fills in (A-3)."""

    level: str  # admin | agent (or 管理员 / 经办人)
    id_number: str
    name: str
    mobile: str
    id_type: str = RESIDENT_ID
    scopes: tuple[str, ...] = ()


def _checked_grant(platform: Platform, request: GrantRequest) -> GrantRequest:
    """The request's own rules (no data needed); returns it normalised."""
    level = GRANTABLE_LEVELS.get(request.level.strip())
    if level is None:
        if request.level.strip() in (ROLE_LEGAL_REP, "法定代表人"):
            raise LEGAL_REP_NOT_MANAGED.refuse(field="level")
        raise INVALID_INPUT.refuse(
            field="level", message="授权级别须为管理员(admin)或经办人(agent)"
        )
    id_type = request.id_type.strip() or RESIDENT_ID
    if id_type != RESIDENT_ID:
        raise ID_TYPE_NOT_ONLINE.refuse(field="id_type", id_type=id_type)
    try:
        id_number = parse_resident_id(request.id_number).number
    except InvalidIdentifier as error:
        raise INVALID_INPUT.refuse(field="id_number", message=error.reason) from None
    name = request.name.strip()
    if not name:
        raise INVALID_INPUT.refuse(field="name", message="被授权人姓名不能为空")
    mobile = request.mobile.strip()
    if not MOBILE.match(mobile):
        raise INVALID_INPUT.refuse(field="mobile", message="手机号码格式不正确，应为11位手机号码")
    if level == ROLE_ADMIN and request.scopes:
        raise SCOPES_FOR_AGENTS_ONLY.refuse(field="scopes")
    scopes = tuple(normalise_scopes(platform, request.scopes))
    return GrantRequest(level, id_number, name, mobile, id_type, scopes)


def _holder(ctx: SandboxContext, unit_id: int, id_number: str) -> Account | None:
    return ctx.session.scalars(
        select(Account).where(
            Account.sandbox_id == ctx.sandbox.id,
            Account.unit_id == unit_id,
            Account.id_number == id_number,
        )
    ).first()


def _check_grant(ctx: SandboxContext, actor: Actor, request: GrantRequest) -> Account:
    """The grant's rules that need data; returns the manager."""
    manager = _manager(ctx, actor)
    _may_manage_level(manager, request.level)
    if not _agreed_to_notice(ctx, manager):
        raise GRANT_NOTICE_NOT_AGREED.refuse()
    existing = _holder(ctx, manager.unit_id, request.id_number)
    if existing is not None and existing.status != ACCOUNT_REMOVED:
        raise ACCOUNT_EXISTS.refuse(
            field="id_number", level=ROLE_LABELS.get(existing.role, existing.role)
        )
    return manager


def grant_account(
    platform: Platform, sandbox_id: str, actor: Actor, request: GrantRequest
) -> dict[str, Any]:
    """开通授权 (A-2, A-3): a pending account, after public security confirms the person (A-1)."""
    request = _checked_grant(platform, request)
    with platform.sandbox_session(sandbox_id) as ctx:
        _check_grant(ctx, actor, request)
    try:  # no transaction open (see BusinessItem.consult)
        answer = platform.gateways.identity.verify(sandbox_id, request.id_number, request.name)
    except GatewayError as error:
        raise error.refusal() from error
    if not answer.matched:
        raise _refusal(GRANTEE_IDENTITY_MISMATCH, field="name", result=answer.result)
    with platform.sandbox_session(sandbox_id) as ctx:
        manager = _check_grant(ctx, actor, request)  # again: nothing changed meanwhile
        account = _holder(ctx, manager.unit_id, request.id_number)
        if account is None:
            account = Account(sandbox_id=sandbox_id, unit_id=manager.unit_id)
            ctx.session.add(account)
        account.role = request.level
        account.id_type = request.id_type
        account.id_number = request.id_number
        account.name = request.name
        account.mobile = request.mobile
        account.password_hash = None
        account.verified_at = None
        account.scopes = list(request.scopes) if request.level == ROLE_AGENT else []
        account.status = ACCOUNT_PENDING
        account.created_at = ctx.now
        ctx.session.flush()
        _audit(ctx, actor=_who(manager), action=AUDIT_GRANTED, target=_whom(account),
               unit_id=manager.unit_id, account_id=account.id, level=account.role,
               scopes=list(account.scopes))  # fmt: skip
        return {
            "message": "授权成功，请被授权人完成人脸识别身份验证并设置登录密码",
            "account": account_row(platform, account),
        }


def change_scopes(
    platform: Platform, sandbox_id: str, actor: Actor, account_id: int, scopes: Iterable[str]
) -> dict[str, Any]:
    """为经办人按事项权限范围授权 (A-2): replace an agent's items."""
    codes = normalise_scopes(platform, scopes)
    with platform.sandbox_session(sandbox_id) as ctx:
        manager = _manager(ctx, actor)
        account = _managed_account(ctx, manager, account_id)
        _may_manage_level(manager, account.role)
        if account.role != ROLE_AGENT:
            raise SCOPES_FOR_AGENTS_ONLY.refuse(field="scopes")
        before = list(account.scopes or [])
        account.scopes = codes
        _audit(ctx, actor=_who(manager), action=AUDIT_SCOPES_CHANGED, target=_whom(account),
               unit_id=manager.unit_id, account_id=account.id, before=before,
               after=codes)  # fmt: skip
        return {"message": "授权事项已变更", "account": account_row(platform, account)}


def remove_account(
    platform: Platform, sandbox_id: str, actor: Actor, account_id: int
) -> dict[str, Any]:
    """取消授权 (A-2): the account stops working at once; its tokens are revoked."""
    with platform.sandbox_session(sandbox_id) as ctx:
        manager = _manager(ctx, actor)
        account = _managed_account(ctx, manager, account_id)
        _may_manage_level(manager, account.role)  # so nobody removes themselves either
        account.status = ACCOUNT_REMOVED
        account.password_hash = None
        revoked = _revoke_tokens(ctx, account.id)
        _audit(ctx, actor=_who(manager), action=AUDIT_REMOVED, target=_whom(account),
               unit_id=manager.unit_id, account_id=account.id, level=account.role,
               scopes=list(account.scopes or []), tokens_revoked=revoked)  # fmt: skip
        return {"message": "已取消授权", "account": account_row(platform, account)}


def audit_log(
    platform: Platform, sandbox_id: str, actor: Actor, *, page: int = 1, per_page: int = 50
) -> dict[str, Any]:
    """The unit's audit entries, newest first: who did what to whom, when (sandbox clock)."""
    with platform.sandbox_session(sandbox_id) as ctx:
        manager = _manager(ctx, actor)
        of_unit = (
            AuditEntry.sandbox_id == sandbox_id,
            AuditEntry.details["unit_id"].as_integer() == manager.unit_id,
        )
        total = ctx.session.scalar(select(func.count(AuditEntry.id)).where(*of_unit))
        entries = ctx.session.scalars(
            select(AuditEntry)
            .where(*of_unit)
            .order_by(AuditEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return {
            "total": int(total or 0),
            "page": page,
            "per_page": per_page,
            "rows": [_audit_row(entry, grantable_items(platform)) for entry in entries],
        }


#: what an audit row shows of an entry's details (the rest is bookkeeping)
_SHOWN_DETAILS = {
    "level": "级别",
    "scopes": "授权事项",
    "before": "变更前事项",
    "after": "变更后事项",
    "tokens_revoked": "注销的登录令牌",
    "step": "步骤",
    "reason": "原因",
}


def _audit_row(entry: AuditEntry, item_names: dict[str, str]) -> dict[str, Any]:
    """One audit entry as shown: levels, actions and business items by their Chinese
    names (the codes are stored; ``操作代码`` keeps the action's for scripts)."""
    details = dict(entry.details or {})
    if "level" in details:
        details["level"] = ROLE_LABELS.get(details["level"], details["level"])
    for key in ("scopes", "before", "after"):
        if isinstance(details.get(key), list):
            details[key] = [item_names.get(code, code) for code in details[key]]
    return {
        "操作时间": _wall(entry.at),
        "操作人": actor_display(entry.actor),
        "操作": AUDIT_LABELS.get(entry.action, entry.action),
        "操作代码": entry.action,
        "操作对象": entry.target,
        "内容": {label: details[key] for key, label in _SHOWN_DETAILS.items() if key in details},
    }


# --- the grantee's activation (A-3) ----------------------------------------------------------------


def _pending_grant(ctx: SandboxContext, uscc: str, id_number: str, name: str) -> Account:
    unit = _unit_by_uscc(ctx, uscc)
    account = _holder(ctx, unit.id, id_number.strip().upper()) if unit is not None else None
    if account is None or account.status == ACCOUNT_REMOVED or account.name != name.strip():
        raise ACTIVATION_NOT_FOUND.refuse()
    if account.status == ACCOUNT_ACTIVE:
        raise ACCOUNT_ALREADY_ACTIVE.refuse()
    return account


def activate_account(
    platform: Platform,
    sandbox_id: str,
    *,
    uscc: str,
    id_number: str,
    name: str,
    password: str,
    password_confirm: str,
) -> dict[str, Any]:
    """The grantee's face verification and password (A-3): the pending account becomes active."""
    with platform.sandbox_session(sandbox_id) as ctx:
        account = _pending_grant(ctx, uscc, id_number, name)
        person = (account.id_number, account.name)
    check_new_password(password, password_confirm, behaviour_id="A-3")
    try:
        passed = platform.gateways.verification.face(sandbox_id, *person)
    except GatewayError as error:
        raise error.refusal() from error
    if not passed:
        raise FACE_FAILED.refuse()
    password_hash = hash_password(password)
    with platform.sandbox_session(sandbox_id) as ctx:
        account = _pending_grant(ctx, uscc, id_number, name)
        account.password_hash = password_hash
        account.verified_at = ctx.now
        account.status = ACCOUNT_ACTIVE
        _audit(ctx, actor=_who(account), action=AUDIT_ACTIVATED, target=_whom(account),
               unit_id=account.unit_id, account_id=account.id)  # fmt: skip
        return {
            "message": "人脸识别通过，登录密码设置成功，请使用证件号码和密码登录",
            "account": account_row(platform, account),
        }


# --- login and logout (PREP-1) ---------------------------------------------------------------


def _failure_run(ctx: SandboxContext, key: str) -> list[datetime]:
    """Wall-clock times of the latest login failures of ``key`` since its last success
    (or new password), newest first, at most five."""
    events = ctx.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.sandbox_id == ctx.sandbox.id,
            AuditEntry.target == key,
            AuditEntry.action.in_((AUDIT_LOGIN_FAILED, *LOGIN_RUN_ENDS)),
        )
        .order_by(AuditEntry.id.desc())
        .limit(LOGIN_MAX_FAILURES)
    ).all()
    run: list[datetime] = []
    for event in events:
        if event.action != AUDIT_LOGIN_FAILED:
            break
        run.append(datetime.fromisoformat(event.details["wall_at"]))
    return run


def _lock_ends(run: list[datetime], now: datetime) -> datetime | None:
    """When the lock ends (wall clock), or ``None`` when not locked: locked while the last
    five failures lie within 15 minutes and the newest is less than 15 minutes old."""
    if len(run) < LOGIN_MAX_FAILURES:
        return None
    newest, oldest = run[0], run[LOGIN_MAX_FAILURES - 1]
    if newest - oldest > LOGIN_FAILURE_WINDOW or now >= newest + LOGIN_LOCK:
        return None
    return newest + LOGIN_LOCK


def _attempts_left(run: list[datetime], now: datetime) -> int:
    """Failures still allowed before the lock: five, less those of the last 15 minutes."""
    recent = [moment for moment in run if now - moment <= LOGIN_FAILURE_WINDOW]
    return max(LOGIN_MAX_FAILURES - len(recent), 0)


def _locked(ends: datetime, now: datetime) -> Refused:
    minutes = max(1, math.ceil((ends - now).total_seconds() / 60))
    return _refusal(LOGIN_LOCKED, locked_until=_wall(ends), minutes_left=minutes)


def log_in(
    platform: Platform, sandbox_id: str, *, uscc: str, id_number: str, password: str
) -> dict[str, Any]:
    """单位登录 (PREP-1): a bearer token for (统一社会信用代码, 证件号码, 密码), rate-limited.

    Five failures of one (sandbox, 统一社会信用代码, 证件号码) within 15 minutes lock it
    for 15 minutes (``E_LOGIN_LOCKED``, 429), the right password included.  A pending
    grantee is told to activate first (A-3).
    """
    key = login_key(uscc, id_number)
    now = wall_clock_now()
    with platform.sandbox_session(sandbox_id) as ctx:
        ends = _lock_ends(_failure_run(ctx, key), now)
        if ends is not None:
            raise _locked(ends, now)
        unit = _unit_by_uscc(ctx, uscc)
        holder = _holder(ctx, unit.id, id_number.strip().upper()) if unit is not None else None
        if holder is not None and holder.status == ACCOUNT_PENDING:
            raise ACCOUNT_NOT_ACTIVATED.refuse()
        failed_unit_id = unit.id if unit is not None else None
        failed_actor = _who(holder) if holder is not None else id_number.strip().upper()
        try:
            token, account, expires_at = login(
                ctx.session, sandbox_id, uscc=uscc, id_number=id_number, password=password,
                now=ctx.now,
            )  # fmt: skip
        except Refused:
            token = None
        if token is not None:
            _audit(ctx, actor=_who(account), action=AUDIT_LOGIN, target=key,
                   unit_id=account.unit_id, wall_at=_wall(now))  # fmt: skip
            return {
                "token": token,
                "expires_at": _wall(expires_at),
                "account": {
                    "id": account.id,
                    "name": account.name,
                    "role": account.role,
                    "role_label": ROLE_LABELS.get(account.role, account.role),
                    "unit_id": account.unit_id,
                    "scopes": list(account.scopes or []),
                },
            }
    with platform.sandbox_session(sandbox_id) as ctx:  # the failure is kept
        _audit(ctx, actor=failed_actor, action=AUDIT_LOGIN_FAILED, target=key,
               unit_id=failed_unit_id, wall_at=_wall(now))  # fmt: skip
        ctx.session.flush()
        run = _failure_run(ctx, key)
    ends = _lock_ends(run, now)
    if ends is not None:
        raise _locked(ends, now)
    problem = LOGIN_FAILED.error(field="password")
    raise Refused(dataclasses.replace(problem, details={"attempts_left": _attempts_left(run, now)}))


def log_out(platform: Platform, sandbox_id: str, actor: Actor, token: str) -> dict[str, Any]:
    """退出登录: the token stops working at once."""
    with platform.sandbox_session(sandbox_id) as ctx:
        account = _acting_account(ctx, actor)
        revoke(ctx.session, token)
        _audit(ctx, actor=_who(account), action=AUDIT_LOGOUT, target=_whom(account),
               unit_id=account.unit_id)  # fmt: skip
        return {"message": "已退出登录"}


# --- 忘记密码 (A-4) --------------------------------------------------------------------------------


@dataclass
class ResetAttempt:
    """One 忘记密码 attempt: where it stands, read back from the audit log."""

    reset_id: str  # the sha256 of the reset token (the token itself is never stored)
    unit_id: int
    account_id: int
    login: str  # login_key of the legal representative
    step: str
    started_at: datetime  # wall clock
    challenge: dict[str, Any] | None = None
    sms_request_id: str | None = None
    failures: int = 0
    sms_sends: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        return {
            "reset": self.reset_id,
            "account_id": self.account_id,
            "login": self.login,
            "step": self.step,
            "started_at": _wall(self.started_at),
            "challenge": self.challenge,
            "sms_request_id": self.sms_request_id,
            "failures": self.failures,
            "sms_sends": self.sms_sends,
            **self.extra,
        }


def _reset_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _save_reset(ctx: SandboxContext, attempt: ResetAttempt, **extra: Any) -> None:
    attempt.extra = extra
    _audit(ctx, actor="忘记密码（未登录）", action=AUDIT_RESET_STEP, target=attempt.login,
           unit_id=attempt.unit_id, **attempt.details())  # fmt: skip


def _load_reset(ctx: SandboxContext, token: str, now: datetime) -> ResetAttempt:
    """The attempt behind a reset token; refuses unknown, expired and closed ones."""
    entry = ctx.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.sandbox_id == ctx.sandbox.id,
            AuditEntry.action == AUDIT_RESET_STEP,
            AuditEntry.details["reset"].as_string() == _reset_digest(token.strip()),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        raise RESET_INVALID.refuse(field="reset_token")
    d = entry.details
    attempt = ResetAttempt(
        reset_id=d["reset"],
        unit_id=d["unit_id"],
        account_id=d["account_id"],
        login=d["login"],
        step=d["step"],
        started_at=datetime.fromisoformat(d["started_at"]),
        challenge=d.get("challenge"),
        sms_request_id=d.get("sms_request_id"),
        failures=int(d.get("failures", 0)),
        sms_sends=int(d.get("sms_sends", 0)),
    )
    if attempt.step == STEP_DONE:
        raise RESET_DONE.refuse()
    if attempt.step == STEP_CLOSED or now >= attempt.started_at + RESET_LIFETIME:
        raise RESET_INVALID.refuse(field="reset_token")
    return attempt


def _expect(attempt: ResetAttempt, *steps: str) -> None:
    if attempt.step not in steps:
        raise RESET_STEP_ORDER.refuse(step=NEXT_STEP_LABELS[attempt.step])


def _legal_rep(ctx: SandboxContext, attempt: ResetAttempt) -> Account:
    account = ctx.session.get(Account, attempt.account_id)
    if account is None or account.status != ACCOUNT_ACTIVE:
        raise RESET_INVALID.refuse(field="reset_token")
    return account


def _slider(platform: Platform, sandbox_id: str) -> dict[str, Any]:
    try:
        return platform.gateways.verification.slider_challenge(sandbox_id)
    except GatewayError as error:
        raise error.refusal() from error


def start_password_reset(
    platform: Platform,
    sandbox_id: str,
    *,
    uscc: str,
    id_type: str,
    id_number: str,
    name: str,
) -> dict[str, Any]:
    """忘记密码, step 1 (A-4): the account information, then a slider challenge."""
    try:
        code = parse_credit_code(uscc).code
    except InvalidIdentifier as error:
        raise INVALID_INPUT.refuse(field="uscc", message=error.reason) from None
    for value, label, key in ((id_number, "法定代表人证件号码", "id_number"),
                              (name, "法定代表人姓名", "name")):  # fmt: skip
        if not value.strip():
            raise INVALID_INPUT.refuse(field=key, message=f"{label}不能为空")
    with platform.sandbox_session(sandbox_id) as ctx:
        unit = _unit_by_uscc(ctx, code)
        if unit is None:
            raise RESET_UNIT_NOT_SIGNED_UP.refuse(field="uscc")
        legal_rep = ctx.session.scalars(
            select(Account).where(
                Account.sandbox_id == sandbox_id,
                Account.unit_id == unit.id,
                Account.role == ROLE_LEGAL_REP,
                Account.status == ACCOUNT_ACTIVE,
            )
        ).first()
        typed = ((id_type.strip() or RESIDENT_ID), id_number.strip().upper(), name.strip())
        if legal_rep is None or (legal_rep.id_type, legal_rep.id_number, legal_rep.name) != typed:
            raise RESET_LEGAL_REP_MISMATCH.refuse()
        account_id, unit_id, key = legal_rep.id, unit.id, login_key(code, legal_rep.id_number)
    challenge = _slider(platform, sandbox_id)
    token = secrets.token_urlsafe(32)
    with platform.sandbox_session(sandbox_id) as ctx:
        attempt = ResetAttempt(
            reset_id=_reset_digest(token), unit_id=unit_id, account_id=account_id, login=key,
            step=STEP_IDENTIFIED, started_at=wall_clock_now(), challenge=challenge,
        )  # fmt: skip
        _save_reset(ctx, attempt)
    return {
        "message": "请拖动下方滑块完成拼图",
        "reset_token": token,
        "next": "slider",
        "slider": challenge,  # the mock states the gap: there is no image
        "expires_at": _wall(attempt.started_at + RESET_LIFETIME),
    }


def _record_failure(
    platform: Platform, sandbox_id: str, attempt: ResetAttempt, *, new_challenge: bool
) -> dict[str, Any]:
    """Count a failed slider or face check; a new slider challenge when asked for.

    Returns what the refusal carries (the new challenge, the attempts left).
    """
    attempt.failures += 1
    details: dict[str, Any] = {"attempts_left": max(RESET_MAX_FAILURES - attempt.failures, 0)}
    if attempt.failures >= RESET_MAX_FAILURES:
        attempt.step = STEP_CLOSED
    elif new_challenge:
        attempt.challenge = _slider(platform, sandbox_id)
        details["slider"] = attempt.challenge
    with platform.sandbox_session(sandbox_id) as ctx:
        _save_reset(ctx, attempt, reason="failure")
    return details


def check_reset_slider(
    platform: Platform, sandbox_id: str, *, reset_token: str, offset: int
) -> dict[str, Any]:
    """忘记密码, step 2 (A-4): where the slider piece was dropped."""
    with platform.sandbox_session(sandbox_id) as ctx:
        attempt = _load_reset(ctx, reset_token, wall_clock_now())
        _expect(attempt, STEP_IDENTIFIED)
        account = _legal_rep(ctx, attempt)
        mobile, sandbox_now = account.mobile, ctx.now
    challenge = attempt.challenge or {}
    expired = sandbox_now > datetime.fromisoformat(str(challenge.get("expires_at")))
    passed = False
    if not expired:
        try:
            passed = platform.gateways.verification.slider_check(
                sandbox_id, str(challenge.get("challenge_id")), offset
            )
        except GatewayError as error:
            raise error.refusal() from error
    if not passed:
        details = _record_failure(platform, sandbox_id, attempt, new_challenge=True)
        if attempt.step == STEP_CLOSED:
            raise RESET_INVALID.refuse(field="reset_token")
        raise _refusal(SLIDER_EXPIRED if expired else SLIDER_FAILED, field="offset", **details)
    attempt.step, attempt.challenge = STEP_SLIDER_PASSED, None
    with platform.sandbox_session(sandbox_id) as ctx:
        _save_reset(ctx, attempt)
    return {
        "message": "滑块验证通过，请通过人脸识别或短信验证码认证法定代表人身份",
        "next": "face_or_sms",
        "methods": ["face", "sms"] if MOBILE.match(mobile or "") else ["face"],
        "mobile": masked_mobile(mobile or ""),
    }


def _verified(platform: Platform, sandbox_id: str, attempt: ResetAttempt, how: str) -> None:
    attempt.step, attempt.sms_request_id = STEP_VERIFIED, None
    with platform.sandbox_session(sandbox_id) as ctx:
        _save_reset(ctx, attempt, method=how)


def verify_reset_by_face(
    platform: Platform, sandbox_id: str, *, reset_token: str
) -> dict[str, Any]:
    """忘记密码, step 3 by 人脸识别 (A-4): the legal representative's face."""
    with platform.sandbox_session(sandbox_id) as ctx:
        attempt = _load_reset(ctx, reset_token, wall_clock_now())
        _expect(attempt, STEP_SLIDER_PASSED, STEP_SMS_SENT)
        account = _legal_rep(ctx, attempt)
        person = (account.id_number, account.name)
    try:
        passed = platform.gateways.verification.face(sandbox_id, *person)
    except GatewayError as error:
        raise error.refusal() from error
    if not passed:
        details = _record_failure(platform, sandbox_id, attempt, new_challenge=False)
        if attempt.step == STEP_CLOSED:
            raise RESET_INVALID.refuse(field="reset_token")
        raise _refusal(RESET_FACE_FAILED, **details)
    _verified(platform, sandbox_id, attempt, "face")
    return {"message": "人脸识别通过，请设置新密码", "next": "password"}


def send_reset_sms(platform: Platform, sandbox_id: str, *, reset_token: str) -> dict[str, Any]:
    """忘记密码, step 3 by 短信验证码 (A-4): a code to the registered mobile (mock)."""
    with platform.sandbox_session(sandbox_id) as ctx:
        attempt = _load_reset(ctx, reset_token, wall_clock_now())
        _expect(attempt, STEP_SLIDER_PASSED, STEP_SMS_SENT)
        mobile = _legal_rep(ctx, attempt).mobile
    if not MOBILE.match(mobile or ""):
        raise NO_REGISTERED_MOBILE.refuse()
    if attempt.sms_sends >= RESET_MAX_SMS:
        raise SMS_SENDS_EXHAUSTED.refuse()
    try:
        request_id = platform.gateways.verification.send_sms(sandbox_id, mobile)
    except GatewayError as error:
        raise error.refusal() from error
    attempt.step, attempt.sms_request_id = STEP_SMS_SENT, request_id
    attempt.sms_sends += 1
    with platform.sandbox_session(sandbox_id) as ctx:
        _save_reset(ctx, attempt)
    return {
        "message": f"验证码已发送至{masked_mobile(mobile)}，5分钟内有效",
        "next": "sms_code",
        "mobile": masked_mobile(mobile),
        "sends_left": RESET_MAX_SMS - attempt.sms_sends,
    }


#: the mock's answers to a wrong code, as the user reads them
SMS_REFUSALS = {
    "wrong": SMS_CODE_WRONG,
    "expired": SMS_CODE_EXPIRED,
    "unknown": SMS_CODE_EXPIRED,
    "too_many_attempts": SMS_TOO_MANY_ATTEMPTS,
}


def check_reset_sms(
    platform: Platform, sandbox_id: str, *, reset_token: str, code: str
) -> dict[str, Any]:
    """忘记密码, step 3: the SMS code typed (the mock keeps expiry and attempts)."""
    with platform.sandbox_session(sandbox_id) as ctx:
        attempt = _load_reset(ctx, reset_token, wall_clock_now())
        if attempt.step == STEP_SLIDER_PASSED:
            raise RESET_STEP_ORDER.refuse(step="获取短信验证码")
        _expect(attempt, STEP_SMS_SENT)
    typed = code.strip()
    if not typed:
        raise INVALID_INPUT.refuse(field="code", message="短信验证码不能为空")
    try:
        result = platform.gateways.verification.check_sms(
            sandbox_id, str(attempt.sms_request_id), typed
        )
    except GatewayError as error:
        raise error.refusal() from error
    if result != "ok":
        raise SMS_REFUSALS[result].refuse(field="code")
    _verified(platform, sandbox_id, attempt, "sms")
    return {"message": "短信验证码认证通过，请设置新密码", "next": "password"}


def finish_password_reset(
    platform: Platform,
    sandbox_id: str,
    *,
    reset_token: str,
    password: str,
    password_confirm: str,
) -> dict[str, Any]:
    """忘记密码, step 4 (A-4): the new password twice; every token of the account is revoked."""
    with platform.sandbox_session(sandbox_id) as ctx:
        attempt = _load_reset(ctx, reset_token, wall_clock_now())
        _expect(attempt, STEP_VERIFIED)
    check_new_password(password, password_confirm, behaviour_id="A-4")
    password_hash = hash_password(password)
    with platform.sandbox_session(sandbox_id) as ctx:
        attempt = _load_reset(ctx, reset_token, wall_clock_now())  # not finished meanwhile
        _expect(attempt, STEP_VERIFIED)
        account = _legal_rep(ctx, attempt)
        account.password_hash = password_hash
        revoked = _revoke_tokens(ctx, account.id)
        attempt.step = STEP_DONE
        _save_reset(ctx, attempt)
        _audit(ctx, actor=_who(account), action=AUDIT_PASSWORD_RESET, target=attempt.login,
               unit_id=account.unit_id, account_id=account.id, tokens_revoked=revoked,
               wall_at=_wall(wall_clock_now()))  # fmt: skip
    return {"message": "密码设置完成，请使用新密码登录", "next": "login"}


__all__ = [
    "GRANT_NOTICE",
    "GrantRequest",
    "activate_account",
    "agree_to_grant_notice",
    "audit_log",
    "change_scopes",
    "check_new_password",
    "check_reset_slider",
    "check_reset_sms",
    "finish_password_reset",
    "grant_account",
    "grant_notice",
    "grantable_items",
    "list_accounts",
    "log_in",
    "log_out",
    "login_key",
    "my_account",
    "remove_account",
    "send_reset_sms",
    "start_password_reset",
    "verify_reset_by_face",
]

"""单位账号与授权 over HTTP: 经办人管理, activation, logout and 忘记密码 (A-1 … A-4, PREP-1).

Guide §五 问题一 (经办人管理) and 问题二 (忘记密码); the rules are in
``simulator/accounts.py``.  Request bodies here check only types and lengths, so that
every refusal reads the same in-process and over HTTP.

For the logged-in legal representative or administrator (``Authorization: Bearer``):

* ``GET  /sandboxes/{id}/accounts`` — the unit's accounts by level (法定代表人, 管理员, 经办人);
* ``GET  /sandboxes/{id}/accounts/grant-notice`` and ``POST …/grant-notice/agree`` —
  授权注意事项 and 同意开通;
* ``POST /sandboxes/{id}/accounts`` — 开通授权 (a pending account);
* ``PUT  /sandboxes/{id}/accounts/{account_id}/scopes`` — an agent's items;
* ``DELETE /sandboxes/{id}/accounts/{account_id}`` — 取消授权 (tokens revoked);
* ``GET  /sandboxes/{id}/accounts/audit`` — who granted, changed or removed what, when.

For any logged-in holder: ``GET …/accounts/me`` and ``POST /sandboxes/{id}/logout``.
Without a token (the grantee, the forgetful legal representative):
``POST …/accounts/activate`` (face + password, A-3) and the ``…/password-reset`` steps (A-4).
Login itself is ``POST /sandboxes/{id}/login`` (``simulator/api/businesses.py``), rate-limited
by :func:`simulator.accounts.log_in`.

Routes are secured one by one (``security=BEARER``): flask-openapi3 adds a blueprint's
``abp_security`` to every route and cannot take it away from a public one.
"""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from simulator.accounts import (
    GrantRequest,
    activate_account,
    agree_to_grant_notice,
    audit_log,
    change_scopes,
    check_reset_slider,
    check_reset_sms,
    finish_password_reset,
    grant_account,
    grant_notice,
    list_accounts,
    log_out,
    my_account,
    remove_account,
    send_reset_sms,
    start_password_reset,
    verify_reset_by_face,
)
from simulator.api import ERROR_RESPONSES, ErrorBody, platform
from simulator.api.businesses import bearer_token, current_actor
from simulator.auth import NOT_LOGGED_IN

accounts_tag = Tag(
    name="经办人管理 accounts",
    description="The unit's accounts: levels, grants, scopes, removal, audit (A-1, A-2, A-3)",
)
activation_tag = Tag(
    name="账号激活 activation",
    description="The grantee's face verification and password (A-3); no token",
)
reset_tag = Tag(
    name="忘记密码 password reset",
    description="The legal representative's forgotten password, step by step (A-4); no token",
)

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]

api = APIBlueprint(
    "accounts",
    __name__,
    url_prefix="/api/v1",
    abp_responses={
        **ERROR_RESPONSES,
        401: ErrorBody,
        403: ErrorBody,
        410: ErrorBody,
        429: ErrorBody,
        503: ErrorBody,
    },
)


class SandboxPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class AccountPath(SandboxPath):
    account_id: int = Field(description="账号编号, from GET /sandboxes/{sandbox_id}/accounts")


class AuditQuery(BaseModel):
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=500)


class GrantBody(BaseModel):
    level: str = Field(max_length=10, description="admin (单位管理员) | agent (单位经办人)")
    id_type: str = Field("居民身份证", max_length=20, description="证件类型")
    id_number: str = Field(max_length=40, description="证件号码")
    name: str = Field(max_length=50, description="姓名")
    mobile: str = Field(max_length=40, description="手机号码")
    scopes: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="授权事项: item codes (or names), agents only (see GET /api/v1/items)",
    )


class ScopesBody(BaseModel):
    scopes: list[str] = Field(max_length=100, description="the agent's items, replacing the old")


class ActivationBody(BaseModel):
    uscc: str = Field(max_length=40, description="the unit's 统一社会信用代码")
    id_number: str = Field(max_length=40, description="the grantee's 证件号码")
    name: str = Field(max_length=50, description="the grantee's 姓名")
    password: str = Field(max_length=200, description="8–20 characters, letters and digits")
    password_confirm: str = Field(max_length=200, description="the same password again")


class ResetStartBody(BaseModel):
    uscc: str = Field(max_length=40, description="统一社会信用代码")
    id_type: str = Field("居民身份证", max_length=20, description="法定代表人证件类型")
    id_number: str = Field(max_length=40, description="法定代表人证件号码")
    name: str = Field(max_length=50, description="法定代表人姓名")


class ResetTokenBody(BaseModel):
    reset_token: str = Field(max_length=100, description="from POST …/password-reset")


class SliderBody(ResetTokenBody):
    offset: int = Field(ge=-10_000, le=10_000, description="where the piece was dropped, px")


class SmsCodeBody(ResetTokenBody):
    code: str = Field(max_length=12, description="the 6-digit code (read it from the mock)")


class NewPasswordBody(ResetTokenBody):
    password: str = Field(max_length=200, description="8–20 characters, letters and digits")
    password_confirm: str = Field(max_length=200, description="the same password again")


# --- the logged-in holder -------------------------------------------------------------------


@api.post(
    "/sandboxes/<sandbox_id>/logout",
    tags=[accounts_tag],
    summary="退出登录: revoke this token",
    security=BEARER,
)
def logout(path: SandboxPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    token = bearer_token()
    if token is None:  # current_actor refused it already; for the type checker
        raise NOT_LOGGED_IN.refuse()
    return log_out(platform(), path.sandbox_id, actor, token)


@api.get(
    "/sandboxes/<sandbox_id>/accounts/me",
    tags=[accounts_tag],
    summary="The logged-in holder's own account (level, items)",
    security=BEARER,
)
def own_account(path: SandboxPath):  # type: ignore[no-untyped-def]
    return my_account(platform(), path.sandbox_id, current_actor(path.sandbox_id))


# --- 经办人管理 (legal representative, administrator) -----------------------------------------


@api.get(
    "/sandboxes/<sandbox_id>/accounts",
    tags=[accounts_tag],
    summary="账号授权管理: the unit's accounts by level — 法定代表人, 管理员, 经办人 (A-1)",
    security=BEARER,
)
def accounts(path: SandboxPath):  # type: ignore[no-untyped-def]
    return list_accounts(platform(), path.sandbox_id, current_actor(path.sandbox_id))


@api.get(
    "/sandboxes/<sandbox_id>/accounts/grant-notice",
    tags=[accounts_tag],
    summary="授权注意事项, whether it was agreed, and the items an agent may be granted (A-3)",
    security=BEARER,
)
def notice(path: SandboxPath):  # type: ignore[no-untyped-def]
    return grant_notice(platform(), path.sandbox_id, current_actor(path.sandbox_id))


@api.post(
    "/sandboxes/<sandbox_id>/accounts/grant-notice/agree",
    tags=[accounts_tag],
    summary="同意开通: agree to the notice before the first grant (A-3)",
    security=BEARER,
)
def agree(path: SandboxPath):  # type: ignore[no-untyped-def]
    return agree_to_grant_notice(platform(), path.sandbox_id, current_actor(path.sandbox_id))


@api.post(
    "/sandboxes/<sandbox_id>/accounts",
    tags=[accounts_tag],
    summary="开通授权: an administrator or an agent with items; pending until activated (A-2, A-3)",
    security=BEARER,
)
def grant(path: SandboxPath, body: GrantBody):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    request = GrantRequest(
        level=body.level,
        id_type=body.id_type,
        id_number=body.id_number,
        name=body.name,
        mobile=body.mobile,
        scopes=tuple(body.scopes),
    )
    return grant_account(platform(), path.sandbox_id, actor, request), 201


@api.put(
    "/sandboxes/<sandbox_id>/accounts/<int:account_id>/scopes",
    tags=[accounts_tag],
    summary="为经办人授权事项: replace an agent's items (A-2)",
    security=BEARER,
)
def scopes(path: AccountPath, body: ScopesBody):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    return change_scopes(platform(), path.sandbox_id, actor, path.account_id, body.scopes)


@api.delete(
    "/sandboxes/<sandbox_id>/accounts/<int:account_id>",
    tags=[accounts_tag],
    summary="取消授权: the account stops working, its tokens are revoked (A-2)",
    security=BEARER,
)
def remove(path: AccountPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    return remove_account(platform(), path.sandbox_id, actor, path.account_id)


@api.get(
    "/sandboxes/<sandbox_id>/accounts/audit",
    tags=[accounts_tag],
    summary="授权记录: grants, changes, removals, logins of the unit, newest first (A-2)",
    security=BEARER,
)
def audit(path: SandboxPath, query: AuditQuery):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    return audit_log(platform(), path.sandbox_id, actor, page=query.page, per_page=query.per_page)


# --- the grantee (no token) ----------------------------------------------------------------


@api.post(
    "/sandboxes/<sandbox_id>/accounts/activate",
    tags=[activation_tag],
    summary="激活: the grantee's face verification (mock) and password (A-3)",
)
def activate(path: SandboxPath, body: ActivationBody):  # type: ignore[no-untyped-def]
    return activate_account(
        platform(),
        path.sandbox_id,
        uscc=body.uscc,
        id_number=body.id_number,
        name=body.name,
        password=body.password,
        password_confirm=body.password_confirm,
    )


# --- 忘记密码 (no token) ----------------------------------------------------------------------


@api.post(
    "/sandboxes/<sandbox_id>/password-reset",
    tags=[reset_tag],
    summary="Step 1: 统一社会信用代码 and the legal representative → a reset token and a slider",
)
def reset_start(path: SandboxPath, body: ResetStartBody):  # type: ignore[no-untyped-def]
    answer = start_password_reset(
        platform(),
        path.sandbox_id,
        uscc=body.uscc,
        id_type=body.id_type,
        id_number=body.id_number,
        name=body.name,
    )
    return answer, 201


@api.post(
    "/sandboxes/<sandbox_id>/password-reset/slider",
    tags=[reset_tag],
    summary="Step 2: the slider answer (a refusal carries a new challenge)",
)
def reset_slider(path: SandboxPath, body: SliderBody):  # type: ignore[no-untyped-def]
    return check_reset_slider(
        platform(), path.sandbox_id, reset_token=body.reset_token, offset=body.offset
    )


@api.post(
    "/sandboxes/<sandbox_id>/password-reset/face",
    tags=[reset_tag],
    summary="Step 3 by 人脸识别 (mock)",
)
def reset_face(path: SandboxPath, body: ResetTokenBody):  # type: ignore[no-untyped-def]
    return verify_reset_by_face(platform(), path.sandbox_id, reset_token=body.reset_token)


@api.post(
    "/sandboxes/<sandbox_id>/password-reset/sms",
    tags=[reset_tag],
    summary="Step 3 by 短信验证码: send a code to the legal representative's mobile (mock)",
)
def reset_sms(path: SandboxPath, body: ResetTokenBody):  # type: ignore[no-untyped-def]
    return send_reset_sms(platform(), path.sandbox_id, reset_token=body.reset_token)


@api.post(
    "/sandboxes/<sandbox_id>/password-reset/sms/check",
    tags=[reset_tag],
    summary="Step 3 by 短信验证码: the code typed",
)
def reset_sms_check(path: SandboxPath, body: SmsCodeBody):  # type: ignore[no-untyped-def]
    return check_reset_sms(
        platform(), path.sandbox_id, reset_token=body.reset_token, code=body.code
    )


@api.post(
    "/sandboxes/<sandbox_id>/password-reset/password",
    tags=[reset_tag],
    summary="Step 4: the new password twice; every token of the account is revoked",
)
def reset_password(path: SandboxPath, body: NewPasswordBody):  # type: ignore[no-untyped-def]
    return finish_password_reset(
        platform(),
        path.sandbox_id,
        reset_token=body.reset_token,
        password=body.password,
        password_confirm=body.password_confirm,
    )


__all__ = ["api"]

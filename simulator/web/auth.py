"""单位实名注册, 单位登录, 退出, 忘记密码 and 被授权人激活 — guide §二.4, §五 问题一/问题二;
PREP-1, A-3, A-4.

The rules are :mod:`simulator.accounts` and :mod:`simulator.hall` (the JSON API's too);
these are their pages.

* **单位实名注册** (``/s/<sandbox_id>/signup``, PREP-1; linked from the login page and
  大厅首页): the legal representative enters 统一社会信用代码, 姓名, 证件号码, 手机号码
  and a password (twice), then passes face verification — all in
  :func:`simulator.hall.sign_up_unit`, as ``POST /api/v1/sandboxes/<sid>/units/signup``.
  The page itself only compares the two passwords (``两次输入的密码不一致``, the
  accounts' own error) before calling it.  The result (the unit as market regulation
  registered it, status 未参保) is shown on ``/signup/done``, with the way on: log in,
  then 企业社会保险信息登记.

* **单位登录** (``/s/<sandbox_id>/login``): 统一社会信用代码, 证件号码 and 密码 of a unit
  account (法定代表人, 单位管理员 or 单位经办人), by :func:`simulator.accounts.log_in`
  (rate-limited).  The browser session (Flask-Login) keeps the account and the API
  token the login issued: 退出 revokes the token, and a token that expired (8 hours,
  wall clock) or was revoked (a password reset revokes them all) logs the browser out
  too.  A login holds for its own sandbox only: the URL names the sandbox.
* **忘记密码** (``/s/<sandbox_id>/password/forgot``), the guide's 方法一: 填写账号信息
  (统一社会信用代码, 法定代表人证件类型, 证件号码, 姓名) → 拖动滑块完成拼图 (the
  verification mock's puzzle) → 人脸识别 or 短信验证码 → 设置新密码 and 确认密码 →
  完成修改.  The reset token lives in the browser session.
* **被授权人激活** (``/s/<sandbox_id>/activate``, A-3): after 经办人管理 granted them an
  account, the administrator or agent passes face verification and sets a password.
* **CSRF**: every form of the web UI carries Flask-WTF's token; a POST without it is
  refused before the view runs (``simulator.web.plugin``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_user, logout_user

from simulator import accounts
from simulator.auth import ROLE_LABELS, actor_for_token
from simulator.context import Actor
from simulator.db.models import Account, Unit
from simulator.errors import INVALID_INPUT, Refused
from simulator.hall import sign_up_unit
from simulator.web import platform
from simulator.web.support import load_sandbox, record_refusal, show_problems

bp = Blueprint("web_auth", __name__, url_prefix="/s/<sandbox_id>")

TOKEN_KEY = "shebao_sim_token"
RESET_KEY = "shebao_sim_password_reset"
SIGNUP_KEY = "shebao_sim_signup"


@dataclass
class UnitUser(UserMixin):
    """The logged-in unit account of a browser session (Flask-Login's user)."""

    account_id: int
    sandbox_id: str
    unit_id: int
    name: str
    role: str
    scopes: frozenset[str]
    mobile: str
    unit_name: str
    uscc: str
    unit_status: str

    def get_id(self) -> str:
        return str(self.account_id)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def actor(self) -> Actor:
        return Actor(
            unit_id=self.unit_id,
            name=self.name,
            role=self.role,
            account_id=self.account_id,
            scopes=self.scopes,
        )


def load_user(user_id: str) -> UnitUser | None:
    """Flask-Login's user loader: the account, while its API token is valid."""
    token = session.get(TOKEN_KEY)
    if not token or not user_id.isdigit():
        return None
    sim = platform()
    with sim.db.transaction() as db:
        account = db.get(Account, int(user_id))
        if account is None or account.status != "active":
            return None
        sandbox_id = account.sandbox_id
    try:
        with sim.sandbox_session(sandbox_id) as ctx:
            actor = actor_for_token(ctx.session, sandbox_id, token, ctx.now)
            if actor.account_id != account.id:
                return None
            account = ctx.session.get(Account, actor.account_id)
            unit = ctx.session.get(Unit, actor.unit_id)
            if account is None or unit is None:
                return None
            return UnitUser(
                account_id=account.id,
                sandbox_id=sandbox_id,
                unit_id=unit.id,
                name=account.name,
                role=account.role,
                scopes=frozenset(account.scopes or ()),
                mobile=account.mobile,
                unit_name=unit.name,
                uscc=unit.uscc,
                unit_status=unit.status,
            )
    except Refused:
        return None


def signed_in(sandbox_id: str) -> UnitUser | None:
    """The logged-in account when it belongs to this sandbox, else ``None``."""
    user = current_user
    authenticated = getattr(user, "is_authenticated", False) and isinstance(user, UnitUser)
    return user if authenticated and user.sandbox_id == sandbox_id else None


def login_redirect(sandbox_id: str) -> ResponseReturnValue:
    flash("请先登录单位账号", "warning")
    return redirect(url_for("web_auth.login", sandbox_id=sandbox_id, next=request.full_path))


def _safe_next(sandbox_id: str, target: str | None) -> str:
    default = url_for("web_hall.home", sandbox_id=sandbox_id)
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(f"/s/{sandbox_id}/"):
        return default
    return target.rstrip("?")


@bp.url_value_preprocessor
def _sandbox(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is not None and "sandbox_id" in values:
        load_sandbox(values["sandbox_id"])


@bp.route("/login", methods=["GET", "POST"])
def login(sandbox_id: str) -> ResponseReturnValue:
    """单位登录: 统一社会信用代码 + 证件号码 + 密码."""
    problems: list[Any] = []
    form = {"uscc": request.args.get("uscc", "").strip().upper(), "id_number": ""}
    if request.method == "POST":
        form = {
            "uscc": request.form.get("uscc", "").strip().upper(),
            "id_number": request.form.get("id_number", "").strip().upper(),
        }
        try:
            answer = accounts.log_in(
                platform(),
                sandbox_id,
                uscc=form["uscc"],
                id_number=form["id_number"],
                password=request.form.get("password", ""),
            )
            token, account_id = answer["token"], answer["account"]["id"]
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
        else:
            session[TOKEN_KEY] = token
            user = load_user(str(account_id))
            if user is not None:
                login_user(user)
                flash(f"登录成功：{user.unit_name}（{user.role_label} {user.name}）", "success")
                return redirect(_safe_next(sandbox_id, request.args.get("next")))
    return render_template("auth/login.html", form=form, problems=problems)


@bp.post("/logout")
def logout(sandbox_id: str) -> ResponseReturnValue:
    token = session.pop(TOKEN_KEY, None)
    user = signed_in(sandbox_id)
    if token and user is not None:
        accounts.log_out(platform(), sandbox_id, user.actor, token)
    logout_user()
    flash("已退出登录", "success")
    return redirect(url_for("web_hall.home", sandbox_id=sandbox_id))


# --- 单位实名注册 (PREP-1) --------------------------------------------------------------------------

SIGNUP_FIELDS = ("uscc", "legal_rep_name", "legal_rep_id_number", "mobile")


@bp.route("/signup", methods=["GET", "POST"])
def signup(sandbox_id: str) -> ResponseReturnValue:
    """单位实名注册: the legal representative registers the unit (then logs in)."""
    form = {k: request.form.get(k, "").strip() for k in SIGNUP_FIELDS}
    problems: list[Any] = []
    if request.method == "POST":
        password = request.form.get("password", "")
        try:
            if password != request.form.get("password_again", ""):
                differ = accounts.PASSWORDS_DIFFER.error(field="password_again")
                raise Refused(dataclasses.replace(differ, behaviour_id="PREP-1"))
            answer = sign_up_unit(platform(), sandbox_id, password=password, **form)
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
            record_refusal(sandbox_id, None, "单位实名注册", refused, uscc=form["uscc"])
        else:
            session[SIGNUP_KEY] = {"sandbox_id": sandbox_id, **answer}
            return redirect(url_for(".signup_done", sandbox_id=sandbox_id))
    return render_template(
        "auth/signup.html",
        form=form,
        problems=problems,
        problem_fields={p.field for p in problems if p.field},
    )


@bp.get("/signup/done")
def signup_done(sandbox_id: str) -> ResponseReturnValue:
    """实名注册成功: the unit as registered (未参保) and the way on."""
    done = session.get(SIGNUP_KEY) or {}
    if done.get("sandbox_id") != sandbox_id:
        return redirect(url_for(".signup", sandbox_id=sandbox_id))
    return render_template("auth/signup_done.html", done=done)


# --- 忘记密码: the steps of simulator.accounts, the reset token in the browser session ---------

RESET_STEPS = ("account", "slider", "verify", "password", "done")


def _reset_state(sandbox_id: str) -> dict[str, Any]:
    state = session.get(RESET_KEY) or {}
    return state if state.get("sandbox_id") == sandbox_id else {}


def _slider_offset(values: list[str]) -> int:
    """The slider's offset from the form: the last value given (a page from before the
    hidden field was disabled without JavaScript sends it first, then the <noscript>
    field's); -1, which never matches, when there is none or it is not a number."""
    given = [value.strip() for value in values if value.strip()]
    try:
        return int(float(given[-1])) if given else -1
    except (ValueError, OverflowError):  # not a number, nan, inf
        return -1


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password(sandbox_id: str) -> ResponseReturnValue:
    """填写账号信息 → 拖动滑块完成拼图 → 人脸识别 / 短信验证码 → 设置新密码 → 完成修改."""
    sim = platform()
    state = _reset_state(sandbox_id)
    step = request.args.get("step", "account")
    if step not in RESET_STEPS or (step not in ("account", "done") and not state.get("token")):
        step = "account"
    problems: list[Any] = []
    form: dict[str, str] = {}
    action = request.form.get("action", "")
    if request.method == "POST":
        next_step = {"account": "slider", "slider": "verify", "face": "password",
                     "send_sms": "verify", "check_sms": "password", "password": "done"}  # fmt: skip
        token = state.get("token", "")
        try:
            if action == "account":
                form = {k: request.form.get(k, "").strip() for k in
                        ("uscc", "id_type", "id_number", "name")}  # fmt: skip
                answer = accounts.start_password_reset(sim, sandbox_id, **form)
                state = {"sandbox_id": sandbox_id, "token": answer["reset_token"],
                         "challenge": answer["slider"]}  # fmt: skip
            elif action == "slider":
                offset = _slider_offset(request.form.getlist("offset"))
                answer = accounts.check_reset_slider(
                    sim, sandbox_id, reset_token=token, offset=offset
                )
                state["mobile"] = answer.get("mobile", "")
            elif action == "face":
                accounts.verify_reset_by_face(sim, sandbox_id, reset_token=token)
            elif action == "send_sms":
                answer = accounts.send_reset_sms(sim, sandbox_id, reset_token=token)
                state["sms_sent"] = True
                flash(answer["message"], "success")
            elif action == "check_sms":
                accounts.check_reset_sms(
                    sim, sandbox_id, reset_token=token, code=request.form.get("code", "")
                )
            elif action == "password":
                accounts.finish_password_reset(
                    sim,
                    sandbox_id,
                    reset_token=token,
                    password=request.form.get("password", ""),
                    password_confirm=request.form.get("password_again", ""),
                )
                state = {}
            else:
                raise INVALID_INPUT.refuse(message="未知的操作")
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
            details = refused.problem.details or {}
            if details.get("slider"):
                state["challenge"] = details["slider"]  # a new puzzle after a miss
            step = {"account": "account", "slider": "slider", "password": "password"}.get(
                action, "verify"
            )
            if refused.problem.code in (accounts.RESET_INVALID.code, accounts.RESET_DONE.code):
                state, step = {}, "account"
            session[RESET_KEY] = state
        else:
            session[RESET_KEY] = state
            return redirect(
                url_for(".forgot_password", sandbox_id=sandbox_id, step=next_step[action])
            )
    return render_template(
        "auth/forgot_password.html",
        step=step,
        form=form,
        problems=problems,
        challenge=state.get("challenge") if step == "slider" else None,
        masked_mobile=state.get("mobile", ""),
        sms_sent=bool(state.get("sms_sent")),
    )


# --- 被授权人激活 (A-3) -------------------------------------------------------------------------------


@bp.route("/activate", methods=["GET", "POST"])
def activate(sandbox_id: str) -> ResponseReturnValue:
    """The grantee's first step: face verification and a password (then they log in)."""
    form = {k: request.form.get(k, "").strip() for k in ("uscc", "id_number", "name")}
    problems: list[Any] = []
    if request.method == "POST":
        try:
            answer = accounts.activate_account(
                platform(),
                sandbox_id,
                uscc=form["uscc"],
                id_number=form["id_number"],
                name=form["name"],
                password=request.form.get("password", ""),
                password_confirm=request.form.get("password_again", ""),
            )
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
        else:
            flash(answer["message"], "success")
            return redirect(url_for(".login", sandbox_id=sandbox_id))
    return render_template("auth/activate.html", form=form, problems=problems)

"""The trainer console (培训教师控制台) — issue 10 point 4; P-3 (the counter console).

Behind the trainer password (``SHEBAO_SIM_TRAINER_PASSWORD``, or the app config
``TRAINER_PASSWORD``; default :data:`DEFAULT_TRAINER_PASSWORD` for the embedded
sandbox), so that trainees, who only have their hall link, cannot reach it:

* ``/trainer/`` — every sandbox with its date and period state; create one sandbox
  per trainee, or a whole class at once (``class-1-01`` …), each with a world loaded
  and the clock set, and the link to hand out (``/s/<sandbox_id>/``);
* ``/trainer/sandboxes/<id>`` — one trainee's sandbox: set or advance the clock
  (the time-driven work runs: settlement on the 7th, pre-registrations on the 11th),
  follow the wall clock, the hall's location, load a world, reset, delete; the mocks'
  faults (normal / outage / refused / slow / malformed, until an instant on the sandbox
  clock), the mock journal and the SMS codes "sent"; the units and how to log in; the
  trainee's businesses (办件) and the errors the hall showed them;
* ``/trainer/sandboxes/<id>/counter`` — the counter console (柜台, P-3): the counter
  businesses (``plugins/counter.py``) with their forms, 退费申请, 失业金发放登记 and
  the counter's records.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Callable
from datetime import date, datetime, time
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from simulator.db.models import Account, Unit
from simulator.errors import INVALID_INPUT, Refused
from simulator.web import platform, queries
from simulator.web.support import item_form, load_sandbox, refusals, show_problems

bp = Blueprint("web_trainer", __name__, url_prefix="/trainer")

TRAINER_PASSWORD_ENV = "SHEBAO_SIM_TRAINER_PASSWORD"
#: the embedded sandbox's default (README, docs/decisions.md); set the variable in a classroom
DEFAULT_TRAINER_PASSWORD = "Trainer@2021"
TRAINER_KEY = "shebao_sim_trainer"
#: the password every unit account of the shipped worlds has (docs/worlds.md)
WORLD_PASSWORD = "Shebao@2021"
SANDBOX_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SERVICES = {
    "identity": "公安部人员基准信息",
    "market": "市场监管登记信息",
    "verification": "人脸识别/短信/滑块",
}
FAULT_MODES = {"normal": "正常", "outage": "服务不可用 (503)", "refused": "拒绝连接",
               "slow": "超时", "malformed": "返回数据不完整"}  # fmt: skip


def trainer_password() -> str:
    return str(
        current_app.config.get("TRAINER_PASSWORD")
        or os.environ.get(TRAINER_PASSWORD_ENV)
        or DEFAULT_TRAINER_PASSWORD
    )


def trainer_required(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not session.get(TRAINER_KEY):
            return redirect(url_for("web_trainer.login", next=request.path))
        return view(*args, **kwargs)

    return guarded


@bp.url_value_preprocessor
def _sandbox(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is not None and "sandbox_id" in values and session.get(TRAINER_KEY):
        load_sandbox(values["sandbox_id"])


def _refused(sandbox_id: str | None, refused: Refused) -> None:
    for shown in show_problems(sandbox_id or "_", refused.problems):
        flash(f"{shown.message} —— {shown.remedy}" if shown.remedy else shown.message, "error")


# --- login ------------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = ""
    if request.method == "POST":
        if hmac.compare_digest(request.form.get("password", ""), trainer_password()):
            session[TRAINER_KEY] = True
            target = request.args.get("next", "")
            if not target.startswith("/trainer/"):
                target = url_for(".sandboxes")
            return redirect(target)
        error = "教师密码不正确"
    return render_template("trainer/login.html", error=error)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.pop(TRAINER_KEY, None)
    return redirect(url_for(".login"))


# --- sandboxes ------------------------------------------------------------------------------------


def _worlds() -> list[Any]:
    from simulator.worlds import list_worlds

    return list_worlds(platform())


def _create(sandbox_id: str, name: str, clock: str, world: str) -> None:
    sim = platform()
    if not SANDBOX_ID.match(sandbox_id):
        raise INVALID_INPUT.refuse(
            message=f"沙箱编号只能包含字母、数字、点、横线和下划线：{sandbox_id}"
        )
    sim.create_sandbox(sandbox_id, name=name, clock=clock or None)
    if world:
        _load_world(sandbox_id, world, replace=False)
        if clock:  # a world sets its own clock; an explicit date wins
            sim.set_clock(sandbox_id, clock)


def _load_world(sandbox_id: str, world: str, *, replace: bool) -> None:
    from simulator.worlds import WorldError, load_world

    try:
        load_world(platform(), sandbox_id, world, replace=replace)
    except WorldError as error:
        raise Refused(error.as_problem()) from error


@bp.get("/")
@trainer_required
def sandboxes() -> ResponseReturnValue:
    return render_template(
        "trainer/sandboxes.html", sandboxes=platform().list_sandboxes(), worlds=_worlds()
    )


@bp.post("/sandboxes")
@trainer_required
def create_sandbox() -> ResponseReturnValue:
    """One sandbox per trainee, or a class at once (prefix + count)."""
    form = {k: request.form.get(k, "").strip() for k in
            ("sandbox_id", "name", "clock", "world", "prefix", "count")}  # fmt: skip
    try:
        if form["prefix"]:
            try:
                count = int(form["count"] or "0")
            except ValueError:
                count = 0
            if not 1 <= count <= 100:
                raise INVALID_INPUT.refuse(message="学员人数应为1至100")
            created = []
            for number in range(1, count + 1):
                sandbox_id = f"{form['prefix']}-{number:02d}"
                _create(sandbox_id, f"{form['name'] or form['prefix']} 学员{number:02d}",
                        form["clock"], form["world"])  # fmt: skip
                created.append(sandbox_id)
            flash(f"已为全班创建{len(created)}个沙箱：{created[0]} … {created[-1]}", "success")
        else:
            if not form["sandbox_id"]:
                raise INVALID_INPUT.refuse(message="请填写沙箱编号")
            _create(form["sandbox_id"], form["name"], form["clock"], form["world"])
            flash(f"已创建沙箱 {form['sandbox_id']}", "success")
    except Refused as refused:
        _refused(None, refused)
    return redirect(url_for(".sandboxes"))


def _units(sandbox_id: str) -> list[dict[str, Any]]:
    with platform().db.transaction() as db:
        units = db.scalars(
            select(Unit).where(Unit.sandbox_id == sandbox_id).order_by(Unit.id)
        ).all()
        out = []
        for unit in units:
            accounts = db.scalars(
                select(Account).where(Account.unit_id == unit.id).order_by(Account.id)
            ).all()
            out.append(
                {
                    "name": unit.name,
                    "uscc": unit.uscc,
                    "status": unit.status,
                    "hr": unit.is_hr_agency,
                    "accounts": [
                        {
                            "name": a.name,
                            "role": a.role,
                            "id_number": a.id_number,
                            "mobile": a.mobile,
                        }
                        for a in accounts
                    ],
                }
            )
        return out


def _mocks(sandbox_id: str) -> dict[str, Any]:
    from mocks import faults, journal, store, verification

    with platform().db.transaction() as db:
        now = store.sandbox_now(db, sandbox_id)
        return {
            "faults": [faults.read_fault(db, sandbox_id, s).as_dict(now) for s in SERVICES],
            "journal": [
                journal.entry_dict(e)
                for e in reversed(
                    journal.entries(
                        db, sandbox_id, limit=int(request.args.get("journal_limit", 30) or 30)
                    )
                )
            ],
            "sms": verification.sms_codes(db, sandbox_id, now)[:10],
        }


@bp.get("/sandboxes/<sandbox_id>")
@trainer_required
def sandbox(sandbox_id: str) -> ResponseReturnValue:
    sim = platform()
    page = queries.unit_businesses(
        sim, sandbox_id, None, queries.Paging.of(request.args.get("page"), 50)
    )
    described = sim.describe_sandbox(sandbox_id)
    return render_template(
        "trainer/sandbox.html",
        described=described,
        worlds=_worlds(),
        units=_units(sandbox_id),
        mocks=_mocks(sandbox_id),
        services=SERVICES,
        fault_modes=FAULT_MODES,
        businesses=page,
        errors=refusals(sim, sandbox_id, limit=100),
        cities=[c for c in sim.cities.values() if c.code != "320000"],
        world_password=WORLD_PASSWORD,
    )


def _clock_instant(form: Any) -> date | datetime:
    """设置日期 and 时间 of the clock form; an invalid one is refused naming its field."""
    day_text = form.get("date", "").strip()
    time_text = form.get("time", "").strip()
    if not day_text:
        raise INVALID_INPUT.refuse(field="date", message="请填写日期")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise INVALID_INPUT.refuse(
            field="date", message=f"设置日期不是有效的日期：{day_text}（格式YYYY-MM-DD）"
        ) from None
    if not time_text:
        return day  # a bare date: the clock's default time of day
    try:
        at = time.fromisoformat(time_text)
        if at.tzinfo is not None:
            raise ValueError(time_text)
    except ValueError:
        raise INVALID_INPUT.refuse(
            field="time", message=f"时间不是有效的时间：{time_text}（00:00至23:59，格式HH:MM）"
        ) from None
    return datetime.combine(day, at.replace(microsecond=0))


@bp.post("/sandboxes/<sandbox_id>/clock")
@trainer_required
def clock(sandbox_id: str) -> ResponseReturnValue:
    sim = platform()
    action = request.form.get("action", "")
    try:
        if action == "set":
            answer = sim.set_clock(sandbox_id, _clock_instant(request.form))
        elif action == "advance":
            try:
                days = int(request.form.get("days") or 0)
                hours = int(request.form.get("hours") or 0)
            except ValueError:
                raise INVALID_INPUT.refuse(message="天数和小时数应为整数") from None
            if days < 0 or hours < 0 or days > 3660:
                raise INVALID_INPUT.refuse(message="沙箱时钟只能向前推进")
            answer = sim.advance_clock(sandbox_id, days=days, hours=hours)
        elif action == "follow":
            answer = sim.follow_wall_clock(sandbox_id)
        else:
            raise INVALID_INPUT.refuse(message="未知的操作")
        flash(f"沙箱时钟：{answer['now']}（{answer['period_state']}）", "success")
    except Refused as refused:
        _refused(sandbox_id, refused)
    return redirect(url_for(".sandbox", sandbox_id=sandbox_id))


@bp.post("/sandboxes/<sandbox_id>/location")
@trainer_required
def location(sandbox_id: str) -> ResponseReturnValue:
    platform().set_location(sandbox_id, request.form.get("city") or None)
    flash("已设置大厅定位", "success")
    return redirect(url_for(".sandbox", sandbox_id=sandbox_id))


@bp.post("/sandboxes/<sandbox_id>/world")
@trainer_required
def world(sandbox_id: str) -> ResponseReturnValue:
    name = request.form.get("world", "")
    try:
        _load_world(sandbox_id, name, replace=bool(request.form.get("replace")))
        flash(f"已载入世界 {name}", "success")
    except Refused as refused:
        _refused(sandbox_id, refused)
        if any(p.code == "E_WORLD_PRESENT" for p in refused.problems):
            flash("在控制台中：勾选“先清空”后再载入，或先重置沙箱。", "warning")
    return redirect(url_for(".sandbox", sandbox_id=sandbox_id))


@bp.post("/sandboxes/<sandbox_id>/reset")
@trainer_required
def reset(sandbox_id: str) -> ResponseReturnValue:
    """Reset a trainee's sandbox: empty it and, when asked, load its world again."""
    sim = platform()
    world_name = sim.describe_sandbox(sandbox_id)["world"]
    sim.reset_sandbox(sandbox_id)
    if request.form.get("reload") and world_name:
        try:
            _load_world(sandbox_id, world_name, replace=True)
        except Refused as refused:
            _refused(sandbox_id, refused)
    flash(f"已重置沙箱 {sandbox_id}" + (f"并重新载入世界 {world_name}" if
                                          request.form.get("reload") and world_name else ""),
          "success")  # fmt: skip
    return redirect(url_for(".sandbox", sandbox_id=sandbox_id))


@bp.post("/sandboxes/<sandbox_id>/delete")
@trainer_required
def delete(sandbox_id: str) -> ResponseReturnValue:
    platform().delete_sandbox(sandbox_id)
    flash(f"已删除沙箱 {sandbox_id}", "success")
    return redirect(url_for(".sandboxes"))


@bp.post("/sandboxes/<sandbox_id>/faults")
@trainer_required
def fault(sandbox_id: str) -> ResponseReturnValue:
    """Put a mock into a fault mode (until an instant on the sandbox clock)."""
    from mocks import faults

    service = request.form.get("service", "")
    mode = request.form.get("mode", "")
    try:
        if service not in SERVICES or mode not in FAULT_MODES:
            raise INVALID_INPUT.refuse(message="请选择服务和故障模式")
        try:
            until = faults.parse_until(request.form.get("until", "").strip() or None)
            latency = float(request.form.get("latency") or 0) or None
        except ValueError:
            raise INVALID_INPUT.refuse(message="结束时间格式为 YYYY-MM-DD HH:MM") from None
        with platform().db.transaction() as db:
            faults.write_fault(db, sandbox_id, service, mode, until=until, latency_seconds=latency)
        flash(f"{SERVICES[service]}：{FAULT_MODES[mode]}", "success")
    except Refused as refused:
        _refused(sandbox_id, refused)
    return redirect(url_for(".sandbox", sandbox_id=sandbox_id) + "#mocks")


@bp.post("/sandboxes/<sandbox_id>/journal/clear")
@trainer_required
def clear_journal(sandbox_id: str) -> ResponseReturnValue:
    from mocks import journal

    with platform().db.transaction() as db:
        removed = journal.clear(db, sandbox_id)
    flash(f"已清空模拟服务日志（{removed}条）", "success")
    return redirect(url_for(".sandbox", sandbox_id=sandbox_id) + "#journal")


# --- the counter console (P-3) --------------------------------------------------------------------


def _counter_items() -> list[Any]:
    return [item for code, item in platform().items.items() if code.startswith("counter_")]


@bp.route("/sandboxes/<sandbox_id>/counter", methods=["GET", "POST"])
@trainer_required
def counter(sandbox_id: str) -> ResponseReturnValue:
    """柜台: counter businesses, 退费申请, 失业金发放登记 and the records."""
    from plugins.counter import (
        counter_records,
        counter_submit,
        record_benefit_payment,
        record_refund,
    )

    sim = platform()
    items = _counter_items()
    forms = {item.code: item_form(sim, sandbox_id, item, None) for item in items}
    chosen = request.values.get("item", items[0].code if items else "")
    problems: list[Any] = []
    result: dict[str, Any] | None = None
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
        kind = values.get("kind", "item")
        try:
            if kind == "refund":
                result = record_refund(
                    sim,
                    sandbox_id,
                    uscc=values.get("uscc", ""),
                    id_numbers=[v for v in re.split(r"[\s,，、]+", values.get("id_numbers", ""))
                                if v],
                    months=values.get("months", ""),
                    reason=values.get("reason", ""),
                    applicant=values.get("applicant", ""),
                    phone=values.get("phone", ""),
                )  # fmt: skip
            elif kind == "benefit":
                result = record_benefit_payment(
                    sim,
                    sandbox_id,
                    id_number=values.get("id_number", ""),
                    months=values.get("months", ""),
                    amount=values.get("amount") or "1800",
                )
            else:
                chosen = values.get("item", chosen)
                sections = forms.get(chosen, [])
                payload = {
                    f.name: values[f.name] for s in sections for f in s.fields if values.get(f.name)
                }
                uscc = values.get("unit_uscc") or None
                result = counter_submit(sim, sandbox_id, chosen, payload, uscc=uscc)
            flash("柜台业务办理成功", "success")
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
    return render_template(
        "trainer/counter.html",
        items=items,
        forms=forms,
        unit_needed={item.code for item in items if item.needs_unit},
        chosen=chosen,
        values=values,
        problems=problems,
        result=result,
        records=list(reversed(counter_records(sim, sandbox_id))),
    )

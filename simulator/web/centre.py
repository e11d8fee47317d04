"""单位中心 (unit centre) — guide §四 “社保信息查询及证明打印”; Q-1, Q-6 … Q-9, A-1, A-2.

“单位注册登录后，点击右上角单位名称，即可看到单位中心”: the unit's information,
参保信息 (人员缴费基数), 缴费信息 (单位征缴通知单, 人员月缴费明细), 单位办件 and
经办人管理 (the unit's accounts by level).  Each list is filtered and paged and
reads :mod:`simulator.web.queries`, the same questions the JSON API answers;
经办人管理 is :mod:`simulator.accounts` (the guide's 问题一: read 授权注意事项, 同意开通,
开通授权 with the person and the granted items; the grantee then activates the
account on ``/s/<sandbox_id>/activate``).  Exports (``/export/<kind>``) pass the
real-person check and come as a zip whose password is the login's mobile number
(:mod:`simulator.exports`); 打印证明 (``/certificate``) issues the 权益记录单 PDF with
its QR code (:mod:`simulator.certificate`); the QR code opens the public page
``/verify/<token>`` (``simulator/api/records.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from simulator import accounts
from simulator.errors import INVALID_INPUT, Refused
from simulator.web import platform, queries
from simulator.web.auth import UnitUser, login_redirect, signed_in
from simulator.web.support import hall_items, load_sandbox, record_refusal, show_problems

bp = Blueprint("web_centre", __name__, url_prefix="/s/<sandbox_id>/centre")


@bp.url_value_preprocessor
def _sandbox(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is not None and "sandbox_id" in values:
        load_sandbox(values["sandbox_id"])


def _user(sandbox_id: str) -> UnitUser | ResponseReturnValue:
    user = signed_in(sandbox_id)
    return user if user is not None else login_redirect(sandbox_id)


def _paging() -> queries.Paging:
    return queries.Paging.of(request.args.get("page"), request.args.get("per_page", 20))


def _arg(name: str) -> str:
    return request.args.get(name, "").strip()


@bp.get("/")
def unit_info(sandbox_id: str) -> ResponseReturnValue:
    """单位信息 (Q-1)."""
    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    info = queries.unit_information(platform(), sandbox_id, user.unit_id)
    return render_template("centre/info.html", tab="info", info=info, user=user)


def _listed(
    sandbox_id: str, user: UnitUser, where: str, ask: Callable[[queries.Paging], queries.Page]
) -> tuple[queries.Page, list[Any]]:
    """A list's page, or — its filters refused (F-2: 医疗/生育, a month that is not one, a
    reversed range …) — no rows and the refusal, shown on the page with its remedy and
    recorded for the trainer like any refusal in the hall."""
    paging = _paging()
    try:
        return ask(paging), []
    except Refused as refused:
        record_refusal(sandbox_id, user.actor, where, refused)
        return queries.Page.empty(paging), show_problems(sandbox_id, refused.problems)


@bp.get("/insured")
def insured(sandbox_id: str) -> ResponseReturnValue:
    """参保信息 — 人员缴费基数 (Q-9)."""
    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    filters = {k: _arg(k) for k in ("id_number", "name", "insurance_code", "status")}
    page, problems = _listed(
        sandbox_id,
        user,
        "参保信息查询",
        lambda paging: queries.insured_people(
            platform(), sandbox_id, user.unit_id, paging, **filters
        ),
    )
    return render_template(
        "centre/insured.html",
        tab="insured",
        page=page,
        filters=filters,
        problems=problems,
        insurance_names=queries.INSURANCE_NAMES,
        status_names=queries.STATUS_NAMES,
        user=user,
    )


#: the filters of 人员月缴费明细 (Q-7), the same as its export's
DETAIL_FILTERS = ("fee_month", "start_month", "end_month", "id_number", "insurance_code")


@bp.get("/payments")
def payments(sandbox_id: str) -> ResponseReturnValue:
    """缴费信息: 单位征缴通知单 (Q-6) and 人员月缴费明细 (Q-7)."""
    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    view = "details" if _arg("view") == "details" else "notices"
    sim = platform()
    if view == "details":
        filters = {k: _arg(k) for k in DETAIL_FILTERS}
        page, problems = _listed(
            sandbox_id,
            user,
            "人员月缴费明细查询",
            lambda paging: queries.monthly_details(
                sim, sandbox_id, user.unit_id, paging, **filters
            ),
        )
    else:
        filters = {"fee_month": _arg("fee_month")}
        page, problems = _listed(
            sandbox_id,
            user,
            "单位征缴通知单查询",
            lambda paging: queries.collection_notices(
                sim, sandbox_id, user.unit_id, paging, fee_month=filters["fee_month"]
            ),
        )
    return render_template(
        "centre/payments.html",
        tab="payments",
        view=view,
        page=page,
        filters=filters,
        problems=problems,
        insurance_names=queries.INSURANCE_NAMES,
        user=user,
    )


@bp.get("/businesses")
def businesses(sandbox_id: str) -> ResponseReturnValue:
    """单位办件 (Q-8)."""
    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    filters = {k: _arg(k) for k in ("item", "state", "fee_month")}
    page = queries.unit_businesses(platform(), sandbox_id, user.unit_id, _paging(), **filters)
    return render_template(
        "centre/businesses.html",
        tab="businesses",
        page=page,
        filters=filters,
        items=hall_items(platform()),
        user=user,
    )


@bp.route("/agents", methods=["GET", "POST"])
def agents(sandbox_id: str) -> ResponseReturnValue:
    """经办人管理 (A-1 … A-3): 授权注意事项 → 同意开通 → 开通授权; scopes; 取消授权."""
    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    sim = platform()
    problems: list[Any] = []
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action == "agree":
                answer = accounts.agree_to_grant_notice(sim, sandbox_id, user.actor)
            elif action == "grant":
                answer = accounts.grant_account(
                    sim,
                    sandbox_id,
                    user.actor,
                    accounts.GrantRequest(
                        level=request.form.get("level", ""),
                        id_number=request.form.get("id_number", "").strip(),
                        name=request.form.get("name", "").strip(),
                        mobile=request.form.get("mobile", "").strip(),
                        scopes=tuple(request.form.getlist("scopes")),
                    ),
                )
            elif action == "scopes":
                answer = accounts.change_scopes(
                    sim, sandbox_id, user.actor, int(request.form.get("account_id", "0")),
                    request.form.getlist("scopes"),
                )  # fmt: skip
            elif action == "remove":
                answer = accounts.remove_account(
                    sim, sandbox_id, user.actor, int(request.form.get("account_id", "0"))
                )
            else:
                raise INVALID_INPUT.refuse(message="未知的操作")
        except (Refused, ValueError) as error:
            refused = error if isinstance(error, Refused) else INVALID_INPUT.refuse(
                message="账号编号不正确")  # fmt: skip
            problems = show_problems(sandbox_id, refused.problems)
            record_refusal(sandbox_id, user.actor, "经办人管理", refused, action=action)
        else:
            flash(answer["message"], "success")
            return redirect(url_for(".agents", sandbox_id=sandbox_id))
    try:
        notice = accounts.grant_notice(sim, sandbox_id, user.actor)
        groups = accounts.list_accounts(sim, sandbox_id, user.actor)
    except Refused as refused:  # an agent manages nobody: they see their own account
        notice, groups = None, {}
        mine = accounts.my_account(sim, sandbox_id, user.actor)
        return render_template(
            "centre/agents.html", tab="agents", notice=None, groups={}, mine=mine,
            denied=show_problems(sandbox_id, refused.problems), problems=problems, user=user,
        )  # fmt: skip
    return render_template(
        "centre/agents.html",
        tab="agents",
        notice=notice,
        groups=groups,
        mine=None,
        denied=[],
        problems=problems,
        user=user,
    )


# --- 导出: 实人扫码认证, the zip's password is the login's mobile ----------------------


@bp.route("/export/<kind>", methods=["GET", "POST"])
def export(sandbox_id: str, kind: str) -> ResponseReturnValue:
    """更多 → 导出: the real-person check step, then the encrypted zip (simulator.exports)."""
    from simulator import exports

    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    spec = exports.EXPORT_KINDS.get(kind)
    if spec is None:
        abort(404, description=f"导出内容不存在：{kind}")
    filters = {k: v for k, v in request.values.items() if k not in ("csrf_token", "confirm") and v}
    problems: list[Any] = []
    if request.method == "POST":
        try:
            exported = exports.export_personal_data(
                platform(), sandbox_id, user.actor, kind, filters
            )
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
            record_refusal(sandbox_id, user.actor, f"导出{spec.title}", refused)
        else:
            return Response(
                exported.content,
                mimetype="application/zip",
                headers={
                    "Content-Disposition": "attachment; filename*=UTF-8''"
                    + quote(exported.filename)
                },
            )
    return render_template(
        "centre/export.html",
        tab="insured" if kind == "insured" else "payments",
        spec=spec,
        kind=kind,
        filters=filters,
        problems=problems,
        masked_mobile=accounts.masked_mobile(user.mobile) if user.mobile else "",
        user=user,
    )


# --- 打印证明 (Q-3 … Q-5): the 权益记录单 PDF with its QR code ----------------------------------------


@bp.route("/certificate", methods=["GET", "POST"])
def certificate(sandbox_id: str) -> ResponseReturnValue:
    """单位权益单: choose 查询时间, print (issue) it, download the PDF."""
    from sqlalchemy import select

    from simulator.certificate import issue_record
    from simulator.db.records import IssuedRecord
    from simulator.months import Month

    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    sim = platform()
    problems: list[Any] = []
    today = g.sandbox["date"]
    form = {
        "start_month": request.form.get("start_month") or f"{today[:4]}-01",
        "end_month": request.form.get("end_month") or today[:7],
    }
    if request.method == "POST":
        try:
            try:
                start, end = Month.parse(form["start_month"]), Month.parse(form["end_month"])
            except ValueError:
                raise INVALID_INPUT.refuse(message="查询时间格式为YYYY-MM") from None
            issued = issue_record(
                sim,
                sandbox_id,
                user.actor,
                start=start,
                end=end,
                secret_key=current_app.config["SECRET_KEY"],
                base_url=request.url_root,
            )
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
            record_refusal(sandbox_id, user.actor, "打印证明", refused)
        else:
            flash(f"权益单已出具：{issued.record_no}（共{issued.pages}页）", "success")
            return redirect(url_for(".certificate", sandbox_id=sandbox_id))
    with sim.db.transaction() as db:
        records = [
            {
                "record_no": r.record_no,
                "range": f"{r.start_month} 至 {r.end_month}",
                "issued_at": r.issued_at.isoformat(sep=" "),
                "valid_until": r.valid_until.isoformat(sep=" "),
                "people": r.people,
                "pages": r.pages,
            }
            for r in db.scalars(
                select(IssuedRecord)
                .where(IssuedRecord.sandbox_id == sandbox_id, IssuedRecord.unit_id == user.unit_id)
                .order_by(IssuedRecord.id.desc())
            )
        ]
    return render_template(
        "centre/certificate.html",
        tab="certificate",
        form=form,
        records=records,
        problems=problems,
        user=user,
    )


@bp.get("/certificate/<record_no>.pdf")
def certificate_pdf(sandbox_id: str, record_no: str) -> ResponseReturnValue:
    """下载 / 打印: the issued PDF, as it was issued."""
    from sqlalchemy import select

    from simulator.db.records import IssuedRecord

    user = _user(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    with platform().db.transaction() as db:
        record = db.scalars(
            select(IssuedRecord).where(
                IssuedRecord.sandbox_id == sandbox_id,
                IssuedRecord.unit_id == user.unit_id,
                IssuedRecord.record_no == record_no,
            )
        ).first()
        if record is None:
            abort(404, description="权益单不存在")
        pdf = record.pdf
    inline = request.args.get("download") != "1"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": ("inline" if inline else "attachment")
            + f"; filename*=UTF-8''{quote('江苏省社会保险权益记录单')}_{record_no}.pdf"
        },
    )

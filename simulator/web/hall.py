"""The online hall — 大厅首页 → 单位办事 → 社会保险 and each item's window (guide §三).

* ``/s/<sandbox_id>/`` — 大厅首页;
* ``/s/<sandbox_id>/unit-business`` — 单位办事, the 社会保险 panel: the business
  items as entries, in the guide's order (§三.1 … §三.10);
* ``/s/<sandbox_id>/items/<item>`` — the item's window, first tab (…申报): the form
  generated from ``item.form()`` with the guide's sections (◆ 人员基本信息,
  用工备案信息, 人员社保信息, 劳务派遣信息 for agencies …), ★ on required fields,
  the 🔍 look-up by 证件号码 that fills the known facts, and 确认提交;
  an item with a :class:`~simulator.items.WindowLookup` shows its query above the
  form — 工程建设项目人员登记维护's look-up by 工程编码 the guide describes
  (“录入工程编码可查询当前项目参保人员的情况”, I9-2): the project and ◆ 已有人员信息
  (``?project_code=…``), read by the JSON API's own query; a field's value in the
  URL's query fills the form (the 离场维护 link of a person fills 操作, 工程编码
  and 证件号码);
* ``/s/<sandbox_id>/items/<item>/batch`` — the second tab (批量…申报): 模板下载, the
  upload (文件大小不能超过10M) and 处理详情 (文件名称, 数据总数, 已处理, 错误数量, 当前状态,
  创建时间, 处理完成时间, 操作功能 → 结果), refreshed live while a file is processed;
  结果 lists each row: 行号, 结果, the field in error (its template column), the
  message and the remedy;
* ``/s/<sandbox_id>/businesses/<业务编号>`` — a business's result: 业务编号, message,
  notices and the 补缴明细 (险种, 起止年月, 补缴月数, 月基数, 单位缴费金额, 个人缴费金额,
  合计, 补退流水号);
* ``/s/<sandbox_id>/personal/…`` — 个人办事, the personal side the unit's errors send
  the employee to (灵活就业人员停保登记 P-1, 个人中心 户籍性质 P-2).

Every business goes through ``Platform.submit`` (single) or ``simulator.jobs``
(batch) with the logged-in actor; a refusal shows the exact message, the remedy
and a link to the place the remedy names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugins.items.rollback import DONE, ONLINE_CHANNELS, ROLLBACKABLE_ITEMS
from simulator import queries
from simulator.batch import NO_BATCH
from simulator.db.models import Business, Person
from simulator.errors import REQUIRED_FIELD, Refused
from simulator.hall import maintain_hukou_nature, stop_flexible_employment
from simulator.items import BusinessItem
from simulator.jobs import job_details, job_result_workbook, list_jobs, submit_async
from simulator.web import platform
from simulator.web.auth import UnitUser, login_redirect, signed_in
from simulator.web.support import (
    LOOKUP_FACTS,
    hall_item,
    hall_items,
    item_form,
    load_sandbox,
    payload_from_form,
    record_refusal,
    remedy_links,
    result_facts,
    show_problems,
)
from simulator.workbooks import XLSX, template

bp = Blueprint("web_hall", __name__, url_prefix="/s/<sandbox_id>")


@bp.url_value_preprocessor
def _sandbox(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is not None and "sandbox_id" in values:
        load_sandbox(values["sandbox_id"])


def _user_or_login(sandbox_id: str) -> UnitUser | ResponseReturnValue:
    user = signed_in(sandbox_id)
    return user if user is not None else login_redirect(sandbox_id)


# --- 大厅首页 and 单位办事 -------------------------------------------------------------------------


@bp.get("/")
def home(sandbox_id: str) -> ResponseReturnValue:
    """大厅首页."""
    return render_template("hall/home.html", items=hall_items(platform()))


@bp.get("/unit-business")
def unit_business(sandbox_id: str) -> ResponseReturnValue:
    """单位办事 — 社会保险: the business items as entries."""
    items = hall_items(platform())
    return render_template("hall/unit_business.html", items=items)


# --- an item's window: the single tab ------------------------------------------------------------


@bp.route("/items/<item_code>", methods=["GET", "POST"])
def item_page(sandbox_id: str, item_code: str) -> ResponseReturnValue:
    """The first tab (…申报): the item's form, 确认提交 → ``Platform.submit``."""
    sim = platform()
    item = hall_item(sim, item_code)
    user = _user_or_login(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    sections = item_form(sim, sandbox_id, item, user.actor)
    values: dict[str, str] = {
        f.name: request.args[f.name].strip()
        for section in sections
        for f in section.fields
        if request.args.get(f.name, "").strip()
    }
    if item.fills_unit_uscc:
        values["uscc"] = user.uscc
    query = _window_lookup(item, sandbox_id, user) if item.window_lookup else None
    problems: list[Any] = []
    if request.method == "POST":
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        payload = payload_from_form(sections, request.form)
        try:
            outcome = sim.submit(sandbox_id, item.code, payload, actor=user.actor)
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
            record_refusal(sandbox_id, user.actor, item.name, refused, item=item.code,
                           payload=payload)  # fmt: skip
        else:
            flash(f"{item.name}：{outcome.message}（业务编号 {outcome.business_no}）", "success")
            return redirect(
                url_for(".business", sandbox_id=sandbox_id, business_no=outcome.business_no)
            )
    return render_template(
        "hall/item.html",
        item=item,
        tabs=item.window_tabs,
        tab="single",
        sections=sections,
        values=values,
        problems=problems,
        problem_fields={p.field for p in problems if p.field},
        hint=item.guide_hint,
        lookup=item.looks_up_person,
        lookup_facts=LOOKUP_FACTS,
        query=query,
        user=user,
    )


# --- a query above the form (工程建设项目人员登记维护: by 工程编码, I9-2) ------------------------


def _window_lookup(item: BusinessItem, sandbox_id: str, user: UnitUser) -> dict[str, Any]:
    """The item's :class:`~simulator.items.WindowLookup`: what the unit may pick from and,
    when asked (``?<param>=…``), the answer or the refusal the API gives."""
    query = item.window_lookup
    assert query is not None
    sim = platform()
    found: dict[str, Any] = {
        "code": request.args.get(query.param, "").strip(),
        "asked": query.param in request.args,
        "facts": None,
        "problems": [],
        "known": query.known(sim, sandbox_id, user.unit_id),
    }
    if not found["asked"]:
        return found
    try:
        if not found["code"]:
            raise REQUIRED_FIELD.refuse(field=query.param, label=query.label)
        found["facts"] = query.facts(sim, sandbox_id, user.unit_id, found["code"])
    except Refused as refused:
        found["problems"] = show_problems(sandbox_id, refused.problems)
        record_refusal(sandbox_id, user.actor, f"{item.name}（{query.label}查询）", refused,
                       item=item.code, **{query.param: found["code"]})  # fmt: skip
    return found


# --- the batch tab and 处理详情 --------------------------------------------------------------------


@bp.route("/items/<item_code>/batch", methods=["GET", "POST"])
def batch_page(sandbox_id: str, item_code: str) -> ResponseReturnValue:
    """The second tab (批量…申报): 模板下载, upload, 处理详情."""
    sim = platform()
    item = hall_item(sim, item_code)
    if not item.batch_columns:
        abort(404, description=NO_BATCH.message)
    user = _user_or_login(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    problems: list[Any] = []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problems = show_problems(
                sandbox_id,
                [{"code": "E_NO_FILE", "message": "请选择上传的文件",
                  "remedy": "请点击“选择文件”选择填写好的模板（.xlsx）后再点击确认提交。"}],
            )  # fmt: skip
        else:
            content = upload.read()
            try:
                job = submit_async(
                    sim, sandbox_id, item.code, upload.filename, content, actor=user.actor
                )
            except Refused as refused:
                problems = show_problems(sandbox_id, refused.problems)
                record_refusal(sandbox_id, user.actor, f"{item.name}（批量）", refused,
                               item=item.code, filename=upload.filename)  # fmt: skip
            else:
                flash(f"文件“{upload.filename}”已上传，共{job['数据总数']}条数据", "success")
                return redirect(url_for(".batch_page", sandbox_id=sandbox_id, item_code=item.code))
    jobs = list_jobs(sim, sandbox_id, unit_id=user.unit_id, item_code=item.code)
    return render_template(
        "hall/batch.html",
        item=item,
        tabs=item.window_tabs,
        tab="batch",
        jobs=jobs,
        problems=problems,
        hint=item.guide_hint,
        notes=getattr(item, "batch_notes", ()),
        user=user,
    )


@bp.get("/items/<item_code>/jobs.json")
def jobs_json(sandbox_id: str, item_code: str) -> ResponseReturnValue:
    """处理详情 as JSON, for the page's live refresh."""
    item = hall_item(platform(), item_code)
    user = signed_in(sandbox_id)
    if user is None:
        return jsonify({"message": "请先登录单位账号"}), 401
    jobs = list_jobs(platform(), sandbox_id, unit_id=user.unit_id, item_code=item.code)
    return jsonify({"jobs": jobs})


@bp.get("/items/<item_code>/template")
def batch_template(sandbox_id: str, item_code: str) -> ResponseReturnValue:
    """模板下载."""
    item = hall_item(platform(), item_code)
    if not item.batch_columns:
        abort(404, description=NO_BATCH.message)
    content = template(
        item.batch_columns, sheet_title=item.name, notes=getattr(item, "batch_notes", ())
    )
    return Response(
        content,
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.name)}.xlsx"},
    )


def _job_or_404(sandbox_id: str, job_id: int, user: UnitUser) -> dict[str, Any]:
    job = job_details(platform(), sandbox_id, job_id, unit_id=user.unit_id)
    if job is None:
        abort(404, description="处理记录不存在")
    return job


@bp.get("/jobs/<int:job_id>/result.xlsx")
def job_result(sandbox_id: str, job_id: int) -> ResponseReturnValue:
    """结果下载: the uploaded rows, each with its result."""
    user = _user_or_login(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    found = job_result_workbook(platform(), sandbox_id, job_id, unit_id=user.unit_id)
    if found is None:
        abort(404, description="处理记录不存在")
    filename, content = found
    return Response(
        content,
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@bp.get("/jobs/<int:job_id>")
def job_page(sandbox_id: str, job_id: int) -> ResponseReturnValue:
    """处理详情 — 结果: the per-row results of one file."""
    user = _user_or_login(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    job = _job_or_404(sandbox_id, job_id, user)
    item = hall_item(platform(), job["item"])
    rows = []
    for row in job.get("rows") or []:
        if row is None:
            continue
        errors = row.get("errors", [])
        shown = show_problems(sandbox_id, errors)
        fields = [e.get("column") or e["field"] for e in errors if e.get("field")]
        rows.append({**row, "shown": shown, "fields": list(dict.fromkeys(fields))})
    return render_template("hall/job.html", job=job, item=item, rows=rows)


@bp.get("/jobs/<int:job_id>.json")
def job_json(sandbox_id: str, job_id: int) -> ResponseReturnValue:
    user = signed_in(sandbox_id)
    if user is None:
        return jsonify({"message": "请先登录单位账号"}), 401
    job = _job_or_404(sandbox_id, job_id, user)
    job.pop("rows", None)
    return jsonify(job)


# --- the look-up by 证件号码 ------------------------------------------------------------------------


@bp.get("/lookup/person")
def lookup_person(sandbox_id: str) -> ResponseReturnValue:
    """The known facts of a person (the 🔍 beside 证件号码), and their rollback-able businesses."""
    user = signed_in(sandbox_id)
    if user is None:
        return jsonify({"found": False, "message": "请先登录单位账号"}), 401
    id_number = request.args.get("id_number", "").strip().upper()
    sim = platform()
    with sim.sandbox_session(sandbox_id) as ctx:
        natures: dict[str, str] = ctx.parameters().value("codes.hukou_natures")
        people = ctx.session.scalars(
            select(Person)
            .where(Person.sandbox_id == sandbox_id, Person.id_number == id_number)
            .order_by(Person.id)
        ).all()
        if not id_number or not people:
            from plugins.items.common import NO_BASE_RECORD

            problem = NO_BASE_RECORD.error(field="id_number")
            return jsonify(
                {
                    "found": False,
                    "message": problem.message,
                    "remedy": problem.remedy,
                    "links": [
                        {"label": link.label, "url": link.url}
                        for link in remedy_links(sandbox_id, problem.message, problem.remedy)
                    ],
                }
            )
        records = [
            {
                "person_no": p.person_no,
                "name": p.name,
                "gender": p.gender,
                "birth_date": p.birth_date.isoformat(),
                "nationality": p.nationality,
                "id_type": p.id_type,
                "hukou_nature": natures.get(p.hukou_nature or "", "") if p.hukou_nature else "",
                "hukou_address": p.hukou_address,
            }
            for p in people
        ]
        period = ctx.period
        businesses = ctx.session.scalars(
            select(Business)
            .where(
                Business.sandbox_id == sandbox_id,
                Business.unit_id == user.unit_id,
                Business.person_id.in_([p.id for p in people]),
                Business.item_code.in_(ROLLBACKABLE_ITEMS),
                Business.state == DONE,
                Business.channel.in_(ONLINE_CHANNELS),
                Business.period_start == period.period_start,
            )
            .order_by(Business.id.desc())
        ).all()
        return jsonify(
            {
                "found": True,
                "several": len(records) > 1,
                "records": records,
                "businesses": [
                    {
                        "business_no": b.business_no,
                        "item_name": b.item_name,
                        "state": b.state,
                        "submitted_at": b.submitted_at.isoformat(sep=" ", timespec="seconds"),
                        "channel": b.channel,
                    }
                    for b in businesses
                ],
            }
        )


# --- a business's result ----------------------------------------------------------------------------


@bp.get("/businesses/<business_no>")
def business(sandbox_id: str, business_no: str) -> ResponseReturnValue:
    """办件: the result of one business of the logged-in unit."""
    user = _user_or_login(sandbox_id)
    if not isinstance(user, UnitUser):
        return user
    with platform().db.transaction() as db:
        try:
            shown = queries.unit_business(db, sandbox_id, user.unit_id, business_no)
        except Refused:
            abort(404, description="办件不存在")
    data = shown["result"].get("data") or {}
    notices = shown["result"].get("notices") or []
    facts, tables = result_facts(data)
    return render_template(
        "hall/business.html",
        business=shown,
        facts=facts,
        tables=tables,
        notices=[
            {**n, "links": remedy_links(sandbox_id, n.get("message", ""), n.get("remedy", ""))}
            for n in notices
        ],
    )


# --- 个人办事: where the unit's errors send the employee (P-1, P-2) --------------------------------


@bp.route("/personal/flexible-stop", methods=["GET", "POST"])
def personal_flexible_stop(sandbox_id: str) -> ResponseReturnValue:
    """个人办事—社会保险—社会保险登记—灵活就业人员停保登记 (P-1, clears I3-9)."""
    return _personal_page(
        sandbox_id,
        title="灵活就业人员停保登记",
        breadcrumb="个人办事 — 社会保险 — 社会保险登记 — 灵活就业人员停保登记",
        extra_fields=(),
        action=lambda form: stop_flexible_employment(
            platform(), sandbox_id, id_number=form["id_number"], name=form["name"]
        ),
    )


@bp.route("/personal/hukou-nature", methods=["GET", "POST"])
def personal_hukou_nature(sandbox_id: str) -> ResponseReturnValue:
    """个人中心 — 维护户籍性质 (P-2, clears I3-10)."""
    with platform().sandbox_session(sandbox_id) as ctx:
        natures: dict[str, str] = ctx.parameters().value("codes.hukou_natures")
    return _personal_page(
        sandbox_id,
        title="个人中心 — 户籍性质维护",
        breadcrumb="个人网办大厅 — 个人中心 — 基本信息 — 户籍性质",
        extra_fields=(("hukou_nature", "户籍性质", natures),),
        action=lambda form: maintain_hukou_nature(
            platform(),
            sandbox_id,
            id_number=form["id_number"],
            name=form["name"],
            hukou_nature=form.get("hukou_nature", ""),
        ),
    )


def _personal_page(
    sandbox_id: str,
    *,
    title: str,
    breadcrumb: str,
    extra_fields: tuple[tuple[str, str, dict[str, str]], ...],
    action: Any,
) -> ResponseReturnValue:
    form = {k: request.form.get(k, "").strip() for k in ("id_number", "name", "hukou_nature")}
    problems: list[Any] = []
    result: dict[str, Any] | None = None
    if request.method == "POST":
        try:
            result = action(form)
        except Refused as refused:
            problems = show_problems(sandbox_id, refused.problems)
            record_refusal(sandbox_id, None, title, refused, person=form["id_number"])
    return render_template(
        "hall/personal.html",
        title=title,
        breadcrumb=breadcrumb,
        extra_fields=extra_fields,
        form=form,
        problems=problems,
        result=result,
    )

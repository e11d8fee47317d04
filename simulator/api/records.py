"""打印证明 and 导出 in the unit centre — guide G §四, FAQ Q6, Q9; Q-2 … Q-5, Q-7, F-2.

For the logged-in unit (``Authorization: Bearer <token>``):

* ``POST /api/v1/sandboxes/{id}/unit/rights-records`` — print the
  江苏省社会保险权益记录单（参保单位） for a 查询时间 range (Q-3, Q-4); answers the
  record's summary, its QR token and where to download the PDF;
* ``GET  …/unit/rights-records`` (paged), ``…/rights-records/{no}`` (the data) and
  ``…/rights-records/{no}/pdf`` (the PDF as issued);
* ``POST …/unit/exports/{insured|monthly-details}`` — 参保信息 / 人员月缴费明细 as an
  AES-encrypted zip, password = the logged-in account's mobile, after the
  real-person check (Q-2, Q-7); ``GET …/unit/exports`` — 导出记录 from the audit log.

Public, no token (whoever holds the paper checks it, Q-5):

* ``GET /api/v1/records/verify?token=…`` — JSON; ``POST /api/v1/records/verify`` with
  the token and the PDF also checks that the document is the one issued;
* ``GET /verify/{token}`` — the page the QR code opens (Chinese), with a form to
  compare the PDF as well.

Asking for 医疗 (310) or 生育 (510) insurance answers that they are on the
medical-insurance platform (F-2).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, current_app, render_template_string, request
from flask_openapi3 import APIBlueprint, FileStorage, Tag
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from simulator.api import ERROR_RESPONSES, ErrorBody, platform
from simulator.api.businesses import current_actor
from simulator.certificate import (
    TITLE,
    issue_record,
    issued_view,
    verify_record,
)
from simulator.db.records import IssuedRecord
from simulator.errors import INVALID_INPUT, NOT_FOUND, Refused
from simulator.exports import export_history, export_personal_data
from simulator.months import Month
from simulator.queries import actor_display, month_filter

records_tag = Tag(
    name="打印证明 rights record",
    description="江苏省社会保险权益记录单（参保单位）: print, download, verify (Q-3 … Q-5)",
)
exports_tag = Tag(
    name="导出 exports", description="Personal data as an AES-encrypted zip (Q-2, Q-7)"
)

api = APIBlueprint(
    "records",
    __name__,
    abp_responses={**ERROR_RESPONSES, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody},
    abp_security=[{"bearer": []}],
)
#: verification needs no login: whoever scans the QR code (a separate blueprint, because
#: a route's ``security=[]`` does not override the blueprint's ``abp_security``)
public_api = APIBlueprint(
    "records_public", __name__, abp_responses={**ERROR_RESPONSES, 503: ErrorBody}
)


class SandboxPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class RecordPath(SandboxPath):
    record_no: str = Field(max_length=30, description="权益单编号")


class ExportPath(SandboxPath):
    kind: str = Field(
        pattern=r"^(insured|monthly-details)$",
        description="insured: 参保信息—人员缴费基数; monthly-details: 人员月缴费明细",
    )


class TokenPath(BaseModel):
    token: str = Field(max_length=1000)


class RecordRequest(BaseModel):
    start_month: str = Field(
        pattern=r"^\d{4}-?\d{2}$", description="查询时间 from, YYYYMM or YYYY-MM (e.g. 202001)"
    )
    end_month: str = Field(
        pattern=r"^\d{4}-?\d{2}$", description="查询时间 to, YYYYMM or YYYY-MM (e.g. 202012)"
    )


class Paging(BaseModel):
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=500)


class ExportRequest(BaseModel):
    """The same filters as the list on screen; every matching row is exported."""

    id_number: str | None = Field(None, max_length=18)
    name: str | None = Field(None, max_length=50, description="参保信息 only")
    insurance_code: str | None = Field(
        None, pattern=r"^\d{3}$", description="110, 120, 210 or 410 (310/510: F-2)"
    )
    status: str | None = Field(None, pattern=r"^[123]$", description="参保信息 only")
    fee_month: str | None = Field(
        None, pattern=r"^\d{4}-?\d{2}$", description="月缴费明细 only; YYYYMM or YYYY-MM"
    )
    start_month: str | None = Field(
        None, pattern=r"^\d{4}-?\d{2}$", description="月缴费明细 only; YYYYMM or YYYY-MM"
    )
    end_month: str | None = Field(
        None,
        pattern=r"^\d{4}-?\d{2}$",
        description="月缴费明细 only; YYYYMM or YYYY-MM, not before start_month",
    )


class VerifyQuery(BaseModel):
    token: str = Field(min_length=1, max_length=1000, description="the QR code's token")


class VerifyForm(BaseModel):
    token: str = Field(min_length=1, max_length=1000)
    document: FileStorage | None = None


def _month(value: str, field: str) -> Month:
    """A 查询时间 month, YYYYMM or YYYY-MM; refused as the lists' and exports' filters are."""
    checked = month_filter(value, field)
    if checked is None:
        raise INVALID_INPUT.refuse(message=f"{field}: 不是有效的年月：{value}", field=field)
    return Month.parse(checked)


def _secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def _base_url() -> str:
    """Where the QR code points: the ``public_base_url`` setting, else this request's host."""
    configured = platform().settings.get("public_base_url")
    return str(configured or request.host_url).rstrip("/")


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


# --- 打印证明 (Q-3, Q-4) --------------------------------------------------------------------------


@api.post(
    "/api/v1/sandboxes/<sandbox_id>/unit/rights-records",
    tags=[records_tag],
    summary="打印证明: issue the 权益记录单 for a 查询时间 range (Q-3, Q-4)",
)
def print_record(path: SandboxPath, body: RecordRequest):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    issued = issue_record(
        platform(),
        path.sandbox_id,
        actor,
        start=_month(body.start_month, "start_month"),
        end=_month(body.end_month, "end_month"),
        secret_key=_secret_key(),
        base_url=_base_url(),
    )
    summary = issued.summary()
    summary["pdf_url"] = (
        f"/api/v1/sandboxes/{path.sandbox_id}/unit/rights-records/{issued.record_no}/pdf"
    )
    return summary, 201


@api.get(
    "/api/v1/sandboxes/<sandbox_id>/unit/rights-records",
    tags=[records_tag],
    summary="The unit's issued 权益记录单, newest first",
)
def list_records(path: SandboxPath, query: Paging):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    with platform().sandbox_session(path.sandbox_id) as ctx:
        condition = (IssuedRecord.sandbox_id == path.sandbox_id) & (
            IssuedRecord.unit_id == actor.unit_id
        )
        total = ctx.session.scalar(select(func.count(IssuedRecord.id)).where(condition))
        rows = ctx.session.execute(
            select(
                IssuedRecord.record_no,
                IssuedRecord.start_month,
                IssuedRecord.end_month,
                IssuedRecord.issued_at,
                IssuedRecord.valid_until,
                IssuedRecord.people,
                IssuedRecord.pages,
                IssuedRecord.issued_by,
            )
            .where(condition)
            .order_by(IssuedRecord.id.desc())
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        ).all()
        return {
            "total": int(total or 0),
            "page": query.page,
            "per_page": query.per_page,
            "rows": [
                {
                    "权益单编号": row.record_no,
                    "查询时间": f"{Month.parse(row.start_month).compact()}-"
                    f"{Month.parse(row.end_month).compact()}",
                    "出具时间": row.issued_at.isoformat(sep=" "),
                    "有效期至": row.valid_until.isoformat(sep=" "),
                    "人员数": row.people,
                    "页数": row.pages,
                    "出具人": actor_display(row.issued_by),
                }
                for row in rows
            ],
        }


def _issued(sandbox_id: str, record_no: str, unit_id: int | None) -> IssuedRecord:
    with platform().sandbox_session(sandbox_id) as ctx:
        record = ctx.session.scalars(
            select(IssuedRecord).where(
                IssuedRecord.sandbox_id == sandbox_id,
                IssuedRecord.record_no == record_no,
                IssuedRecord.unit_id == unit_id,
            )
        ).first()
        if record is None:
            raise NOT_FOUND.refuse(what="权益单")
        ctx.session.expunge(record)
        return record


@api.get(
    "/api/v1/sandboxes/<sandbox_id>/unit/rights-records/<record_no>",
    tags=[records_tag],
    summary="One issued 权益记录单: summary, token and the data as printed",
)
def record_details(path: RecordPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    record = _issued(path.sandbox_id, path.record_no, actor.unit_id)
    view = issued_view(record, secret_key=_secret_key(), base_url=_base_url())
    return {**view.summary(), "record": view.data}


@api.get(
    "/api/v1/sandboxes/<sandbox_id>/unit/rights-records/<record_no>/pdf",
    tags=[records_tag],
    summary="下载/打印: the PDF exactly as issued",
)
def record_pdf(path: RecordPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    record = _issued(path.sandbox_id, path.record_no, actor.unit_id)
    return Response(
        record.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": _attachment(f"{TITLE}_{record.record_no}.pdf"),
            "X-Record-No": record.record_no,
        },
    )


# --- 验证 (Q-5) -----------------------------------------------------------------------------------


@public_api.get(
    "/api/v1/records/verify",
    tags=[records_tag],
    summary="扫码验证: confirm a 权益记录单 from its QR token (Q-5; no login)",
)
def verify_token(query: VerifyQuery):  # type: ignore[no-untyped-def]
    return verify_record(platform(), query.token, secret_key=_secret_key()).as_dict()


@public_api.post(
    "/api/v1/records/verify",
    tags=[records_tag],
    summary="Verify the token and the document itself (the PDF as received; Q-5; no login)",
)
def verify_document(form: VerifyForm):  # type: ignore[no-untyped-def]
    document = form.document.read() if form.document is not None else None
    return verify_record(
        platform(), form.token, secret_key=_secret_key(), document=document
    ).as_dict()


VERIFY_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>权益单验证 — {{ title }}</title>
<style>
 body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
      margin:0;background:#f4f6f8;color:#222}
 main{max-width:760px;margin:0 auto;padding:16px}
 h1{font-size:20px;margin:8px 0 16px}
 .ok,.fail{padding:14px 16px;border-radius:6px;margin-bottom:16px;font-size:17px}
 .ok{background:#e7f6ea;border:1px solid #4caf50}.fail{background:#fdecea;border:1px solid #e53935}
 .remedy{font-size:14px;margin-top:6px;color:#555}
 table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:16px}
 th,td{border:1px solid #ccc;padding:6px 8px;font-size:14px;text-align:left}
 th{background:#eef2f6;width:32%}
 .list th{width:auto;text-align:center}.list td{text-align:center}
 form{background:#fff;border:1px solid #ccc;padding:12px;border-radius:6px}
 footer{font-size:12px;color:#777;margin:16px 0}
</style></head><body><main>
<h1>{{ title }} · 扫码验证</h1>
{% if result %}
 <div class="ok">✔ {{ result["result"] }}{% if result["document_checked"] %}（已比对上传的权益单文件，与出具时一致）{% endif %}</div>
 {% set r = result["record"] %}
 <table>
  <tr><th>权益单编号</th><td>{{ r["权益单编号"] }}</td></tr>
  <tr><th>参保单位全称</th><td>{{ r["参保单位全称"] }}</td></tr>
  <tr><th>统一社会信用代码</th><td>{{ r["统一社会信用代码"] }}</td></tr>
  <tr><th>现参保地</th><td>{{ r["现参保地"] }}</td></tr>
  <tr><th>查询时间</th><td>{{ r["查询时间"] }}</td></tr>
  {% for label, count in r["缴费总人数"].items() %}
  <tr><th>{{ label }} 缴费总人数</th><td>{{ count }}</td></tr>
  {% endfor %}
  <tr><th>人员名单</th><td>{{ r["人员名单"]|length }} 人</td></tr>
  <tr><th>出具时间</th><td>{{ result["出具时间"] }}</td></tr>
  <tr><th>有效期至</th><td>{{ result["有效期至"] }}（不含）</td></tr>
  <tr><th>验证时间</th><td>{{ result["验证时间"] }}（沙箱时钟）</td></tr>
 </table>
 <table class="list"><tr><th>序号</th><th>姓名</th><th>公民身份号码</th><th>缴费起止年月</th><th>缴费月数</th></tr>
 {% for row in r["人员名单"][:shown] %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
 {% if r["人员名单"]|length > shown %}<tr><td colspan="5">…… 共 {{ r["人员名单"]|length }} 人，仅显示前 {{ shown }} 人</td></tr>{% endif %}
 </table>
{% else %}
 <div class="fail">✘ {{ problem["message"] }}<div class="remedy">{{ problem["remedy"] }}</div></div>
{% endif %}
<form method="post" enctype="multipart/form-data">
 <label>比对权益单文件（PDF）：<input type="file" name="document" accept="application/pdf"></label>
 <button type="submit">验证</button>
</form>
<footer>本权益单出具后6个月内可多次验证。ShebaoSim 模拟环境，仅供培训与测试。</footer>
</main></body></html>
"""


@public_api.get("/verify/<token>", tags=[records_tag], doc_ui=False)
def verify_page(path: TokenPath):  # type: ignore[no-untyped-def]
    return _verification_page(path.token, None)


@public_api.post("/verify/<token>", tags=[records_tag], doc_ui=False)
def verify_page_with_document(path: TokenPath):  # type: ignore[no-untyped-def]
    upload = request.files.get("document")
    document = upload.read() if upload is not None and upload.filename else None
    return _verification_page(path.token, document)


def _verification_page(token: str, document: bytes | None) -> Response:
    try:
        result: dict[str, Any] | None = verify_record(
            platform(), token, secret_key=_secret_key(), document=document
        ).as_dict()
        problem: dict[str, Any] = {}
        status = 200
    except Refused as refused:
        result, problem, status = None, refused.problem.as_dict(), refused.http_status
    html = render_template_string(
        VERIFY_PAGE, title=TITLE, result=result, problem=problem, shown=100
    )
    return Response(html, status=status, mimetype="text/html")


# --- 导出 (Q-2, Q-7) ------------------------------------------------------------------------------


@api.post(
    "/api/v1/sandboxes/<sandbox_id>/unit/exports/<kind>",
    tags=[exports_tag],
    summary="导出: the list as .xlsx in an AES zip (password: the login's mobile) after 实人认证",
)
def export_list(path: ExportPath, body: ExportRequest):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    exported = export_personal_data(
        platform(), path.sandbox_id, actor, path.kind, body.model_dump()
    )
    return Response(
        exported.content,
        mimetype="application/zip",
        headers={
            "Content-Disposition": _attachment(exported.filename),
            "X-Export-Rows": str(exported.rows),
            "X-Export-Member": quote(exported.member),
        },
    )


@api.get(
    "/api/v1/sandboxes/<sandbox_id>/unit/exports",
    tags=[exports_tag],
    summary="导出记录: the unit's exports, from the audit log (Q-2)",
)
def export_log(path: SandboxPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    if actor.unit_id is None:
        raise NOT_FOUND.refuse(what="单位")
    return {"rows": export_history(platform(), path.sandbox_id, actor.unit_id)}

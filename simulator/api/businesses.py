"""Doing business (单位办事—社会保险): login, single and batch declarations.

Every route here acts for a logged-in unit account (PREP-1): send the token
from ``POST /sandboxes/{id}/login`` as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, request
from flask_openapi3 import APIBlueprint, FileStorage, Tag
from pydantic import BaseModel, Field

from simulator.accounts import log_in
from simulator.api import ERROR_RESPONSES, platform
from simulator.auth import actor_for_token
from simulator.batch import NO_BATCH, job_as_dict, submit_batch
from simulator.context import Actor
from simulator.db.models import BatchJob
from simulator.errors import INVALID_INPUT, NOT_FOUND
from simulator.jobs import job_result_workbook
from simulator.whatif import Variant, compare
from simulator.workbooks import XLSX, template

business_tag = Tag(name="单位办事 businesses", description="Business items, single and batch")
auth_tag = Tag(name="登录 login", description="Unit login (PREP-1)")

api = APIBlueprint(
    "businesses",
    __name__,
    url_prefix="/api/v1",
    abp_responses={**ERROR_RESPONSES, 401: ERROR_RESPONSES[400], 403: ERROR_RESPONSES[400]},
    abp_security=[{"bearer": []}],
)


class SandboxPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class ItemPath(SandboxPath):
    item: str = Field(max_length=40, description="item code, see GET /api/v1/items")


class ItemCodePath(BaseModel):
    item: str = Field(max_length=40)


class JobPath(SandboxPath):
    job_id: int


class LoginRequest(BaseModel):
    uscc: str = Field(description="统一社会信用代码", min_length=18, max_length=18)
    id_number: str = Field(description="证件号码 of the account holder", max_length=18)
    password: str = Field(max_length=200)


class WhatIfVariant(BaseModel):
    label: str = Field(max_length=40)
    date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="the day it is done")
    city: str | None = Field(None, pattern=r"^32\d{4}$", description="the unit's city")


class WhatIfRequest(BaseModel):
    item: str = Field(max_length=40)
    payload: dict[str, Any]
    variants: list[WhatIfVariant] = Field(min_length=2, max_length=6)


class UploadForm(BaseModel):
    file: FileStorage


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_actor(sandbox_id: str) -> Actor:
    """The logged-in actor of this request (refuses missing, expired, foreign tokens)."""
    with platform().sandbox_session(sandbox_id) as ctx:
        return actor_for_token(ctx.session, sandbox_id, bearer_token(), ctx.now)


#: routes anyone may call (flask-openapi3 adds a blueprint's shared security to every route)
public_api = APIBlueprint(
    "businesses_public", __name__, url_prefix="/api/v1", abp_responses=ERROR_RESPONSES
)


@public_api.post("/sandboxes/<sandbox_id>/login", tags=[auth_tag], summary="Unit login")
def unit_login(path: SandboxPath, body: LoginRequest):  # type: ignore[no-untyped-def]
    """Rate-limited (PREP-1): five failures in 15 minutes lock the login for 15 minutes."""
    return log_in(
        platform(), path.sandbox_id, uscc=body.uscc, id_number=body.id_number,
        password=body.password,
    )  # fmt: skip


@api.post(
    "/sandboxes/<sandbox_id>/businesses/<item>",
    tags=[business_tag],
    summary="Declare one business (单笔申报)",
)
def declare(path: ItemPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    payload: Any = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise INVALID_INPUT.refuse(message="请求体须为JSON对象（表单字段）")
    outcome = platform().submit(path.sandbox_id, path.item, payload, actor=actor)
    return outcome.as_dict(), 201


@api.post(
    "/sandboxes/<sandbox_id>/what-if",
    tags=[business_tag],
    summary="What-if: the same business under several rule variants (nothing is stored)",
)
def what_if(path: SandboxPath, body: WhatIfRequest):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    variants = [
        Variant(v.label, on=date.fromisoformat(v.date) if v.date else None, city=v.city)
        for v in body.variants
    ]
    return compare(platform(), path.sandbox_id, body.item, body.payload, actor, variants)


@api.post(
    "/sandboxes/<sandbox_id>/batches/<item>",
    tags=[business_tag],
    summary="Upload a workbook for a batch declaration (批量申报)",
)
def upload_batch(path: ItemPath, form: UploadForm):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    content = form.file.read()
    job = submit_batch(
        platform(), path.sandbox_id, path.item, form.file.filename or "", content, actor=actor
    )
    return job, 201


@api.get(
    "/sandboxes/<sandbox_id>/batches/<int:job_id>",
    tags=[business_tag],
    summary="处理详情: the progress and per-row results of an upload",
)
def batch_job(path: JobPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    with platform().sandbox_session(path.sandbox_id) as ctx:
        job = ctx.session.get(BatchJob, path.job_id)
        if job is None or job.sandbox_id != path.sandbox_id or job.unit_id != actor.unit_id:
            raise NOT_FOUND.refuse(what="处理记录")
        return job_as_dict(job, session=ctx.session)


@api.get(
    "/sandboxes/<sandbox_id>/batches/<int:job_id>/result",
    tags=[business_tag],
    summary="结果下载: the uploaded rows with each row's result, as a workbook",
    responses={200: {"content": {XLSX: {}}}},
)
def batch_result(path: JobPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    found = job_result_workbook(platform(), path.sandbox_id, path.job_id, unit_id=actor.unit_id)
    if found is None:
        raise NOT_FOUND.refuse(what="处理记录")
    filename, content = found
    return Response(
        content,
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(filename)}"},
    )


@public_api.get(
    "/items/<item>/template",
    tags=[business_tag],
    summary="模板下载: the batch template of an item",
)
def batch_template(path: ItemCodePath):  # type: ignore[no-untyped-def]
    item = platform().item(path.item)
    columns = getattr(item, "batch_columns", ())
    if not columns:
        raise NO_BATCH.refuse()
    content = template(columns, sheet_title=item.name, notes=getattr(item, "batch_notes", ()))
    return Response(
        content,
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(item.name)}.xlsx"},
    )


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text)

"""Batch declarations (批量…申报): an uploaded workbook processed row by row.

The file is checked whole before anything is written (format, size, headers:
PREP-2, I7-1).  Then each row is one business through the same pipeline as a
single declaration, inside its own savepoint: a refused row is reported with
its row number, field and message and changes nothing, valid rows are done
(I2-5, I3-12).  Progress is kept on the :class:`~simulator.db.models.BatchJob`
(处理详情: 文件名称, 数据总数, 已处理, 错误数量, 当前状态, 创建时间, 处理完成时间).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from simulator.auth import NOT_GRANTED, may_do
from simulator.clock import SandboxClock
from simulator.context import SYSTEM, Actor
from simulator.db.models import BatchJob, Business, Sandbox, Unit, UploadedFile
from simulator.errors import ErrorSpec, Problem, Refused
from simulator.memory import gc_paused
from simulator.workbooks import Column, parse_upload

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from simulator.items import BusinessItem
    from simulator.platform import Platform

NO_BATCH = ErrorSpec(
    code="E_NO_BATCH",
    message="该事项不支持批量申报",
    remedy="请使用单笔申报。",
    http_status=400,
)

STATE_PENDING = "待处理"
STATE_RUNNING = "处理中"
STATE_DONE = "处理完成"


def stored_rows(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-row results as a job keeps them: a done row without its ``data``, which its
    办件 (``business_no``) keeps already; :func:`rows_with_data` puts it back."""
    return [
        {key: value for key, value in row.items() if key != "data"} if row["ok"] else row
        for row in results
    ]


def rows_with_data(session: Session, job: BatchJob, rows: list[dict[str, Any]]) -> list[Any]:
    """``rows`` with each done row's ``data`` read back from its 办件 (see :func:`stored_rows`)."""
    if not any(row.get("ok") and "data" not in row for row in rows):
        return rows
    results = dict(
        session.execute(
            select(Business.business_no, Business.result).where(
                Business.sandbox_id == job.sandbox_id, Business.batch_job_id == job.id
            )
        ).all()
    )
    return [
        {**row, "data": (results.get(row["business_no"]) or {}).get("data")}
        if row.get("ok") and "data" not in row
        else row
        for row in rows
    ]


def job_as_dict(
    job: BatchJob, *, with_rows: bool = True, session: Session | None = None
) -> dict[str, Any]:
    """处理详情 of a job; with its per-row results (their ``data`` too when ``session``
    is given)."""
    out: dict[str, Any] = {
        "id": job.id,
        "item": job.item_code,
        "文件名称": job.filename,
        "数据总数": job.total,
        "已处理": job.processed,
        "错误数量": job.errors,
        "当前状态": job.state,
        "创建时间": job.created_at.isoformat(sep=" ") if job.created_at else None,
        "处理完成时间": job.finished_at.isoformat(sep=" ") if job.finished_at else None,
    }
    if with_rows:
        rows = job.rows or []
        out["rows"] = rows_with_data(session, job, rows) if session is not None else rows
    return out


def record_upload(
    session: Session,
    sandbox_id: str,
    item_code: str,
    filename: str,
    content: bytes,
    *,
    actor: Actor,
    total: int,
    state: str,
    now: datetime,
) -> BatchJob:
    """Keep the file as received and open its 处理详情 (a BatchJob) for ``total`` rows."""
    upload = UploadedFile(
        sandbox_id=sandbox_id,
        unit_id=actor.unit_id,
        item_code=item_code,
        filename=filename,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_at=now,
    )
    session.add(upload)
    session.flush()
    job = BatchJob(
        sandbox_id=sandbox_id,
        unit_id=actor.unit_id,
        item_code=item_code,
        file_id=upload.id,
        filename=filename,
        total=total,
        processed=0,
        errors=0,
        state=state,
        created_at=now,
        rows=[],
    )
    session.add(job)
    session.flush()
    return job


def failed_row(
    row_number: int, problems: Iterable[Problem], columns: Sequence[Column] = ()
) -> dict[str, Any]:
    """A refused row's result: its number, and every problem with its field and, when the
    field is one of the template's, the column's header (``column``, e.g. 证件号码)."""
    headers = {column.key: column.header for column in columns}
    errors = []
    for problem in problems:
        error = {**problem.as_dict(), "row": row_number, "field": problem.field}
        if problem.field in headers:
            error["column"] = headers[problem.field]
        errors.append(error)
    return {"row": row_number, "ok": False, "errors": errors, "message": errors[0]["message"]}


def done_row(
    row_number: int,
    business_no: str,
    message: str,
    data: Any,
    notices: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A done row's result: its number, its business (办件) and, as the single answer
    gives them, its notices (e.g. back pay older than six months, PER-5)."""
    row = {
        "row": row_number,
        "ok": True,
        "business_no": business_no,
        "message": message,
        "data": data,
    }
    if notices:
        row["notices"] = list(notices)
    return row


def process_row(
    platform: Platform,
    session: Session,
    sandbox_id: str,
    item: BusinessItem,
    payload: dict[str, Any],
    consulted: dict[str, Any] | Refused,
    *,
    row_number: int,
    actor: Actor,
    batch_job_id: int,
    channel: str = "网上大厅",
) -> dict[str, Any]:
    """One row as one business through the pipeline, inside a savepoint: a refused row
    changes nothing.  ``consulted``: the other agencies' answers, or their refusal."""
    try:
        if isinstance(consulted, Refused):
            raise consulted
        with session.begin_nested():
            outcome = platform.submit_in(
                session,
                sandbox_id,
                item,
                payload,
                actor=actor,
                channel=channel,
                batch_job_id=batch_job_id,
                consulted=consulted,
            )
    except Refused as refused:
        return failed_row(row_number, refused.problems, item.batch_columns)
    return done_row(row_number, outcome.business_no, outcome.message, outcome.data, outcome.notices)


def checked_upload(
    platform: Platform,
    sandbox_id: str,
    item_code: str,
    filename: str,
    content: bytes,
    actor: Actor,
) -> tuple[BusinessItem, list[tuple[int, dict[str, str]]]]:
    """The gates a whole file meets before anything is kept or any agency asked — the
    item takes batches, the actor may do it (A-2), the period is open for it (PER-2), the
    file is a workbook of the template within the size limit (I7-1, PREP-2) — and its
    rows.  Each row would be refused for the first three; better to say so once."""
    item = platform.item(item_code)
    columns = getattr(item, "batch_columns", ())
    if not columns:
        raise NO_BATCH.refuse()
    if not may_do(actor, item.code):
        raise NOT_GRANTED.refuse(item=item.name)
    with platform.sandbox_session(sandbox_id) as ctx:
        unit = ctx.session.get(Unit, actor.unit_id) if actor.unit_id is not None else None
        city_code = unit.city_code if unit is not None else None
    with platform.sandbox_session(sandbox_id, city_code=city_code) as ctx:
        max_bytes = int(ctx.parameters().value("upload.max_bytes"))
        if item.closed_in(ctx.period):
            raise ctx.variant.closed_error.refuse()
    return item, parse_upload(filename, content, columns, max_bytes=max_bytes)


def submit_batch(
    platform: Platform,
    sandbox_id: str,
    item_code: str,
    filename: str,
    content: bytes,
    *,
    actor: Actor = SYSTEM,
) -> dict[str, Any]:
    """Check the file, then do one business per row; returns the job with per-row results."""
    item, rows = checked_upload(platform, sandbox_id, item_code, filename, content, actor)
    payloads = [(number, item.row_payload(row)) for number, row in rows]
    # Other agencies are asked before the transaction opens (see BusinessItem.consult).
    consulted: dict[int, dict[str, Any] | Refused] = {}
    for number, payload in payloads:
        try:
            consulted[number] = platform.consult(sandbox_id, item, payload)
        except Refused as refused:
            consulted[number] = refused

    with gc_paused(), platform.db.transaction() as session:
        sandbox = session.get(Sandbox, sandbox_id)
        now = SandboxClock(sandbox.clock_frozen_at if sandbox else None).now()
        job = record_upload(
            session, sandbox_id, item.code, filename, content,
            actor=actor, total=len(rows), state=STATE_RUNNING, now=now,
        )  # fmt: skip
        bulk = item.bulk_batch(platform)  # the item's set-based path (simulator.bulk), if any
        if bulk is not None:
            results = bulk.process(session, sandbox_id, job, payloads, consulted, actor=actor)
        else:
            results = [
                process_row(
                    platform,
                    session,
                    sandbox_id,
                    item,
                    payload,
                    consulted[row_number],
                    row_number=row_number,
                    actor=actor,
                    batch_job_id=job.id,
                )
                for row_number, payload in payloads
            ]
        job.errors += sum(1 for row in results if not row["ok"])
        job.processed += len(results)
        job.rows = stored_rows(results)
        job.state = STATE_DONE
        job.finished_at = now
        session.flush()
        return {**job_as_dict(job, with_rows=False), "rows": results}

"""企业缴费基数调整（上调） (I7-1 … I7-3) and its asynchronous processing (simulator.jobs)."""

from __future__ import annotations

import io
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from builders import PASSWORD, add_person, add_unit
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from plugins.items.base_adjustment import BaseAdjustment, base_in_force
from plugins.items.rollback import candidates
from simulator.db.jobs import QueuedJobRow
from simulator.db.models import (
    Account,
    Base,
    BaseChange,
    BatchJob,
    Business,
    InsuredRelation,
    Unit,
    UploadedFile,
)
from simulator.errors import Refused
from simulator.jobs import (
    claim_job,
    enqueue_batch,
    job_details,
    process_chunk,
    run_pending_jobs,
    runner_for,
    submit_async,
)
from simulator.months import Month
from simulator.platform import Platform
from simulator.workbooks import workbook_from_rows

DOWN_OR_PAST = "下调缴费基数或调整往期缴费基数，请携带相关材料至经办机构申请"
COLUMNS = BaseAdjustment.batch_columns


def enrol(platform, sandbox_id, actor, id_number, base="6000"):  # type: ignore[no-untyped-def]
    payload = {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": "2021-06-01",
        "job_type": "07",
        "base": base,
    }
    return platform.submit(sandbox_id, "employment_enrolment", payload, actor=actor)


def snapshot(platform, sandbox_id, skip=()) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    """Every table's rows of the sandbox (the sequence counters aside)."""
    skip = {"sandboxes", "counters", *skip}
    with platform.db.transaction() as session:
        out = {}
        for name, table in Base.metadata.tables.items():
            if name in skip or "sandbox_id" not in table.c:
                continue
            rows = session.execute(
                select(table).where(table.c.sandbox_id == sandbox_id).order_by(*table.primary_key)
            )
            out[name] = [tuple(row) for row in rows]
        return out


def relations(platform, sandbox_id) -> list[InsuredRelation]:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return list(
            session.scalars(
                select(InsuredRelation)
                .where(InsuredRelation.sandbox_id == sandbox_id)
                .order_by(InsuredRelation.id)
            )
        )


@pytest.fixture
def insured(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """A unit with one employee insured at a base of 6000 since 2021-06 (clock 2021-08-16)."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id, name="李四")
    enrol(platform, sandbox_id, actor, id_number)
    return actor, id_number


# --- the rule (I7-3) --------------------------------------------------------------------------


def test_upward_change_applies_from_the_next_month(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    actor, id_number = insured
    outcome = platform.submit(
        sandbox_id, "base_adjustment", {"id_number": id_number, "base": "8000"}, actor=actor
    )
    assert outcome.data["生效年月"] == "2021-10"  # fee month 2021-09 + 1
    assert outcome.data["原缴费基数"] == "6000.00"
    assert outcome.data["实际缴费基数"] == "8000"
    assert outcome.data["insurance_codes"] == ["110", "210", "410"]
    assert any(t.get("behaviour_id") == "I7-3" for t in outcome.trace)
    with platform.db.transaction() as session:
        changes = session.scalars(
            select(BaseChange).where(BaseChange.sandbox_id == sandbox_id)
        ).all()
        assert {(c.from_month, c.old_base, c.new_base) for c in changes} == {
            ("2021-10", Decimal("6000"), Decimal("8000"))
        }
        for relation in session.scalars(
            select(InsuredRelation).where(InsuredRelation.sandbox_id == sandbox_id)
        ):
            assert (relation.declared_base, relation.base) == (Decimal("8000"), Decimal("8000"))
            # the settlement contract: the old base until 2021-09, the new one from 2021-10
            assert base_in_force(session, relation, Month(2021, 9)) == Decimal("6000")
            assert base_in_force(session, relation, Month(2021, 10)) == Decimal("8000")
            assert base_in_force(session, relation, Month(2022, 1)) == Decimal("8000")


def test_a_declared_base_is_clamped_before_comparing(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    """PER-3: 99999 is cut to the 2021-10 ceiling; the ceiling is the new base."""
    actor, id_number = insured
    outcome = platform.submit(
        sandbox_id, "base_adjustment", {"id_number": id_number, "base": "99999"}, actor=actor
    )
    assert outcome.data["封顶保底"] == "封顶"
    assert Decimal(outcome.data["实际缴费基数"]) < Decimal("99999")
    assert outcome.data["调整后缴费基数"] == "99999"


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        ({"base": "5000"}, "E_BASE_DOWN_OR_PAST", DOWN_OR_PAST),  # downward
        ({"base": "100"}, "E_BASE_DOWN_OR_PAST", DOWN_OR_PAST),  # raised to the floor: still down
        ({"base": "8000", "effective_month": "2021-09"}, "E_BASE_DOWN_OR_PAST", DOWN_OR_PAST),
        ({"base": "8000", "effective_month": "2021-06"}, "E_BASE_DOWN_OR_PAST", DOWN_OR_PAST),
        ({"base": "8000", "effective_month": "2021-11"}, "E_BASE_DOWN_OR_PAST", DOWN_OR_PAST),
        ({"base": "6000"}, "E_BASE_UNCHANGED", "调整后缴费基数与当前缴费基数相同，无需调整"),
        ({"base": "8000", "name": "王五"}, "E_NAME_MISMATCH", "姓名与人员基础信息不一致"),
        ({"base": "8000", "effective_month": "10月"}, "E_INVALID_INPUT", None),
        ({"base": "-1"}, "E_INVALID_INPUT", None),
        ({}, "E_REQUIRED_FIELD", "调整后缴费基数不能为空"),
    ],
)
def test_refusals_store_nothing(platform, sandbox_id, insured, payload, code, message):  # type: ignore[no-untyped-def]
    actor, id_number = insured
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "base_adjustment", {"id_number": id_number, **payload}, actor=actor
        )
    assert refused.value.problem.code == code
    if message:
        assert refused.value.problem.message == message
    if code == "E_BASE_DOWN_OR_PAST":
        assert refused.value.problem.behaviour_id == "I7-3"
    assert snapshot(platform, sandbox_id) == before


def test_the_next_month_may_be_named(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    actor, id_number = insured
    payload = {"id_number": id_number, "base": "7000", "effective_month": "202110"}
    assert platform.submit(sandbox_id, "base_adjustment", payload, actor=actor).data[
        "生效年月"
    ] == ("2021-10")


def test_only_people_insured_at_this_unit(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    actor, _ = insured
    stranger = add_person(platform, sandbox_id, name="赵六")
    _, other_unit = add_unit(platform, sandbox_id, name="另一家公司")
    enrol(platform, sandbox_id, other_unit, stranger)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "base_adjustment", {"id_number": stranger, "base": "9000"}, actor=actor
        )
    assert refused.value.problem.code == "E_BASE_NOT_INSURED_HERE"
    unknown = "110101199003074514"  # a valid number nobody in the sandbox has
    with pytest.raises(Refused) as missing:
        platform.submit(
            sandbox_id, "base_adjustment", {"id_number": unknown, "base": "9000"}, actor=actor
        )
    assert missing.value.problem.code == "E_NO_BASE_RECORD"


def test_a_second_raise_in_the_same_period_builds_on_the_first(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    actor, id_number = insured
    platform.submit(
        sandbox_id, "base_adjustment", {"id_number": id_number, "base": "8000"}, actor=actor
    )
    with pytest.raises(Refused) as lower:
        platform.submit(
            sandbox_id, "base_adjustment", {"id_number": id_number, "base": "7000"}, actor=actor
        )
    assert lower.value.problem.code == "E_BASE_DOWN_OR_PAST"
    outcome = platform.submit(
        sandbox_id, "base_adjustment", {"id_number": id_number, "base": "9000"}, actor=actor
    )
    assert outcome.data["原缴费基数"] == "8000.00"


def test_paused_days_refuse_it(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    """PER-2: 基数调整 changes contributions; the upload is refused before it is queued."""
    actor, id_number = insured
    platform.set_clock(sandbox_id, "2021-09-08")
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "base_adjustment", {"id_number": id_number, "base": "8000"}, actor=actor
        )
    assert refused.value.problem.code == "E_PAUSED_PERIOD"
    content = workbook_from_rows(COLUMNS, [[id_number, "", "", "8000", ""]])
    with pytest.raises(Refused) as upload:
        enqueue_batch(platform, sandbox_id, "base_adjustment", "b.xlsx", content, actor=actor)
    assert upload.value.problem.code == "E_PAUSED_PERIOD"
    assert snapshot(platform, sandbox_id) == before


def test_rollback_restores_the_base(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    """I6-1: the base change disappears and the relations get their old base back."""
    actor, id_number = insured
    skip = ("businesses", "business_effects")
    before = snapshot(platform, sandbox_id, skip)
    done = platform.submit(
        sandbox_id, "base_adjustment", {"id_number": id_number, "base": "8000"}, actor=actor
    )
    listed = candidates(platform, sandbox_id, actor, id_number)
    assert listed[0]["业务编号"] == done.business_no
    assert listed[0]["事项"] == "企业缴费基数调整（上调）"
    platform.submit(
        sandbox_id,
        "rollback",
        {"id_number": id_number, "business_no": done.business_no},
        actor=actor,
    )
    assert snapshot(platform, sandbox_id, skip) == before
    assert {r.base for r in relations(platform, sandbox_id)} == {Decimal("6000")}


# --- the file and its processing (I7-1, I7-2) ------------------------------------------------------


@pytest.fixture
def manual_jobs(platform, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(platform.settings, "jobs.mode", "manual")
    monkeypatch.setitem(platform.settings, "jobs.chunk_size", 1)


def three_rows(platform, sandbox_id, id_number) -> bytes:  # type: ignore[no-untyped-def]
    unknown = "110101199003074514"  # a valid number nobody in the sandbox has
    return workbook_from_rows(
        COLUMNS,
        [
            [id_number, "李四", "", "8000", "2021-10"],
            [id_number, "", "", "1000", ""],  # downward after the first row
            [unknown, "", "", "9000", ""],
        ],
    )


def test_a_queued_file_shows_its_progress(platform, sandbox_id, insured, manual_jobs):  # type: ignore[no-untyped-def]
    actor, id_number = insured
    content = three_rows(platform, sandbox_id, id_number)
    job = enqueue_batch(platform, sandbox_id, "base_adjustment", "基数.xlsx", content, actor=actor)
    assert (job["当前状态"], job["数据总数"], job["已处理"], job["错误数量"]) == ("待处理", 3, 0, 0)
    assert job["文件名称"] == "基数.xlsx" and job["创建时间"] == "2021-08-16 09:00:00"
    assert job["处理完成时间"] is None
    # One chunk (of one row) as a worker would: the progress is committed and readable.
    assert claim_job(platform, "test-worker", job_id=job["id"]) == job["id"]
    assert process_chunk(platform, job["id"], "test-worker") is True
    half = job_details(platform, sandbox_id, job["id"], unit_id=actor.unit_id)
    assert (half["当前状态"], half["已处理"], half["错误数量"]) == ("处理中", 1, 0)
    assert [row["row"] for row in half["rows"]] == [2]
    # another worker cannot take it while the lease runs
    assert claim_job(platform, "another-worker", job_id=job["id"]) is None
    while process_chunk(platform, job["id"], "test-worker"):
        pass
    done = job_details(platform, sandbox_id, job["id"], unit_id=actor.unit_id)
    assert (done["当前状态"], done["已处理"], done["错误数量"]) == ("处理完成", 3, 2)
    assert done["处理完成时间"] == "2021-08-16 09:00:00"
    first, second, third = done["rows"]
    assert first["ok"] and first["data"]["实际缴费基数"] == "8000"
    assert second["errors"][0]["message"] == DOWN_OR_PAST and second["errors"][0]["row"] == 3
    assert third["errors"][0]["code"] == "E_NO_BASE_RECORD"
    with platform.db.transaction() as session:
        business = session.scalars(
            select(Business).where(Business.business_no == first["business_no"])
        ).one()
        assert business.batch_job_id == job["id"] and business.item_code == "base_adjustment"


def test_run_pending_jobs_processes_everything(platform, sandbox_id, insured, manual_jobs):  # type: ignore[no-untyped-def]
    actor, id_number = insured
    content = three_rows(platform, sandbox_id, id_number)
    job = submit_async(platform, sandbox_id, "base_adjustment", "a.xlsx", content, actor=actor)
    assert job["当前状态"] == "待处理"  # manual: nothing ran yet
    assert job["id"] in run_pending_jobs(platform, sandbox_id=sandbox_id)
    assert run_pending_jobs(platform, sandbox_id=sandbox_id) == []
    done = job_details(platform, sandbox_id, job["id"], unit_id=actor.unit_id)
    assert (done["当前状态"], done["错误数量"]) == ("处理完成", 2)


def test_a_refused_file_leaves_nothing(platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    """I7-1: larger than 10 MB is refused before parsing; wrong headers before any write."""
    actor, id_number = insured
    before = snapshot(platform, sandbox_id)
    too_large = b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(Refused) as large:
        enqueue_batch(platform, sandbox_id, "base_adjustment", "big.xlsx", too_large, actor=actor)
    assert large.value.problem.code == "E_FILE_TOO_LARGE"
    assert large.value.problem.behaviour_id == "I7-1"
    wrong = workbook_from_rows(COLUMNS[:3], [[id_number, "", ""]])
    with pytest.raises(Refused) as headers:
        enqueue_batch(platform, sandbox_id, "base_adjustment", "w.xlsx", wrong, actor=actor)
    assert headers.value.problem.code == "E_TEMPLATE_HEADERS"
    assert snapshot(platform, sandbox_id) == before


# --- the API ------------------------------------------------------------------------------------


def token_for(client, platform, sandbox_id, unit_id) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        unit = session.get(Unit, unit_id)
        account = session.scalars(select(Account).where(Account.unit_id == unit_id)).first()
        body = {"uscc": unit.uscc, "id_number": account.id_number, "password": PASSWORD}
    reply = client.post(f"/api/v1/sandboxes/{sandbox_id}/login", json=body)
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def test_the_api_upload_and_refresh(client, platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    actor, id_number = insured
    headers = token_for(client, platform, sandbox_id, actor.unit_id)
    template = client.get("/api/v1/items/base_adjustment/template")
    assert template.status_code == 200
    url = f"/api/v1/sandboxes/{sandbox_id}/base-adjustments"
    content = three_rows(platform, sandbox_id, id_number)
    reply = client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(content), "基数调整.xlsx")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 202, reply.get_json()
    job_id = reply.get_json()["id"]
    listed = client.get(url, headers=headers).get_json()["处理详情"]
    assert listed[0]["id"] == job_id and listed[0]["文件名称"] == "基数调整.xlsx"
    assert "rows" not in listed[0]
    one = client.get(f"{url}/{job_id}", headers=headers).get_json()
    assert one["当前状态"] == "处理完成" and len(one["rows"]) == 3  # in-memory: processed inline
    assert client.get(url).status_code == 401
    _, other = add_unit(platform, sandbox_id, name="别家公司")
    foreign = token_for(client, platform, sandbox_id, other.unit_id)
    assert client.get(f"{url}/{job_id}", headers=foreign).status_code == 404
    assert client.get(url, headers=foreign).get_json()["处理详情"] == []
    # 结果下载 (I7-2): the rows as uploaded, each followed by its result
    result_url = f"/api/v1/sandboxes/{sandbox_id}/batches/{job_id}/result"
    download = client.get(result_url, headers=headers)
    assert download.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(download.data)).get_sheet_by_index(0)
    header, *rows = sheet.to_python()
    assert header[: len(COLUMNS)] == [column.title for column in COLUMNS]
    assert [row[len(COLUMNS)] for row in rows] == ["成功", "失败", "失败"]
    assert all(row[-2] for row in rows[1:])  # the refused rows say why
    assert client.get(result_url, headers=foreign).status_code == 404


def test_the_api_refuses_a_large_file(client, platform, sandbox_id, insured):  # type: ignore[no-untyped-def]
    actor, _ = insured
    headers = token_for(client, platform, sandbox_id, actor.unit_id)
    big = io.BytesIO(b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024))
    reply = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/base-adjustments",
        headers=headers,
        data={"file": (big, "big.xlsx")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 413
    assert reply.get_json()["code"] == "E_FILE_TOO_LARGE"
    with platform.db.transaction() as session:
        assert (
            session.scalars(select(UploadedFile).where(UploadedFile.sandbox_id == sandbox_id)).all()
            == []
        )


# --- the background worker (thread mode, on a database file) ----------------------------------------


def test_the_background_worker_processes_in_chunks(tmp_path):  # type: ignore[no-untyped-def]
    platform = Platform(
        f"sqlite:///{tmp_path / 'jobs.db'}",
        settings={"jobs.mode": "thread", "jobs.chunk_size": 1, "jobs.chunk_pause_seconds": 0.2},
    )
    platform.create_schema()
    sandbox_id = f"t-{uuid.uuid4().hex[:8]}"
    platform.create_sandbox(sandbox_id, clock="2021-08-16")
    try:
        _, actor = add_unit(platform, sandbox_id)
        id_number = add_person(platform, sandbox_id, name="李四")
        enrol(platform, sandbox_id, actor, id_number)
        content = three_rows(platform, sandbox_id, id_number)
        job = submit_async(platform, sandbox_id, "base_adjustment", "t.xlsx", content, actor=actor)
        assert job["当前状态"] == "待处理"  # answered before any row was processed
        seen: set[tuple[str, int]] = set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = job_details(platform, sandbox_id, job["id"], unit_id=actor.unit_id)
            seen.add((now["当前状态"], now["已处理"]))
            if now["当前状态"] == "处理完成":
                break
            time.sleep(0.02)
        assert ("处理完成", 3) in seen
        assert any(state == "处理中" and 0 < done < 3 for state, done in seen), seen
        with platform.db.transaction() as session:
            assert session.get(BatchJob, job["id"]).errors == 2
            assert session.scalars(
                select(QueuedJobRow.state)
                .where(QueuedJobRow.batch_job_id == job["id"])
                .order_by(QueuedJobRow.row_number)
            ).all() == ["成功", "失败", "失败"]
    finally:
        runner_for(platform).stop()
        platform.delete_sandbox(sandbox_id)
        platform.db.dispose()

"""Batch 用人单位用工参保登记 the set-based way (``simulator.bulk``) gives exactly what the
row-by-row path gives (I3-12): the same per-row results, relations, employments, back-pay
lines, 办件 with their traces and effects, and counters — for a file that triggers every
documented refusal of I3 (the ``every-error`` world, docs/worlds.md) plus rows that
interact (the same person twice) and valid rows with back pay beyond six months.

Also: a bulk-created business is rolled back like any other (I6-1), and a malformed or
oversized workbook changes nothing (PREP-2, I7-1).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from plugins.items.employment_enrolment import EmploymentEnrolment
from plugins.items.rollback import candidates
from simulator import hookimpl
from simulator.batch import submit_batch
from simulator.context import Actor
from simulator.contributions import monthly_contribution, round_money
from simulator.db.models import TRACE_ENTRIES_REF as ENTRIES_REF
from simulator.db.models import TRACE_ENTRY_REF as ENTRY_REF
from simulator.db.models import (
    Account,
    Base,
    BatchJob,
    BenefitPayment,
    Business,
    BusinessEffect,
    Counter,
    Employment,
    InsuredRelation,
    Person,
    Unit,
    stored_trace,
)
from simulator.errors import Refused
from simulator.identifiers import generate_resident_id
from simulator.jobs import job_details
from simulator.platform import Platform
from simulator.workbooks import workbook_from_rows
from simulator.worlds import load_world

pytestmark = pytest.mark.db  # also run against PostgreSQL by .ci/run

ITEM = "employment_enrolment"
MAIN = "91320115885976376T"  # every-error: 南京示例机械制造有限公司, not an HR agency

# every-error people (docs/worlds.md)
WANG_HAO = "320113199804061558"  # collected, never insured: the happy path
LIN_XIAOYU = "320581200010190300"  # I3-4 no base record
HE_ZHIMING = "320113198608161055"  # I3-5 pension active at the former unit
MA_JIANJUN = "320115198312020619"  # I3-6 insured elsewhere for every type
GAO_DEMING = "320106195803020197"  # I3-6 past the statutory age
LUO_GUOPING = "320114196610280915"  # I3-6 draws a pension
ZHANG_MIN = "320105199102141764"  # I3-7 two base records
LIU_FANG = "320116198907072027"  # I3-8 unemployment benefit 2021-04 … 2021-07
CHEN_GANG = "320117198403251255"  # I3-9 flexible employment
HUANG_LI = "320118199309170724"  # I3-10 户籍性质 empty
XU_JING = "320104198801110464"  # collected, not insured
TANG_WEN = "320104198206301098"  # 事业编制职工 of the school (210/410): 110 is free
ZHOU_JIANHUA = "320115198504120315"  # already insured at main

# people this test adds (deterministic numbers, so both sandboxes hold the same data)
PROJECT_WORKER = generate_resident_id("320115", date(1990, 3, 3), 11, "男")
BENEFIT_IN_START_MONTH = generate_resident_id("320115", date(1991, 4, 4), 12, "男")
BENEFIT_RETURNED = generate_resident_id("320115", date(1992, 5, 5), 13, "女")
STOPPED_ELSEWHERE = generate_resident_id("320115", date(1985, 6, 6), 14, "男")
FEMALE_52 = generate_resident_id("320115", date(1969, 2, 2), 15, "女")
OLD_INJURY = generate_resident_id("320115", date(1975, 7, 7), 16, "男")
INJURED_LEVEL_2 = generate_resident_id("320115", date(1978, 8, 8), 17, "男")
UNKNOWN = generate_resident_id("320115", date(1993, 8, 8), 17, "男")


def row(id_number: str, start: str = "2021-05-10", **fields: str) -> dict[str, str]:
    return {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_type": "41",
        "contract_start": start,
        "job_type": "07",
        "base": "6000",
        **fields,
    }


ROWS: list[dict[str, str]] = [
    row(WANG_HAO, "2020-11-01"),  # PER-5: six months online, the older ones at the counter
    row(LIN_XIAOYU),  # I3-4
    row(HE_ZHIMING),  # I3-5
    row(MA_JIANJUN),  # I3-6
    row(GAO_DEMING),  # I3-6
    row(LUO_GUOPING),  # I3-6
    row(ZHANG_MIN),  # I3-7
    row(ZHANG_MIN, person_no="3201000000000099"),  # I3-7: a number that is none of them
    row(ZHANG_MIN, person_no="3201000000000011"),  # I3-7: one chosen, registered
    row(ZHANG_MIN, person_no="3201000000000010"),  # …then the other record: the same person
    row(LIU_FANG, "2021-04-01"),  # I3-8
    row(CHEN_GANG),  # I3-9
    row(HUANG_LI),  # I3-10
    row(XU_JING, dispatch_type="1"),  # I3-11: not an HR agency
    row(WANG_HAO),  # the same person again in the same file
    row(ZHOU_JIANHUA),  # already insured here before the file
    row(XU_JING, "2021-08-01", base="3000"),  # 保底, one month of back pay
    row(TANG_WEN, "2021-06-15", base="30000"),  # 封顶; insured for 210/410 elsewhere
    row(PROJECT_WORKER, "2021-07-01"),  # a project relation never blocks
    row(BENEFIT_IN_START_MONTH, "2021-05-10"),  # benefit in the start month itself
    row(BENEFIT_RETURNED, "2021-05-10"),  # benefit returned at the counter
    row(STOPPED_ELSEWHERE, "2021-03-01", base="5000.50"),
    row(FEMALE_52, "2021-08-01"),  # past 50 (women workers)
    row(FEMALE_52, "2021-08-01", female_cadre="是"),  # …but not 55 (cadres)
    row(FEMALE_52, "2021-08-01", female_cadre="是"),  # …and then insured here
    row(OLD_INJURY, "2021-02-01", identity="103"),  # 老工伤人员: 410 only
    row(OLD_INJURY, identity="201"),  # an identity of 人员参保登记
    row(INJURED_LEVEL_2, "2021-06-01"),  # F-3: pension months from 2021-10 at the allowance
    row(UNKNOWN),  # I3-4 again
    row("320115199308080171"),  # a wrong check digit
    row(WANG_HAO, job_type=""),  # ★ missing
    row(WANG_HAO, "2021-13-01"),  # not a date
    row(WANG_HAO, contract_end="2020-01-01"),  # ends before it starts
    row(WANG_HAO, name="王小浩"),  # not the name of the record
    row(WANG_HAO, contract_reason="9"),  # not a code
    row(XU_JING, "2022-09-01", base="3000"),  # refused in 2021 (not started), split in 2023
]


# --- sandboxes -------------------------------------------------------------------------------


def add_people(platform: Platform, sandbox_id: str) -> None:
    """The people this test adds to the world, with their situations."""
    with platform.db.transaction() as session:
        main, former = (
            session.scalar(select(Unit.id).where(Unit.sandbox_id == sandbox_id, Unit.uscc == uscc))
            for uscc in (MAIN, "913201138249132839")
        )
        specs = [
            (PROJECT_WORKER, "项目工", "男", date(1990, 3, 3)),
            (BENEFIT_IN_START_MONTH, "失业甲", "男", date(1991, 4, 4)),
            (BENEFIT_RETURNED, "失业乙", "女", date(1992, 5, 5)),
            (STOPPED_ELSEWHERE, "停保丙", "男", date(1985, 6, 6)),
            (FEMALE_52, "女干部", "女", date(1969, 2, 2)),
            (OLD_INJURY, "老工伤", "男", date(1975, 7, 7)),
            (INJURED_LEVEL_2, "二级伤残", "男", date(1978, 8, 8)),
        ]
        ids = {}
        for index, (id_number, name, gender, birth) in enumerate(specs):
            injured = id_number == INJURED_LEVEL_2
            ids[id_number] = session.execute(
                insert(Person)
                .values(
                    sandbox_id=sandbox_id,
                    person_no=f"32019900000000{index:02d}",
                    id_number=id_number,
                    name=name,
                    gender=gender,
                    birth_date=birth,
                    hukou_nature="11",
                    work_injury_level=2 if injured else None,
                    disability_allowance=Decimal("3000.00") if injured else None,
                )
                .returning(Person.id)
            ).scalar_one()

        def relation(id_number: str, unit_id: int | None, **values: Any) -> dict[str, Any]:
            return {
                "sandbox_id": sandbox_id,
                "person_id": ids[id_number],
                "unit_id": unit_id,
                "identity": "101",
                "kind": "employee",
                "start_month": "2020-01",
                "status": "1",
                "stop_month": None,
                "base": Decimal(5000),
                "declared_base": Decimal(5000),
                **values,
            }

        session.execute(
            insert(InsuredRelation),
            [
                relation(PROJECT_WORKER, main, insurance_code="410", kind="project", identity="401"),
                relation(STOPPED_ELSEWHERE, former, insurance_code="110", status="3",
                         stop_month="2020-12"),
                relation(STOPPED_ELSEWHERE, former, insurance_code="210", status="3",
                         stop_month="2020-12"),
            ],
        )  # fmt: skip
        session.execute(
            insert(BenefitPayment),
            [
                {"sandbox_id": sandbox_id, "person_id": ids[BENEFIT_IN_START_MONTH],
                 "month": "2021-05", "amount": Decimal(1860), "returned_on": None},
                {"sandbox_id": sandbox_id, "person_id": ids[BENEFIT_RETURNED],
                 "month": "2021-06", "amount": Decimal(1860), "returned_on": date(2021, 8, 1)},
            ],
        )  # fmt: skip


def legal_rep(platform: Platform, sandbox_id: str, uscc: str = MAIN) -> Actor:
    with platform.db.transaction() as session:
        unit_id, account_id, name = session.execute(
            select(Unit.id, Account.id, Account.name)
            .join(Account, Account.unit_id == Unit.id)
            .where(Unit.sandbox_id == sandbox_id, Unit.uscc == uscc, Account.role == "legal_rep")
        ).one()
    return Actor(unit_id=unit_id, name=name, role="legal_rep", account_id=account_id)


@contextmanager
def world(platform: Platform, clock: str | None = None) -> Iterator[tuple[str, Actor]]:
    """A sandbox with the every-error world and this test's people."""
    sandbox_id = f"t-{uuid.uuid4().hex[:10]}"
    platform.create_sandbox(sandbox_id)
    try:
        load_world(platform, sandbox_id, "every-error")
        add_people(platform, sandbox_id)
        if clock:
            platform.set_clock(sandbox_id, clock)
        yield sandbox_id, legal_rep(platform, sandbox_id)
    finally:
        platform.delete_sandbox(sandbox_id)


def workbook(rows: list[dict[str, str]]) -> bytes:
    columns = EmploymentEnrolment.batch_columns
    return workbook_from_rows(columns, [[r.get(c.key, "") for c in columns] for r in rows])


def upload(
    platform: Platform, sandbox_id: str, actor: Actor, content: bytes, *, bulk: bool
) -> dict[str, Any]:
    saved = platform.settings.get("batch.bulk")
    platform.settings["batch.bulk"] = bulk
    try:
        offered = platform.item(ITEM).bulk_batch(platform)
        assert (offered is not None) is bulk  # the path under test is the one taken
        return submit_batch(platform, sandbox_id, ITEM, "增员.xlsx", content, actor=actor)
    finally:
        if saved is None:
            platform.settings.pop("batch.bulk", None)
        else:
            platform.settings["batch.bulk"] = saved


# --- what the sandbox holds, without ids ---------------------------------------------------


def contents(platform: Platform, sandbox_id: str) -> dict[str, list[Any]]:
    """Employments, relations, back pay, 办件 (with trace), effects and counters of a
    sandbox; every id replaced by what it stands for (person and business numbers …)."""
    with platform.db.transaction() as session:

        def rows(model: type[Base]) -> list[dict[str, Any]]:
            table = model.__table__
            query = select(table).where(table.c.sandbox_id == sandbox_id).order_by(table.c.id)
            return [dict(r._mapping) for r in session.execute(query)]

        people = {r["id"]: r["person_no"] for r in rows(Person)}
        units = {r["id"]: r["uscc"] for r in rows(Unit)}
        businesses = {r["id"]: r["business_no"] for r in rows(Business)}
        keys: dict[str, dict[int, Any]] = {"people": people, "units": units}

        def plain(name: str, record: dict[str, Any]) -> dict[str, Any]:
            out = dict(record)
            out.pop("id", None)
            out.pop("sandbox_id", None)
            out.pop("batch_job_id", None)
            for column, mapping in (
                ("person_id", people),
                ("unit_id", units),
                ("business_id", businesses),
                ("rolled_back_by", businesses),
                ("employment_id", keys.get("employments", {})),
                ("relation_id", keys.get("insured_relations", {})),
            ):
                if column in out and out[column] is not None:
                    out[column] = mapping[out[column]]
            if name == "business_effects":
                out["row_id"] = keys[out["table_name"]][out["row_id"]]
            return out

        out: dict[str, list[Any]] = {}
        for model in (Employment, InsuredRelation, Business, BenefitPayment):
            name = model.__tablename__
            records = rows(model)
            if model is Business:  # a batch 办件's trace references its job's shared entries
                records = [
                    {**r, "trace": stored_trace(session, SimpleNamespace(**r))} for r in records
                ]
            listed = [plain(name, r) for r in records]
            keys[name] = {
                r["id"]: repr(sorted(p.items())) for r, p in zip(records, listed, strict=True)
            }
            out[name] = sorted(repr(sorted(p.items())) for p in listed)
        from simulator.db.models import ContributionLine

        records = rows(ContributionLine)
        keys["contribution_lines"] = {
            r["id"]: repr(sorted(plain("contribution_lines", r).items())) for r in records
        }
        out["contribution_lines"] = sorted(keys["contribution_lines"].values())
        out["business_effects"] = sorted(
            repr(sorted(plain("business_effects", r).items())) for r in rows(BusinessEffect)
        )
        out["counters"] = sorted(
            (c.name, c.value)
            for c in session.scalars(select(Counter).where(Counter.sandbox_id == sandbox_id))
        )
        return out


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "clock",
    [
        None,  # the world's 2021-08-16: fee month 2021-09
        "2023-01-16",  # back pay across the floor change of 2023-01 (lines split)
        "2021-11-16",  # back pay across 2021-10, from when F-3 applies (lines split)
        "2021-07-15",  # before the provincial platform (PER-7): back pay elsewhere
    ],
)
def test_bulk_gives_what_row_by_row_gives(platform: Platform, clock: str | None) -> None:
    content = workbook(ROWS)
    with (
        world(platform, clock) as (bulk_sandbox, bulk_actor),
        world(platform, clock) as (
            row_sandbox,
            row_actor,
        ),
    ):
        bulk = upload(platform, bulk_sandbox, bulk_actor, content, bulk=True)
        one_by_one = upload(platform, row_sandbox, row_actor, content, bulk=False)
        assert bulk["rows"] == one_by_one["rows"]
        for key in ("数据总数", "已处理", "错误数量", "当前状态"):
            assert bulk[key] == one_by_one[key]
        bulk_state = contents(platform, bulk_sandbox)
        row_state = contents(platform, row_sandbox)
        for table in row_state:
            assert bulk_state[table] == row_state[table], table

    results = [(r["row"], r["ok"], r.get("errors", [{}])[0].get("code")) for r in bulk["rows"]]
    assert len(results) == len(ROWS)
    codes = {code for _, ok, code in results if not ok}
    documented = {
        "E_NO_BASE_RECORD",  # I3-4
        "E_PENSION_ACTIVE",  # I3-5
        "E_NO_IDENTITY",  # I3-6
        "E_SEVERAL_RECORDS",  # I3-7
        "E_UNEMPLOYMENT_BENEFIT",  # I3-8
        "E_FLEX_INSURED",  # I3-9
        "E_HUKOU_NATURE_EMPTY",  # I3-10
        "E_HR_FIELDS_NOT_ALLOWED",  # I3-11
        "E_ALREADY_INSURED_HERE",
    }
    assert documented <= codes, documented - codes
    assert sum(ok for _, ok, _ in results) >= 8


@pytest.mark.parametrize("bulk", [True, False])
def test_on_the_paused_days_the_upload_is_refused_and_nothing_kept(
    platform: Platform, bulk: bool
) -> None:
    """PER-2, as the queued path (simulator.jobs) refuses it: no job, no file, no row."""
    with world(platform, "2021-09-08") as (sandbox_id, actor):
        before = contents(platform, sandbox_id)
        with pytest.raises(Refused) as refused:
            upload(platform, sandbox_id, actor, workbook(ROWS), bulk=bulk)
        assert refused.value.problem.code == "E_PAUSED_PERIOD"
        with platform.db.transaction() as session:
            jobs = session.scalars(select(BatchJob).where(BatchJob.sandbox_id == sandbox_id))
            assert not jobs.all()
        assert contents(platform, sandbox_id) == before


def test_the_first_row_of_a_person_is_registered_the_second_refused(platform: Platform) -> None:
    with world(platform) as (sandbox_id, actor):
        job = upload(
            platform, sandbox_id, actor, workbook([row(WANG_HAO), row(WANG_HAO)]), bulk=True
        )
    first, second = job["rows"]
    assert first["ok"] and first["data"]["id_number"] == WANG_HAO
    assert not second["ok"] and second["errors"][0]["code"] == "E_ALREADY_INSURED_HERE"
    assert second["errors"][0]["field"] == "id_number"
    assert second["errors"][0]["column"] == "证件号码"  # the template's header
    assert (job["数据总数"], job["错误数量"]) == (2, 1)


def test_a_batch_keeps_its_shared_trace_once_and_its_inserts_as_ranges(
    platform: Platform,
) -> None:
    """Issue 5: a 办件's trace references the job's shared parameter entries, and its
    inserts into one table are one effect record (``row_count``), not one per row."""
    with world(platform) as (sandbox_id, actor):
        rows = [row(WANG_HAO, "2021-03-01"), row(XU_JING, "2021-08-01")]
        job = upload(platform, sandbox_id, actor, workbook(rows), bulk=True)
        assert all(r["ok"] for r in job["rows"])
        with platform.db.transaction() as session:
            stored = session.get(BatchJob, job["id"])
            assert stored is not None and stored.trace_entries
            businesses = session.scalars(
                select(Business).where(Business.batch_job_id == job["id"])
            ).all()
            for business in businesses:
                refs = [item for item in business.trace if {ENTRY_REF, ENTRIES_REF} & set(item)]
                assert refs and all(set(item) in ({ENTRY_REF}, {ENTRIES_REF}) for item in refs)
                assert any(ENTRIES_REF in item for item in refs)  # runs are one reference
                expanded = stored_trace(session, business)
                assert not any({ENTRY_REF, ENTRIES_REF} & set(item) for item in expanded)
                assert any(item.get("path", "").startswith("rates.") for item in expanded)
                effects = session.scalars(
                    select(BusinessEffect).where(BusinessEffect.business_id == business.id)
                ).all()
                tables = [effect.table_name for effect in effects]
                assert len(tables) == len(set(tables))  # one record per table
                assert sum(effect.row_count for effect in effects) > len(effects)


def test_a_job_keeps_a_done_rows_data_once_in_its_business(platform: Platform) -> None:
    """处理详情 shows each done row's data; the job does not store it twice: the row's
    办件 keeps it, and reading the job puts it back."""
    with world(platform) as (sandbox_id, actor):
        rows = [row(WANG_HAO, "2021-05-01"), row(LIN_XIAOYU)]
        job = upload(platform, sandbox_id, actor, workbook(rows), bulk=True)
        with platform.db.transaction() as session:
            stored = session.get(BatchJob, job["id"])
            assert stored is not None
            assert [("data" in r, r["ok"]) for r in stored.rows] == [(False, True), (False, False)]
        details = job_details(platform, sandbox_id, job["id"], unit_id=actor.unit_id)
    assert details is not None and details["rows"] == job["rows"]
    assert details["rows"][0]["data"]["补缴明细"]


def test_back_pay_beyond_six_months(platform: Platform) -> None:
    """PER-4, PER-5 in a batch: six months online, the rest listed for the counter."""
    with world(platform) as (sandbox_id, actor):
        job = upload(
            platform, sandbox_id, actor, workbook([row(WANG_HAO, "2020-11-01")]), bulk=True
        )
    (done,) = job["rows"]
    pension = next(x for x in done["data"]["补缴明细"] if x["险种"] == "110")
    assert (pension["起止年月"], pension["补缴月数"]) == ("202103-202108", 6)
    assert pension["补退流水号"].startswith("BT20210816")
    assert done["data"]["counter_backpay_months"] == ["2020-11", "2020-12", "2021-01", "2021-02"]
    (notice,) = done["notices"]  # as the single answer gives it
    assert notice["message"] == "超过六个月的补缴需要到柜台申请，网上只能补缴六个月内的"
    assert notice["months"] == ["2020-11", "2020-12", "2021-01", "2021-02"]


def test_the_result_workbook_shows_a_done_rows_notices() -> None:
    from python_calamine import CalamineWorkbook

    from simulator.workbooks import result_workbook

    notice = {"message": "超过六个月的补缴需要到柜台申请，网上只能补缴六个月内的",
              "months": ["2020-12"], "remedy": "请至柜台申请。"}  # fmt: skip
    done = {"row": 2, "ok": True, "business_no": "B1", "message": "办理成功", "notices": [notice]}
    content = result_workbook([], [(2, {})], [done], sheet_title="结果")
    (_, row) = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert row == ["成功", "B1", "", f"办理成功；{notice['message']}（2020-12）", "请至柜台申请。"]


def snapshot(platform: Platform, sandbox_id: str, *, skip: frozenset[str]) -> dict[str, Any]:
    with platform.db.transaction() as session:
        out = {}
        for name, table in Base.metadata.tables.items():
            if name in skip or "sandbox_id" not in table.c:
                continue
            query = select(table).where(table.c.sandbox_id == sandbox_id)
            out[name] = sorted(repr(tuple(r)) for r in session.execute(query))
        return out


BOOKKEEPING = frozenset(
    {"businesses", "business_effects", "counters", "uploaded_files", "batch_jobs", "audit_log"}
)


def test_rolling_back_bulk_rows_restores_the_data(platform: Platform) -> None:
    """I6-1: a business made by the bulk path has its effects; rolled back, they are gone."""
    with world(platform) as (sandbox_id, actor):
        before = snapshot(platform, sandbox_id, skip=BOOKKEEPING)
        rows = [row(WANG_HAO, "2020-11-01"), row(LIN_XIAOYU), row(XU_JING, "2021-08-01")]
        job = upload(platform, sandbox_id, actor, workbook(rows), bulk=True)
        assert [r["ok"] for r in job["rows"]] == [True, False, True]
        assert snapshot(platform, sandbox_id, skip=BOOKKEEPING) != before
        listed = candidates(platform, sandbox_id, actor, WANG_HAO)
        assert [r["业务编号"] for r in listed] == [job["rows"][0]["business_no"]]
        for done in reversed([r for r in job["rows"] if r["ok"]]):
            outcome = platform.submit(
                sandbox_id,
                "rollback",
                {"id_number": done["data"]["id_number"], "business_no": done["business_no"]},
                actor=actor,
            )
            assert outcome.message == "回退成功"
            assert outcome.data["effects_undone"] >= 4  # employment, 3 relations, back pay
        assert snapshot(platform, sandbox_id, skip=BOOKKEEPING) == before
        with platform.db.transaction() as session:
            states = session.scalars(
                select(Business.state).where(Business.sandbox_id == sandbox_id,
                                             Business.item_code == ITEM)
            ).all()  # fmt: skip
        assert states == ["已回退", "已回退"]


def _oversized(max_bytes: int) -> bytes:
    return b"PK\x03\x04" + b"\x00" * max_bytes


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("增员.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "E_FILE_FORMAT"),
        ("增员.xlsx", "证件号码,合同增加原因\n".encode(), "E_FILE_FORMAT"),
        ("增员.xlsx", b"PK\x03\x04 not really a zip", "E_FILE_FORMAT"),
        ("增员.xlsx", "headers", "E_TEMPLATE_HEADERS"),
        ("增员.xlsx", "empty", "E_EMPTY_WORKBOOK"),
        ("增员.xlsx", "oversized", "E_FILE_TOO_LARGE"),
    ],
)
def test_a_malformed_or_oversized_workbook_changes_nothing(
    platform: Platform, filename: str, content: Any, code: str
) -> None:
    with world(platform) as (sandbox_id, actor):
        if content == "headers":
            from simulator.workbooks import Column

            content = workbook_from_rows(
                [Column("a", "证件号码"), Column("b", "姓名")], [["x", "y"]]
            )
        elif content == "empty":
            content = workbook([])
        elif content == "oversized":
            with platform.sandbox_session(sandbox_id) as ctx:
                content = _oversized(int(ctx.parameters().value("upload.max_bytes")))
        before = snapshot(platform, sandbox_id, skip=frozenset())
        with pytest.raises(Refused) as refused:
            upload(platform, sandbox_id, actor, content, bulk=True).get("rows")
        assert refused.value.problem.code == code
        assert snapshot(platform, sandbox_id, skip=frozenset()) == before
        with platform.db.transaction() as session:
            assert not session.scalars(
                select(BatchJob).where(BatchJob.sandbox_id == sandbox_id)
            ).all()


class _ApplyPlugin:
    @hookimpl
    def apply_business(self, context, item, payload, result):  # type: ignore[no-untyped-def]
        return None


def test_the_bulk_path_is_offered_only_when_it_can_be_exact(platform: Platform) -> None:
    item = platform.item(ITEM)
    assert item.bulk_batch(platform) is not None
    plugin = _ApplyPlugin()
    platform.pm.register(plugin, name="test-bulk-apply-business")
    try:  # another plugin's effects could not be batched: row by row
        assert item.bulk_batch(platform) is None
    finally:
        platform.pm.unregister(plugin)
    assert item.bulk_batch(platform) is not None
    for code, other in platform.items.items():
        if code != ITEM:
            assert other.bulk_batch(platform) is None, code


@settings(max_examples=300, deadline=None)
@given(
    base=st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False),
    code=st.sampled_from(["110", "210", "410"]),
    month=st.integers(min_value=2020 * 12, max_value=2026 * 12 + 11),
    industry_class=st.integers(min_value=1, max_value=8),
    tier=st.one_of(st.none(), st.integers(min_value=1, max_value=3)),
)
def test_amounts_are_the_base_times_the_rates_of_the_month(
    shared_platform: Platform,
    base: Decimal,
    code: str,
    month: int,
    industry_class: int,
    tier: int | None,
) -> None:
    """The bulk path prices a back-pay month as ``round_money(base × rate)`` with the rates
    ``monthly_contribution`` gives for the type and month (PER-8): pinned here, so that a
    rule added to ``monthly_contribution`` cannot make the two paths differ unnoticed."""
    params = shared_platform.parameters_for(shared_platform.city("320100")).at(
        date(month // 12, month % 12 + 1, 1)
    )
    sample = monthly_contribution(
        code, Decimal(5000), params, industry_class=industry_class, floating_tier=tier
    )
    amount = monthly_contribution(
        code, base, params, industry_class=industry_class, floating_tier=tier
    )
    assert (amount.unit_amount, amount.personal_amount) == (
        round_money(base * sample.unit_rate),
        round_money(base * sample.personal_rate),
    )


def test_back_pay_of_a_level_2_work_injury_employee_uses_the_allowance_from_2021_10(
    platform: Platform,
) -> None:
    """F-3 in back pay, as in monthly settlement: pension months from 2021-10 at the
    disability allowance (not clamped); earlier months and other types at the base."""
    with world(platform, "2021-11-16") as (sandbox_id, actor):
        job = upload(
            platform, sandbox_id, actor, workbook([row(INJURED_LEVEL_2, "2021-06-01")]), bulk=True
        )
        (result,) = job["rows"]
        assert result["ok"], result
        lines = [(d["险种"], d["起止年月"], d["月基数"]) for d in result["data"]["补缴明细"]]
        assert ("110", "202106-202109", "6000") in lines
        assert ("110", "202110-202111", "3000.00") in lines
        assert ("210", "202106-202111", "6000") in lines

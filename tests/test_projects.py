"""工程建设项目登记 and 工程建设项目人员登记维护 (I9-1, I9-2)."""

from __future__ import annotations

from typing import Any

import pytest
from builders import PASSWORD, add_person, add_unit
from sqlalchemy import select

from plugins.items.project_workers import PROJECT_IDENTITY, ProjectWorkers, project_facts
from simulator.batch import submit_batch
from simulator.db.models import Account, Base, InsuredRelation, Unit
from simulator.db.projects import Project, ProjectWorker
from simulator.errors import Refused
from simulator.workbooks import workbook_from_rows

PROJECT = {
    "code": "GC320000-2021-001",
    "name": "宿迁市某住宅小区一期工程",
    "region_code": "321302",
    "cost": "12500000",
    "start_date": "2021-05-01",
    "end_date": "2022-10-31",
}


def snapshot(platform, sandbox_id) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        out = {}
        for name, table in Base.metadata.tables.items():
            if name in {"sandboxes", "counters"} or "sandbox_id" not in table.c:
                continue
            rows = session.execute(
                select(table).where(table.c.sandbox_id == sandbox_id).order_by(*table.primary_key)
            )
            out[name] = [tuple(row) for row in rows]
        return out


@pytest.fixture
def builder(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """A construction company with a registered project."""
    _, actor = add_unit(platform, sandbox_id, name="宿迁建工集团有限公司", industry_class=4)
    platform.submit(sandbox_id, "project_registration", PROJECT, actor=actor)
    return actor


def register(platform, sandbox_id, actor, id_number, **fields: str):  # type: ignore[no-untyped-def]
    payload = {"project_code": PROJECT["code"], "id_number": id_number, "entry_date": "2021-07-05"}
    return platform.submit(sandbox_id, "project_workers", {**payload, **fields}, actor=actor)


# --- the project (I9-1) --------------------------------------------------------------------------


def test_project_registration(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    facts = project_facts(platform, sandbox_id, builder.unit_id, PROJECT["code"])
    assert facts["工程编码"] == PROJECT["code"]
    assert facts["工程名称"] == "宿迁市某住宅小区一期工程"
    assert facts["所属地行政区代码"] == "321302"
    assert facts["工程造价"] == "12500000.00"
    assert (facts["开工日期"], facts["竣工日期"]) == ("2021-05-01", "2022-10-31")
    assert facts["已有人员信息"] == [] and facts["总行数"] == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({}, "E_PROJECT_EXISTS"),  # the fixture registered it already
        ({"code": "GC-2", "region_code": "110101"}, "E_INVALID_INPUT"),  # not in Jiangsu
        ({"code": "GC-2", "cost": "0"}, "E_INVALID_INPUT"),
        ({"code": "GC-2", "end_date": "2021-04-30"}, "E_INVALID_INPUT"),
        ({"code": "GC 2"}, "E_INVALID_INPUT"),
        ({"code": "GC-2", "name": ""}, "E_REQUIRED_FIELD"),
    ],
)
def test_project_refusals(platform, sandbox_id, builder, change, code):  # type: ignore[no-untyped-def]
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, "project_registration", {**PROJECT, **change}, actor=builder)
    assert refused.value.problem.code == code
    assert snapshot(platform, sandbox_id) == before


def test_a_project_may_be_registered_on_paused_days(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    """PER-2 names 工程建设项目人员登记, not the project: it registers no one's insurance."""
    platform.set_clock(sandbox_id, "2021-09-08")
    platform.submit(sandbox_id, "project_registration", {**PROJECT, "code": "GC-2"}, actor=builder)


# --- the people (I9-2) ------------------------------------------------------------------------------


def test_registering_a_worker_insures_work_injury_from_the_entry_month(
    platform, sandbox_id, builder
):  # type: ignore[no-untyped-def]
    id_number = add_person(platform, sandbox_id, name="郑十", gender="男")
    outcome = register(platform, sandbox_id, builder, id_number, name="郑十")
    assert outcome.message == "建筑施工人员参保登记成功"
    assert outcome.data["入场日期"] == "2021-07-05" and outcome.data["离场日期"] is None
    with platform.db.transaction() as session:
        relation = session.scalars(
            select(InsuredRelation).where(InsuredRelation.sandbox_id == sandbox_id)
        ).one()
        assert (relation.kind, relation.insurance_code, relation.identity) == (
            "project",
            "410",
            PROJECT_IDENTITY,
        )
        assert (relation.start_month, relation.stop_month, relation.status) == (
            "2021-07",
            None,
            "1",
        )
        assert relation.unit_id == builder.unit_id and relation.base is None
        worker = session.scalars(select(ProjectWorker)).one()
        assert worker.relation_id == relation.id
    facts = project_facts(platform, sandbox_id, builder.unit_id, PROJECT["code"])
    (row,) = facts["已有人员信息"]
    assert row["证件号码"] == id_number and row["姓名"] == "郑十" and row["性别"] == "男"
    assert row["个人编号"] and row["入场日期"] == "2021-07-05" and row["离场日期"] is None
    assert facts["在场人数"] == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"entry_date": "2021-04-30"}, "E_ENTRY_OUTSIDE_PROJECT"),
        ({"entry_date": "2022-11-01"}, "E_ENTRY_OUTSIDE_PROJECT"),
        ({"project_code": "GC-NONE"}, "E_NO_PROJECT"),
        ({"exit_date": "2021-07-01"}, "E_INVALID_INPUT"),  # before the entry
        ({"exit_date": "2021-08-17"}, "E_INVALID_INPUT"),  # after today
        ({"entry_date": "2021-08-17"}, "E_INVALID_INPUT"),  # after today
        ({"name": "别人"}, "E_INVALID_INPUT"),
        ({"entry_date": ""}, "E_REQUIRED_FIELD"),
        ({"action": "delete"}, "E_INVALID_INPUT"),
    ],
)
def test_worker_refusals(platform, sandbox_id, builder, fields, code):  # type: ignore[no-untyped-def]
    id_number = add_person(platform, sandbox_id)
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        register(platform, sandbox_id, builder, id_number, **fields)
    assert refused.value.problem.code == code
    assert snapshot(platform, sandbox_id) == before


def test_entry_outside_names_the_project_dates(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    id_number = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        register(platform, sandbox_id, builder, id_number, entry_date="2021-04-30")
    assert refused.value.problem.message == (
        "入场日期须在工程开工日期（2021-05-01）至竣工日期（2022-10-31）之间"
    )
    assert refused.value.problem.behaviour_id == "I9-2"


def test_an_entry_date_after_today_is_refused(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    """I9-2: no stay is registered ahead — it would block registering the real entry."""
    id_number = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        register(platform, sandbox_id, builder, id_number, entry_date="2021-09-01")
    problem = refused.value.problem
    assert (problem.code, problem.field, problem.message) == (
        "E_INVALID_INPUT",
        "entry_date",
        "入场日期不能晚于经办当日",
    )
    # the same style as the exit date's rule
    with pytest.raises(Refused) as exit_refused:
        register(platform, sandbox_id, builder, id_number, exit_date="2021-08-17")
    assert exit_refused.value.problem.message == "离场日期不能晚于经办当日"
    # nothing blocks the real entry, today included
    outcome = register(platform, sandbox_id, builder, id_number, entry_date="2021-08-16")
    assert outcome.data["入场日期"] == "2021-08-16"


def test_a_batch_row_with_an_entry_date_after_today_is_refused(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    people = [add_person(platform, sandbox_id, name=f"工人{i}") for i in range(2)]
    rows = [
        [PROJECT["code"], people[0], "", "", "2021-08-20", ""],  # after today
        [PROJECT["code"], people[1], "", "", "2021-08-16", ""],
    ]
    content = workbook_from_rows(ProjectWorkers.batch_columns, rows)
    job = submit_batch(platform, sandbox_id, "project_workers", "工人.xlsx", content, actor=builder)
    assert [row["ok"] for row in job["rows"]] == [False, True]
    assert job["rows"][0]["errors"][0]["message"] == "入场日期不能晚于经办当日"


def test_a_worker_on_site_cannot_be_registered_twice(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    id_number = add_person(platform, sandbox_id)
    register(platform, sandbox_id, builder, id_number)
    with pytest.raises(Refused) as refused:
        register(platform, sandbox_id, builder, id_number, entry_date="2021-08-01")
    assert refused.value.problem.code == "E_WORKER_ON_PROJECT"
    # after the exit, a new stay can be registered
    platform.submit(
        sandbox_id,
        "project_workers",
        {
            "action": "exit",
            "project_code": PROJECT["code"],
            "id_number": id_number,
            "exit_date": "2021-07-31",
        },
        actor=builder,
    )
    register(platform, sandbox_id, builder, id_number, entry_date="2021-08-10")
    facts = project_facts(platform, sandbox_id, builder.unit_id, PROJECT["code"])
    assert [(r["入场日期"], r["离场日期"]) for r in facts["已有人员信息"]] == [
        ("2021-07-05", "2021-07-31"),
        ("2021-08-10", None),
    ]


def test_maintaining_the_exit_date_ends_the_cover(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    id_number = add_person(platform, sandbox_id)
    register(platform, sandbox_id, builder, id_number)
    exit_payload = {"action": "exit", "project_code": PROJECT["code"], "id_number": id_number}
    with pytest.raises(Refused) as early:
        platform.submit(
            sandbox_id,
            "project_workers",
            {**exit_payload, "exit_date": "2021-07-01"},
            actor=builder,
        )
    assert early.value.problem.code == "E_INVALID_INPUT"
    outcome = platform.submit(
        sandbox_id, "project_workers", {**exit_payload, "exit_date": "2021-08-02"}, actor=builder
    )
    assert outcome.message == "离场日期维护成功" and outcome.data["离场日期"] == "2021-08-02"
    with platform.db.transaction() as session:
        relation = session.scalars(
            select(InsuredRelation).where(InsuredRelation.sandbox_id == sandbox_id)
        ).one()
        assert (relation.stop_month, relation.status) == ("2021-08", "3")
    with pytest.raises(Refused) as again:
        platform.submit(
            sandbox_id,
            "project_workers",
            {**exit_payload, "exit_date": "2021-08-03"},
            actor=builder,
        )
    assert again.value.problem.code == "E_WORKER_NOT_ON_PROJECT"


def test_another_units_project_is_not_found(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    _, other = add_unit(platform, sandbox_id, name="别家建筑公司")
    id_number = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        register(platform, sandbox_id, other, id_number)
    assert refused.value.problem.code == "E_NO_PROJECT"
    with pytest.raises(Refused):
        project_facts(platform, sandbox_id, other.unit_id, PROJECT["code"])


def test_paused_days_refuse_worker_registration(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    """PER-2: 工程建设项目人员登记 changes insurance relations."""
    id_number = add_person(platform, sandbox_id)
    platform.set_clock(sandbox_id, "2021-09-10")
    with pytest.raises(Refused) as refused:
        register(platform, sandbox_id, builder, id_number)
    assert refused.value.problem.code == "E_PAUSED_PERIOD"


def test_batch_registration(platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    """I9-2: new people in batch from the template; each row its own result."""
    people = [add_person(platform, sandbox_id, name=f"工人{i}") for i in range(3)]
    rows = [
        [PROJECT["code"], people[0], "工人0", "", "2021-07-01", ""],
        [PROJECT["code"], people[1], "", "", "2021-03-01", ""],  # before 开工日期
        [PROJECT["code"], people[2], "", "", "2021-08-02", "2021-08-10"],
    ]
    content = workbook_from_rows(ProjectWorkers.batch_columns, rows)
    job = submit_batch(platform, sandbox_id, "project_workers", "工人.xlsx", content, actor=builder)
    assert (job["数据总数"], job["错误数量"]) == (3, 1)
    assert [row["ok"] for row in job["rows"]] == [True, False, True]
    assert job["rows"][1]["errors"][0]["code"] == "E_ENTRY_OUTSIDE_PROJECT"
    facts = project_facts(platform, sandbox_id, builder.unit_id, PROJECT["code"])
    assert [r["姓名"] for r in facts["已有人员信息"]] == ["工人0", "工人2"]
    assert facts["在场人数"] == 1


def test_the_query_api(client, platform, sandbox_id, builder):  # type: ignore[no-untyped-def]
    id_number = add_person(platform, sandbox_id, name="钱一")
    register(platform, sandbox_id, builder, id_number)
    with platform.db.transaction() as session:
        unit = session.get(Unit, builder.unit_id)
        account = session.get(Account, builder.account_id)
        credentials = {"uscc": unit.uscc, "id_number": account.id_number, "password": PASSWORD}
    token = client.post(f"/api/v1/sandboxes/{sandbox_id}/login", json=credentials).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    base = f"/api/v1/sandboxes/{sandbox_id}/projects"
    body = client.get(f"{base}/{PROJECT['code']}", headers=headers).get_json()
    assert body["工程编码"] == PROJECT["code"]
    assert [r["姓名"] for r in body["已有人员信息"]] == ["钱一"]
    assert (
        client.get(base, headers=headers).get_json()["projects"][0]["工程编码"] == PROJECT["code"]
    )
    missing = client.get(f"{base}/GC-NONE", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["code"] == "E_NO_PROJECT"
    assert client.get(f"{base}/{PROJECT['code']}").status_code == 401
    with platform.db.transaction() as session:
        assert session.scalars(select(Project.code).where(Project.sandbox_id == sandbox_id)).all()

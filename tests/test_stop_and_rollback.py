"""退工停保 (I5-1, I5-2) and 人员变更回退 (I6-1 … I6-4), with a property test: any
sequence of businesses in one period, rolled back newest first, leaves the data as before."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from builders import add_person, add_unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plugins.items.project_workers import project_facts
from plugins.items.rollback import candidates
from simulator.context import Actor
from simulator.db.models import Account, Base, InsuredRelation, Person, Unit
from simulator.db.projects import ProjectWorker
from simulator.errors import Refused
from simulator.worlds import load_world

pytestmark = pytest.mark.db  # also run against PostgreSQL by .ci/run


def enrol(id_number: str, start: str = "2021-06-01") -> dict[str, str]:
    return {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": start,
        "job_type": "07",
        "base": "6000",
    }


def snapshot(platform, sandbox_id) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    """The sandbox's domain data (bookkeeping tables and counters aside)."""
    skip = {"businesses", "business_effects", "counters", "sandboxes", "audit_log"}
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


def test_stop_insurance(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    platform.submit(sandbox_id, "employment_enrolment", enrol(id_number), actor=actor)
    outcome = platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=actor
    )
    assert outcome.data["stop_date"] == "2021-08-16"
    assert outcome.data["last_insured_month"] == "2021-08"
    assert outcome.data["stopped_insurance"] == ["110", "210", "410"]
    with platform.db.transaction() as session:
        statuses = session.scalars(
            select(InsuredRelation.status).where(InsuredRelation.sandbox_id == sandbox_id)
        ).all()
    assert set(statuses) == {"3"}
    with pytest.raises(Refused) as again:
        platform.submit(
            sandbox_id,
            "stop_insurance",
            {"id_number": id_number, "stop_reason": "6301"},
            actor=actor,
        )
    assert again.value.problem.code == "E_NOT_INSURED_HERE"


def test_stop_date_cannot_be_chosen(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """I5-2: a request carrying another date is refused; today's date is accepted."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    platform.submit(sandbox_id, "employment_enrolment", enrol(id_number), actor=actor)
    payload = {"id_number": id_number, "stop_reason": "6303", "stop_date": "2021-07-31"}
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, "stop_insurance", payload, actor=actor)
    assert refused.value.problem.message == "停保时间默认为当前经办时间，不允许修改"
    payload["stop_date"] = "2021-08-16"
    platform.submit(sandbox_id, "stop_insurance", payload, actor=actor)


# --- I5-1: work injury bought per construction project is stopped here too ---------------------

BUILDER_USCC = "913203111766123770"  # the construction world's 徐州示例建设工程有限公司
WANG_DAJUN = "320321197803121039"  # on project GC320312202100017 since 2021-03-01
CHEN_LIUSHUN = "320381197911182097"  # on both projects
PROJECT_1, PROJECT_2 = "GC320312202100017", "GC320303202100042"


@pytest.fixture
def construction(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """The construction world (徐州, 2021-08-16) and its builder's legal representative."""
    load_world(platform, sandbox_id, "construction")
    with platform.db.transaction() as session:
        unit = session.scalars(
            select(Unit).where(Unit.sandbox_id == sandbox_id, Unit.uscc == BUILDER_USCC)
        ).one()
        account = session.scalars(
            select(Account).where(Account.unit_id == unit.id, Account.role == "legal_rep")
        ).one()
        return Actor(unit_id=unit.id, name=account.name, role="legal_rep", account_id=account.id)


def on_site(platform, sandbox_id, unit_id, code):  # type: ignore[no-untyped-def]
    """(证件号码, 入场日期, 离场日期) of the project's people."""
    facts = project_facts(platform, sandbox_id, unit_id, code)
    return {row["证件号码"]: (row["入场日期"], row["离场日期"]) for row in facts["已有人员信息"]}


def project_relations(platform, sandbox_id, id_number):  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return [
            (r.note, r.start_month, r.stop_month, r.status)
            for r in session.scalars(
                select(InsuredRelation)
                .join(Person, Person.id == InsuredRelation.person_id)
                .where(
                    InsuredRelation.sandbox_id == sandbox_id,
                    InsuredRelation.kind == "project",
                    Person.id_number == id_number,
                )
                .order_by(InsuredRelation.id)
            )
        ]


def test_stop_ends_a_project_workers_stay_as_leaving_the_site(platform, sandbox_id, construction):  # type: ignore[no-untyped-def]
    """The audit's case: 王大军 is insured at the unit only by project (410, kind project)."""
    before = snapshot(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id,
        "stop_insurance",
        {"id_number": WANG_DAJUN, "stop_reason": "6301"},
        actor=construction,
    )
    assert outcome.message == "停保成功"
    assert outcome.data["stop_date"] == "2021-08-16"  # I5-2: the processing date
    assert outcome.data["stopped_insurance"] == ["410"]
    assert outcome.data["last_insured_month"] == "2021-08"
    assert outcome.data["离场工程"] == [
        {
            "工程编码": PROJECT_1,
            "入场日期": "2021-03-01",
            "离场日期": "2021-08-16",
            "工伤参保截止年月": "2021-08",
        }
    ]
    assert any(t.get("behaviour_id") == "I5-1" for t in outcome.trace)
    # as 离场 on the processing date: the project's list shows the exit, the cover ends
    assert on_site(platform, sandbox_id, construction.unit_id, PROJECT_1)[WANG_DAJUN] == (
        "2021-03-01",
        "2021-08-16",
    )
    assert project_relations(platform, sandbox_id, WANG_DAJUN) == [
        (f"工程编码 {PROJECT_1}", "2021-03", "2021-08", "3")
    ]
    # only his stay changed: the other workers are still on site
    facts = project_facts(platform, sandbox_id, construction.unit_id, PROJECT_1)
    assert facts["在场人数"] == 4
    with pytest.raises(Refused) as again:
        platform.submit(
            sandbox_id,
            "stop_insurance",
            {"id_number": WANG_DAJUN, "stop_reason": "6301"},
            actor=construction,
        )
    assert again.value.problem.code == "E_NOT_INSURED_HERE"
    # I6-1: 人员变更回退 undoes the stop, stay and relation included
    [listed] = candidates(platform, sandbox_id, construction, WANG_DAJUN)
    assert listed["业务编号"] == outcome.business_no
    platform.submit(
        sandbox_id, "rollback", {"id_number": WANG_DAJUN, "business_no": outcome.business_no},
        actor=construction,
    )  # fmt: skip
    assert snapshot(platform, sandbox_id) == before
    assert on_site(platform, sandbox_id, construction.unit_id, PROJECT_1)[WANG_DAJUN] == (
        "2021-03-01",
        None,
    )


def test_stop_ends_every_stay_on_the_units_projects(platform, sandbox_id, construction):  # type: ignore[no-untyped-def]
    outcome = platform.submit(
        sandbox_id,
        "stop_insurance",
        {"id_number": CHEN_LIUSHUN, "stop_reason": "6301"},
        actor=construction,
    )
    assert [p["工程编码"] for p in outcome.data["离场工程"]] == [PROJECT_1, PROJECT_2]
    for code in (PROJECT_1, PROJECT_2):
        _, exit_date = on_site(platform, sandbox_id, construction.unit_id, code)[CHEN_LIUSHUN]
        assert exit_date == "2021-08-16"
    assert [r[2:] for r in project_relations(platform, sandbox_id, CHEN_LIUSHUN)] == [
        ("2021-08", "3"),
        ("2021-08", "3"),
    ]


def test_a_stopped_project_worker_can_be_registered_again(platform, sandbox_id, construction):  # type: ignore[no-untyped-def]
    platform.submit(
        sandbox_id,
        "stop_insurance",
        {"id_number": WANG_DAJUN, "stop_reason": "6301"},
        actor=construction,
    )
    platform.submit(
        sandbox_id,
        "project_workers",
        {"project_code": PROJECT_1, "id_number": WANG_DAJUN, "entry_date": "2021-08-16"},
        actor=construction,
    )
    with platform.db.transaction() as session:
        stays = session.scalars(
            select(ProjectWorker.exit_date)
            .where(ProjectWorker.sandbox_id == sandbox_id)
            .order_by(ProjectWorker.id)
        ).all()
    assert stays.count(None) == 8  # five left on project 1 + three on project 2


def test_stop_of_an_employee_on_a_project_stops_both(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """Every kind of relation at the unit: the employee's and the project's (I5-1)."""
    _, actor = add_unit(platform, sandbox_id, name="宿迁建工有限公司", industry_class=4)
    platform.submit(
        sandbox_id,
        "project_registration",
        {"code": "GC-STOP-1", "name": "宿迁某工程", "region_code": "321302", "cost": "1000000",
         "start_date": "2021-05-01"},
        actor=actor,
    )  # fmt: skip
    id_number = add_person(platform, sandbox_id)
    platform.submit(sandbox_id, "employment_enrolment", enrol(id_number), actor=actor)
    platform.submit(
        sandbox_id,
        "project_workers",
        {"project_code": "GC-STOP-1", "id_number": id_number, "entry_date": "2021-07-05"},
        actor=actor,
    )
    before = snapshot(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=actor
    )
    assert outcome.data["stopped_insurance"] == ["110", "210", "410"]
    assert outcome.data["last_insured_month"] == "2021-08"
    assert [p["工程编码"] for p in outcome.data["离场工程"]] == ["GC-STOP-1"]
    with platform.db.transaction() as session:
        relations = session.scalars(
            select(InsuredRelation).where(InsuredRelation.sandbox_id == sandbox_id)
        ).all()
        assert {(r.kind, r.status, r.stop_month) for r in relations} == {
            ("employee", "3", "2021-08"),
            ("project", "3", "2021-08"),
        }
    platform.submit(
        sandbox_id, "rollback", {"id_number": id_number, "business_no": outcome.business_no},
        actor=actor,
    )  # fmt: skip
    assert snapshot(platform, sandbox_id) == before


def test_a_project_stay_stopped_in_the_first_days_of_a_month(platform, sandbox_id, construction):  # type: ignore[no-untyped-def]
    """On 2021-09-03 (fee month 2021-09) the stop date stays the processing date (I5-2);
    the project's cover ends with its month, as 离场 that day would."""
    platform.set_clock(sandbox_id, "2021-09-03")
    outcome = platform.submit(
        sandbox_id,
        "stop_insurance",
        {"id_number": WANG_DAJUN, "stop_reason": "6301"},
        actor=construction,
    )
    assert outcome.data["stop_date"] == "2021-09-03"
    assert outcome.data["last_insured_month"] == "2021-09"
    assert on_site(platform, sandbox_id, construction.unit_id, PROJECT_1)[WANG_DAJUN][1] == (
        "2021-09-03"
    )
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id,
            "stop_insurance",
            {"id_number": CHEN_LIUSHUN, "stop_reason": "6301", "stop_date": "2021-08-31"},
            actor=construction,
        )
    assert refused.value.problem.code == "E_STOP_DATE_FIXED"


def test_rollback_of_an_enrolment(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    before = snapshot(platform, sandbox_id)
    done = platform.submit(sandbox_id, "employment_enrolment", enrol(id_number), actor=actor)
    listed = candidates(platform, sandbox_id, actor, id_number)
    assert [row["业务编号"] for row in listed] == [done.business_no]
    assert listed[0]["经办方式"] == "网上大厅" and listed[0]["操作状态"] == "办结"
    outcome = platform.submit(
        sandbox_id, "rollback", {"id_number": id_number, "business_no": done.business_no},
        actor=actor,
    )  # fmt: skip
    assert outcome.message == "回退成功"
    assert snapshot(platform, sandbox_id) == before  # relations, employment, back pay: gone
    assert candidates(platform, sandbox_id, actor, id_number) == []


def test_rollback_refused_for_an_earlier_period(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """I6-2"""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    done = platform.submit(sandbox_id, "employment_enrolment", enrol(id_number), actor=actor)
    platform.set_clock(sandbox_id, "2021-09-13")
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "rollback", {"id_number": id_number, "business_no": done.business_no},
            actor=actor,
        )  # fmt: skip
    assert refused.value.problem.code == "E_ROLLBACK_EARLIER_PERIOD"
    assert refused.value.problem.behaviour_id == "I6-2"


def test_newest_first(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrolled = platform.submit(sandbox_id, "employment_enrolment", enrol(id_number), actor=actor)
    platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=actor
    )
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "rollback", {"id_number": id_number, "business_no": enrolled.business_no},
            actor=actor,
        )  # fmt: skip
    assert refused.value.problem.code == "E_ROLLBACK_LATER_FIRST"


@pytest.mark.parametrize(
    ("location", "allowed"), [("320500", True), ("320100", False), (None, False)]
)
def test_suzhou_needs_the_location(platform, sandbox_id, location, allowed):  # type: ignore[no-untyped-def]
    """I6-4: a 苏州 unit rolls back only with the hall located in 苏州; other cities never need it."""
    _, suzhou = add_unit(platform, sandbox_id, name="苏州某公司", region="320508")
    _, nanjing = add_unit(platform, sandbox_id, name="南京某公司", region="320106")
    platform.set_location(sandbox_id, location)
    for actor, must_locate in ((suzhou, True), (nanjing, False)):
        id_number = add_person(platform, sandbox_id)
        done = platform.submit(sandbox_id, "employment_enrolment", enrol(id_number), actor=actor)
        payload = {"id_number": id_number, "business_no": done.business_no}
        if must_locate and not allowed:
            with pytest.raises(Refused) as refused:
                platform.submit(sandbox_id, "rollback", payload, actor=actor)
            assert refused.value.problem.message == (
                "请将网办大厅左上角的定位选择“苏州”后再办理人员变更回退"
            )
        else:
            platform.submit(sandbox_id, "rollback", payload, actor=actor)


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["enrol", "stop"]), st.integers(min_value=0, max_value=2)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS, data=st.data())
def test_rolling_back_the_last_k_restores_the_data(platform, operations, data):  # type: ignore[no-untyped-def]
    sandbox_id = f"prop-{uuid.uuid4().hex[:8]}"
    platform.create_sandbox(sandbox_id, clock="2021-08-16")
    try:
        _, actor = add_unit(platform, sandbox_id)
        people = [add_person(platform, sandbox_id, name=f"人{i}") for i in range(3)]
        done: list[tuple[str, str]] = []
        states: list[dict] = []
        for kind, index in operations:
            id_number = people[index]
            before = snapshot(platform, sandbox_id)
            try:
                if kind == "enrol":
                    outcome = platform.submit(
                        sandbox_id, "employment_enrolment", enrol(id_number), actor=actor
                    )
                else:
                    outcome = platform.submit(
                        sandbox_id, "stop_insurance",
                        {"id_number": id_number, "stop_reason": "6301"}, actor=actor,
                    )  # fmt: skip
            except Refused:
                continue
            states.append(before)
            done.append((id_number, outcome.business_no))
        k = data.draw(st.integers(min_value=0, max_value=len(done)))
        for (id_number, number), before in zip(
            reversed(done[len(done) - k :]), reversed(states[len(done) - k :]), strict=True
        ):
            platform.submit(
                sandbox_id, "rollback", {"id_number": id_number, "business_no": number},
                actor=actor,
            )  # fmt: skip
            assert snapshot(platform, sandbox_id) == before
    finally:
        platform.delete_sandbox(sandbox_id)

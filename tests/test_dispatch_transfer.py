"""劳务派遣用工调转 (I8-1): only HR-service agencies; insurance goes on without a gap."""

from __future__ import annotations

from typing import Any

import pytest
from builders import add_person, add_unit
from sqlalchemy import select

from plugins.items.rollback import candidates
from simulator.db.models import Base, Employment, InsuredRelation
from simulator.errors import Refused


def enrol(platform, sandbox_id, actor, id_number, **dispatch: str):  # type: ignore[no-untyped-def]
    payload = {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": "2021-06-01",
        "job_type": "07",
        "base": "6000",
        **dispatch,
    }
    return platform.submit(sandbox_id, "employment_enrolment", payload, actor=actor)


def snapshot(platform, sandbox_id, skip=()) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
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


def relation_facts(platform, sandbox_id) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return [
            (r.insurance_code, r.start_month, r.stop_month, r.status, r.base)
            for r in session.scalars(
                select(InsuredRelation)
                .where(InsuredRelation.sandbox_id == sandbox_id)
                .order_by(InsuredRelation.id)
            )
        ]


def employment(platform, sandbox_id) -> Employment:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return session.scalars(select(Employment).where(Employment.sandbox_id == sandbox_id)).one()


@pytest.fixture
def dispatched(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """An HR-service agency with a worker dispatched to 用工单位 A001 since 2021-06."""
    _, agency = add_unit(platform, sandbox_id, name="宿迁人力资源服务有限公司", hr_agency=True)
    id_number = add_person(platform, sandbox_id, name="周八")
    enrol(
        platform,
        sandbox_id,
        agency,
        id_number,
        dispatch_type="1",
        dispatch_employer_no="A001",
        dispatch_employer_name="宿迁甲制造有限公司",
    )
    return agency, id_number


def transfer(**fields: str) -> dict[str, str]:
    return {"to_employer_no": "B002", "to_employer_name": "宿迁乙电子有限公司", **fields}


def test_transfer_moves_the_actual_employer_and_keeps_insurance(platform, sandbox_id, dispatched):  # type: ignore[no-untyped-def]
    agency, id_number = dispatched
    relations_before = relation_facts(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id,
        "dispatch_transfer",
        transfer(id_number=id_number, from_employer_no="A001"),
        actor=agency,
    )
    assert outcome.message == "调转成功，参保关系不中断"
    assert outcome.data["原用工单位编号"] == "A001"
    assert outcome.data["原用工单位全称"] == "宿迁甲制造有限公司"
    assert outcome.data["新用工单位编号"] == "B002"
    assert outcome.data["调转日期"] == "2021-08-16"  # default: today on the sandbox clock
    assert outcome.data["参保险种"] == ["110", "210", "410"]
    assert outcome.data["参保开始年月"] == ["2021-06"]
    assert any(t.get("behaviour_id") == "I8-1" for t in outcome.trace)
    moved = employment(platform, sandbox_id)
    assert (moved.dispatch_employer_no, moved.dispatch_employer_name) == (
        "B002",
        "宿迁乙电子有限公司",
    )
    assert moved.stopped_on is None
    assert relation_facts(platform, sandbox_id) == relations_before  # no gap, no stop


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"from_employer_no": "X999"}, "E_DISPATCH_FROM_MISMATCH"),
        ({"to_employer_no": "A001"}, "E_DISPATCH_SAME_EMPLOYER"),
        ({"transfer_date": "2021-08-17"}, "E_INVALID_INPUT"),  # later than today
        ({"transfer_date": "2021-05-31"}, "E_INVALID_INPUT"),  # before the contract
        ({"to_employer_name": ""}, "E_REQUIRED_FIELD"),
    ],
)
def test_refusals_store_nothing(platform, sandbox_id, dispatched, fields, code):  # type: ignore[no-untyped-def]
    agency, id_number = dispatched
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "dispatch_transfer", transfer(id_number=id_number, **fields), actor=agency
        )
    assert refused.value.problem.code == code
    assert snapshot(platform, sandbox_id) == before


def test_the_from_mismatch_names_the_current_employer(platform, sandbox_id, dispatched):  # type: ignore[no-untyped-def]
    agency, id_number = dispatched
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id,
            "dispatch_transfer",
            transfer(id_number=id_number, from_employer_no="X999"),
            actor=agency,
        )
    assert refused.value.problem.message == (
        "原用工单位编号与该人员当前的实际用工单位（A001 宿迁甲制造有限公司）不一致"
    )


def test_only_hr_service_agencies(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, company = add_unit(platform, sandbox_id, name="宿迁普通有限公司")
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, company, id_number)
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "dispatch_transfer", transfer(id_number=id_number), actor=company
        )
    problem = refused.value.problem
    assert (problem.code, problem.behaviour_id) == ("E_NOT_HR_AGENCY", "I8-1")
    assert problem.message == "只有人力资源服务机构才能办理劳务派遣用工调转"
    assert snapshot(platform, sandbox_id) == before


def test_the_person_must_be_employed_and_insured_here(platform, sandbox_id, dispatched):  # type: ignore[no-untyped-def]
    agency, id_number = dispatched
    newcomer = add_person(platform, sandbox_id, name="吴九")
    with pytest.raises(Refused) as never:
        platform.submit(sandbox_id, "dispatch_transfer", transfer(id_number=newcomer), actor=agency)
    assert never.value.problem.code == "E_NO_DISPATCH_EMPLOYMENT"
    platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=agency
    )
    with pytest.raises(Refused) as stopped:
        platform.submit(
            sandbox_id, "dispatch_transfer", transfer(id_number=id_number), actor=agency
        )
    assert stopped.value.problem.code == "E_NO_DISPATCH_EMPLOYMENT"


def test_paused_days_refuse_it(platform, sandbox_id, dispatched):  # type: ignore[no-untyped-def]
    """PER-2: 劳务派遣调转 is one of the items closed on the 7th–10th."""
    agency, id_number = dispatched
    platform.set_clock(sandbox_id, "2021-09-07")
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "dispatch_transfer", transfer(id_number=id_number), actor=agency
        )
    assert refused.value.problem.code == "E_PAUSED_PERIOD"


def test_rollback_restores_the_former_employer(platform, sandbox_id, dispatched):  # type: ignore[no-untyped-def]
    """I6-1: 劳务派遣调转 is rollback-able; the employment gets A001 back."""
    agency, id_number = dispatched
    skip = ("businesses", "business_effects")
    before = snapshot(platform, sandbox_id, skip)
    done = platform.submit(
        sandbox_id, "dispatch_transfer", transfer(id_number=id_number), actor=agency
    )
    assert candidates(platform, sandbox_id, agency, id_number)[0]["业务编号"] == done.business_no
    platform.submit(
        sandbox_id,
        "rollback",
        {"id_number": id_number, "business_no": done.business_no},
        actor=agency,
    )
    assert snapshot(platform, sandbox_id, skip) == before
    assert employment(platform, sandbox_id).dispatch_employer_no == "A001"


def test_a_second_transfer_goes_on_from_the_new_employer(platform, sandbox_id, dispatched):  # type: ignore[no-untyped-def]
    agency, id_number = dispatched
    platform.submit(sandbox_id, "dispatch_transfer", transfer(id_number=id_number), actor=agency)
    again = platform.submit(
        sandbox_id,
        "dispatch_transfer",
        {
            "id_number": id_number,
            "from_employer_no": "B002",
            "to_employer_no": "C003",
            "to_employer_name": "宿迁丙物流有限公司",
        },
        actor=agency,
    )
    assert again.data["原用工单位编号"] == "B002"
    assert employment(platform, sandbox_id).dispatch_employer_no == "C003"

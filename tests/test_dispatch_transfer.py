"""劳务派遣用工调转 (I8-1): only HR-service agencies, only dispatched workers, only between
actual employers that are insured units; insurance goes on without a gap."""

from __future__ import annotations

from typing import Any

import pytest
from builders import add_person, add_unit, bearer_headers
from sqlalchemy import select

from plugins.items.rollback import candidates
from simulator.db.models import Base, Employment, InsuredRelation, Unit
from simulator.errors import Refused
from simulator.worlds import DEFAULT_PASSWORD, load_world

#: the actual employers of the fixture's agency: 用工单位 A, B and C
EMPLOYERS = {"A": "宿迁甲制造有限公司", "B": "宿迁乙电子有限公司", "C": "宿迁丙物流有限公司"}


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


def unit_no(platform, unit_id: int) -> str:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return session.get(Unit, unit_id).unit_no


@pytest.fixture
def no(platform, sandbox_id) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The 单位编号 of the actual employers A, B and C (insured units)."""
    return {
        key: unit_no(platform, add_unit(platform, sandbox_id, name=name)[0])
        for key, name in EMPLOYERS.items()
    }


@pytest.fixture
def dispatched(platform, sandbox_id, no):  # type: ignore[no-untyped-def]
    """An HR-service agency with a worker dispatched to 用工单位 A since 2021-06."""
    _, agency = add_unit(platform, sandbox_id, name="宿迁人力资源服务有限公司", hr_agency=True)
    id_number = add_person(platform, sandbox_id, name="周八")
    enrol(
        platform,
        sandbox_id,
        agency,
        id_number,
        dispatch_type="1",
        dispatch_employer_no=no["A"],
        dispatch_employer_name=EMPLOYERS["A"],
    )
    return agency, id_number


@pytest.fixture
def transfer(no):  # type: ignore[no-untyped-def]
    """A transfer's form: to 用工单位 B unless told otherwise."""

    def form(**fields: str) -> dict[str, str]:
        return {"to_employer_no": no["B"], "to_employer_name": EMPLOYERS["B"], **fields}

    return form


def test_transfer_moves_the_actual_employer_and_keeps_insurance(  # type: ignore[no-untyped-def]
    platform, sandbox_id, dispatched, no, transfer
):
    agency, id_number = dispatched
    relations_before = relation_facts(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id,
        "dispatch_transfer",
        transfer(id_number=id_number, from_employer_no=no["A"]),
        actor=agency,
    )
    assert outcome.message == "调转成功，参保关系不中断"
    assert outcome.data["原用工单位编号"] == no["A"]
    assert outcome.data["原用工单位全称"] == "宿迁甲制造有限公司"
    assert outcome.data["新用工单位编号"] == no["B"]
    assert outcome.data["调转日期"] == "2021-08-16"  # default: today on the sandbox clock
    assert outcome.data["参保险种"] == ["110", "210", "410"]
    assert outcome.data["参保开始年月"] == ["2021-06"]
    assert any(t.get("behaviour_id") == "I8-1" for t in outcome.trace)
    moved = employment(platform, sandbox_id)
    assert (moved.dispatch_employer_no, moved.dispatch_employer_name) == (
        no["B"],
        "宿迁乙电子有限公司",
    )
    assert moved.stopped_on is None
    assert relation_facts(platform, sandbox_id) == relations_before  # no gap, no stop


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"from_employer_no": "X999"}, "E_DISPATCH_FROM_MISMATCH"),
        ({"to_employer_no": "A"}, "E_DISPATCH_SAME_EMPLOYER"),
        ({"transfer_date": "2021-08-17"}, "E_INVALID_INPUT"),  # later than today
        ({"transfer_date": "2021-05-31"}, "E_INVALID_INPUT"),  # before the contract
        ({"to_employer_name": ""}, "E_REQUIRED_FIELD"),
        ({"to_employer_no": "999999999999"}, "E_DISPATCH_EMPLOYER_NOT_FOUND"),
        ({"to_employer_no": "agency"}, "E_DISPATCH_OWN_UNIT"),
        ({"to_employer_name": "宿迁丙物流有限公司"}, "E_DISPATCH_EMPLOYER_NAME"),  # C's, not B's
    ],
)
def test_refusals_store_nothing(  # type: ignore[no-untyped-def]
    platform, sandbox_id, dispatched, no, transfer, fields, code
):
    agency, id_number = dispatched
    numbers = {**no, "agency": unit_no(platform, agency.unit_id)}
    if fields.get("to_employer_no") in numbers:
        fields = {**fields, "to_employer_no": numbers[fields["to_employer_no"]]}
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "dispatch_transfer", transfer(id_number=id_number, **fields), actor=agency
        )
    assert refused.value.problem.code == code
    assert refused.value.problem.behaviour_id == ("I8-1" if code.startswith("E_DISPATCH") else None)
    assert snapshot(platform, sandbox_id) == before


def test_the_from_mismatch_names_the_current_employer(  # type: ignore[no-untyped-def]
    platform, sandbox_id, dispatched, no, transfer
):
    agency, id_number = dispatched
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id,
            "dispatch_transfer",
            transfer(id_number=id_number, from_employer_no="X999"),
            actor=agency,
        )
    assert refused.value.problem.message == (
        f"原用工单位编号与该人员当前的实际用工单位（{no['A']} 宿迁甲制造有限公司）不一致"
    )


def test_the_new_employer_must_be_an_insured_unit(platform, sandbox_id, dispatched, transfer):  # type: ignore[no-untyped-def]
    """I8-1: a 单位编号 that no insured unit has is not an actual employer."""
    agency, id_number = dispatched
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id,
            "dispatch_transfer",
            transfer(id_number=id_number, to_employer_no="999999999999", to_employer_name="虚构"),
            actor=agency,
        )
    problem = refused.value.problem
    assert (problem.code, problem.behaviour_id, problem.field, problem.http_status) == (
        "E_DISPATCH_EMPLOYER_NOT_FOUND",
        "I8-1",
        "to_employer_no",
        422,
    )
    assert problem.message == (
        "未查询到单位编号为999999999999的参保单位，新用工单位须为已参保的实际用工单位"
    )
    assert "企业社会保险信息登记" in problem.remedy
    # a unit known to market registration only (未参保, no 单位编号 of its own) is not one either
    uninsured, _ = add_unit(platform, sandbox_id, name="宿迁丁未参保有限公司", insured=False)
    with platform.db.transaction() as session:
        session.get(Unit, uninsured).unit_no = "321300999999"
    with pytest.raises(Refused) as not_insured:
        platform.submit(
            sandbox_id,
            "dispatch_transfer",
            transfer(
                id_number=id_number,
                to_employer_no="321300999999",
                to_employer_name="宿迁丁未参保有限公司",
            ),
            actor=agency,
        )
    assert not_insured.value.problem.code == "E_DISPATCH_EMPLOYER_NOT_FOUND"


def test_the_agency_is_not_its_own_actual_employer(platform, sandbox_id, dispatched, transfer):  # type: ignore[no-untyped-def]
    agency, id_number = dispatched
    own = unit_no(platform, agency.unit_id)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id,
            "dispatch_transfer",
            transfer(
                id_number=id_number, to_employer_no=own, to_employer_name="宿迁人力资源服务有限公司"
            ),
            actor=agency,
        )
    problem = refused.value.problem
    assert (problem.code, problem.behaviour_id, problem.field) == (
        "E_DISPATCH_OWN_UNIT",
        "I8-1",
        "to_employer_no",
    )
    assert problem.message == (
        "新用工单位不能是本人力资源服务机构，劳务派遣用工调转只能在实际用工单位之间办理"
    )


def test_the_new_employers_name_must_be_its_registered_name(  # type: ignore[no-untyped-def]
    platform, sandbox_id, dispatched, no, transfer
):
    agency, id_number = dispatched
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id,
            "dispatch_transfer",
            transfer(id_number=id_number, to_employer_name="宿迁乙电子科技有限公司"),
            actor=agency,
        )
    problem = refused.value.problem
    assert (problem.code, problem.behaviour_id, problem.field) == (
        "E_DISPATCH_EMPLOYER_NAME",
        "I8-1",
        "to_employer_name",
    )
    assert problem.message == (
        f"新用工单位全称与单位编号{no['B']}登记的单位名称（宿迁乙电子有限公司）不一致"
    )


def test_full_width_forms_and_spaces_do_not_count_in_the_name(platform, sandbox_id, dispatched):  # type: ignore[no-untyped-def]
    """The name typed with half-width brackets and a space is the registered one; the
    registered spelling is what the employment keeps."""
    agency, id_number = dispatched
    unit_id, _ = add_unit(platform, sandbox_id, name="宿迁戊（宿城）电子有限公司")
    outcome = platform.submit(
        sandbox_id,
        "dispatch_transfer",
        {
            "id_number": id_number,
            "to_employer_no": unit_no(platform, unit_id),
            "to_employer_name": " 宿迁戊(宿城)电子 有限公司",
        },
        actor=agency,
    )
    assert outcome.data["新用工单位全称"] == "宿迁戊（宿城）电子有限公司"
    assert employment(platform, sandbox_id).dispatch_employer_name == "宿迁戊（宿城）电子有限公司"


def test_only_hr_service_agencies(platform, sandbox_id, transfer):  # type: ignore[no-untyped-def]
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


def test_the_person_must_be_employed_and_insured_here(platform, sandbox_id, dispatched, transfer):  # type: ignore[no-untyped-def]
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


def test_paused_days_refuse_it(platform, sandbox_id, dispatched, transfer):  # type: ignore[no-untyped-def]
    """PER-2: 劳务派遣调转 is one of the items closed on the 7th–10th."""
    agency, id_number = dispatched
    platform.set_clock(sandbox_id, "2021-09-07")
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "dispatch_transfer", transfer(id_number=id_number), actor=agency
        )
    assert refused.value.problem.code == "E_PAUSED_PERIOD"


def test_rollback_restores_the_former_employer(platform, sandbox_id, dispatched, no, transfer):  # type: ignore[no-untyped-def]
    """I6-1: 劳务派遣调转 is rollback-able; the employment gets A back."""
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
    assert employment(platform, sandbox_id).dispatch_employer_no == no["A"]


def test_a_second_transfer_goes_on_from_the_new_employer(  # type: ignore[no-untyped-def]
    platform, sandbox_id, dispatched, no, transfer
):
    agency, id_number = dispatched
    platform.submit(sandbox_id, "dispatch_transfer", transfer(id_number=id_number), actor=agency)
    again = platform.submit(
        sandbox_id,
        "dispatch_transfer",
        {
            "id_number": id_number,
            "from_employer_no": no["B"],
            "to_employer_no": no["C"],
            "to_employer_name": "宿迁丙物流有限公司",
        },
        actor=agency,
    )
    assert again.data["原用工单位编号"] == no["B"]
    assert employment(platform, sandbox_id).dispatch_employer_no == no["C"]


# --- the audit's cases, through the API, in the hr-agency world (docs/worlds.md) ----------------

AGENCY_USCC = "91320508739139377K"
AGENCY_LEGAL_REP = "320508197909090234"
AGENCY_NO, EMPLOYER_A_NO, EMPLOYER_B_NO = "320500000001", "320500000002", "320500000003"
EMPLOYER_B = "苏州示例精密机械有限公司"
QIAN_LEI = "320506199603080830"  # 劳务派遣 to employer A
GU_XIAOYAN = "320508199002020288"  # the agency's own staff, not dispatched
ZHOU_QIANG = "320509198510101879"  # 人事代理 (用工类型 2) at employer B


@pytest.fixture
def agency_api(client, platform, sandbox_id):  # type: ignore[no-untyped-def]
    """POST a 劳务派遣用工调转 as the hr-agency world's agency; the JSON answer and status."""
    load_world(platform, sandbox_id, "hr-agency")
    headers = bearer_headers(client, sandbox_id, AGENCY_USCC, AGENCY_LEGAL_REP, DEFAULT_PASSWORD)

    def post(**payload: str) -> tuple[int, dict[str, Any]]:
        reply = client.post(
            f"/api/v1/sandboxes/{sandbox_id}/businesses/dispatch_transfer",
            json=payload,
            headers=headers,
        )
        return reply.status_code, reply.get_json()

    return post


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (  # (a) the agency's own staff member has no dispatch employment
            {
                "id_number": GU_XIAOYAN,
                "to_employer_no": EMPLOYER_B_NO,
                "to_employer_name": EMPLOYER_B,
            },
            422,
            "E_NO_DISPATCH_EMPLOYMENT",
        ),
        (  # (b) no unit has this 单位编号
            {
                "id_number": QIAN_LEI,
                "to_employer_no": "999999999999",
                "to_employer_name": "某某公司",
            },
            422,
            "E_DISPATCH_EMPLOYER_NOT_FOUND",
        ),
        (  # (c) the agency itself
            {
                "id_number": QIAN_LEI,
                "to_employer_no": AGENCY_NO,
                "to_employer_name": "苏州示例人力资源服务有限公司",
            },
            400,
            "E_DISPATCH_OWN_UNIT",
        ),
        (  # (d) B's number with another name
            {
                "id_number": QIAN_LEI,
                "to_employer_no": EMPLOYER_B_NO,
                "to_employer_name": "某某公司",
            },
            400,
            "E_DISPATCH_EMPLOYER_NAME",
        ),
    ],
)
def test_the_audits_transfers_are_refused(agency_api, payload, status, code):  # type: ignore[no-untyped-def]
    answer_status, body = agency_api(**payload)
    assert (answer_status, body["code"], body["behaviour_id"]) == (status, code, "I8-1"), body
    assert body["message"] and body["remedy"]


def test_the_worlds_transfers_between_its_actual_employers(agency_api):  # type: ignore[no-untyped-def]
    """钱磊 (劳务派遣) moves from A to B; 周强 (人事代理) from B to A."""
    status, body = agency_api(
        id_number=QIAN_LEI, to_employer_no=EMPLOYER_B_NO, to_employer_name=EMPLOYER_B
    )
    assert status == 201, body
    assert (body["data"]["原用工单位编号"], body["data"]["新用工单位编号"]) == (
        EMPLOYER_A_NO,
        EMPLOYER_B_NO,
    )
    status, body = agency_api(
        id_number=ZHOU_QIANG,
        to_employer_no=EMPLOYER_A_NO,
        to_employer_name="苏州示例电子科技有限公司",
    )
    assert status == 201, body
    assert body["data"]["原用工单位编号"] == EMPLOYER_B_NO

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

from plugins.items.rollback import candidates
from simulator.db.models import Base, InsuredRelation
from simulator.errors import Refused

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

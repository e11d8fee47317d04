"""The counter console (P-3, F-5): each remedy closes its loop, then the online business succeeds."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from builders import add_benefit, add_person, add_unit, person_id
from click.testing import CliRunner
from sqlalchemy import select

from mocks.transport import in_process_mocks
from plugins.counter import counter_records, counter_submit, record_refund
from plugins.items.base_adjustment import base_in_force
from plugins.items.rollback import candidates
from simulator.db.models import (
    Base,
    BenefitPayment,
    Business,
    ContributionLine,
    CounterRecord,
    InsuredRelation,
    Unit,
)
from simulator.errors import Refused
from simulator.identifiers import generate_credit_code, generate_resident_id
from simulator.months import Month


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


def enrol(platform, sandbox_id, actor, id_number, start="2021-06-01", base="6000"):  # type: ignore[no-untyped-def]
    payload = {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": start,
        "job_type": "07",
        "base": base,
    }
    return platform.submit(sandbox_id, "employment_enrolment", payload, actor=actor)


def uscc_of(platform, unit_id) -> str:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return session.get(Unit, unit_id).uscc


def lines(platform, sandbox_id, kind="backpay") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return sorted(
            session.execute(
                select(ContributionLine.insurance_code, ContributionLine.fee_month).where(
                    ContributionLine.sandbox_id == sandbox_id, ContributionLine.kind == kind
                )
            ).all()
        )


def person_form(id_number: str, name: str = "冯二", **extra: str) -> dict[str, str]:
    return {
        "id_type": "居民身份证",
        "id_number": id_number,
        "name": name,
        "gender": "男",
        "ethnicity": "汉族",
        "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
        "mobile": "13812345678",
        "hukou_nature": "21",
        "hukou_region": "321302",
        "hukou_address": "江苏省宿迁市宿城区幸福路1号",
        **extra,
    }


# --- a unit's own account cannot use the counter ------------------------------------------------


def test_counter_items_are_for_the_counter_only(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, "counter_backpay", {"id_number": id_number}, actor=actor)
    assert (refused.value.problem.code, refused.value.problem.behaviour_id) == (
        "E_COUNTER_ONLY",
        "P-3",
    )


# --- every counter business has its form (the trainer's console keeps only its fields) -------------


def test_every_counter_item_has_a_form_of_the_keys_it_reads(platform, sandbox_id):  # type: ignore[no-untyped-def]
    from simulator.web.support import item_form

    expected = {
        "counter_unit_registration": {"uscc", "name", "region_code", "legal_rep_name",
                                      "legal_rep_id_number"},
        "counter_identity_collection": {"id_type", "id_number", "name", "gender", "ethnicity",
                                        "birth_date", "mobile", "hukou_nature", "hukou_region",
                                        "hukou_address"},
        "counter_backpay": {"id_number"},
        "counter_base_change": {"id_number", "base"},
        "counter_benefit_return": {"id_number"},
    }  # fmt: skip
    optional = {
        "counter_backpay": {"person_no", "months", "base"},
        "counter_base_change": {"person_no", "from_month"},
        "counter_benefit_return": {"person_no", "months"},
    }
    counter_items = sorted(code for code in platform.items if code.startswith("counter_"))
    assert counter_items == sorted(expected)
    for code, required in expected.items():
        fields = [f for s in item_form(platform, sandbox_id, platform.item(code), None)
                  for f in s.fields]  # fmt: skip
        names = [f.name for f in fields]
        assert len(names) == len(set(names)), code
        assert {f.name for f in fields if f.required} == required, code
        assert optional.get(code, set()) <= set(names), code
        assert all(f.label and not f.label.isascii() for f in fields), code


def test_identity_collection_without_a_document_type_is_of_a_resident_id_card(platform, sandbox_id):  # type: ignore[no-untyped-def]
    id_number = generate_resident_id("321302", date(1993, 3, 3), 44, "男")
    payload = {k: v for k, v in person_form(id_number).items() if k != "id_type"}
    collected = counter_submit(platform, sandbox_id, "counter_identity_collection", payload)
    assert collected["data"]["id_type"] == "居民身份证"


# --- 柜台单位参保登记 (I1-4) -------------------------------------------------------------------------


def test_unit_registration_at_the_counter(platform, sandbox_id, client):  # type: ignore[no-untyped-def]
    uscc = generate_credit_code("321302", 777)
    legal_rep = generate_resident_id("321302", date(1975, 3, 3), 11, "男")
    payload = {
        "uscc": uscc,
        "name": "宿迁柜台登记有限公司",
        "region_code": "321302",
        "legal_rep_name": "陈法人",
        "legal_rep_id_number": legal_rep,
        "is_hr_agency": "是",
        "industry_class": "2",
        "password": "Counter@2021",
    }
    outcome = counter_submit(platform, sandbox_id, "counter_unit_registration", payload)
    assert outcome["data"]["status"] == "参保" and outcome["data"]["is_hr_agency"] is True
    assert outcome["data"]["insurance_codes"] == ["110", "210", "410"]
    login = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/login",
        json={"uscc": uscc, "id_number": legal_rep, "password": "Counter@2021"},
    )
    assert login.status_code == 200, login.get_json()
    with pytest.raises(Refused) as again:
        counter_submit(platform, sandbox_id, "counter_unit_registration", payload)
    assert again.value.problem.code == "E_UNIT_ALREADY_INSURED"
    with platform.db.transaction() as session:
        business = session.scalars(
            select(Business).where(Business.business_no == outcome["business_no"])
        ).one()
        assert (business.channel, business.actor) == ("柜台", "柜台经办(counter)")
        assert business.unit_id == outcome["data"]["unit_id"]
    (record,) = counter_records(platform, sandbox_id, uscc=uscc)
    assert record["事项"] == "柜台单位参保登记"


# --- 柜台人员基础信息采集 (I2-2) ----------------------------------------------------------------------


def test_identity_collection_closes_the_public_security_loop(platform, sandbox_id, app):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = generate_resident_id("321302", date(1992, 4, 4), 33, "男")
    with in_process_mocks(app), pytest.raises(Refused) as online:
        platform.submit(sandbox_id, "person_collection", person_form(id_number), actor=actor)
    assert online.value.problem.message == "公安部门比对不成功，请至窗口办理"
    uscc = uscc_of(platform, actor.unit_id)
    # No mocks are reachable here: the counter does not ask public security.
    collected = counter_submit(
        platform, sandbox_id, "counter_identity_collection", person_form(id_number), uscc=uscc
    )
    assert collected["message"] == "人员信息已采集" and collected["data"]["person_no"]
    enrol(platform, sandbox_id, actor, id_number)  # the unit goes on online
    with pytest.raises(Refused) as twice:
        counter_submit(platform, sandbox_id, "counter_identity_collection", person_form(id_number))
    assert twice.value.problem.code == "E_PERSON_EXISTS"
    (record,) = counter_records(platform, sandbox_id, kind="identity_collection")
    assert record["人员"]["id_number"] == id_number


def test_identity_collection_of_other_documents(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """I2-1: holders of other documents are collected at the counter only."""
    payload = {
        "id_type": "护照",
        "id_number": "E12345678",
        "name": "John Smith",
        "gender": "男",
        "birth_date": "1985-01-02",
        "hukou_nature": "30",
        "nationality": "英国",
    }
    outcome = counter_submit(platform, sandbox_id, "counter_identity_collection", payload)
    assert outcome["data"]["id_type"] == "护照"
    with pytest.raises(Refused) as bad:
        counter_submit(
            platform,
            sandbox_id,
            "counter_identity_collection",
            {**payload, "id_number": "E7", "gender": "X"},
        )
    assert bad.value.problem.code == "E_INVALID_INPUT"


# --- 柜台补缴 (PER-5) --------------------------------------------------------------------------------


def test_backpay_beyond_six_months(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    online = enrol(platform, sandbox_id, actor, id_number, start="2020-12-01")
    counter_months = ["2020-12", "2021-01", "2021-02"]
    assert online.data["counter_backpay_months"] == counter_months  # PER-5
    uscc = uscc_of(platform, actor.unit_id)
    outcome = counter_submit(
        platform, sandbox_id, "counter_backpay", {"id_number": id_number}, uscc=uscc
    )
    assert outcome["data"]["months"] == counter_months
    assert {line["险种"] for line in outcome["data"]["补缴明细"]} == {"110", "210", "410"}
    paid = lines(platform, sandbox_id)
    for code in ("110", "210", "410"):
        assert [m for c, m in paid if c == code] == [
            "2020-12",
            "2021-01",
            "2021-02",
            "2021-03",
            "2021-04",
            "2021-05",
            "2021-06",
            "2021-07",
            "2021-08",
        ]
    with platform.db.transaction() as session:
        business = session.scalars(
            select(Business).where(Business.business_no == outcome["business_no"])
        ).one()
        assert business.channel == "柜台" and business.item_name == "柜台补缴"
    with pytest.raises(Refused) as nothing:
        counter_submit(platform, sandbox_id, "counter_backpay", {"id_number": id_number}, uscc=uscc)
    assert nothing.value.problem.code == "E_NOTHING_TO_BACKPAY"


@pytest.mark.parametrize(
    ("months", "code"),
    [
        ("2021-03", "E_ALREADY_PAID"),  # paid online
        ("2020-11", "E_COUNTER_BACKPAY_MONTH"),  # before the start month
        ("2021-09", "E_COUNTER_BACKPAY_MONTH"),  # the current fee month
        ("2021/01", "E_INVALID_INPUT"),
    ],
)
def test_backpay_refusals(platform, sandbox_id, months, code):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number, start="2020-12-01")
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        counter_submit(
            platform,
            sandbox_id,
            "counter_backpay",
            {"id_number": id_number, "months": months},
            uscc=uscc_of(platform, actor.unit_id),
        )
    assert refused.value.problem.code == code
    assert snapshot(platform, sandbox_id) == before


def test_backpay_needs_returned_benefit_and_a_unit(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number, start="2020-12-01")
    add_benefit(platform, sandbox_id, id_number, "2021-01")  # paid after the registration
    uscc = uscc_of(platform, actor.unit_id)
    with pytest.raises(Refused) as benefit:
        counter_submit(platform, sandbox_id, "counter_backpay", {"id_number": id_number}, uscc=uscc)
    assert benefit.value.problem.code == "E_UNEMPLOYMENT_BENEFIT"
    with pytest.raises(Refused) as no_unit:
        counter_submit(platform, sandbox_id, "counter_backpay", {"id_number": id_number})
    assert no_unit.value.problem.code == "E_COUNTER_UNIT_REQUIRED"
    counter_submit(platform, sandbox_id, "counter_benefit_return", {"id_number": id_number})
    counter_submit(platform, sandbox_id, "counter_backpay", {"id_number": id_number}, uscc=uscc)


# --- 柜台缴费基数调整 (I7-3) --------------------------------------------------------------------------


def test_downward_base_change_at_the_counter(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number, base="8000")
    with pytest.raises(Refused) as online:
        platform.submit(
            sandbox_id, "base_adjustment", {"id_number": id_number, "base": "6000"}, actor=actor
        )
    assert online.value.problem.code == "E_BASE_DOWN_OR_PAST"
    uscc = uscc_of(platform, actor.unit_id)
    outcome = counter_submit(
        platform,
        sandbox_id,
        "counter_base_change",
        {"id_number": id_number, "base": "6000"},
        uscc=uscc,
    )
    data = outcome["data"]
    assert (data["from_month"], data["调整方向"], data["实际缴费基数"]) == (
        "2021-10",
        "下调",
        "6000",
    )
    assert data["已结算月份"] == []
    with platform.db.transaction() as session:
        for relation in session.scalars(
            select(InsuredRelation).where(InsuredRelation.sandbox_id == sandbox_id)
        ):
            assert relation.base == Decimal("6000")
            assert base_in_force(session, relation, Month(2021, 9)) == Decimal("8000")
            assert base_in_force(session, relation, Month(2021, 10)) == Decimal("6000")


def test_past_months_at_the_counter(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number, base="6000")
    platform.submit(
        sandbox_id, "base_adjustment", {"id_number": id_number, "base": "9000"}, actor=actor
    )
    uscc = uscc_of(platform, actor.unit_id)
    outcome = counter_submit(
        platform,
        sandbox_id,
        "counter_base_change",
        {"id_number": id_number, "base": "7000", "from_month": "2021-07"},
        uscc=uscc,
    )
    assert outcome["data"]["已结算月份"] == ["2021-07", "2021-08"]  # back pay lines exist
    with platform.db.transaction() as session:
        for relation in session.scalars(
            select(InsuredRelation).where(InsuredRelation.sandbox_id == sandbox_id)
        ):
            assert relation.base == Decimal("9000")  # the later online raise still holds
            assert base_in_force(session, relation, Month(2021, 6)) == Decimal("6000")
            assert base_in_force(session, relation, Month(2021, 8)) == Decimal("7000")
            assert base_in_force(session, relation, Month(2021, 10)) == Decimal("9000")
    for from_month in ("2021-05", "2021-11"):
        with pytest.raises(Refused) as refused:
            counter_submit(
                platform,
                sandbox_id,
                "counter_base_change",
                {"id_number": id_number, "base": "7000", "from_month": from_month},
                uscc=uscc,
            )
        assert refused.value.problem.code == "E_COUNTER_BASE_MONTH"


# --- 失业金退回 (I3-8) ----------------------------------------------------------------------------------


def test_returning_benefit_clears_the_enrolment_error(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    add_benefit(platform, sandbox_id, id_number, "2021-07")
    with pytest.raises(Refused) as online:
        enrol(platform, sandbox_id, actor, id_number)
    assert online.value.problem.message == "自参保开始日期下一月起，存在失业金发放信息"
    with pytest.raises(Refused) as wrong_month:
        counter_submit(
            platform,
            sandbox_id,
            "counter_benefit_return",
            {"id_number": id_number, "months": "2021-05"},
        )
    assert wrong_month.value.problem.code == "E_NO_BENEFIT_TO_RETURN"
    returned = counter_submit(
        platform, sandbox_id, "counter_benefit_return", {"id_number": id_number}
    )
    assert returned["data"]["months"] == ["2021-07"] and returned["data"]["退回金额"] == "1800.00"
    with platform.db.transaction() as session:
        assert session.scalars(select(BenefitPayment.returned_on)).all() == [date(2021, 8, 16)]
    enrol(platform, sandbox_id, actor, id_number)  # now it succeeds
    with pytest.raises(Refused) as none_left:
        counter_submit(platform, sandbox_id, "counter_benefit_return", {"id_number": id_number})
    assert none_left.value.problem.code == "E_NO_BENEFIT_TO_RETURN"


# --- 退费申请 (F-5) --------------------------------------------------------------------------------------


def test_refund_application_is_recorded_without_moving_money(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id, name="褚三")
    enrol(platform, sandbox_id, actor, id_number)
    uscc = uscc_of(platform, actor.unit_id)
    with pytest.raises(Refused) as not_stopped:
        record_refund(platform, sandbox_id, uscc=uscc, id_numbers=[id_number], months=["2021-08"])
    assert (not_stopped.value.problem.code, not_stopped.value.problem.behaviour_id) == (
        "E_REFUND_NEEDS_STOP",
        "F-5",
    )
    platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=actor
    )
    money_before = lines(platform, sandbox_id)
    record = record_refund(
        platform,
        sandbox_id,
        uscc=uscc,
        id_numbers=[id_number],
        months=["2021-07", "2021-08"],
        reason="9月来不及停保",
    )
    details = record["details"]
    assert details["申请表"] == "《社会保险费清退申请表》" and details["受理状态"] == "已受理"
    (person,) = details["清退人员"]
    assert person["清退月份"] == ["2021-07", "2021-08"] and person["停保年月"] == "2021-08"
    # 6000 × (16 % + 0.5 % + the class-2 work-injury rate) per month, individual 8.5 %
    assert Decimal(details["个人金额合计"]) == Decimal("1020.00")
    assert Decimal(details["合计"]) == Decimal(details["单位金额合计"]) + Decimal("1020.00")
    assert lines(platform, sandbox_id) == money_before  # no money moves
    with pytest.raises(Refused) as twice:
        record_refund(platform, sandbox_id, uscc=uscc, id_numbers=[id_number], months=["2021-08"])
    assert twice.value.problem.code == "E_REFUND_EXISTS"
    with pytest.raises(Refused) as nothing:
        record_refund(platform, sandbox_id, uscc=uscc, id_numbers=[id_number], months=["2021-01"])
    assert nothing.value.problem.code == "E_NOTHING_TO_REFUND"
    with platform.db.transaction() as session:
        kinds = session.scalars(
            select(CounterRecord.kind).where(CounterRecord.sandbox_id == sandbox_id)
        ).all()
    assert kinds == ["refund"]


# --- the counter's work and 人员变更回退 (I6-1) -----------------------------------------------------------

COUNTER_LATER = "该人员在此业务之后还在经办机构（柜台）办理了{}，请先至柜台撤销后再回退此业务"


def roll_back(platform, sandbox_id, actor, id_number, business_no):  # type: ignore[no-untyped-def]
    return platform.submit(
        sandbox_id, "rollback", {"id_number": id_number, "business_no": business_no}, actor=actor
    )


def test_a_later_counter_base_change_blocks_rolling_back_the_online_raise(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """The audit's case (a): undoing the raise alone put the relation back at 7800 while the
    counter's 8500 from 2021-10 stayed in force for the settlement."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number, base="7800")
    raised = platform.submit(
        sandbox_id, "base_adjustment", {"id_number": id_number, "base": "9000"}, actor=actor
    )
    counter = counter_submit(
        platform, sandbox_id, "counter_base_change",
        {"id_number": id_number, "base": "8500", "from_month": "2021-10"},
        uscc=uscc_of(platform, actor.unit_id),
    )  # fmt: skip
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        roll_back(platform, sandbox_id, actor, id_number, raised.business_no)
    problem = refused.value.problem
    assert (problem.code, problem.behaviour_id, problem.field, problem.http_status) == (
        "E_ROLLBACK_COUNTER_LATER",
        "I6-1",
        "business_no",
        422,
    )
    assert problem.message == COUNTER_LATER.format(
        f"柜台缴费基数调整（业务编号{counter['business_no']}）"
    )
    assert problem.remedy.startswith("柜台办理的业务不能网上回退")
    assert snapshot(platform, sandbox_id) == before  # the raise and the counter's change stand


def test_a_later_counter_backpay_blocks_rolling_back_the_enrolment(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """The audit's case (b): undoing the registration took the counter's lines with it."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrolled = enrol(platform, sandbox_id, actor, id_number, start="2020-12-01")
    counter = counter_submit(
        platform, sandbox_id, "counter_backpay", {"id_number": id_number},
        uscc=uscc_of(platform, actor.unit_id),
    )  # fmt: skip
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        roll_back(platform, sandbox_id, actor, id_number, enrolled.business_no)
    assert refused.value.problem.code == "E_ROLLBACK_COUNTER_LATER"
    assert refused.value.problem.message == COUNTER_LATER.format(
        f"柜台补缴（业务编号{counter['business_no']}）"
    )
    assert snapshot(platform, sandbox_id) == before
    assert {m for _, m in lines(platform, sandbox_id)} >= {"2020-12", "2021-01", "2021-02"}


def test_a_refund_blocks_rolling_back_the_stop_it_rests_on(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """The audit's case (c): the refund was accepted because of the stop (F-5)."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrolled = enrol(platform, sandbox_id, actor, id_number)
    stop = platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=actor
    )
    record = record_refund(
        platform, sandbox_id, uscc=uscc_of(platform, actor.unit_id), id_numbers=[id_number],
        months=["2021-08"],
    )  # fmt: skip
    (row,) = record["details"]["清退人员"]
    # the registration made the relations and the 2021-08 back pay; the stop stopped them
    assert row["依据业务编号"] == [enrolled.business_no, stop.business_no]
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        roll_back(platform, sandbox_id, actor, id_number, stop.business_no)
    assert refused.value.problem.code == "E_ROLLBACK_COUNTER_LATER"
    assert refused.value.problem.message == COUNTER_LATER.format("退费申请（2021-08-16受理）")
    with pytest.raises(Refused) as earlier:  # newest first: the stop is later than the enrolment
        roll_back(platform, sandbox_id, actor, id_number, enrolled.business_no)
    assert earlier.value.problem.code == "E_ROLLBACK_LATER_FIRST"
    assert snapshot(platform, sandbox_id) == before


def test_a_refund_recorded_before_its_list_of_businesses_still_blocks(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """A refund record without 依据业务编号 (kept by an older version) rests on the person's
    businesses at the unit done before it was accepted."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number)
    stop = platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=actor
    )
    record_refund(
        platform, sandbox_id, uscc=uscc_of(platform, actor.unit_id), id_numbers=[id_number],
        months=["2021-08"],
    )  # fmt: skip
    with platform.db.transaction() as session:
        record = session.scalars(
            select(CounterRecord).where(CounterRecord.sandbox_id == sandbox_id)
        ).one()
        details = json.loads(json.dumps(record.details))
        for row in details["清退人员"]:
            del row["依据业务编号"]
        record.details = details
    with pytest.raises(Refused) as refused:
        roll_back(platform, sandbox_id, actor, id_number, stop.business_no)
    assert refused.value.problem.code == "E_ROLLBACK_COUNTER_LATER"


def test_counter_work_that_does_not_rest_on_a_business_does_not_block_it(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """Returning unemployment benefit of months before the contract, the counter's back pay
    and a refund for a colleague: none of it rests on this registration."""
    _, actor = add_unit(platform, sandbox_id)
    uscc = uscc_of(platform, actor.unit_id)
    id_number = add_person(platform, sandbox_id)
    colleague = add_person(platform, sandbox_id, name="李四")
    add_benefit(platform, sandbox_id, id_number, "2021-03")  # before the contract: no I3-8
    enrol(platform, sandbox_id, actor, colleague, start="2020-12-01")
    before = snapshot(platform, sandbox_id)
    enrolled = enrol(platform, sandbox_id, actor, id_number)
    counter_submit(platform, sandbox_id, "counter_backpay", {"id_number": colleague}, uscc=uscc)
    platform.submit(
        sandbox_id, "stop_insurance", {"id_number": colleague, "stop_reason": "6301"}, actor=actor
    )
    record_refund(platform, sandbox_id, uscc=uscc, id_numbers=[colleague], months=["2021-08"])
    returned = counter_submit(
        platform, sandbox_id, "counter_benefit_return", {"id_number": id_number}
    )
    assert returned["data"]["months"] == ["2021-03"]
    outcome = roll_back(platform, sandbox_id, actor, id_number, enrolled.business_no)
    assert outcome.message == "回退成功"
    after, mine = snapshot(platform, sandbox_id), person_id(platform, sandbox_id, id_number)
    for table in ("employments", "insured_relations", "contribution_lines"):
        assert [row for row in after[table] if row[2] == mine] == [], table  # as if never done
        assert [row for row in before[table] if row[2] == mine] == [], table


def test_a_counter_business_is_not_rolled_back_online(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number, start="2020-12-01")
    counter = counter_submit(
        platform, sandbox_id, "counter_backpay", {"id_number": id_number},
        uscc=uscc_of(platform, actor.unit_id),
    )  # fmt: skip
    listed = candidates(platform, sandbox_id, actor, id_number)
    assert [(row["事项"], row["经办方式"]) for row in listed] == [
        ("用人单位用工参保登记", "网上大厅")
    ]
    with pytest.raises(Refused) as refused:
        roll_back(platform, sandbox_id, actor, id_number, counter["business_no"])
    assert (refused.value.problem.code, refused.value.problem.message) == (
        "E_ROLLBACK_NOT_ONLINE",
        "该业务为经办机构（柜台）办理的业务，不能网上回退",
    )


# --- the API and the CLI ---------------------------------------------------------------------------------


def test_the_counter_api_needs_no_unit_token(client, platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    enrol(platform, sandbox_id, actor, id_number, start="2020-12-01")
    uscc = uscc_of(platform, actor.unit_id)
    base = f"/api/v1/sandboxes/{sandbox_id}/counter"
    reply = client.post(f"{base}/backpays", json={"uscc": uscc, "id_number": id_number})
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["data"]["months"] == ["2020-12", "2021-01", "2021-02"]
    change = client.post(
        f"{base}/base-changes", json={"uscc": uscc, "id_number": id_number, "base": "5000"}
    )
    assert change.status_code == 201, change.get_json()
    unknown = client.post(
        f"{base}/backpays", json={"uscc": generate_credit_code("321302", 9), "id_number": id_number}
    )
    assert unknown.status_code == 404
    refund = client.post(
        f"{base}/refunds", json={"uscc": uscc, "id_numbers": [id_number], "months": ["2021-08"]}
    )
    assert refund.status_code == 422 and refund.get_json()["code"] == "E_REFUND_NEEDS_STOP"
    records = client.get(f"{base}/records", query_string={"uscc": uscc}).get_json()["records"]
    assert [r["kind"] for r in records] == ["backpay", "base_change"]
    paid = client.post(
        f"{base}/benefit-payments", json={"id_number": id_number, "months": ["2021-09"]}
    )
    assert paid.status_code == 201 and paid.get_json()["details"]["months"] == ["2021-09"]
    returned = client.post(f"{base}/benefit-returns", json={"id_number": id_number})
    assert returned.status_code == 201 and returned.get_json()["data"]["months"] == ["2021-09"]
    every = client.get(f"{base}/records").get_json()["records"]
    assert [r["kind"] for r in every][-2:] == ["benefit_payment", "benefit_return"]


def test_the_counter_cli(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHEBAO_SIM_HOME", str(tmp_path))
    monkeypatch.delenv("SHEBAO_SIM_DATABASE_URL", raising=False)
    from simulator.cli import build_cli

    cli = build_cli()
    runner = CliRunner()
    assert runner.invoke(cli, ["sandbox", "create", "c1", "--clock", "2021-08-16"]).exit_code == 0
    uscc = generate_credit_code("321302", 4242)
    legal_rep = generate_resident_id("321302", date(1970, 1, 1), 7, "女")
    registered = runner.invoke(
        cli,
        [
            "counter",
            "register-unit",
            "--sandbox",
            "c1",
            "-f",
            f"uscc={uscc}",
            "-f",
            "name=宿迁命令行有限公司",
            "-f",
            "region_code=321302",
            "-f",
            "legal_rep_name=韩法人",
            "-f",
            f"legal_rep_id_number={legal_rep}",
        ],
    )
    assert registered.exit_code == 0, registered.output
    assert json.loads(registered.output)["data"]["status"] == "参保"
    worker = generate_resident_id("321302", date(1990, 2, 2), 21, "男")
    fields = [arg for key, value in person_form(worker).items() for arg in ("-f", f"{key}={value}")]
    collected = runner.invoke(cli, ["counter", "collect", "--sandbox", "c1", *fields])
    assert collected.exit_code == 0, collected.output
    records = runner.invoke(cli, ["counter", "records", "--sandbox", "c1"])
    assert [r["kind"] for r in json.loads(records.output)] == [
        "unit_registration",
        "identity_collection",
    ]
    refused = runner.invoke(
        cli, ["counter", "benefit-return", "--sandbox", "c1", "--id-number", worker]
    )
    assert refused.exit_code == 2 and "E_NO_BENEFIT_TO_RETURN" in refused.output

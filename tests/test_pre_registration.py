"""用人单位用工参保预登记 (I10-1, I10-2): only on the paused days; on the 11th pending
pre-registrations become registrations of the new period, with their back pay."""

from __future__ import annotations

import pytest
from builders import add_person, add_unit
from sqlalchemy import select

from plugins.items.rollback import candidates
from simulator.db.models import (
    Business,
    ContributionLine,
    Employment,
    InsuredRelation,
    PreRegistration,
)
from simulator.errors import Refused

pytestmark = pytest.mark.db  # also run against PostgreSQL by .ci/run


def form(id_number: str, **extra: str) -> dict[str, str]:
    return {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": "2021-09-01",
        "job_type": "07",
        "base": "5000",
        **extra,
    }


def test_refused_outside_the_paused_days(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, "pre_registration", form(id_number), actor=actor)
    assert refused.value.problem.message == "预登记仅在每月7日至10日暂停申报期间办理"
    assert refused.value.problem.behaviour_id == "I10-2"


def test_pending_until_the_eleventh_then_registered_with_back_pay(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    platform.set_clock(sandbox_id, "2021-10-08")  # paused; the coming fee month is 2021-11
    outcome = platform.submit(
        sandbox_id, "pre_registration", form(id_number, contract_start="2021-10-08"), actor=actor
    )
    assert outcome.data["converts_on"] == "2021-10-11"
    assert outcome.data["state"] == "待转入"
    with pytest.raises(Refused) as twice:
        platform.submit(
            sandbox_id,
            "pre_registration",
            form(id_number, contract_start="2021-10-08"),
            actor=actor,
        )
    assert twice.value.problem.code == "E_PRE_REGISTRATION_PENDING"
    platform.advance_clock(sandbox_id, days=2)  # the 10th: still pending
    with platform.db.transaction() as session:
        record = session.scalars(
            select(PreRegistration).where(PreRegistration.sandbox_id == sandbox_id)
        ).one()
        assert record.state == "待转入"
    platform.advance_clock(sandbox_id, days=1)  # the 11th
    with platform.db.transaction() as session:
        record = session.scalars(
            select(PreRegistration).where(PreRegistration.sandbox_id == sandbox_id)
        ).one()
        assert record.state == "已转入", record.message
        business = session.scalars(
            select(Business).where(Business.business_no == record.converted_business_no)
        ).one()
        assert business.item_code == "employment_enrolment"
        assert business.fee_month == "2021-11"
        assert business.channel == "预登记转入"
        lines = business.result["data"]["补缴明细"]
        assert {line["起止年月"] for line in lines} == {"202110-202110"}


def test_the_registration_is_done_on_the_eleventh_however_far_the_clock_moves(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """I10-2: moved past the 11th (09-09 → 09-12), the registration is still the 11th's:
    its 业务编号, 经办时间 and fee month are those of the period opening that day."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    platform.set_clock(sandbox_id, "2021-09-08")
    platform.submit(
        sandbox_id, "pre_registration", form(id_number, contract_start="2021-09-08"), actor=actor
    )
    platform.advance_clock(sandbox_id, days=1)
    platform.advance_clock(sandbox_id, days=3)  # 09-12
    with platform.db.transaction() as session:
        record = session.scalars(
            select(PreRegistration).where(PreRegistration.sandbox_id == sandbox_id)
        ).one()
        business = session.scalars(
            select(Business).where(Business.business_no == record.converted_business_no)
        ).one()
        assert business.business_no.startswith("20210911")
        assert str(business.submitted_at) == "2021-09-11 09:00:00"
        assert business.fee_month == "2021-10"


def test_a_pre_registration_that_no_longer_fits_is_reported(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    platform.set_clock(sandbox_id, "2021-10-08")
    platform.submit(sandbox_id, "pre_registration", form(id_number), actor=actor)
    platform.set_clock(sandbox_id, "2021-10-09")
    from builders import add_relation

    other, _ = add_unit(platform, sandbox_id, name="另一单位")
    add_relation(platform, sandbox_id, id_number, unit_id=other, insurance="110")
    platform.advance_clock(sandbox_id, days=2)
    with platform.db.transaction() as session:
        record = session.scalars(
            select(PreRegistration).where(PreRegistration.sandbox_id == sandbox_id)
        ).one()
    assert record.state == "转入失败"
    assert record.message == "养老已参保，不能再办理参保"


# --- I6-1, I6-3: the registration of the 11th is an online business of its period ----------------


def converted(platform, sandbox_id, actor, id_number) -> str:  # type: ignore[no-untyped-def]
    """Pre-register on 2021-09-08; on the 11th it becomes a registration: its 业务编号."""
    platform.set_clock(sandbox_id, "2021-09-08")
    platform.submit(sandbox_id, "pre_registration", form(id_number), actor=actor)
    platform.set_clock(sandbox_id, "2021-09-11")
    with platform.db.transaction() as session:
        record = session.scalars(
            select(PreRegistration).where(PreRegistration.sandbox_id == sandbox_id)
        ).one()
        assert record.state == "已转入", record.message
        return str(record.converted_business_no)


def domain_rows(platform, sandbox_id) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    tables = (Employment, InsuredRelation, ContributionLine)
    with platform.db.transaction() as session:
        return {
            t.__tablename__: [
                tuple(row) for row in session.execute(select(t).where(t.sandbox_id == sandbox_id))
            ]
            for t in tables
        }


def test_the_registration_of_the_eleventh_is_rolled_back_in_its_period(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """The audit's case: 422 E_ROLLBACK_EARLIER_PERIOD on the 11th, which was false."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    before = domain_rows(platform, sandbox_id)
    number = converted(platform, sandbox_id, actor, id_number)
    assert domain_rows(platform, sandbox_id) != before
    (listed,) = candidates(platform, sandbox_id, actor, id_number)  # I6-3
    assert (listed["业务编号"], listed["事项"], listed["操作状态"], listed["经办方式"]) == (
        number,
        "用人单位用工参保登记",
        "办结",
        "预登记转入",
    )
    assert listed["经办时间"] == "2021-09-11 09:00:00"
    outcome = platform.submit(
        sandbox_id, "rollback", {"id_number": id_number, "business_no": number}, actor=actor
    )
    assert outcome.message == "回退成功"
    assert outcome.data["rolled_back"]["经办方式"] == "预登记转入"
    assert domain_rows(platform, sandbox_id) == before  # relations, employment, back pay: gone
    assert candidates(platform, sandbox_id, actor, id_number) == []
    with platform.db.transaction() as session:
        business = session.scalars(select(Business).where(Business.business_no == number)).one()
        assert business.state == "已回退"
    # as if never done: the unit registers the hire again in the hall
    platform.submit(sandbox_id, "employment_enrolment", form(id_number), actor=actor)


def test_the_registration_of_the_eleventh_blocks_like_any_later_business(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    number = converted(platform, sandbox_id, actor, id_number)
    stop = platform.submit(
        sandbox_id, "stop_insurance", {"id_number": id_number, "stop_reason": "6301"}, actor=actor
    )
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "rollback", {"id_number": id_number, "business_no": number}, actor=actor
        )
    assert refused.value.problem.code == "E_ROLLBACK_LATER_FIRST"
    assert stop.business_no in refused.value.problem.message


def test_in_a_later_period_the_refusal_says_so(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """I6-2, and the reason is the true one: the period, not the way it was declared."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    number = converted(platform, sandbox_id, actor, id_number)
    platform.set_clock(sandbox_id, "2021-10-11")
    assert candidates(platform, sandbox_id, actor, id_number) == []
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, "rollback", {"id_number": id_number, "business_no": number}, actor=actor
        )
    assert (refused.value.problem.code, refused.value.problem.behaviour_id) == (
        "E_ROLLBACK_EARLIER_PERIOD",
        "I6-2",
    )

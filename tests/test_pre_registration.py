"""用人单位用工参保预登记 (I10-1, I10-2): only on the paused days; on the 11th pending
pre-registrations become registrations of the new period, with their back pay."""

from __future__ import annotations

import pytest
from builders import add_person, add_unit
from sqlalchemy import select

from simulator.db.models import Business, PreRegistration
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

"""Monthly settlement: regular lines for every active relation, 单位征缴通知单 totals,
F-1 (duplicate insurance in the province) and F-3 (level 1–4 work injury base)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from builders import add_person, add_relation, add_unit, person_id
from sqlalchemy import select

from plugins.settlement import settle_on_demand
from simulator.db.models import ContributionLine, InsuredRelation, Person, Settlement


def lines(platform, sandbox_id, month):  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return session.scalars(
            select(ContributionLine).where(
                ContributionLine.sandbox_id == sandbox_id,
                ContributionLine.fee_month == month,
                ContributionLine.kind == "regular",
            )
        ).all()


@pytest.mark.db
def test_clock_reaching_the_seventh_settles_the_closed_month(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id, industry_class=2)
    id_number = add_person(platform, sandbox_id)
    platform.submit(
        sandbox_id,
        "employment_enrolment",
        {
            "id_number": id_number,
            "contract_reason": "1",
            "contract_start": "2021-07-01",
            "job_type": "07",
            "base": "12345.67",
        },
        actor=actor,
    )
    platform.set_clock(sandbox_id, "2021-09-06")
    assert lines(platform, sandbox_id, "2021-09") == []
    platform.advance_clock(sandbox_id, days=1)  # the 7th: 2021-09 is settled
    settled = {line.insurance_code: line for line in lines(platform, sandbox_id, "2021-09")}
    assert settled["110"].unit_amount == Decimal("1975.31")
    assert settled["110"].personal_amount == Decimal("987.65")
    assert settled["210"].unit_amount == Decimal("61.73")
    assert settled["410"].unit_amount == Decimal("49.38")  # class 二 0.4 %
    assert settled["410"].personal_amount == Decimal("0.00")
    with platform.db.transaction() as session:
        notice = session.scalars(
            select(Settlement).where(Settlement.sandbox_id == sandbox_id)
        ).one()
    # the month's lines plus the back pay declared in the period (2021-07, 2021-08)
    regular_unit = Decimal("1975.31") + Decimal("61.73") + Decimal("49.38")
    assert notice.unit_total == regular_unit * 3
    assert notice.people == 1
    # settling again changes nothing
    settle_on_demand(platform, sandbox_id, "2021-09")
    assert len(lines(platform, sandbox_id, "2021-09")) == 3


@pytest.mark.db
def test_base_is_clamped_per_month(platform, sandbox_id):  # type: ignore[no-untyped-def]
    unit_id, _ = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    add_relation(platform, sandbox_id, id_number, unit_id=unit_id, insurance="110")
    with platform.db.transaction() as session:
        relation = session.scalars(
            select(InsuredRelation).where(InsuredRelation.sandbox_id == sandbox_id)
        ).one()
        relation.base = Decimal("3000")
    settle_on_demand(platform, sandbox_id, "2024-06")
    (line,) = lines(platform, sandbox_id, "2024-06")
    assert line.base == Decimal("4879.00")  # 2024 floor


@pytest.mark.db
def test_duplicate_insurance_keeps_work_injury_at_the_later_unit(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """F-1"""
    first, _ = add_unit(platform, sandbox_id, name="先参保单位")
    later, _ = add_unit(platform, sandbox_id, name="后参保单位")
    id_number = add_person(platform, sandbox_id)
    for code in ("110", "210", "410"):
        add_relation(
            platform, sandbox_id, id_number, unit_id=first, insurance=code, start="2021-01"
        )
        add_relation(
            platform, sandbox_id, id_number, unit_id=later, insurance=code, start="2021-09"
        )
    summary = settle_on_demand(platform, sandbox_id, "2021-09")
    assert {n["insurance_code"] for n in summary["notes"] if n["behaviour_id"] == "F-1"} == {
        "110",
        "210",
    }
    settle_on_demand(platform, sandbox_id, "2021-10")
    october = {
        (line.unit_id, line.insurance_code) for line in lines(platform, sandbox_id, "2021-10")
    }
    assert october == {(first, "110"), (first, "210"), (first, "410"), (later, "410")}


@pytest.mark.db
def test_level_one_to_four_work_injury_pension_base(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """F-3: from 2021-10 the pension base is the disability allowance."""
    unit_id, _ = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id, birth=date(1975, 1, 1))
    with platform.db.transaction() as session:
        person = session.get(Person, person_id(platform, sandbox_id, id_number))
        person.work_injury_level = 3
        person.disability_allowance = Decimal("3600")
    add_relation(platform, sandbox_id, id_number, unit_id=unit_id, insurance="110")
    settle_on_demand(platform, sandbox_id, "2021-09")
    settle_on_demand(platform, sandbox_id, "2021-10")
    (september,) = lines(platform, sandbox_id, "2021-09")
    (october,) = lines(platform, sandbox_id, "2021-10")
    assert september.base == Decimal("5000.00")
    assert october.base == Decimal("3600.00")
    assert october.unit_amount == Decimal("576.00")

"""用人单位用工参保登记 (I3-1 … I3-12) with back pay (PER-4 … PER-6): every documented
refusal from its real cause in the data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from builders import add_benefit, add_person, add_relation, add_unit
from sqlalchemy import func, select

from simulator.db.models import ContributionLine, InsuredRelation
from simulator.errors import Refused

pytestmark = pytest.mark.db  # also run against PostgreSQL by .ci/run

ITEM = "employment_enrolment"


def form(id_number: str, **extra: str) -> dict[str, str]:
    return {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_type": "41",
        "contract_start": "2021-05-10",
        "job_type": "07",
        "base": "6000",
        **extra,
    }


def refused(platform, sandbox_id, actor, payload) -> Refused:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        platform.submit(sandbox_id, ITEM, payload, actor=actor)
    return caught.value


@pytest.fixture
def unit(platform, sandbox_id):  # type: ignore[no-untyped-def]
    return add_unit(platform, sandbox_id)


def test_enrolment_with_back_pay(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    outcome = platform.submit(sandbox_id, ITEM, form(id_number), actor=actor)
    data = outcome.data
    assert outcome.message == "办理成功"
    assert data["start_month"] == "2021-05"  # PER-6
    assert data["insurance_codes"] == ["110", "210", "410"]
    lines = {line["险种"]: line for line in data["补缴明细"]}
    assert lines["110"]["起止年月"] == "202105-202108"  # PER-4: not the current month 2021-09
    assert lines["110"]["补缴月数"] == 4
    assert lines["110"]["单位缴费金额"] == "3840.00"
    assert lines["110"]["个人缴费金额"] == "1920.00"
    assert lines["110"]["合计"] == "5760.00"
    assert lines["210"]["单位缴费金额"] == "120.00"
    assert lines["410"]["单位缴费金额"] == "96.00"  # class 二: 0.4 % × 100 %
    assert lines["410"]["个人缴费金额"] == "0.00"
    assert lines["110"]["补退流水号"].startswith("BT20210816")
    assert outcome.notices == []
    with platform.db.transaction() as session:
        count = session.scalar(
            select(func.count()).where(
                ContributionLine.sandbox_id == sandbox_id, ContributionLine.kind == "backpay"
            )
        )
    assert count == 12


def test_more_than_six_months_back(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    """PER-5: six months online, the older ones listed with the counter notice."""
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id, ITEM, form(id_number, contract_start="2020-11-01"), actor=actor
    )
    assert outcome.data["start_month"] == "2020-11"
    line = next(x for x in outcome.data["补缴明细"] if x["险种"] == "110")
    assert (line["起止年月"], line["补缴月数"]) == ("202103-202108", 6)
    (notice,) = outcome.notices
    assert notice["message"] == "超过六个月的补缴需要到柜台申请，网上只能补缴六个月内的"
    assert notice["months"] == ["2020-11", "2020-12", "2021-01", "2021-02"]


def test_back_pay_lines_split_where_the_floor_changes(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    _, actor = unit
    platform.set_clock(sandbox_id, "2023-01-16")  # fee month 2023-02
    id_number = add_person(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id, ITEM, form(id_number, contract_start="2022-09-01", base="3000"), actor=actor
    )
    pension = [x for x in outcome.data["补缴明细"] if x["险种"] == "110"]
    assert [(x["起止年月"], x["月基数"]) for x in pension] == [
        ("202209-202212", "4250"),
        ("202301-202301", "4494"),
    ]


def test_no_back_pay_when_the_contract_starts_in_the_current_month(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id, ITEM, form(id_number, contract_start="2021-09-01"), actor=actor
    )
    assert outcome.data["补缴明细"] == []


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("missing", "E_NO_BASE_RECORD", "未获取到人员基本信息"),
        ("pension_elsewhere", "E_PENSION_ACTIVE", "养老已参保，不能再办理参保"),
        ("all_elsewhere", "E_NO_IDENTITY", "没有符合该人员的参保身份"),
        ("retired_age", "E_NO_IDENTITY", "没有符合该人员的参保身份"),
        ("pensioner", "E_NO_IDENTITY", "没有符合该人员的参保身份"),
        ("two_records", "E_SEVERAL_RECORDS", "根据身份证号码找到多条人员信息，无法办理此业务"),
        ("benefit", "E_UNEMPLOYMENT_BENEFIT", "自参保开始日期下一月起，存在失业金发放信息"),
        ("flexible", "E_FLEX_INSURED", "该人员为灵活就业参保人员"),
        ("no_hukou", "E_HUKOU_NATURE_EMPTY", "户籍性质为空"),
        ("hr_fields", "E_HR_FIELDS_NOT_ALLOWED", "只有人力资源服务单位才能输入人力资源服务信息"),
    ],
)
def test_documented_refusals(platform, sandbox_id, unit, setup, code, message):  # type: ignore[no-untyped-def]
    unit_id, actor = unit
    other_unit, _ = add_unit(platform, sandbox_id, name="原单位")
    extra: dict[str, str] = {}
    if setup == "missing":
        id_number = "321302199001011234"
    elif setup == "retired_age":
        id_number = add_person(platform, sandbox_id, birth=date(1955, 3, 1))
    else:
        id_number = add_person(
            platform,
            sandbox_id,
            hukou_nature=None if setup == "no_hukou" else "11",
            records=2 if setup == "two_records" else 1,
            draws_pension=setup == "pensioner",
        )
    if setup == "pension_elsewhere":
        add_relation(platform, sandbox_id, id_number, unit_id=other_unit, insurance="110")
    if setup == "all_elsewhere":
        for code_ in ("110", "210", "410"):
            add_relation(platform, sandbox_id, id_number, unit_id=other_unit, insurance=code_)
    if setup == "flexible":
        add_relation(platform, sandbox_id, id_number, unit_id=None, kind="flexible")
    if setup == "benefit":
        add_benefit(platform, sandbox_id, id_number, "2021-07")
    if setup == "hr_fields":
        extra = {"dispatch_employer_no": "U1", "dispatch_employer_name": "某用工单位"}
    problem = refused(platform, sandbox_id, actor, form(id_number, **extra)).problem
    assert (problem.code, problem.message) == (code, message)
    assert problem.remedy
    assert problem.behaviour_id and problem.behaviour_id.startswith("I3-")
    with platform.db.transaction() as session:
        assert not session.scalars(
            select(InsuredRelation).where(
                InsuredRelation.sandbox_id == sandbox_id, InsuredRelation.unit_id == unit_id
            )
        ).all()


def test_benefit_in_the_start_month_itself_does_not_block(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    """I3-8 speaks of months *after* the start month."""
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    add_benefit(platform, sandbox_id, id_number, "2021-05")
    platform.submit(sandbox_id, ITEM, form(id_number), actor=actor)


def test_choosing_one_of_several_records(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    """I3-7: the unit may choose one record by 个人唯一识别码 and retry."""
    _, actor = unit
    id_number = add_person(platform, sandbox_id, records=2)
    from simulator.db.models import Person

    with platform.db.transaction() as session:
        numbers = session.scalars(
            select(Person.person_no).where(Person.id_number == id_number).order_by(Person.id)
        ).all()
    outcome = platform.submit(sandbox_id, ITEM, form(id_number, person_no=numbers[1]), actor=actor)
    assert outcome.data["person_no"] == numbers[1]
    # the other record is the same human being: not insured a second time, here…
    again = refused(platform, sandbox_id, actor, form(id_number, person_no=numbers[0])).problem
    assert again.code == "E_ALREADY_INSURED_HERE"
    # …nor at another unit, while every type runs here (I3-6)
    _, other = add_unit(platform, sandbox_id, name="另一单位")
    elsewhere = refused(platform, sandbox_id, other, form(id_number, person_no=numbers[0])).problem
    assert elsewhere.code == "E_NO_IDENTITY"


def test_hr_agency_must_give_the_dispatch_facts(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id, name="人力资源服务公司", hr_agency=True)
    id_number = add_person(platform, sandbox_id)
    problem = refused(platform, sandbox_id, actor, form(id_number)).problem
    assert problem.code == "E_HR_FIELDS_REQUIRED"
    assert "用工单位编号" in problem.message and "用工单位全称" in problem.message
    outcome = platform.submit(
        sandbox_id,
        ITEM,
        form(
            id_number,
            dispatch_type="1",
            dispatch_employer_no="32000001",
            dispatch_employer_name="某制造有限公司",
        ),
        actor=actor,
    )
    assert outcome.message == "办理成功"


def test_paused_days_refuse_enrolment(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    platform.set_clock(sandbox_id, "2021-09-08")
    problem = refused(platform, sandbox_id, actor, form(id_number)).problem
    assert problem.message == "当前为暂停申报期（每月7日至10日），仅可办理用人单位用工参保预登记"


def test_declared_base_is_clamped(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    """PER-3: both the declared and the effective base are reported."""
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    outcome = platform.submit(sandbox_id, ITEM, form(id_number, base="99999"), actor=actor)
    assert outcome.data["declared_base"] == "99999"
    assert Decimal(outcome.data["base"]) == Decimal("22470")
    assert outcome.data["base_adjustment"] == "封顶"


def test_twice_at_the_same_unit_is_refused(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    platform.submit(sandbox_id, ITEM, form(id_number), actor=actor)
    assert refused(platform, sandbox_id, actor, form(id_number)).problem.code == (
        "E_ALREADY_INSURED_HERE"
    )


@pytest.mark.parametrize(
    ("gender", "birth", "female_cadre", "age"),
    [
        ("男", date(1964, 12, 31), False, "60岁"),
        ("男", date(1965, 1, 1), False, "60岁1个月"),  # 对照表: 1965年1月–4月 → 60岁1个月
        ("男", date(1965, 5, 1), False, "60岁2个月"),
        ("男", date(1976, 8, 1), False, "62岁11个月"),
        ("男", date(1976, 9, 1), False, "63岁"),
        ("男", date(1990, 1, 1), False, "63岁"),
        ("女", date(1970, 1, 1), True, "55岁1个月"),
        ("女", date(1981, 9, 1), True, "58岁"),
        ("女", date(1975, 1, 1), False, "50岁1个月"),
        ("女", date(1975, 3, 1), False, "50岁2个月"),  # women workers: a month per two
        ("女", date(1984, 10, 1), False, "54岁11个月"),
        ("女", date(1984, 11, 1), False, "55岁"),
    ],
)
def test_statutory_retirement_age_rises_by_birth_month_from_2025(
    platform, gender, birth, female_cadre, age
):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from plugins.items.common import retirement_limit

    params = platform.parameters_for(platform.city("320100"))
    person = SimpleNamespace(gender=gender, birth_date=birth)
    ages = params.at(date(2025, 1, 1)).value("retirement.ages")
    assert str(retirement_limit(ages, person, female_cadre=female_cadre)) == age
    before = params.at(date(2024, 12, 31)).value("retirement.ages")
    assert retirement_limit(before, person, female_cadre=female_cadre).months == 0


def test_a_man_born_in_february_1965_is_not_yet_past_retirement_age_in_march_2025(platform):  # type: ignore[no-untyped-def]
    """I3-6 after the 2025 reform: born 1965-02-20 he retires at 60 years and one month
    (2025-03-20), so on 2025-03-16 he can still be enrolled; born 1965-01-10 he cannot."""
    sandbox = "t-retirement-2025"
    platform.create_sandbox(sandbox, clock="2025-03-16")
    try:
        _, actor = add_unit(platform, sandbox)
        younger = add_person(platform, sandbox, birth=date(1965, 2, 20))
        older = add_person(platform, sandbox, birth=date(1965, 1, 10))
        payload = form(younger, contract_start="2025-03-01")
        assert platform.submit(sandbox, ITEM, payload, actor=actor).message == "办理成功"
        problem = refused(platform, sandbox, actor, form(older, contract_start="2025-03-01"))
        assert problem.problem.code == "E_NO_IDENTITY"
    finally:
        platform.delete_sandbox(sandbox)


def test_a_base_below_the_fen_is_refused_and_changes_nothing(platform, sandbox_id, unit):  # type: ignore[no-untyped-def]
    """Money is yuan to the fen (PER-8): 4253.005 is not an amount the unit can declare."""
    _, actor = unit
    id_number = add_person(platform, sandbox_id)
    problem = refused(platform, sandbox_id, actor, form(id_number, base="4253.005")).problem
    assert problem.code == "E_INVALID_INPUT" and problem.field == "base"
    assert "两位小数" in problem.message
    outcome = platform.submit(sandbox_id, ITEM, form(id_number, base="4253.000"), actor=actor)
    assert outcome.data["declared_base"] == "4253.00"

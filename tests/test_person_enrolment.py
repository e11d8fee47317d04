"""人员参保登记 (I4-1 … I4-3): identities, the insurance types they imply, 常州's 新业态工伤."""

from __future__ import annotations

from datetime import date

import pytest
from builders import add_person, add_unit

from simulator.errors import Refused

pytestmark = pytest.mark.db  # also run against PostgreSQL by .ci/run

ITEM = "person_enrolment"


def form(id_number: str, identity: str, **extra: str) -> dict[str, str]:
    return {
        "id_number": id_number,
        "identity": identity,
        "base": "6000",
        "start_month": "2021-09",
        **extra,
    }


@pytest.mark.parametrize(
    ("identity", "unit_insurance", "expected"),
    [
        ("201", "210,410", ["410"]),  # 公务员/参公 → 工伤
        ("202", "210,410", ["210", "410"]),  # 事业编制职工 → 失业+工伤
        ("206", "110,210,410", ["410"]),  # 乡村医生
        ("203", "110,210,410", ["110", "210", "410"]),  # 待安置军人
    ],
)
def test_identity_implies_insurance(platform, sandbox_id, identity, unit_insurance, expected):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id, insurance=unit_insurance)
    id_number = add_person(platform, sandbox_id)
    outcome = platform.submit(sandbox_id, ITEM, form(id_number, identity), actor=actor)
    assert outcome.data["insurance_codes"] == expected


def test_over_age_work_injury(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    old = add_person(platform, sandbox_id, birth=date(1955, 1, 1))
    outcome = platform.submit(sandbox_id, ITEM, form(old, "207"), actor=actor)
    assert outcome.data["insurance_codes"] == ["410"]
    young = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, ITEM, form(young, "207"), actor=actor)
    assert refused.value.problem.code == "E_NOT_OVER_AGE"


def test_required_fields(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """I4-3: 参保开始时间 and 缴费基数 are required."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    for missing in ("base", "start_month"):
        payload = form(id_number, "206")
        payload.pop(missing)
        with pytest.raises(Refused) as refused:
            platform.submit(sandbox_id, ITEM, payload, actor=actor)
        assert refused.value.problem.code == "E_REQUIRED_FIELD"
        assert refused.value.problem.field == missing


def test_a_start_after_the_current_fee_month_names_the_forms_own_field(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """The form has 参保开始时间, not a labour contract."""
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(
            sandbox_id, ITEM, form(id_number, "206", start_month="2021-10"), actor=actor
        )
    problem = refused.value.problem
    assert (problem.code, problem.field) == ("E_START_NOT_REACHED", "start_month")
    assert problem.message.startswith("参保开始时间晚于当前费款所属期（2021-09）")


def test_new_forms_of_employment_only_in_changzhou(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """I4-1: 新业态工伤 is offered by the 常州 city plugin, not elsewhere."""
    _, changzhou = add_unit(platform, sandbox_id, name="常州某平台公司", region="320411")
    _, suqian = add_unit(platform, sandbox_id, name="宿迁某平台公司", region="321302")
    id_number = add_person(platform, sandbox_id)
    other = add_person(platform, sandbox_id, name="李四")
    outcome = platform.submit(sandbox_id, ITEM, form(id_number, "208"), actor=changzhou)
    assert outcome.data["insurance_codes"] == ["410"]
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, ITEM, form(other, "208"), actor=suqian)
    assert refused.value.problem.code == "E_IDENTITY_NOT_OFFERED"


def test_enterprise_employee_is_not_offered_here(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, ITEM, form(id_number, "101"), actor=actor)
    assert refused.value.problem.message == "没有符合该人员的参保身份"

"""World files (issue 3): the shipped worlds load and hold what they promise; a bad
file is refused naming the file, the YAML path and the problem, writing nothing;
the CLI and the API load worlds by name."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from mocks.models import IdentityRecord, MarketRecord
from simulator.db.models import (
    BenefitPayment,
    ContributionLine,
    Counter,
    Employment,
    InsuredRelation,
    Person,
    Sandbox,
    Settlement,
    Unit,
)
from simulator.errors import Refused
from simulator.identifiers import parse_resident_id
from simulator.platform import Platform
from simulator.worlds import (
    WorldError,
    find_world,
    list_worlds,
    load_world,
    load_world_data,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["demo", "suqian-80", "every-error", "hr-agency", "construction", "cities"]
DEFAULT_INSURANCE = {
    "企业": 3,
    "个体工商户": 3,
    "民办非企业": 3,
    "事业单位": 2,
    "机关": 2,
    "参公": 2,
}


def read(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))


def count(platform: Platform, model: Any, sandbox_id: str, *where: Any) -> int:
    with platform.db.transaction() as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.sandbox_id == sandbox_id, *where)
        )


def rows(platform: Platform, model: Any, sandbox_id: str, *where: Any) -> list[Any]:
    with platform.db.transaction() as session:
        return list(
            session.scalars(select(model).where(model.sandbox_id == sandbox_id, *where)).all()
        )


def expected_counts(world: dict[str, Any]) -> dict[str, int]:
    """What a world file promises, counted from the YAML alone (not through the loader)."""
    units = {unit["key"]: unit for unit in world["units"]}
    people = world["people"]
    present = [p for p in people if p.get("base_record", "present") == "present"]
    relations = 0
    for person in present:
        for job in person.get("employments", []):
            unit = units[job["unit"]]
            relations += len(
                job.get("insurance")
                or unit.get("insurance")
                or "x" * DEFAULT_INSURANCE[unit["nature"]]
            )
        relations += len((person.get("flexible") or {}).get("insurance", ["110"])) * bool(
            person.get("flexible")
        )
    projects = world.get("projects", [])
    stays = sum(len(project["workers"]) for project in projects)
    relations += stays  # a stay on a project opens its work-injury relation (I9-1)
    numbers = {p["id_number"] for p in people}
    reps = {unit["legal_rep"]["id_number"] for unit in world["units"]} - numbers
    return {
        "units": sum(1 for unit in world["units"] if unit.get("insured", True)),
        "market_records": len(world["units"]),
        "people": sum(p.get("duplicate_records", 1) for p in present),
        "identity_records": sum(
            1 for p in people if (p.get("public_security") or {}).get("known", True)
        )
        + len(reps),
        "employments": sum(len(p.get("employments", [])) for p in present),
        "insured_relations": relations,
        "benefit_payments": sum(len(p.get("unemployment_benefit", [])) for p in present),
        "projects": len(projects),
        "project_workers": stays,
    }


# --- the shipped worlds -------------------------------------------------------------------------


def test_the_shipped_worlds_are_registered(platform: Platform) -> None:
    names = [info.name for info in list_worlds(platform)]
    for name in SHIPPED:
        assert name in names
        assert find_world(platform, name) == ROOT / "scenarios" / f"{name}.yaml"
    assert all(info.description for info in list_worlds(platform) if info.name in SHIPPED)


@pytest.mark.db
@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_world_loads_and_the_counts_match_the_file(
    platform: Platform, sandbox_id: str, name: str
) -> None:
    world = read(name)
    summary = load_world(platform, sandbox_id, name)
    expected = expected_counts(world)
    for key, value in expected.items():
        assert summary.counts[key] == value, key
    tables = {
        "units": Unit,
        "market_records": MarketRecord,
        "people": Person,
        "identity_records": IdentityRecord,
        "employments": Employment,
        "insured_relations": InsuredRelation,
        "contribution_lines": ContributionLine,
        "benefit_payments": BenefitPayment,
    }
    for key, model in tables.items():
        assert count(platform, model, sandbox_id) == summary.counts[key], key
    described = platform.describe_sandbox(sandbox_id)
    assert described["world"] == name
    assert described["location_city"] == world["city"]
    assert described["clock"]["now"].startswith(str(world["clock"])[:10])
    assert summary.projects == [
        {"code": p["code"], "name": p["name"], "unit": p["unit"], "workers": len(p["workers"])}
        for p in world.get("projects", [])
    ]


def test_suqian_80_is_the_guides_sample_certificate(platform: Platform, sandbox_id: str) -> None:
    load_world(platform, sandbox_id, "suqian-80")
    [unit] = rows(platform, Unit, sandbox_id)
    assert (unit.region_code, unit.city_code, unit.insurance_list()) == (
        "321302",
        "321300",
        ["110", "210", "410"],
    )
    assert platform.city(unit.city_code).as_dict()["insured_place_label"] == "宿迁市市本级"
    active = rows(
        platform,
        InsuredRelation,
        sandbox_id,
        InsuredRelation.status == "1",
        InsuredRelation.stop_month.is_(None),
    )
    for code in ("110", "210", "410"):
        assert len({r.person_id for r in active if r.insurance_code == code}) == 80
    with platform.db.transaction() as session:
        months = session.execute(
            select(ContributionLine.person_id, ContributionLine.insurance_code, func.count())
            .where(
                ContributionLine.sandbox_id == sandbox_id,
                ContributionLine.fee_month.between("2020-01", "2020-12"),
            )
            .group_by(ContributionLine.person_id, ContributionLine.insurance_code)
        ).all()
    active_people = {r.person_id for r in active}
    full_year = [m for m in months if m[0] in active_people]
    assert len(full_year) == 80 * 3 and all(m[2] == 12 for m in full_year)
    # the one former employee has contributions in the range but was interrupted
    stopped = [m for m in months if m[0] not in active_people]
    assert stopped and all(m[2] == 6 for m in stopped)
    people = rows(platform, Person, sandbox_id)
    assert all(p.id_number.startswith("321302") for p in people)
    assert sorted(p.name[0] for p in people if p.id in {min(p.id for p in people)})[0] == "臧"


def test_contribution_history_is_clamped_and_priced(platform: Platform, sandbox_id: str) -> None:
    """PER-3 and PER-8 as simulator.contributions computes them (demo: 2021 values)."""
    load_world(platform, sandbox_id, "demo")
    lines = {
        (line.person_id, line.insurance_code, line.fee_month): line
        for line in rows(platform, ContributionLine, sandbox_id)
    }
    people = {p.name: p.id for p in rows(platform, Person, sandbox_id)}
    low = lines[(people["张伟"], "110", "2021-05")]  # declared 4000: raised to the floor
    assert (low.base, low.unit_amount, low.personal_amount) == (
        Decimal("4250.00"),
        Decimal("680.00"),
        Decimal("340.00"),
    )
    high = lines[(people["刘洋"], "210", "2021-06")]  # declared 30000: cut to the ceiling
    assert (high.base, high.unit_amount, high.personal_amount) == (
        Decimal("22470.00"),
        Decimal("112.35"),
        Decimal("112.35"),
    )
    injury = lines[(people["王建国"], "410", "2021-03")]  # class 1, tier 1: 0.2 %
    assert (injury.unit_amount, injury.personal_amount) == (Decimal("17.00"), Decimal("0.00"))
    relation = rows(
        platform, InsuredRelation, sandbox_id, InsuredRelation.person_id == people["刘洋"]
    )[0]
    assert (relation.declared_base, relation.base) == (Decimal("30000.00"), Decimal("22470.00"))
    months = {line.fee_month for line in lines.values() if line.person_id == people["王建国"]}
    assert min(months) == "2021-02" and max(months) == "2021-08"  # the last settled month


def _notices(platform: Platform, sandbox_id: str) -> dict[tuple[int, str], Settlement]:
    return {(n.unit_id, n.fee_month): n for n in rows(platform, Settlement, sandbox_id)}


@pytest.mark.db
def test_a_world_holds_the_collection_notices_of_its_settled_months(
    platform: Platform, sandbox_id: str
) -> None:
    """Q-6: the world *is* the state on its day, settled months included — each month of
    its history has its 单位征缴通知单, as the monthly settlement makes it."""
    summary = load_world(platform, sandbox_id, "demo")
    [unit] = rows(platform, Unit, sandbox_id)
    notices = _notices(platform, sandbox_id)
    months = [f"2021-{m:02d}" for m in range(2, 9)]  # history 2021-02 … the last settled month
    assert sorted(month for _, month in notices) == months
    assert summary.notices == summary.as_dict()["notices"] == 7
    lines = rows(platform, ContributionLine, sandbox_id)
    for month in months:
        notice = notices[(unit.id, month)]
        of_month = [line for line in lines if line.fee_month == month]
        assert notice.notice_no == f"ZJ{month.replace('-', '')}320100000001"
        assert notice.lines == len(of_month)
        assert notice.people == len({line.person_id for line in of_month})
        assert notice.unit_total == sum(line.unit_amount for line in of_month)
        assert notice.personal_total == sum(line.personal_amount for line in of_month)
        assert notice.total == notice.unit_total + notice.personal_total
        assert notice.notes == []
    assert notices[(unit.id, "2021-08")].people == 5
    # settled on the 7th that closed each period (PER-2); 2021-07, the old calendar's last
    # month, on the 7th after it; never after the world's clock
    settled = {month: notices[(unit.id, month)].settled_at for month in months}
    assert settled["2021-02"] == datetime(2021, 3, 7)
    assert settled["2021-06"] == datetime(2021, 7, 7)
    assert settled["2021-07"] == settled["2021-08"] == datetime(2021, 8, 7)


def test_a_worlds_notices_are_those_the_settlement_makes(
    platform: Platform, sandbox_id: str
) -> None:
    """Q-6: settling a month the world holds again changes no total (one rule), and the
    next settlement adds its month."""
    from plugins.settlement import settle_on_demand

    load_world(platform, sandbox_id, "suqian-80")
    loaded = _notices(platform, sandbox_id)
    assert len(loaded) == 20  # 2020-01 … 2021-08, one unit
    (unit_id, _), *_ = loaded
    assert loaded[(unit_id, "2020-03")].people == 81  # the former employee left in 2020-06
    assert loaded[(unit_id, "2020-07")].people == 80
    settle_on_demand(platform, sandbox_id, "2021-08")
    platform.advance_clock(sandbox_id, days=22)  # 2021-09-07: 2021-09 is settled
    settled = _notices(platform, sandbox_id)
    assert set(settled) == {*loaded, (unit_id, "2021-09")}

    def totals(notice: Settlement) -> tuple[Any, ...]:
        return (notice.notice_no, notice.people, notice.lines, notice.unit_total,
                notice.personal_total, notice.total)  # fmt: skip

    again = settled[(unit_id, "2021-08")]
    assert totals(again) == totals(loaded[(unit_id, "2021-08")])
    assert again.settled_at == datetime(2021, 8, 16, 9)  # settled again, on demand
    assert settled[(unit_id, "2021-09")].people == 80


def test_a_world_without_history_has_no_notices(
    platform: Platform, sandbox_id: str, tmp_path: Path
) -> None:
    """Q-6: no contribution lines, nothing settled to show."""
    world = read("demo")
    for person in world["people"]:
        for job in person.get("employments", []):
            job.pop("contributions", None)
    summary = load_world_data(platform, sandbox_id, world)
    assert summary.counts["contribution_lines"] == 0
    assert summary.notices == 0 and rows(platform, Settlement, sandbox_id) == []


def _by_name(platform: Platform, sandbox_id: str) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = {}
    for person in rows(platform, Person, sandbox_id):
        out.setdefault(person.name, []).append(person)
    return out


@pytest.mark.db
def test_every_error_holds_each_situation(platform: Platform, sandbox_id: str) -> None:
    world = read("every-error")
    load_world(platform, sandbox_id, "every-error")
    people = _by_name(platform, sandbox_id)
    numbers = {p["name"]: p["id_number"] for p in world["people"]}
    identities = {r.id_number: r for r in rows(platform, IdentityRecord, sandbox_id)}
    relations = rows(platform, InsuredRelation, sandbox_id)
    units = {u.id: u for u in rows(platform, Unit, sandbox_id)}
    main = next(u for u in units.values() if u.name == "南京示例机械制造有限公司")

    def active(name: str) -> list[InsuredRelation]:
        ids = {p.id for p in people[name]}
        return [
            r for r in relations if r.person_id in ids and r.status == "1" and r.stop_month is None
        ]

    # I2-2: a mismatch (public security has another name) and an unknown number
    assert "李晓明" not in people and identities[numbers["李晓明"]].name == "李小明"
    assert "钱多多" not in people and numbers["钱多多"] not in identities
    # I2-3 by data: unknown number whose order code is 99x (the mock fails for it)
    assert numbers["孙浩然"] not in identities and numbers["孙浩然"][14:16] == "99"
    # I2-4: collected, never insured
    assert len(people["王浩"]) == 1 and not active("王浩")
    # I3-4: public security only
    assert "林小雨" not in people and identities[numbers["林小雨"]].name == "林小雨"
    # I3-5: pension only, still active at another unit
    assert {(r.insurance_code, r.unit_id != main.id) for r in active("何志明")} == {("110", True)}
    # I3-6: every type at another unit; past retirement age; drawing a pension
    assert {r.insurance_code for r in active("马建军") if r.unit_id != main.id} == {
        "110",
        "210",
        "410",
    }
    assert parse_resident_id(numbers["高德明"]).birth_date.year <= 1961
    assert people["罗国平"][0].draws_pension
    # I3-7: two base records, one number
    assert len(people["张敏"]) == 2 and len({p.person_no for p in people["张敏"]}) == 2
    # I3-8: unemployment benefit paid in the back-pay span, not returned
    benefits = rows(
        platform, BenefitPayment, sandbox_id, BenefitPayment.person_id == people["刘芳"][0].id
    )
    assert {b.month for b in benefits} >= {"2021-05", "2021-06"} and all(
        not b.returned_on for b in benefits
    )
    # I3-9: flexible-employment pension, no unit
    [flexible] = active("陈刚")
    assert (flexible.kind, flexible.unit_id, flexible.insurance_code) == ("flexible", None, "110")
    # I3-10: 户籍性质 empty
    assert people["黄丽"][0].hukou_nature is None
    # I3-11: a unit that is not an HR agency and one that is
    assert not main.is_hr_agency and any(u.is_hr_agency for u in units.values())
    dispatched = rows(platform, Employment, sandbox_id, Employment.dispatch_type != "")
    assert dispatched and all(e.dispatch_employer_no for e in dispatched)
    # F-1: insured at two units at once; F-3: level 1–4 with an allowance
    assert len({r.unit_id for r in active("冯志刚") if r.insurance_code == "110"}) == 2
    injured = people["郑国强"][0]
    assert injured.work_injury_level <= 4 and injured.disability_allowance == Decimal("3600.00")
    # I1: market-only units (存续, 注销, 吊销) and F-4 (market name differs)
    market = rows(platform, MarketRecord, sandbox_id)
    insured = {u.uscc: u for u in units.values()}
    assert {m.status for m in market if m.uscc not in insured} == {"存续", "注销", "吊销"}
    assert any(m.uscc in insured and m.name != insured[m.uscc].name for m in market)


def test_every_error_tags_cover_the_documented_errors() -> None:
    tags = {
        tag for person in read("every-error")["people"] for tag in person.get("illustrates", [])
    }
    required = {"I2-2", "I2-3", "I2-4", *(f"I3-{n}" for n in range(4, 12)), "F-1", "F-3"}
    assert required <= tags, sorted(required - tags)


def test_docs_name_every_person_of_every_error() -> None:
    docs = (ROOT / "docs" / "worlds.md").read_text(encoding="utf-8")
    for person in read("every-error")["people"]:
        assert person["name"] in docs, person["name"]
        assert person["id_number"] in docs, person["name"]


def test_person_numbers_continue_after_the_world(platform: Platform, sandbox_id: str) -> None:
    load_world(platform, sandbox_id, "demo")
    numbers = sorted(p.person_no for p in rows(platform, Person, sandbox_id))
    with platform.db.transaction() as session:
        counter = session.get(Counter, (sandbox_id, "person"))
    assert counter is not None and numbers[-1].endswith(f"{counter.value:010d}")


# --- refusing ------------------------------------------------------------------------------------


@pytest.mark.db
def test_a_second_load_is_refused_unless_replacing(platform: Platform, sandbox_id: str) -> None:
    load_world(platform, sandbox_id, "demo")
    with pytest.raises(Refused) as refused:
        load_world(platform, sandbox_id, "every-error")
    assert refused.value.problem.code == "E_WORLD_PRESENT"
    summary = load_world(platform, sandbox_id, "every-error", replace=True)
    assert summary.replaced
    assert count(platform, Person, sandbox_id) == summary.counts["people"]
    assert platform.describe_sandbox(sandbox_id)["world"] == "every-error"


def test_unknown_world_and_sandbox(platform: Platform, sandbox_id: str) -> None:
    with pytest.raises(Refused) as refused:
        load_world(platform, sandbox_id, "no-such-world")
    assert refused.value.problem.code == "E_UNKNOWN_WORLD"
    with pytest.raises(Refused) as refused:
        load_world(platform, "no-such-sandbox", "demo")
    assert refused.value.problem.code == "E_UNKNOWN_SANDBOX"


GOOD = """\
name: tiny
city: "320100"
clock: 2021-08-16
location_city: null
units:
- key: a
  serial: 1
  name: 示例单位
  region_code: "320106"
  legal_rep: {name: 周明远, id_number: "320106197803140438"}
  industry_class: 1
  bank: {name: 工行, account_name: 示例单位, account_no: "12345678"}
  contact: {name: 陈静, phone: "13951712345"}
people:
- id_number: "320106198205170631"
  name: 王建国
  mobile: "17351234567"
  hukou_nature: "11"
  employments:
  - unit: a
    contract_start: 2021-02-01
    base: 8500.5
    contributions: {months: 2}
"""

#: (text in GOOD, its replacement, the YAML path named, a part of the problem)
BAD = [
    ("units:\n- key: a\n", "units:\n- key: a\n  colour: red\n", "units[0].colour",
     "unknown field 'colour'"),
    ('"320106198205170631"', '"320106198205170632"', "people[0].id_number", "校验位"),
    ("2021-02-01", "2021-02-30", "people[0].employments[0].contract_start", "not a date"),
    ("unit: a", "unit: b", "people[0].employments[0].unit", "no unit with key 'b'"),
    ("name: tiny", "name: Tiny!", "name", "pattern"),
    ("contributions: {months: 2}", "contributions: {to: 2021-09}",
     "people[0].employments[0].contributions.to", "after 2021-08"),
]  # fmt: skip


def _tiny(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.db
def test_a_good_small_world(platform: Platform, sandbox_id: str, tmp_path: Path) -> None:
    summary = load_world(platform, sandbox_id, _tiny(tmp_path, GOOD))
    assert (
        summary.location_city is None
        and platform.describe_sandbox(sandbox_id)["location_city"] is None
    )
    assert summary.counts["contribution_lines"] == 2 * 3  # 2021-07 and 2021-08, three types
    [relation, *_] = rows(platform, InsuredRelation, sandbox_id)
    assert relation.declared_base == Decimal("8500.50")
    [unit] = rows(platform, Unit, sandbox_id)
    assert unit.uscc.startswith("91320106") and unit.unit_no == "320100000001"


@pytest.mark.db
@pytest.mark.parametrize(("old", "new", "path", "problem"), BAD)
def test_a_bad_world_names_file_path_and_problem_and_writes_nothing(
    platform: Platform, sandbox_id: str, tmp_path: Path, old: str, new: str, path: str, problem: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new)
    file = _tiny(tmp_path, text)
    with pytest.raises(WorldError) as error:
        load_world(platform, sandbox_id, file)
    message = str(error.value)
    assert "tiny.yaml:" in message and f": {path}: " in message and problem in message, message
    line = int(re.search(r"tiny\.yaml:(\d+):", message).group(1))
    assert 1 <= line <= len(text.splitlines())
    for model in (Unit, Person, IdentityRecord, MarketRecord, InsuredRelation, ContributionLine):
        assert count(platform, model, sandbox_id) == 0
    with platform.db.transaction() as session:
        assert session.get(Sandbox, sandbox_id).world is None


def test_every_problem_is_listed(platform: Platform, sandbox_id: str) -> None:
    data = yaml.safe_load(GOOD)
    data["people"][0]["birth_date"] = "1982-05-18"
    data["people"][0]["gender"] = "女"
    data["units"][0]["industry_class"] = None
    data["people"].append(dict(data["people"][0], name="重复"))
    with pytest.raises(WorldError) as error:
        load_world_data(platform, sandbox_id, data, source="inline")
    paths = {problem.path for problem in error.value.problems}
    assert {
        "people[0].birth_date",
        "people[0].gender",
        "units[0].industry_class",
        "people[1].id_number",
    } <= paths


def test_schema_and_content_problems_come_in_one_load(
    platform: Platform, sandbox_id: str, tmp_path: Path
) -> None:
    """docs/worlds.md: all problems at once, not structure first, then content, then
    references (an unknown field, a bad date, a missing industry class, a bad check digit
    and an unknown unit key used to take three loads)."""
    text = (
        GOOD.replace("units:\n- key: a\n", "units:\n- key: a\n  colour: red\n")
        .replace("  industry_class: 1\n", "")
        .replace('"320106198205170631"', '"320106198205170632"')
        .replace('  hukou_nature: "11"\n', '  hukou_nature: "11"\n  birth_date: 1982-02-30\n')
        .replace("unit: a", "unit: nope")
    )
    with pytest.raises(WorldError) as error:
        load_world(platform, sandbox_id, _tiny(tmp_path, text))
    found = {(problem.path, problem.message.split(":")[0]) for problem in error.value.problems}
    assert found == {
        ("units[0].colour", "unknown field 'colour'"),
        ("units[0].industry_class", "工伤保险 (410) needs the work-injury industry class (1–8)"),
        ("people[0].id_number", "not a valid 公民身份号码"),
        ("people[0].birth_date", "not a date (YYYY-MM-DD)"),
        ("people[0].employments[0].unit", "no unit with key 'nope' in units"),
    }
    lines = [problem.line for problem in error.value.problems]
    assert lines == sorted(lines) and None not in lines  # in the file's order
    assert count(platform, Unit, sandbox_id) == 0
    # the same from a mapping (load_world_data)
    with pytest.raises(WorldError) as again:
        data = yaml.safe_load(text.replace("1982-02-30", "'1982-02-30'"))
        load_world_data(platform, sandbox_id, data)
    assert {p.path for p in again.value.problems} == {path for path, _ in found}


def test_references_to_an_item_set_aside_are_not_reported_twice(
    platform: Platform, sandbox_id: str
) -> None:
    """A unit the schema check refuses is not also "unknown" to the people who work there;
    a value left out is not also reported missing."""
    data = yaml.safe_load(GOOD)
    data["units"][0]["insured"] = "maybe"  # the default would change the meaning: set aside
    data["units"][0]["industry_class"] = 9  # optional: left out, not "needs its class"
    data["people"][0]["employments"][0].update(stop_month="2021-13", stopped_on="2021-05-03")
    data["people"][0]["mobile"] = "123"
    with pytest.raises(WorldError) as error:
        load_world_data(platform, sandbox_id, data, source="inline")
    paths = sorted(problem.path for problem in error.value.problems)
    assert paths == [
        "people[0].employments[0].stop_month",
        "people[0].mobile",
        "units[0].industry_class",
        "units[0].insured",
    ]
    # a person set aside: a project naming them is not told they are unknown
    data = yaml.safe_load(GOOD)
    del data["people"][0]["mobile"]
    data["projects"] = [
        {
            "code": "GC1",
            "name": "示例工程",
            "region_code": "320106",
            "cost": 1,
            "start_date": "2021-01-01",
            "end_date": "2021-12-31",
            "unit": "a",
            "workers": [{"id_number": "320106198205170631", "entered_on": "2020-12-01"}],
        }
    ]
    with pytest.raises(WorldError) as error:
        load_world_data(platform, sandbox_id, data, source="inline")
    assert sorted(problem.path for problem in error.value.problems) == [
        "people[0].mobile",
        "projects[0].workers[0].entered_on",
    ]


def test_a_file_that_is_not_yaml(platform: Platform, sandbox_id: str, tmp_path: Path) -> None:
    with pytest.raises(WorldError, match=r"tiny\.yaml:\d+: <world>: not valid YAML"):
        load_world(platform, sandbox_id, _tiny(tmp_path, "name: [unclosed\n"))


# --- CLI and API -----------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("SHEBAO_SIM_DATABASE_URL", raising=False)
    return {"SHEBAO_SIM_HOME": str(tmp_path / "home")}


def test_cli_world_list_and_load(cli_env: dict[str, str]) -> None:
    from simulator.cli import build_cli

    runner = CliRunner()
    cli = build_cli()
    listed = runner.invoke(cli, ["world", "list"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    assert all(name in listed.output for name in SHIPPED)
    loaded = runner.invoke(cli, ["world", "load", "every-error", "--sandbox", "c1"], env=cli_env)
    assert loaded.exit_code == 0, loaded.output
    summary = json.loads(loaded.output)
    assert summary["world"] == "every-error" and summary["counts"]["benefit_payments"] == 4
    again = runner.invoke(cli, ["world", "load", "demo", "--sandbox", "c1"], env=cli_env)
    assert again.exit_code == 2 and "E_WORLD_PRESENT" in again.output
    replaced = runner.invoke(
        cli, ["world", "load", "demo", "--sandbox", "c1", "--replace"], env=cli_env
    )
    assert replaced.exit_code == 0, replaced.output
    clock = runner.invoke(cli, ["clock", "show", "--sandbox", "c1"], env=cli_env)
    assert json.loads(clock.output)["date"] == "2021-08-16"


def test_cli_bad_world_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    from simulator.cli import build_cli

    bad = _tiny(tmp_path, GOOD.replace("2021-02-01", "2021-02-30"))
    result = CliRunner().invoke(
        build_cli(), ["world", "load", str(bad), "--sandbox", "c2"], env=cli_env
    )
    assert result.exit_code == 2
    assert "people[0].employments[0].contract_start: not a date" in result.output
    listed = CliRunner().invoke(build_cli(), ["sandbox", "list"], env=cli_env)
    assert "c2" not in listed.output  # the sandbox created for the load is gone again


def test_api_lists_and_loads_worlds(client: Any, platform: Platform, sandbox_id: str) -> None:
    listed = client.get("/api/v1/worlds")
    assert listed.status_code == 200
    assert {w["name"] for w in listed.get_json()["worlds"]} >= set(SHIPPED)
    response = client.post(f"/api/v1/sandboxes/{sandbox_id}/world", json={"name": "hr-agency"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["world"] == "hr-agency" and body["location_city"] == "320500"
    assert body["counts"]["people"] == count(platform, Person, sandbox_id)
    again = client.post(f"/api/v1/sandboxes/{sandbox_id}/world", json={"name": "demo"})
    assert again.status_code == 409 and again.get_json()["code"] == "E_WORLD_PRESENT"
    missing = client.post(f"/api/v1/sandboxes/{sandbox_id}/world", json={"name": "nope"})
    assert missing.status_code == 404 and missing.get_json()["code"] == "E_UNKNOWN_WORLD"
    replaced = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/world", json={"name": "demo", "replace": True}
    )
    assert replaced.status_code == 201 and replaced.get_json()["replaced"] is True
    bad = client.post(f"/api/v1/sandboxes/{sandbox_id}/world", json={"name": "../etc"})
    assert bad.status_code == 400


def test_the_construction_worlds_projects_and_workers_are_on_file(
    platform: Platform, sandbox_id: str
) -> None:
    """I9-1, I9-2: the world's projects answer the look-up by 工程编码 like registered ones."""
    from plugins.items.project_workers import project_facts

    load_world(platform, sandbox_id, "construction")
    [unit] = [u for u in rows(platform, Unit, sandbox_id) if u.uscc == "913203111766123770"]
    facts = project_facts(platform, sandbox_id, unit.id, "GC320312202100017")
    assert facts["工程名称"] == "徐州示例安置房二期工程"
    people = facts["已有人员信息"]
    assert (len(people), facts["在场人数"]) == (6, 5)
    left = [p for p in people if p["离场日期"]]
    assert [p["离场日期"] for p in left] == ["2021-07-20"]
    with platform.db.transaction() as session:
        relations = session.scalars(
            select(InsuredRelation).where(
                InsuredRelation.sandbox_id == sandbox_id, InsuredRelation.kind == "project"
            )
        ).all()
    assert len(relations) == 9  # six and three stays, one worker on both projects
    assert {r.insurance_code for r in relations} == {"410"}
    assert sorted(r.status for r in relations).count("3") == 1

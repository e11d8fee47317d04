"""Generated worlds: many units and people, the same for one seed on every machine and day.

``shebao-sim world generate --units N --people M --seed S`` builds a world of
``N`` insured units with ``M`` insured employees each and writes it as a world
file (``docs/worlds.md``) or loads it straight into a sandbox.

Reproducible by construction:

* every choice comes from one ``random.Random(seed)``; Faker (``zh_CN``, seeded
  with the same seed) only fills fixed-size pools of names, company names and
  street names before anything else is drawn, so the world never depends on how
  many names were asked for;
* 公民身份号码 are made by :func:`simulator.identifiers.generate_resident_id` from an
  explicit birth date and a real Jiangsu county code (never ``Faker.ssn()``,
  whose birth dates follow today's date);
* 统一社会信用代码 by :func:`simulator.identifiers.generate_credit_code` (check
  character included), mobile numbers from today's real prefixes (17x and 19x
  among them);
* nothing reads the clock: the world's own clock is a parameter (default
  2021-08-16), and the file is written by a small emitter of our own rather
  than a YAML library whose output could differ between versions.

(The names come from Faker's ``zh_CN`` data, so a different Faker release may
give different names for one seed; everything else is ours.)
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faker import Faker

from simulator.identifiers import (
    FEMALE,
    MALE,
    generate_credit_code,
    generate_resident_id,
    jiangsu_counties,
    jiangsu_prefectures,
)
from simulator.months import Month

if TYPE_CHECKING:
    from simulator.platform import Platform

__all__ = [
    "DEFAULT_CITY",
    "DEFAULT_CLOCK",
    "MOBILE_PREFIXES",
    "dump_world",
    "generate_world",
    "mobile_number",
]

DEFAULT_CITY = "320100"
DEFAULT_CLOCK = date(2021, 8, 16)

#: Mobile number prefixes in use (号段), by carrier; 17x and 19x included.
MOBILE_PREFIXES: tuple[str, ...] = (
    # 中国移动
    "134", "135", "136", "137", "138", "139", "147", "148", "150", "151", "152", "157",
    "158", "159", "172", "178", "182", "183", "184", "187", "188", "195", "197", "198",
    # 中国联通
    "130", "131", "132", "145", "146", "155", "156", "166", "167", "171", "175", "176",
    "185", "186", "196",
    # 中国电信
    "133", "149", "153", "173", "174", "177", "180", "181", "189", "190", "191", "193", "199",
    # 中国广电
    "192",
    # 虚拟运营商
    "162", "165", "170",
)  # fmt: skip

BANKS = (
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "中国邮政储蓄银行",
    "江苏银行",
    "招商银行",
)
ETHNICITIES = ("汉族",) * 60 + ("回族", "满族", "蒙古族", "壮族", "苗族", "土家族")
EDUCATION = ("", "", "初中", "高中", "中专", "大专", "本科", "硕士研究生")

NAME_POOL = 2048
COMPANY_POOL = 512
STREET_POOL = 512
#: share of people whose hukou is in the world's city (the rest: elsewhere in Jiangsu)
LOCAL_SHARE = 0.7
EARLIEST_CONTRACT = date(2016, 1, 1)


def mobile_number(rng: random.Random) -> str:
    """An 11-digit mobile number with a real prefix."""
    draw = rng.random
    return MOBILE_PREFIXES[int(draw() * len(MOBILE_PREFIXES))] + f"{int(draw() * 10**8):08d}"


class _Pools:
    """Faker's data, drawn once per seed into fixed-size pools."""

    def __init__(self, seed: int) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.names = [fake.name() for _ in range(NAME_POOL)]
        self.companies = [fake.company() for _ in range(COMPANY_POOL)]
        self.streets = [fake.street_name() for _ in range(STREET_POOL)]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _short(name: str) -> str:
    return name.removesuffix("市")


def generate_world(
    *,
    units: int,
    people: int,
    seed: int,
    city: str = DEFAULT_CITY,
    history_months: int = 0,
    clock: date = DEFAULT_CLOCK,
    name: str | None = None,
    platform: Platform | None = None,
    progress: Callable[[int], Any] | None = None,
) -> dict[str, Any]:
    """A world (the mapping a world file holds) of ``units`` units × ``people`` people.

    ``history_months``: contribution lines for the last N settled months of each
    employment (0: none; they are the bulk of a big world).  ``platform`` gives
    the declaration calendar and parameters (default: a fresh in-memory one).
    ``progress`` is called with the number of units done since its last call.
    """
    from simulator.memory import gc_paused

    if city not in jiangsu_prefectures():
        raise ValueError(f"{city!r} is not a Jiangsu prefecture-level city code")
    if units < 0 or people < 0 or history_months < 0:
        raise ValueError("units, people and history_months must not be negative")
    last_settled, first_parameter_month = _months(platform, city, clock)
    with gc_paused():
        generator = _Generator(seed, city, clock, last_settled, first_parameter_month)
        unit_list: list[dict[str, Any]] = []
        person_list: list[dict[str, Any]] = []
        for index in range(units):
            unit = generator.unit(index)
            unit_list.append(unit)
            for _ in range(people):
                person_list.append(generator.person(unit["key"], history_months))
            if progress is not None:
                progress(1)
    city_name = jiangsu_prefectures()[city]
    return {
        "format": 1,
        "name": name or f"generated-{seed}",
        "description": (
            f"Generated world: {units} units × {people} people in {city_name}, seed {seed} "
            f"(shebao-sim world generate)."
        ),
        "city": city,
        "clock": clock,
        "units": unit_list,
        "people": person_list,
    }


class _Generator:
    """The draws of one generated world, all from one ``random.Random``."""

    def __init__(
        self,
        seed: int,
        city: str,
        clock: date,
        last_settled: Month,
        first_parameter_month: Month | None,
    ) -> None:
        self.rng = random.Random(seed)
        self.draw = self.rng.random
        self.pools = _Pools(seed)
        prefectures = jiangsu_prefectures()
        counties = jiangsu_counties()
        self.counties = counties
        self.city_short = _short(prefectures[city])
        self.local = sorted(code for code in counties if code[:4] == city[:4])
        self.elsewhere = sorted(code for code in counties if code[:4] != city[:4])
        #: '320106' → '南京市鼓楼区'
        self.places = {
            code: f"{prefectures[code[:4] + '00']}{name}" for code, name in counties.items()
        }
        self.last_settled = last_settled
        self.first_parameter_month = first_parameter_month
        self.last_contract = last_settled.first_day()
        youngest = _years_before(clock, 18)
        # (first possible birth day, number of possible days) below retirement age
        oldest = {
            MALE: _years_before(clock, 60) + timedelta(days=1),
            FEMALE: _years_before(clock, 50) + timedelta(days=1),
        }
        self.births = {
            gender: (first, (youngest - first).days + 1) for gender, first in oldest.items()
        }
        self.used_ids: set[str] = set()
        self.used_serials: set[int] = set()

    def pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.draw() * len(items))]

    def day(self, first: date, last: date) -> date:
        return first + timedelta(days=int(self.draw() * ((last - first).days + 1)))

    def resident(self, region: str, gender: str) -> tuple[str, date]:
        first, span = self.births[gender]
        draw = self.draw
        while True:
            birth = first + timedelta(days=int(draw() * span))
            number = generate_resident_id(region, birth, int(draw() * 500), gender)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number, birth

    def address(self, region: str) -> str:
        street = self.pools.streets[int(self.draw() * STREET_POOL)]
        return f"{self.places[region]}{street}{1 + int(self.draw() * 399)}号"

    def unit(self, index: int) -> dict[str, Any]:
        draw, pick, names = self.draw, self.pick, self.pools.names
        region = pick(self.local)
        while True:
            serial = int(draw() * 10**8)
            if serial not in self.used_serials:
                self.used_serials.add(serial)
                break
        industry_class = 1 + int(draw() * 8)
        tier = 1 + int(draw() * (3 if industry_class == 1 else 5))
        rep_id, _ = self.resident(pick(self.local), pick((MALE, FEMALE)))
        rep_name = pick(names)
        unit_name = f"{self.city_short}{pick(self.pools.companies)}"
        return {
            "key": f"u{index + 1:05d}",
            "uscc": generate_credit_code(region, serial),
            "name": unit_name,
            "nature": "企业",
            "region_code": region,
            "address": self.address(region),
            "legal_rep": {"name": rep_name, "id_number": rep_id},
            "industry_class": industry_class,
            "floating_tier": tier,
            "bank": {
                "name": f"{pick(BANKS)}{self.city_short}{self.counties[region]}支行",
                "account_name": unit_name,
                "account_no": f"{1 + int(draw() * 9)}{int(draw() * 10**9):09d}"
                f"{int(draw() * 10**9):09d}",
            },
            "contact": {"name": pick(names), "phone": mobile_number(self.rng)},
        }

    def person(self, unit_key: str, history_months: int) -> dict[str, Any]:
        draw, pick = self.draw, self.pick
        is_local = draw() < LOCAL_SHARE
        region = pick(self.local if is_local else self.elsewhere)
        gender = MALE if draw() < 0.5 else FEMALE
        number, birth = self.resident(region, gender)
        last_contract = self.last_contract
        earliest = min(max(EARLIEST_CONTRACT, _years_before(birth, -18)), last_contract)
        contract_start = self.day(earliest, last_contract)
        employment: dict[str, Any] = {
            "unit": unit_key,
            "contract_start": contract_start,
            "base": (30 + int(draw() * 270)) * 100,
        }
        if history_months:
            last_settled = self.last_settled
            first = max(Month.of(contract_start), last_settled.plus(1 - history_months))
            if self.first_parameter_month is not None:
                first = max(first, self.first_parameter_month)
            if first <= last_settled:
                employment["contributions"] = {"from": str(first), "to": str(last_settled)}
        rural = draw() < 0.5
        return {
            "id_number": number,
            "name": pick(self.pools.names),
            "gender": gender,
            "birth_date": birth,
            "ethnicity": pick(ETHNICITIES),
            "mobile": mobile_number(self.rng),
            # 户籍性质: 11/21 本地非农业/农业, 12/22 外地非农业/农业
            "hukou_nature": ("2" if rural else "1") + ("1" if is_local else "2"),
            "residence_address": self.address(pick(self.local)),
            "hukou_address": self.address(region),
            "education": pick(EDUCATION),
            "employments": [employment],
        }


def _months(platform: Platform | None, city: str, clock: date) -> tuple[Month, Month | None]:
    """The last settled month on ``clock`` and the first month with contribution parameters."""
    from simulator.worlds import first_parameter_month, settlement_months

    if platform is None:
        from simulator.platform import Platform

        platform = Platform("sqlite://")
    _, last_settled = settlement_months(platform, city, clock)
    return last_settled, first_parameter_month(platform, city)


# --- writing ------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        # JSON's double-quoted strings are YAML double-quoted scalars
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping) and not value:
        return "{}"
    if isinstance(value, list | tuple) and not value:
        return "[]"
    raise TypeError(f"cannot write {type(value).__name__} in a world file")


def _mapping(out: list[str], mapping: Mapping[str, Any], indent: int, lead: str | None) -> None:
    pad = " " * indent
    for index, (key, value) in enumerate(mapping.items()):
        prefix = lead if index == 0 and lead is not None else pad
        if isinstance(value, Mapping) and value:
            out.append(f"{prefix}{key}:")
            _mapping(out, value, indent + 2, None)
        elif isinstance(value, list | tuple) and value:
            out.append(f"{prefix}{key}:")
            _sequence(out, value, indent)
        else:
            out.append(f"{prefix}{key}: {_scalar(value)}")


def _sequence(out: list[str], items: Iterable[Any], indent: int) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, Mapping) and item:
            _mapping(out, item, indent + 2, pad + "- ")
        elif isinstance(item, list | tuple) and item:
            raise TypeError("nested lists are not part of the world format")
        else:
            out.append(f"{pad}- {_scalar(item)}")


def dump_world(world: Mapping[str, Any], *, header: str = "") -> str:
    """The world as YAML text: block style, keys in the order given, strings in
    double quotes; byte-identical for equal input on every machine."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    _mapping(out, world, 0, None)
    return "\n".join(out) + "\n"


def write_world(world: Mapping[str, Any], path: str | Path, *, header: str = "") -> Path:
    path = Path(path)
    path.write_text(dump_world(world, header=header), encoding="utf-8")
    return path

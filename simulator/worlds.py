"""World files: a sandbox's data as declarative YAML (``scenarios/*.yaml``).

A world states what the platform and the other agencies know on one day: the
units (参保单位, or units known only to market registration), the people (人员基础
信息, or people known only to public security), their labour relations (用工),
insured relations (参保关系) per insurance type, contribution history (缴费明细),
unemployment benefit paid (失业金发放) and construction projects.  Loading one
into a sandbox sets the sandbox clock and location and fills the platform's
tables *and* the mocks' (``mock_identity_records``, ``mock_market_records``), so
that every situation of the behaviour catalogue can be set up by name:
``shebao-sim world load every-error``.

The format is documented field by field in ``docs/worlds.md``; the schema is the
pydantic models below (every model forbids unknown fields) and the semantic
checks of :func:`validate_world` (identifiers, references, code tables, month
spans).  A file is checked completely before anything is written: a wrong field
raises :class:`WorldError` naming the file, the line, the YAML path
(``people[3].birth_date``) and the problem, and the sandbox is left untouched.

Loading is built for size (a generated world of 100,000 people, see
``simulator/generator.py`` and ``bench/bench_worlds.py``): the ids of every row
are allocated up front, rows are plain dicts built in one pass, and they go in
with SQLAlchemy Core ``insert()`` executemany in batches, in one transaction.

**Decision:** a sandbox that already holds a world (or any unit, person, or mock
record) is not loaded into: :func:`load_world` refuses with ``E_WORLD_PRESENT``
unless ``replace=True``, which empties the sandbox first (as ``sandbox reset``)
in the same transaction.  Loading sets the clock without running the
time-driven work (``clock_moved``): the world *is* the state on that day, settled
months included — so the 单位征缴通知单 of the months its history covers are written
too, by the settlement's own rule (:func:`simulator.settlement.notice_totals`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Table, func, insert, select, text, update

from mocks.models import IdentityRecord, MarketRecord
from simulator.clock import as_instant
from simulator.contributions import clamp_base, monthly_contribution
from simulator.db.models import (
    BenefitPayment,
    ContributionLine,
    Counter,
    Employment,
    InsuredRelation,
    Person,
    Sandbox,
    Unit,
)
from simulator.db.projects import Project, ProjectWorker, stay_relation_values
from simulator.db.rows import RowWriter
from simulator.errors import UNKNOWN_SANDBOX, ErrorSpec, Problem
from simulator.identifiers import (
    InvalidIdentifier,
    generate_credit_code,
    jiangsu_counties,
    jiangsu_prefectures,
    parse_credit_code,
    parse_resident_id,
    prefecture_of,
)
from simulator.memory import gc_paused
from simulator.months import Month
from simulator.parameters import ParameterNotFound, ParameterView
from simulator.settlement import write_settled_notices

if TYPE_CHECKING:
    from simulator.platform import Platform

__all__ = [
    "BATCH_SIZE",
    "UNKNOWN_WORLD",
    "WORLD_INVALID",
    "WORLD_PRESENT",
    "RowSink",
    "WorldError",
    "WorldInfo",
    "WorldProblem",
    "WorldSpec",
    "WorldSummary",
    "allocate_ids",
    "build_rows",
    "find_world",
    "first_parameter_month",
    "list_worlds",
    "load_world",
    "load_world_data",
    "parse_world",
    "read_world",
    "settlement_months",
    "validate_world",
    "world_folders",
]

WORLD_SUFFIXES = (".yaml", ".yml")

#: 参保身份 of an employment when a world does not say: 101 企业职工 (identities.yaml)
EMPLOYEE_IDENTITY = "101"
#: 参保身份 of flexible-employment insurance (灵活就业, personal side): the
#: simulator's own code, outside the unit items' table (identities.yaml)
FLEXIBLE_IDENTITY = "301"
#: 用工类型 of a dispatched worker when a world does not say: 1 劳务派遣
DEFAULT_DISPATCH_TYPE = "1"

#: I1-2 (Decision), used only when the parameter ``unit_insurance_by_nature`` is absent
DEFAULT_INSURANCE_BY_NATURE: dict[str, tuple[str, ...]] = {
    "企业": ("110", "210", "410"),
    "个体工商户": ("110", "210", "410"),
    "民办非企业": ("110", "210", "410"),
    "社会团体": ("110", "210", "410"),
    "机关": ("210", "410"),
    "参公": ("210", "410"),
    "事业单位": ("210", "410"),
}
#: 险种 a world may insure on this platform (310/510 are on the medical platform, F-2)
PLATFORM_INSURANCE = ("110", "120", "210", "410")
#: 参保状态: 1 参保缴费, 2 暂停, 3 终止
ACTIVE, SUSPENDED, TERMINATED = "1", "2", "3"

#: the code tables (parameters) a world's codes are checked against, by field
CODE_TABLES = {
    "contract_reason": "codes.contract_reasons",
    "contract_type": "codes.contract_types",
    "job_type": "codes.job_types",
    "stop_reason": "codes.stop_reasons",
    "hukou_nature": "codes.hukou_natures",
    "dispatch_type": "codes.dispatch_types",
    "identity": "identities",
    "nature": "unit_insurance_by_nature",
}

#: the coded fields of an employment (a label is accepted and stored as its code)
EMPLOYMENT_CODES = ("identity", "contract_reason", "contract_type", "job_type", "stop_reason")

#: how many problems a WorldError lists before "… and N more"
MAX_PROBLEMS_SHOWN = 20
#: rows per executemany (about; a batch is flushed after the person that fills it)
BATCH_SIZE = 5000
#: the day of the month the monthly settlement runs (the paused days begin, PER-2;
#: ``plugins/settlement.py``): a world's notices are dated then
SETTLEMENT_DAY = 7

WORLD_INVALID = ErrorSpec(
    code="E_WORLD_INVALID",
    message="{message}",
    remedy="请按提示修改世界文件（docs/worlds.md 说明每个字段）后重新加载。",
    http_status=422,
)
UNKNOWN_WORLD = ErrorSpec(
    code="E_UNKNOWN_WORLD",
    message="未找到世界：{world}",
    remedy="可用的世界见 GET /api/v1/worlds 或 shebao-sim world list。",
    http_status=404,
)
WORLD_PRESENT = ErrorSpec(
    code="E_WORLD_PRESENT",
    message="沙箱 {sandbox} 已有数据（{world}），不能再加载世界",
    remedy="请先重置沙箱（shebao-sim sandbox reset），或加载时指定替换（--replace / replace: true）。",
    http_status=409,
)


# --- errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldProblem:
    """One problem of a world file: where (YAML path, line) and what."""

    path: str
    message: str
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "problem": self.message}


class WorldError(ValueError):
    """A world file that does not follow the format; nothing was written.

    ``str(error)`` names the file, the line, the YAML path and the problem, one
    line per problem: ``scenarios/x.yaml:12: people[3].birth_date: not a date …``.
    """

    def __init__(
        self,
        source: str,
        problems: Sequence[WorldProblem],
        *,
        partial: _PartialWorld | None = None,
    ) -> None:
        if not problems:
            raise ValueError("WorldError needs at least one problem")
        self.source = source
        self.problems = list(problems)
        #: after a failed schema check: the parts that passed it, so that the loaders
        #: can run the content checks on them too and report every problem at once
        self.partial = partial
        lines = [self._line(problem) for problem in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            more = len(self.problems) - MAX_PROBLEMS_SHOWN
            lines.append(f"{source}: … and {more} more problems")
        super().__init__("\n".join(lines))

    def _line(self, problem: WorldProblem) -> str:
        where = f"{self.source}:{problem.line}" if problem.line else self.source
        return f"{where}: {problem.path or '<world>'}: {problem.message}"

    def as_problem(self) -> Problem:
        """As the API's error (``E_WORLD_INVALID``), every problem in the details."""
        problem = WORLD_INVALID.error(message=str(self).splitlines()[0])
        return replace(
            problem,
            details={"source": self.source, "problems": [p.as_dict() for p in self.problems]},
        )


# --- field types ------------------------------------------------------------------------


def _month(value: Any) -> Any:
    """A month as ``YYYY-MM`` (``YYYYMM`` accepted), normalised to ``YYYY-MM``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        try:
            return str(Month.parse(value))
        except ValueError:
            pass
    raise ValueError(f"not a month (YYYY-MM): {value!r}")


def _instant(value: Any) -> Any:
    if isinstance(value, date | str):
        try:
            return as_instant(value)
        except ValueError:
            pass
    raise ValueError(f"not a date or a date and time (YYYY-MM-DD[ HH:MM]): {value!r}")


def _one_of(allowed: Iterable[str], what: str, hints: Mapping[str, str] | None = None):  # type: ignore[no-untyped-def]
    allowed = tuple(allowed)

    def check(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip() in allowed:
            return value.strip()
        hint = (hints or {}).get(str(value), "")
        raise ValueError(f"{what} {value!r} is not one of {', '.join(allowed)}{hint}")

    return check


def _all_or_spec(value: Any) -> Any:
    return {} if value == "all" else value


MonthText = Annotated[str, BeforeValidator(_month)]
Instant = Annotated[datetime, BeforeValidator(_instant)]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2, allow_inf_nan=False)]
InsuranceCode = Annotated[
    str,
    BeforeValidator(
        _one_of(
            PLATFORM_INSURANCE,
            "险种",
            {
                "310": " (医疗保险 is on the medical-insurance platform, F-2)",
                "510": " (生育保险 is on the medical-insurance platform, F-2)",
            },
        )
    ),
]
Status = Annotated[str, BeforeValidator(_one_of((ACTIVE, SUSPENDED, TERMINATED), "参保状态"))]
Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$")]
Mobile = Annotated[str, Field(pattern=r"^1[3-9]\d{9}$")]
Phone = Annotated[str, Field(pattern=r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")]
Code = Annotated[str, Field(min_length=1, max_length=10)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)


# --- units ---------------------------------------------------------------------------------


class BankSpec(_Model):
    """开户银行 / 户名 / 账号 (I1-3)."""

    name: str = Field(min_length=1, max_length=100)
    account_name: str = Field(min_length=1, max_length=200)
    account_no: str = Field(pattern=r"^\d{8,30}$")


class ContactSpec(_Model):
    """联系人 / 电话 (I1-3)."""

    name: str = Field(min_length=1, max_length=50)
    phone: Phone


class LegalRepSpec(_Model):
    """法定代表人: also registered at public security (an identity record is written)."""

    name: str = Field(min_length=1, max_length=50)
    id_type: str = "居民身份证"
    id_number: str = Field(min_length=1, max_length=18)


class MarketSpec(_Model):
    """What market regulation (市场监管) registered, where it differs from the unit."""

    status: Literal["存续", "注销", "吊销"] = "存续"
    #: 成立日期; default: the unit's social-insurance registration date, else the clock date
    registered_on: date | None = None
    #: the name as registered (F-4: differs from the platform's); default: the unit's name
    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, max_length=300)


_DEFAULT_MARKET = MarketSpec()


class UnitSpec(_Model):
    """A unit: insured (参保单位) or known only to market registration (``insured: false``)."""

    key: Key
    uscc: str | None = Field(None, max_length=18)
    serial: int | None = Field(None, ge=0)
    unit_no: str | None = Field(None, pattern=r"^[0-9A-Za-z]{1,20}$")
    name: str = Field(min_length=1, max_length=200)
    nature: str = Field("企业", min_length=1, max_length=20)
    region_code: RegionCode
    address: str = Field("", max_length=300)
    legal_rep: LegalRepSpec
    is_hr_agency: bool = False
    industry_class: int | None = Field(None, ge=1, le=8)
    floating_tier: int | None = Field(None, ge=1, le=5)
    insured: bool = True
    insurance: list[InsuranceCode] | None = None
    registered_on: date | None = None
    bank: BankSpec | None = None
    contact: ContactSpec | None = None
    market: MarketSpec | None = None
    note: str = ""


# --- people ----------------------------------------------------------------------------------


class ContributionSpec(_Model):
    """Which months of contribution lines to write (default: start month → last settled month)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: MonthText | None = Field(None, alias="from")
    to: MonthText | None = None
    #: only the last N months of the span
    months: int | None = Field(None, ge=1, le=600)


class DispatchSpec(_Model):
    """劳务派遣信息 of an HR-service agency's worker: 用工类型 and the actual employer."""

    type: Code = DEFAULT_DISPATCH_TYPE
    employer: Key


class EmploymentSpec(_Model):
    """A labour relation (用工) at a unit, insured for ``insurance`` from ``start_month``."""

    unit: Key
    identity: Code = EMPLOYEE_IDENTITY
    contract_reason: Code = "1"
    contract_type: Code = "41"
    job_type: Code = "07"
    contract_start: date
    contract_end: date | None = None
    start_month: MonthText | None = None
    stop_month: MonthText | None = None
    stopped_on: date | None = None
    stop_reason: Code | None = None
    status: Status | None = None
    insurance: list[InsuranceCode] | None = None
    base: Money
    contributions: Annotated[ContributionSpec | None, BeforeValidator(_all_or_spec)] = None
    dispatch: DispatchSpec | None = None


class FlexibleSpec(_Model):
    """灵活就业 insurance: a relation without a unit (I3-9)."""

    insurance: list[InsuranceCode] = Field(default_factory=lambda: ["110"])
    identity: Code = FLEXIBLE_IDENTITY
    start_month: MonthText
    stop_month: MonthText | None = None
    status: Status | None = None
    base: Money | None = None


class BenefitSpec(_Model):
    """失业金发放 for one month (I3-8)."""

    month: MonthText
    amount: Money
    returned_on: date | None = None


class PublicSecuritySpec(_Model):
    """How public security (公安部人员基准信息) knows the person, where it differs."""

    #: ``false``: public security has no record of this number (I2-2 not_found)
    known: bool = True
    #: the registered name when it differs from ``name`` (what a unit types): I2-2 mismatch
    name: str | None = Field(None, min_length=1, max_length=50)
    ethnicity: str | None = Field(None, min_length=1, max_length=20)
    hukou_region: RegionCode | None = None
    hukou_address: str | None = Field(None, max_length=300)


_DEFAULT_PUBLIC_SECURITY = PublicSecuritySpec()


class PersonSpec(_Model):
    """A person: base record on the platform (or only at public security) and relations."""

    id_number: str = Field(min_length=1, max_length=18)
    person_no: str | None = Field(None, pattern=r"^[0-9A-Za-z]{1,20}$")
    name: str = Field(min_length=1, max_length=50)
    gender: Literal["男", "女"] | None = None
    birth_date: date | None = None
    ethnicity: str = Field("汉族", min_length=1, max_length=20)
    nationality: str = Field("中国", min_length=1, max_length=20)
    mobile: Mobile
    #: 户籍性质 code (11, 12, 21, 22, 30); ``null`` = missing on the platform (I3-10)
    hukou_nature: Code | None
    residence_address: str = Field("", max_length=300)
    hukou_region: RegionCode | None = None
    hukou_address: str = Field("", max_length=300)
    education: str = Field("", max_length=20)
    political_status: str = Field("", max_length=20)
    major: str = Field("", max_length=50)
    skill_level: str = Field("", max_length=20)
    position: str = Field("", max_length=50)
    base_record: Literal["present", "missing"] = "present"
    duplicate_records: int = Field(1, ge=1, le=5)
    public_security: PublicSecuritySpec | None = None
    draws_pension: bool = False
    work_injury_level: int | None = Field(None, ge=1, le=10)
    disability_allowance: Money | None = None
    employments: list[EmploymentSpec] = Field(default_factory=list)
    flexible: FlexibleSpec | None = None
    unemployment_benefit: list[BenefitSpec] = Field(default_factory=list)
    #: behaviour IDs this person illustrates (documentation; not stored)
    illustrates: list[str] = Field(default_factory=list)
    note: str = ""


# --- projects --------------------------------------------------------------------------------


class ProjectWorkerSpec(_Model):
    id_number: str = Field(min_length=1, max_length=18)
    entered_on: date  # 入场日期
    left_on: date | None = None  # 离场日期


class ProjectSpec(_Model):
    """工程建设项目 (I9-1): work-injury insurance bought per project."""

    code: str = Field(pattern=r"^[0-9A-Za-z-]{1,40}$")  # 工程编码
    name: str = Field(min_length=1, max_length=200)  # 工程名称
    region_code: RegionCode  # 所属地行政区代码
    cost: Money  # 工程造价 (yuan)
    start_date: date  # 开工日期
    end_date: date  # 竣工日期
    unit: Key
    workers: list[ProjectWorkerSpec] = Field(default_factory=list)
    note: str = ""


#: the default password of a world's accounts (docs/worlds.md)
DEFAULT_PASSWORD = "Shebao@2021"


class WorldSpec(_Model):
    """A whole world file."""

    format: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    description: str = ""
    city: RegionCode
    clock: Instant
    location_city: RegionCode | None = None
    #: the password of every insured unit's 法定代表人 account (log in with the unit's
    #: 统一社会信用代码 and the legal representative's 证件号码)
    password: str = Field(DEFAULT_PASSWORD, min_length=8, max_length=40)
    units: list[UnitSpec] = Field(default_factory=list)
    people: list[PersonSpec] = Field(default_factory=list)
    projects: list[ProjectSpec] = Field(default_factory=list)


# --- reading -----------------------------------------------------------------------------------


def _loader_class() -> type:
    """A safe YAML loader that keeps dates as text (pydantic checks them, naming the
    path) and reads decimals exactly (``Decimal``, never ``float``)."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class WorldLoader(base):  # type: ignore[misc, valid-type]
        pass

    WorldLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }

    def construct_decimal(loader: Any, node: yaml.ScalarNode) -> Any:
        value = loader.construct_scalar(node).replace("_", "")
        try:
            return Decimal(value)
        except ArithmeticError:
            return value  # .inf / .nan: the field's validator names the problem

    WorldLoader.add_constructor("tag:yaml.org,2002:float", construct_decimal)
    return WorldLoader


_WorldLoader = _loader_class()


def _path_text(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_WorldLoader)
    except yaml.YAMLError:
        return None


def _line_of(root: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """The 1-based line of the node at ``loc`` (or of its deepest existing parent)."""
    node = root
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _with_lines(problems: Sequence[WorldProblem], text: str | None) -> list[WorldProblem]:
    """The problems with the line of their path in ``text`` (when known)."""
    root = _compose(text) if text is not None else None
    if root is None:
        return list(problems)
    out = []
    for problem in problems:
        if problem.line is not None:
            out.append(problem)
            continue
        loc: list[Any] = [
            int(index) if index else name for name, index in _PATH_PART.findall(problem.path)
        ]
        out.append(WorldProblem(problem.path, problem.message, _line_of(root, loc)))
    return out


def _allowed_fields(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The field names of the model at ``loc`` (to suggest a close match)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _model_in(fields[part].annotation)
        if current is None:
            return []
    return [info.alias or name for name, info in getattr(current, "model_fields", {}).items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _pydantic_problems(error: ValidationError, text: str | None) -> list[WorldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if isinstance(part, int) or not _is_tag(part)]
        kind = item["type"]
        value = item.get("input")
        if kind == "extra_forbidden":
            field_name = str(loc[-1])
            close = difflib.get_close_matches(field_name, _allowed_fields(WorldSpec, loc[:-1]), 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown field {field_name!r}{hint}"
        elif kind == "missing":
            message = "required field is missing"
        elif kind.startswith("date"):
            message = f"not a date (YYYY-MM-DD): {value!r}"
        elif kind.startswith("decimal") or kind in {"finite_number", "greater_than_equal"}:
            message = f"not an amount ≥ 0 with at most two decimals: {value!r}"
            if not kind.startswith("decimal") and "money" not in str(loc[-1]):
                message = f"{item['msg']} (got {value!r})"
        elif kind == "value_error":
            message = str(item["msg"]).removeprefix("Value error, ")
        else:
            message = f"{item['msg']} (got {value!r})"
        problems.append(WorldProblem(_path_text(loc), message))
    return _with_lines(problems, text)


def _is_tag(part: Any) -> bool:
    """Union or validator tags pydantic puts in an error location (not YAML keys)."""
    return isinstance(part, str) and ("[" in part or part == "ContributionSpec")


def parse_world(data: Any, source: str = "<world>", *, text: str | None = None) -> WorldSpec:
    """The schema check: a :class:`WorldSpec`, or :class:`WorldError`.

    The error's ``partial`` holds what passed the check (see :class:`_PartialWorld`),
    for :func:`load_world` and :func:`load_world_data` to check its content too.
    """
    if not isinstance(data, Mapping):
        raise WorldError(
            source, [WorldProblem("", "a world is a mapping (name, city, clock …)", 1)]
        )
    try:
        with gc_paused():
            return WorldSpec.model_validate(data)
    except ValidationError as error:
        raise WorldError(
            source, _pydantic_problems(error, text), partial=_partial_world(data, error, text)
        ) from None


#: the lists of a world whose items are checked one by one when the schema check fails
_WORLD_LISTS: dict[str, type[BaseModel]] = {
    "units": UnitSpec,
    "people": PersonSpec,
    "projects": ProjectSpec,
}
#: top-level fields without which no content can be checked
_ESSENTIAL = frozenset({"city", "clock"})
#: stands in for an invalid ``name`` in a partial world (it is reported anyway)
_PLACEHOLDER_NAME = "partial-world"


class _Everything:
    """Contains every key: a whole list was set aside (``units: 5``)."""

    def __contains__(self, item: object) -> bool:
        return True


@dataclass
class _PartialWorld:
    """What of a world passed the schema check, for the content checks.

    ``world`` is built without validation: its lists keep every index, with ``None``
    for an item set aside.  An item whose only problems are unknown fields or bad
    values of optional fields that default to "not given" (``birth_date``,
    ``contract_end`` …) is kept without them; any other problem (a missing or bad
    required field, a bad ``insured`` or ``status`` whose default would change the
    meaning) sets the item aside.  References to a set-aside unit (by key) or person
    (by id number) are not reported: the item's own problem is.
    """

    world: WorldSpec
    text: str | None
    unit_keys: Any = field(default_factory=set)  # set-aside units' keys
    id_numbers: Any = field(default_factory=set)  # set-aside people's id numbers
    #: YAML paths of the values left out; content problems there are not reported
    pruned: set[str] = field(default_factory=set)


def _clean_loc(loc: Sequence[Any]) -> list[Any]:
    return [part for part in loc if isinstance(part, int) or not _is_tag(part)]


def _optional_field(model: type[BaseModel], loc: Sequence[Any]) -> bool:
    """True when the field at ``loc`` (inside ``model``) may be left out and then means
    "not given" (its default is ``None``), so that a bad value can be set aside."""
    current: Any = model
    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return False
        info = fields[part]
        current = _model_in(info.annotation)
    return info is not None and not info.is_required() and info.default is None


def _prunable(model: type[BaseModel], kind: str, loc: Sequence[Any]) -> bool:
    if not loc or not isinstance(loc[-1], str):
        return False
    return kind == "extra_forbidden" or (kind != "missing" and _optional_field(model, loc))


def _without(item: Any, locs: Sequence[Sequence[Any]]) -> Any:
    """A copy of ``item`` without the keys at ``locs`` (an unknown field or a bad value)."""
    pruned = deepcopy(item)
    for loc in locs:
        parent = pruned
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        if isinstance(parent, dict) and loc and loc[-1] in parent:
            del parent[loc[-1]]
    return pruned


def _partial_world(
    data: Mapping[str, Any], error: ValidationError, text: str | None
) -> _PartialWorld | None:
    """The parts of ``data`` that pass the schema check, or ``None`` when the content
    cannot be checked (no valid ``city`` or ``clock``)."""
    bad_top: set[str] = set()
    bad_items: dict[str, dict[int, list[tuple[str, list[Any]]]]] = {
        name: {} for name in _WORLD_LISTS
    }
    for item in error.errors(include_url=False):
        loc = _clean_loc(item["loc"])
        if not loc:
            return None
        head = str(loc[0])
        if head in _WORLD_LISTS and len(loc) >= 2 and isinstance(loc[1], int):
            bad_items[head].setdefault(loc[1], []).append((item["type"], loc[2:]))
        else:
            bad_top.add(head)
    if bad_top & _ESSENTIAL:
        return None
    top = {
        key: value
        for key, value in data.items()
        if key in WorldSpec.model_fields and key not in _WORLD_LISTS and key not in bad_top
    }
    if "name" not in top:
        top["name"] = _PLACEHOLDER_NAME
    try:
        head_spec = WorldSpec.model_validate(top)
    except ValidationError:
        return None
    partial = _PartialWorld(world=head_spec, text=text)
    lists: dict[str, list[Any]] = {}
    for name, model in _WORLD_LISTS.items():
        raw_items = data.get(name)
        if name in bad_top or not isinstance(raw_items, list):
            lists[name] = []
            if name in bad_top:  # the list itself is unreadable
                if name == "units":
                    partial.unit_keys = _Everything()
                elif name == "people":
                    partial.id_numbers = _Everything()
            continue
        items: list[Any] = []
        for index, raw in enumerate(raw_items):
            problems = bad_items[name].get(index)
            candidate = raw
            if problems is not None:
                if all(_prunable(model, kind, loc) for kind, loc in problems):
                    candidate = _without(raw, [loc for _, loc in problems])
                    partial.pruned.update(_path_text([name, index, *loc]) for _, loc in problems)
                else:
                    candidate = None
            spec = None
            if candidate is not None:
                try:
                    spec = model.model_validate(candidate)
                except ValidationError:
                    spec = None
            if spec is None and isinstance(raw, Mapping):
                if name == "units" and not isinstance(partial.unit_keys, _Everything):
                    partial.unit_keys.add(str(raw.get("key", "")).strip())
                elif name == "people" and not isinstance(partial.id_numbers, _Everything):
                    partial.id_numbers.add(str(raw.get("id_number", "")).strip().upper())
            items.append(spec)
        lists[name] = items
    values = {key: getattr(head_spec, key) for key in WorldSpec.model_fields}
    partial.world = WorldSpec.model_construct(
        _fields_set=set(head_spec.model_fields_set) | set(lists), **{**values, **lists}
    )
    return partial


def _with_content_problems(platform: Platform, error: WorldError) -> WorldError:
    """``error`` (the schema check's) with the content problems of what passed it,
    in the order of the file's lines."""
    partial = error.partial
    if partial is None:
        return error
    try:
        more = _content_problems(platform, partial.world, partial)
    except Exception:  # best effort: the schema problems are reported whatever happens
        return error
    # a value left out is not also reported missing (nor its item as lacking it)
    left_out = partial.pruned | {path.rsplit(".", 1)[0] for path in partial.pruned}
    more = [problem for problem in more if problem.path not in left_out]
    if not more:
        return error
    problems = [*error.problems, *_with_lines(more, partial.text)]
    problems.sort(key=lambda problem: (problem.line is None, problem.line or 0))
    return WorldError(error.source, problems)


def read_world(path: str | Path) -> tuple[WorldSpec, str]:
    """Read and schema-check a world file; returns the world and its text."""
    path = Path(path)
    source = _display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise WorldError(source, [WorldProblem("", f"cannot read the file: {error}")]) from None
    try:
        data = yaml.load(text, Loader=_WorldLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise WorldError(
            source, [WorldProblem("", f"not valid YAML: {error.problem or error}", line)]
        ) from None
    except yaml.YAMLError as error:
        raise WorldError(source, [WorldProblem("", f"not valid YAML: {error}")]) from None
    return parse_world(data, source, text=text), text


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- finding worlds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldInfo:
    name: str
    description: str
    path: Path

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description, "path": str(self.path)}


def world_folders(platform: Platform) -> list[Path]:
    """The folders plugins register through ``register_worlds`` (in hook order)."""
    folders: list[Path] = []
    for result in platform.hook.register_worlds():
        for folder in result or ():
            folder = Path(folder)
            if folder not in folders:
                folders.append(folder)
    return folders


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def find_world(platform: Platform, name: str) -> Path | None:
    """The file of the world ``name`` in the registered folders (first folder wins)."""
    if not _NAME.match(name):
        return None
    for folder in world_folders(platform):
        for suffix in WORLD_SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


_DESCRIPTION = re.compile(r"^description:.*$", re.M)


def list_worlds(platform: Platform) -> list[WorldInfo]:
    """Every world that can be loaded by name, with its description."""
    seen: dict[str, WorldInfo] = {}
    for folder in world_folders(platform):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in WORLD_SUFFIXES and _NAME.match(path.stem) and path.stem not in seen:
                seen[path.stem] = WorldInfo(path.stem, _description(path), path)
    return sorted(seen.values(), key=lambda info: info.name)


def _description(path: Path) -> str:
    """The one-line ``description`` near a world's top (files may be large)."""
    with path.open(encoding="utf-8") as handle:
        head = "".join(line for _, line in zip(range(40), handle, strict=False))
    match = _DESCRIPTION.search(head)
    if not match:
        return ""
    try:
        value = yaml.load(match.group(0), Loader=_WorldLoader)
    except yaml.YAMLError:
        return ""
    return str(value.get("description") or "") if isinstance(value, dict) else ""


# --- semantic checks -------------------------------------------------------------------------------


@dataclass
class _UnitPlan:
    spec: UnitSpec
    uscc: str
    city_code: str
    insurance: tuple[str, ...]
    market: MarketSpec
    market_registered_on: date
    unit_no: str | None = None
    id: int | None = None


@dataclass
class _EmploymentPlan:
    spec: EmploymentSpec
    unit: _UnitPlan
    start: str
    stop: str | None
    status: str
    insurance: tuple[str, ...]
    base_month: Month  # the month whose floor and ceiling give the relation's base
    history: tuple[Month, Month] | None  # first, last (inclusive)
    employer: _UnitPlan | None
    dispatch_type: str
    #: identity, contract_reason, contract_type, job_type, stop_reason as codes
    codes: dict[str, str | None]


@dataclass
class _PersonPlan:
    spec: PersonSpec
    id_number: str
    gender: str
    birth_date: date
    hukou_nature: str | None
    hukou_region: str
    employments: list[_EmploymentPlan]


@dataclass
class _Plan:
    world: WorldSpec
    source: str
    location_city: str | None
    units: list[_UnitPlan]
    people: list[_PersonPlan]
    extra_identities: list[tuple[str, str]]  # legal representatives: (id_number, name)
    fee_month: Month
    last_settled: Month
    counts: dict[str, int] = field(default_factory=dict)
    #: per unit key, the first day of its earliest insured month (default 社保登记日期)
    earliest_start: dict[str, date] = field(default_factory=dict)


class _Checker:
    """Collects problems with their YAML paths (all of them, not only the first)."""

    def __init__(self) -> None:
        self.problems: list[WorldProblem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(WorldProblem(path, message))


def settlement_months(platform: Platform, city: str, day: date) -> tuple[Month, Month]:
    """The current fee month on ``day`` in ``city`` and the last settled one.

    The monthly settlement runs on the 7th (the paused days, PER-2): on the
    7th–10th the period that has just closed is the one settled; on other days
    the month before the current fee month is the last settled one.
    """
    period = platform.period_on(day, platform.city(city))
    fee_month = period.fee_month
    return fee_month, fee_month if period.paused else fee_month.plus(-1)


def first_parameter_month(platform: Platform, city: str) -> Month | None:
    """The first month with a contribution-base floor (no history before it)."""
    try:
        history = platform.parameters_for(platform.city(city)).history("contribution_base.floor")
    except ParameterNotFound:
        return None
    return Month.of(history[0].start) if history else None


def _code_tables(params: ParameterView) -> dict[str, Mapping[str, Any] | None]:
    """The code tables in force, by field; ``None`` where a table is not defined.

    A table is one parameter whose value is a mapping, or a sub-tree with one
    parameter per code (``identities``: a city can add a row).
    """
    tables: dict[str, Mapping[str, Any] | None] = {}
    for name, path in CODE_TABLES.items():
        try:
            value = params.value(path)
        except ParameterNotFound:
            children = getattr(params, "children", None)
            value = children(path) if children is not None else None
        tables[name] = value if isinstance(value, Mapping) and value else None
    return tables


def _resident(check: _Checker, path: str, number: str, today: date | None = None) -> Any:
    try:
        return parse_resident_id(number, today=today)
    except InvalidIdentifier as error:
        check.add(path, f"not a valid 公民身份号码: {error.reason}")
        return None


class _Validator:
    """The semantic checks of one world (see :func:`validate_world`)."""

    def __init__(
        self, platform: Platform, world: WorldSpec, partial: _PartialWorld | None = None
    ) -> None:
        self.platform = platform
        self.world = world
        #: units (keys) and people (id numbers) whose own problems are reported: a
        #: reference to them is not reported as unknown too
        self.unchecked_units: Any = partial.unit_keys if partial is not None else set()
        self.unchecked_ids: Any = set(partial.id_numbers) if partial is not None else set()
        if partial is not None and isinstance(partial.id_numbers, _Everything):
            self.unchecked_ids = partial.id_numbers
        self.check = _Checker()
        self.add = self.check.add
        self.today = world.clock.date()
        self.prefectures = jiangsu_prefectures()
        self.counties = jiangsu_counties()
        self.fee_month, self.last_settled = settlement_months(platform, world.city, self.today)
        self.first_month = first_parameter_month(platform, world.city)
        self.months: dict[int, Month] = {}
        self.tables = _code_tables(
            platform.parameters_for(platform.city(world.city)).at(self.today)
        )
        self.employment_tables = [
            (name, table)
            for name in EMPLOYMENT_CODES
            if (table := self.tables.get(name)) is not None
        ]

    def region_ok(self, code: str) -> bool:
        return code in self.counties or code in self.prefectures

    def code(self, path: str, name: str, value: str | None) -> str | None:
        """``value`` checked against its code table (a label is accepted for its code)."""
        table = self.tables.get(name)
        if value is None or table is None or value in table:
            return value
        for code, label in table.items():
            if (label.get("label") if isinstance(label, Mapping) else label) == value:
                return str(code)
        known = ", ".join(
            f"{code} {label.get('label') if isinstance(label, Mapping) else label}"
            if name != "nature"
            else str(code)
            for code, label in table.items()
        )
        self.add(path, f"{value!r} is not in the code table {CODE_TABLES[name]} ({known})")
        return None

    def unit_insurance(self, nature: str) -> tuple[str, ...]:
        table = self.tables.get("nature")
        if table is not None and nature in table:
            return tuple(str(code) for code in table[nature])
        return DEFAULT_INSURANCE_BY_NATURE.get(nature, ("110", "210", "410"))

    # -- units --------------------------------------------------------------------------------
    def units(self) -> list[_UnitPlan]:
        plans: list[_UnitPlan] = []
        keys: dict[str, int] = {}
        usccs: dict[str, int] = {}
        unit_nos: dict[str, int] = {}
        for index, unit in enumerate(self.world.units):
            if unit is None:  # set aside by the schema check (a partial world)
                continue
            path = f"units[{index}]"
            if unit.key in keys:
                self.add(f"{path}.key", f"key {unit.key!r} is already units[{keys[unit.key]}]'s")
            keys.setdefault(unit.key, index)
            region_ok = self.region_ok(unit.region_code)
            if not region_ok:
                self.add(
                    f"{path}.region_code", f"{unit.region_code!r} is not a Jiangsu region code"
                )
            self.code(f"{path}.nature", "nature", unit.nature)
            uscc = self._uscc(path, unit)
            if uscc:
                if uscc in usccs:
                    self.add(f"{path}.uscc", f"{uscc} is already units[{usccs[uscc]}]'s")
                usccs.setdefault(uscc, index)
            if unit.unit_no is not None:
                if unit.unit_no in unit_nos:
                    self.add(f"{path}.unit_no", f"already units[{unit_nos[unit.unit_no]}]'s")
                unit_nos.setdefault(unit.unit_no, index)
            if unit.legal_rep.id_type == "居民身份证":
                _resident(self.check, f"{path}.legal_rep.id_number", unit.legal_rep.id_number)
            insurance = tuple(unit.insurance or self.unit_insurance(unit.nature))
            if len(set(insurance)) != len(insurance):
                self.add(f"{path}.insurance", "an insurance type is listed twice")
            if unit.insured:
                for name in ("bank", "contact"):
                    if getattr(unit, name) is None:
                        self.add(f"{path}.{name}", f"an insured unit needs its {name} (I1-3)")
                if "410" in insurance and unit.industry_class is None:
                    self.add(
                        f"{path}.industry_class",
                        "工伤保险 (410) needs the work-injury industry class (1–8)",
                    )
            if unit.floating_tier is not None and unit.industry_class is not None:
                tiers = 3 if unit.industry_class == 1 else 5
                if unit.floating_tier > tiers:
                    self.add(
                        f"{path}.floating_tier",
                        f"industry class {unit.industry_class} has tiers 1–{tiers}",
                    )
            if unit.is_hr_agency and not unit.insured:
                pass  # an agency may still be unregistered for insurance
            market = unit.market or _DEFAULT_MARKET
            plans.append(
                _UnitPlan(
                    spec=unit,
                    uscc=uscc,
                    city_code=prefecture_of(unit.region_code) if region_ok else self.world.city,
                    insurance=insurance,
                    market=market,
                    market_registered_on=market.registered_on or unit.registered_on or self.today,
                    unit_no=unit.unit_no,
                )
            )
        return plans

    def _uscc(self, path: str, unit: UnitSpec) -> str:
        if (unit.uscc is None) == (unit.serial is None):
            self.add(path, "give exactly one of uscc (统一社会信用代码) or serial (to generate it)")
            return ""
        if unit.uscc is not None:
            try:
                return parse_credit_code(unit.uscc).code
            except InvalidIdentifier as error:
                self.add(f"{path}.uscc", f"not a valid 统一社会信用代码: {error.reason}")
                return ""
        try:
            return generate_credit_code(unit.region_code, int(unit.serial or 0))
        except ValueError as error:
            self.add(f"{path}.serial", f"cannot make a 统一社会信用代码 from it: {error}")
            return ""

    # -- people ---------------------------------------------------------------------------------
    def people(
        self, units: Mapping[str, _UnitPlan]
    ) -> tuple[list[_PersonPlan], list[tuple[str, str]]]:
        plans: list[_PersonPlan] = []
        seen_ids: dict[str, int] = {}
        seen_person_nos: dict[str, int] = {}
        add, today, fee_month = self.add, self.today, self.fee_month
        hukou_natures = self.tables.get("hukou_nature")
        for index, person in enumerate(self.world.people):
            if person is None:  # set aside by the schema check (a partial world)
                continue
            facts = _resident(self.check, f"people[{index}].id_number", person.id_number, today)
            number = facts.number if facts is not None else person.id_number.strip().upper()
            if number in seen_ids:
                add(
                    f"people[{index}].id_number",
                    f"{number} is already people[{seen_ids[number]}]; "
                    "for several records of one number use duplicate_records (I3-7)",
                )
            else:
                seen_ids[number] = index
            if facts is None:
                # the person's other fields are still checked (every problem at once);
                # a project naming this number is not told it is unknown
                self.unchecked_ids.add(number)
            elif person.birth_date is not None and person.birth_date != facts.birth_date:
                add(
                    f"people[{index}].birth_date",
                    f"{person.birth_date} is not the id number's {facts.birth_date}",
                )
            if facts is not None and person.gender is not None and person.gender != facts.gender:
                add(
                    f"people[{index}].gender",
                    f"{person.gender} is not the id number's {facts.gender}",
                )
            hukou_nature = person.hukou_nature
            if (
                hukou_natures is not None
                and hukou_nature is not None
                and hukou_nature not in hukou_natures
            ):
                hukou_nature = self.code(
                    f"people[{index}].hukou_nature", "hukou_nature", hukou_nature
                )
            if person.person_no is not None:
                if person.person_no in seen_person_nos:
                    add(
                        f"people[{index}].person_no",
                        f"already people[{seen_person_nos[person.person_no]}]'s",
                    )
                seen_person_nos.setdefault(person.person_no, index)
            if person.work_injury_level is not None or person.disability_allowance is not None:
                self._injury(index, person)
            if person.base_record == "missing":
                self._missing(index, person)
            employments = []
            for e, spec in enumerate(person.employments):
                plan = self._employment(index, e, spec, units)
                if plan is not None:
                    employments.append(plan)
            if person.flexible is not None:
                self._flexible(index, person.flexible)
            if person.unemployment_benefit:
                months: set[str] = set()
                for b, benefit in enumerate(person.unemployment_benefit):
                    if benefit.month in months:
                        add(
                            f"people[{index}].unemployment_benefit[{b}].month", "month listed twice"
                        )
                    months.add(benefit.month)
                    if Month.parse(benefit.month) > fee_month:
                        add(
                            f"people[{index}].unemployment_benefit[{b}].month",
                            f"after the current fee month {fee_month}",
                        )
            if facts is None:
                continue
            plans.append(
                _PersonPlan(
                    spec=person,
                    id_number=number,
                    gender=facts.gender,
                    birth_date=facts.birth_date,
                    hukou_nature=hukou_nature,
                    hukou_region=person.hukou_region or facts.region_code,
                    employments=employments,
                )
            )
        return plans, self._legal_reps(seen_ids)

    def _legal_reps(self, seen_ids: Mapping[str, int]) -> list[tuple[str, str]]:
        """Legal representatives who are not among the people: public security knows them."""
        extra: dict[str, str] = {}
        for index, unit in enumerate(self.world.units):
            if unit is None:
                continue
            rep = unit.legal_rep
            number = rep.id_number.strip().upper()
            if number in seen_ids:
                person = self.world.people[seen_ids[number]]
                if person.name != rep.name:
                    self.add(
                        f"units[{index}].legal_rep.name",
                        f"{rep.name} is not people[{seen_ids[number]}].name ({person.name})",
                    )
            elif rep.id_type == "居民身份证" and number not in extra:
                extra[number] = rep.name
            elif extra.get(number, rep.name) != rep.name:
                self.add(f"units[{index}].legal_rep.name", f"{number} is {extra[number]} elsewhere")
        return list(extra.items())

    def _injury(self, index: int, person: PersonSpec) -> None:
        level = person.work_injury_level
        path = f"people[{index}].disability_allowance"
        if person.disability_allowance is not None and (level is None or level > 4):
            self.add(path, "伤残津贴 is paid for work-injury levels 1–4 only (F-3)")
        if level is not None and level <= 4 and person.disability_allowance is None:
            self.add(path, f"level {level} draws a disability allowance (伤残津贴, F-3): give it")

    def _missing(self, index: int, person: PersonSpec) -> None:
        path = f"people[{index}]"
        for name in ("employments", "unemployment_benefit"):
            if getattr(person, name):
                self.add(f"{path}.{name}", "a person without a base record has no relations")
        for name in ("flexible", "person_no"):
            if getattr(person, name) is not None:
                self.add(f"{path}.{name}", "a person without a base record has none")
        if person.duplicate_records > 1:
            self.add(f"{path}.duplicate_records", "a person without a base record has none")

    def month(self, index: int) -> Month:
        """The month of a month index (``year * 12 + month - 1``), memoised."""
        found = self.months.get(index)
        if found is None:
            found = self.months[index] = Month(index // 12, index % 12 + 1)
        return found

    def _employment(
        self, index: int, e: int, spec: EmploymentSpec, units: Mapping[str, _UnitPlan]
    ) -> _EmploymentPlan | None:
        add, fee_index, month = self.add, self.fee_month.index, self.month

        def path(name: str) -> str:
            return f"people[{index}].employments[{e}].{name}"

        unit = units.get(spec.unit)
        if unit is None:
            if spec.unit not in self.unchecked_units:
                add(path("unit"), f"no unit with key {spec.unit!r} in units")
            return None
        if not unit.spec.insured:
            add(path("unit"), f"unit {spec.unit!r} is not insured (insured: false)")
        insurance = unit.insurance if spec.insurance is None else tuple(spec.insurance)
        if spec.insurance is not None:
            for code in insurance:
                if code not in unit.insurance:
                    add(
                        path("insurance"),
                        f"险种 {code} is not one of the unit's ({', '.join(unit.insurance)})",
                    )
        codes = {name: getattr(spec, name) for name in EMPLOYMENT_CODES}
        for name, table in self.employment_tables:
            value = codes[name]
            if value is not None and value not in table:
                codes[name] = self.code(path(name), name, value)
        contract_start = spec.contract_start
        if spec.contract_end is not None and spec.contract_end < contract_start:
            add(path("contract_end"), "the contract ends before it starts")
        contract_index = contract_start.year * 12 + contract_start.month - 1
        if spec.start_month is None:
            start_index = contract_index
            start_text = f"{contract_start.year:04d}-{contract_start.month:02d}"
        else:
            start_index = Month.parse(spec.start_month).index
            start_text = spec.start_month
            if start_index < contract_index:
                add(
                    path("start_month"),
                    f"before the contract's start month {month(contract_index)} (PER-6)",
                )
        if start_index > fee_index:
            add(path("start_month"), f"after the current fee month {self.fee_month}")
        stop_index = None
        if spec.stop_month is not None:
            stop_index = Month.parse(spec.stop_month).index
            if stop_index < start_index:
                add(path("stop_month"), f"before the start month {month(start_index)}")
            if stop_index > fee_index:
                add(path("stop_month"), f"after the current fee month {self.fee_month}")
        elif spec.stopped_on is not None or spec.stop_reason is not None:
            add(path("stop_month"), "a stopped employment needs its stop_month")
        status = spec.status or (ACTIVE if stop_index is None else TERMINATED)
        if stop_index is not None and status == ACTIVE:
            add(path("status"), "an insured relation with a stop month is not active (1)")
        employer = None
        dispatch_type = ""
        if spec.dispatch is not None:
            if not unit.spec.is_hr_agency:
                add(
                    path("dispatch"),
                    "only an HR-service agency (is_hr_agency) has dispatch information (I3-11)",
                )
            dispatch_type = (
                self.code(path("dispatch.type"), "dispatch_type", spec.dispatch.type) or ""
            )
            employer = units.get(spec.dispatch.employer)
            if employer is None:
                if spec.dispatch.employer not in self.unchecked_units:
                    add(path("dispatch.employer"), f"no unit with key {spec.dispatch.employer!r}")
            elif employer is unit or not employer.spec.insured:
                add(
                    path("dispatch.employer"),
                    "the actual employer must be another, insured unit (it needs a 单位编号)",
                )
        history = None
        if spec.contributions is not None:
            history = self._history(
                path("contributions"),
                spec.contributions,
                month(start_index),
                None if stop_index is None else month(stop_index),
            )
        base_index = fee_index if stop_index is None else min(stop_index, fee_index)
        if self.first_month is not None:
            base_index = max(base_index, self.first_month.index)
        return _EmploymentPlan(
            spec=spec,
            unit=unit,
            start=start_text,
            stop=spec.stop_month,
            status=status,
            insurance=insurance,
            base_month=month(base_index),
            history=history,
            employer=employer,
            dispatch_type=dispatch_type,
            codes=codes,
        )

    def _history(
        self, path: str, spec: ContributionSpec, start: Month, stop: Month | None
    ) -> tuple[Month, Month] | None:
        last_settled = self.last_settled
        end = min(stop, last_settled) if stop is not None else last_settled
        first = Month.parse(spec.from_) if spec.from_ else start
        last = Month.parse(spec.to) if spec.to else end
        if first < start:
            self.add(f"{path}.from", f"before the start month {start}")
        if last > end:
            what = "stop month" if stop is not None and end == stop else "last settled month"
            self.add(f"{path}.to", f"after {end} (the {what} on the world's clock)")
        if spec.months is not None:
            first = max(first, last.plus(1 - spec.months))
        if last < first:
            return None  # nothing to write (e.g. started in the current fee month)
        if self.first_month is not None and first < self.first_month:
            self.add(
                path,
                f"no contribution parameters before {self.first_month} (history from {first})",
            )
        return first, last

    def _flexible(self, index: int, spec: FlexibleSpec) -> None:
        path = f"people[{index}].flexible"
        start = Month.parse(spec.start_month)
        if start > self.fee_month:
            self.add(f"{path}.start_month", f"after the current fee month {self.fee_month}")
        if spec.stop_month is not None:
            if Month.parse(spec.stop_month) < start:
                self.add(f"{path}.stop_month", f"before the start month {start}")
            if (spec.status or TERMINATED) == ACTIVE:
                self.add(
                    f"{path}.status", "an insured relation with a stop month is not active (1)"
                )
        if "120" in spec.insurance:
            self.add(f"{path}.insurance", "灵活就业 is not insured in 机关事业养老 (120)")

    # -- projects -------------------------------------------------------------------------------
    def projects(self, units: Mapping[str, _UnitPlan], people: Sequence[_PersonPlan]) -> None:
        present = {person.id_number for person in people if person.spec.base_record == "present"}
        codes: dict[str, int] = {}
        for index, project in enumerate(self.world.projects):
            if project is None:  # set aside by the schema check (a partial world)
                continue
            path = f"projects[{index}]"
            if project.code in codes:
                self.add(f"{path}.code", f"工程编码 is already projects[{codes[project.code]}]'s")
            codes.setdefault(project.code, index)
            if not self.region_ok(project.region_code):
                self.add(
                    f"{path}.region_code", f"{project.region_code!r} is not a Jiangsu region code"
                )
            if project.end_date < project.start_date:
                self.add(f"{path}.end_date", "竣工日期 is before 开工日期")
            unit = units.get(project.unit)
            if unit is None:
                if project.unit not in self.unchecked_units:
                    self.add(f"{path}.unit", f"no unit with key {project.unit!r} in units")
            elif not unit.spec.insured:
                self.add(f"{path}.unit", f"unit {project.unit!r} is not insured")
            seen: set[str] = set()
            for w, worker in enumerate(project.workers):
                worker_path = f"{path}.workers[{w}]"
                number = worker.id_number.strip().upper()
                if number not in present and number not in self.unchecked_ids:
                    self.add(
                        f"{worker_path}.id_number",
                        f"{number} is not a person with a base record in people",
                    )
                if number in seen:
                    self.add(f"{worker_path}.id_number", "worker listed twice in the project")
                seen.add(number)
                if worker.entered_on < project.start_date:
                    self.add(
                        f"{worker_path}.entered_on", "入场日期 is before the project's 开工日期"
                    )
                if worker.left_on is not None and worker.left_on < worker.entered_on:
                    self.add(f"{worker_path}.left_on", "离场日期 is before 入场日期")


def _check_content(
    platform: Platform, world: WorldSpec, partial: _PartialWorld | None = None
) -> tuple[_Validator, list[_UnitPlan], list[_PersonPlan], list[tuple[str, str]]]:
    """Run every content check; the problems are in ``validator.check.problems``.

    An unknown ``city`` is reported and the checks go on with the provincial
    baseline's calendar and tables (``platform.city`` answers the province).
    """
    prefectures = jiangsu_prefectures()
    top = _Checker()
    if world.city not in prefectures:
        top.add("city", f"{world.city!r} is not a Jiangsu prefecture-level city code")
    location = world.location_city if "location_city" in world.model_fields_set else world.city
    if location is not None and location not in prefectures:
        top.add("location_city", f"{location!r} is not a Jiangsu prefecture-level city code")
    with gc_paused():
        validator = _Validator(platform, world, partial)
        validator.check.problems[:0] = top.problems
        units = validator.units()
        by_key = {plan.spec.key: plan for plan in units}
        people, extra_identities = validator.people(by_key)
        validator.projects(by_key, people)
    return validator, units, people, extra_identities


def _content_problems(
    platform: Platform, world: WorldSpec, partial: _PartialWorld | None = None
) -> list[WorldProblem]:
    return _check_content(platform, world, partial)[0].check.problems


def validate_world(
    platform: Platform, world: WorldSpec, source: str = "<world>", *, text: str | None = None
) -> _Plan:
    """Check everything the schema cannot (identifiers, references, code tables, month
    spans) and return the plan of what to write; or raise :class:`WorldError` listing
    every problem (with its line when ``text``, the file's text, is given)."""
    location = world.location_city if "location_city" in world.model_fields_set else world.city
    validator, units, people, extra_identities = _check_content(platform, world)
    if validator.check.problems:
        raise WorldError(source, _with_lines(validator.check.problems, text))

    plan = _Plan(
        world=world,
        source=source,
        location_city=location,
        units=units,
        people=people,
        extra_identities=extra_identities,
        fee_month=validator.fee_month,
        last_settled=validator.last_settled,
    )
    plan.counts = _count(plan)
    for person in people:
        for employment in person.employments:
            key, first = employment.unit.spec.key, Month.parse(employment.start).first_day()
            if key not in plan.earliest_start or first < plan.earliest_start[key]:
                plan.earliest_start[key] = first
    return plan


def _count(plan: _Plan) -> dict[str, int]:
    counts = {name: 0 for name in _TABLE_COUNTS.values()}
    counts["market_records"] = len(plan.units)
    counts["units"] = sum(1 for unit in plan.units if unit.spec.insured)
    counts["identity_records"] = len(plan.extra_identities)
    for person in plan.people:
        spec = person.spec
        if spec.public_security is None or spec.public_security.known:
            counts["identity_records"] += 1
        if spec.base_record == "missing":
            continue
        counts["people"] += spec.duplicate_records
        counts["employments"] += len(person.employments)
        counts["benefit_payments"] += len(spec.unemployment_benefit)
        for employment in person.employments:
            counts["insured_relations"] += len(employment.insurance)
            if employment.history is not None:
                months = employment.history[1].minus(employment.history[0]) + 1
                counts["contribution_lines"] += months * len(employment.insurance)
        if spec.flexible is not None:
            counts["insured_relations"] += len(spec.flexible.insurance)
    return counts


# --- writing -----------------------------------------------------------------------------------


@dataclass
class WorldSummary:
    """What a load wrote, as reported to the CLI and the API."""

    world: str
    source: str
    sandbox_id: str
    city: str
    clock: datetime
    location_city: str | None
    fee_month: str
    last_settled_month: str
    counts: dict[str, int]
    #: construction projects written (I9-1): code, name, unit key and worker count
    projects: list[dict[str, Any]]
    replaced: bool = False
    #: 单位征缴通知单 written for the settled months of the world's history (Q-6)
    notices: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "world": self.world,
            "source": self.source,
            "sandbox_id": self.sandbox_id,
            "city": self.city,
            "clock": self.clock.isoformat(sep=" "),
            "location_city": self.location_city,
            "fee_month": self.fee_month,
            "last_settled_month": self.last_settled_month,
            "counts": dict(self.counts),
            "projects": list(self.projects),
            "replaced": self.replaced,
            "notices": self.notices,
        }


def load_world(
    platform: Platform,
    sandbox_id: str,
    name_or_path: str | Path,
    *,
    replace: bool = False,
    progress: Any = None,
) -> WorldSummary:
    """Load a world (a registered name like ``demo``, or a file path) into a sandbox.

    Validates the whole file first (:class:`WorldError`, nothing written); refuses
    a sandbox that already holds data (``E_WORLD_PRESENT``) unless ``replace``;
    then, in one transaction, writes every row and sets the sandbox's clock,
    location and world name.  ``progress``: an optional callable ``progress(rows)``.
    An unknown name is refused with ``E_UNKNOWN_WORLD``, an unknown sandbox with
    ``E_UNKNOWN_SANDBOX`` (:class:`~simulator.errors.Refused`).
    """
    path = _resolve(platform, name_or_path)
    try:
        world, text = read_world(path)
    except WorldError as error:
        raise _with_content_problems(platform, error) from None
    return load_world_data(
        platform,
        sandbox_id,
        world,
        source=_display_path(path),
        replace=replace,
        progress=progress,
        text=text,
    )


def _resolve(platform: Platform, name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, Path) or not _NAME.match(str(name_or_path)):
        candidate = Path(name_or_path)
        if candidate.is_file():
            return candidate
        raise UNKNOWN_WORLD.refuse(world=str(name_or_path))
    found = find_world(platform, str(name_or_path))
    if found is None:
        raise UNKNOWN_WORLD.refuse(world=str(name_or_path))
    return found


def load_world_data(
    platform: Platform,
    sandbox_id: str,
    world: WorldSpec | Mapping[str, Any],
    *,
    source: str = "<world>",
    replace: bool = False,
    progress: Any = None,
    text: str | None = None,
) -> WorldSummary:
    """Load an already-read world into a sandbox: a :class:`WorldSpec`, or the
    mapping a world file holds (e.g. from :func:`simulator.generator.generate_world`)."""
    with gc_paused():
        if not isinstance(world, WorldSpec):
            try:
                world = parse_world(world, source, text=text)
            except WorldError as error:
                raise _with_content_problems(platform, error) from None
        plan = validate_world(platform, world, source, text=text)
        with platform.db.transaction() as session:
            sandbox = session.get(Sandbox, sandbox_id)
            if sandbox is None:
                raise UNKNOWN_SANDBOX.refuse(sandbox=sandbox_id)
            connection = session.connection()
            held = _held(connection, sandbox)
            if held and not replace:
                raise WORLD_PRESENT.refuse(sandbox=sandbox_id, world=held)
            if held:
                platform._clear(session, sandbox_id)
            _write(platform, connection, sandbox_id, plan, progress)
            written = _write_projects(connection, sandbox_id, world)
            notices = _write_notices(platform, connection, sandbox_id, plan)
            connection.execute(
                update(Sandbox.__table__)
                .where(Sandbox.__table__.c.id == sandbox_id)
                .values(
                    world=world.name, clock_frozen_at=world.clock, location_city=plan.location_city
                )
            )
            session.expire(sandbox)
    return WorldSummary(
        world=world.name,
        source=source,
        sandbox_id=sandbox_id,
        city=world.city,
        clock=world.clock,
        location_city=plan.location_city,
        fee_month=str(plan.fee_month),
        last_settled_month=str(plan.last_settled),
        counts={
            **plan.counts,
            "insured_relations": plan.counts["insured_relations"] + written["project_workers"],
            **written,
        },
        projects=[
            {
                "code": project.code,
                "name": project.name,
                "unit": project.unit,
                "workers": len(project.workers),
            }
            for project in world.projects
        ],
        replaced=bool(held),
        notices=notices,
    )


def _settled_at(platform: Platform, city: str, month: Month, clock: datetime) -> datetime:
    """When the monthly settlement settled fee month ``month`` in ``city``: 00:00 on the
    7th whose paused days close its period (PER-2, as the settlement plugin runs it), never
    after ``clock``.  A month no 7th settles (the old calendar's last month before the
    provincial platform's go-live, PER-7: its next 7th already closes a provincial period)
    takes the 7th of the month after it."""
    place = platform.city(city)
    following = month.plus(1).first_day().replace(day=SETTLEMENT_DAY)
    day = following
    for candidate in (month.first_day().replace(day=SETTLEMENT_DAY), following):
        period = platform.period_on(candidate, place)
        if period.paused and period.fee_month == month:
            day = candidate
            break
    return min(datetime.combine(day, time()), clock)


def _write_notices(platform: Platform, connection: Connection, sandbox_id: str, plan: _Plan) -> int:
    """The 单位征缴通知单 of the settled months the world's contribution lines cover (Q-6):
    a world *is* the state on its clock's day, settled months included, so their notices
    are there as the monthly settlement makes them (:func:`simulator.settlement.notice_totals`:
    one aggregate over the lines just written).  Returns how many were written."""
    spans = [
        employment.history
        for person in plan.people
        for employment in person.employments
        if employment.history is not None
    ]
    if not spans:
        return 0
    first = min(span[0] for span in spans)
    clock = plan.world.clock
    return write_settled_notices(
        connection,
        sandbox_id,
        first,
        plan.last_settled,
        lambda month: _settled_at(platform, plan.world.city, month, clock),
    )


def _write_projects(connection: Connection, sandbox_id: str, world: WorldSpec) -> dict[str, int]:
    """The world's construction projects (I9-1) and the stays of their workers (I9-2),
    each stay with the work-injury relation it opened, as 工程建设项目人员登记维护 makes
    them.  Runs after the units and people are written (it finds them by their numbers);
    the projects are registered at the world's clock.  Returns the counts written."""
    if not world.projects:
        return {"projects": 0, "project_workers": 0}
    usccs = {unit.key: unit.uscc.strip().upper() for unit in world.units}
    units = Unit.__table__
    unit_ids = dict(
        connection.execute(
            select(units.c.uscc, units.c.id).where(
                units.c.sandbox_id == sandbox_id, units.c.uscc.in_(list(usccs.values()))
            )
        ).all()
    )
    numbers = {w.id_number.strip().upper() for p in world.projects for w in p.workers}
    people = Person.__table__
    person_ids = dict(
        connection.execute(
            select(people.c.id_number, people.c.id).where(
                people.c.sandbox_id == sandbox_id, people.c.id_number.in_(sorted(numbers))
            )
        ).all()
    )
    workers = 0
    for project in world.projects:
        unit_id = unit_ids[usccs[project.unit]]
        project_id = connection.execute(
            insert(Project.__table__)
            .values(
                sandbox_id=sandbox_id,
                unit_id=unit_id,
                code=project.code,
                name=project.name,
                region_code=project.region_code,
                cost=project.cost,
                start_date=project.start_date,
                end_date=project.end_date,
                registered_at=world.clock,
            )
            .returning(Project.__table__.c.id)
        ).scalar_one()
        for worker in project.workers:
            person_id = person_ids[worker.id_number.strip().upper()]
            relation_id = connection.execute(
                insert(InsuredRelation.__table__)
                .values(
                    **stay_relation_values(
                        sandbox_id=sandbox_id,
                        unit_id=unit_id,
                        person_id=person_id,
                        project_code=project.code,
                        entry_date=worker.entered_on,
                        exit_date=worker.left_on,
                    )
                )
                .returning(InsuredRelation.__table__.c.id)
            ).scalar_one()
            connection.execute(
                insert(ProjectWorker.__table__).values(
                    sandbox_id=sandbox_id,
                    project_id=project_id,
                    person_id=person_id,
                    entry_date=worker.entered_on,
                    exit_date=worker.left_on,
                    relation_id=relation_id,
                )
            )
            workers += 1
    return {"projects": len(world.projects), "project_workers": workers}


def _held(connection: Connection, sandbox: Sandbox) -> str:
    """What the sandbox already holds ('' when empty)."""
    if sandbox.world:
        return f"世界 {sandbox.world}"
    for table, label in (
        (Unit.__table__, "单位"),
        (Person.__table__, "人员"),
        (IdentityRecord.__table__, "公安人员信息"),
        (MarketRecord.__table__, "市场监管登记"),
    ):
        found = connection.execute(
            select(table.c.id).where(table.c.sandbox_id == sandbox.id).limit(1)
        ).first()
        if found is not None:
            return label
    return ""


def _allocate(connection: Connection, table: Table, count: int) -> int:
    """The first of ``count`` consecutive primary keys reserved for ``table``.

    SQLite: after the greatest id (writers are serialised by the database lock).
    PostgreSQL: the table is locked against other writers until the transaction
    ends and its sequence moved past the block, so later inserts continue after it.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text(f'LOCK TABLE "{table.name}" IN EXCLUSIVE MODE'))
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        ).scalar_one()
        greatest = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        if sequence is None:
            return int(greatest) + 1
        following = connection.execute(
            text("SELECT nextval(CAST(:s AS regclass))"), {"s": sequence}
        ).scalar_one()
        start = max(int(greatest) + 1, int(following))
        connection.execute(
            text("SELECT setval(CAST(:s AS regclass), :v)"),
            {"s": sequence, "v": start + max(count, 1) - 1},
        )
        return start
    greatest = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return int(greatest) + 1


_TABLE_COUNTS = {
    "mock_market_records": "market_records",
    "units": "units",
    "mock_identity_records": "identity_records",
    "people": "people",
    "employments": "employments",
    "insured_relations": "insured_relations",
    "contribution_lines": "contribution_lines",
    "benefit_payments": "benefit_payments",
}

#: the tables a world writes, parents first
TABLE_ORDER: tuple[Table, ...] = (
    MarketRecord.__table__,
    Unit.__table__,
    IdentityRecord.__table__,
    Person.__table__,
    Employment.__table__,
    InsuredRelation.__table__,
    ContributionLine.__table__,
    BenefitPayment.__table__,
)


def allocate_ids(connection: Connection, plan: _Plan) -> dict[str, int]:
    """The first id of each table for this plan's rows (see :func:`_allocate`)."""
    return {
        table.name: _allocate(connection, table, plan.counts[_TABLE_COUNTS[table.name]])
        for table in TABLE_ORDER
        if plan.counts[_TABLE_COUNTS[table.name]]
    }


def _counter(connection: Connection, sandbox_id: str, name: str) -> int:
    value = connection.execute(
        select(Counter.value).where(Counter.sandbox_id == sandbox_id, Counter.name == name)
    ).scalar_one_or_none()
    return int(value or 0)


def _set_counter(connection: Connection, sandbox_id: str, name: str, value: int) -> None:
    table = Counter.__table__
    updated = connection.execute(
        update(table)
        .where(table.c.sandbox_id == sandbox_id, table.c.name == name)
        .values(value=value)
    )
    if updated.rowcount == 0:
        connection.execute(
            insert(table), [{"sandbox_id": sandbox_id, "name": name, "value": value}]
        )


class RowSink:
    """Where :func:`build_rows` puts rows: one list per table (:data:`TABLE_ORDER`).

    :meth:`flush` is called whenever about :data:`BATCH_SIZE` rows are pending;
    this one keeps everything (the benchmark's floor builds its rows with it).
    """

    def __init__(self) -> None:
        self.rows: dict[Table, list[dict[str, Any]]] = {table: [] for table in TABLE_ORDER}

    def flush(self) -> None:
        pass


class _BatchWriter(RowSink):
    """Writes pending rows, with the ids allocated for them, one executemany per table
    (:class:`~simulator.db.rows.RowWriter`), parents first."""

    def __init__(self, connection: Connection, progress: Any) -> None:
        super().__init__()
        self.writer = RowWriter(connection)
        self.progress = progress

    def flush(self) -> None:
        written = 0
        for table in TABLE_ORDER:
            rows = self.rows[table]
            if rows:
                self.writer.insert(table, rows, want_ids=False)
                written += len(rows)
                rows.clear()
        if self.progress is not None and written:
            self.progress(written)


def build_rows(
    platform: Platform,
    plan: _Plan,
    sandbox_id: str,
    starts: Mapping[str, int],
    sequences: dict[str, int],
    sink: RowSink,
) -> None:
    """Every row of the world into ``sink``, with its final id, parents before children.

    ``starts``: the first id per table name (:func:`allocate_ids`); ``sequences``:
    the last 'unit' and 'person' numbers used in the sandbox, updated as numbers are
    given (单位编号 ``<city><6 digits>``, 人员编号 ``<city><10 digits>``).
    """
    world = plan.world
    clock_day = world.clock.date()
    rows = sink.rows
    market_rows = rows[MarketRecord.__table__]
    unit_rows = rows[Unit.__table__]
    identity_rows = rows[IdentityRecord.__table__]
    person_rows = rows[Person.__table__]
    employment_rows = rows[Employment.__table__]
    relation_rows = rows[InsuredRelation.__table__]
    line_rows = rows[ContributionLine.__table__]
    benefit_rows = rows[BenefitPayment.__table__]

    unit_id = starts.get("units", 1)
    market_id = starts.get("mock_market_records", 1)
    unit_seq = sequences["unit"]
    for unit in plan.units:
        spec = unit.spec
        market = unit.market
        legal_rep_number = spec.legal_rep.id_number.strip().upper()
        market_rows.append(
            {
                "id": market_id,
                "sandbox_id": sandbox_id,
                "uscc": unit.uscc,
                "name": market.name or spec.name,
                "legal_rep_name": spec.legal_rep.name,
                "legal_rep_id_type": spec.legal_rep.id_type,
                "legal_rep_id_number": legal_rep_number,
                "nature": spec.nature,
                "is_hr_agency": spec.is_hr_agency,
                "address": spec.address if market.address is None else market.address,
                "region_code": spec.region_code,
                "registered_on": unit.market_registered_on,
                "status": market.status,
            }
        )
        market_id += 1
        if not spec.insured:
            continue
        if unit.unit_no is None:
            unit_seq += 1
            unit.unit_no = f"{unit.city_code}{unit_seq:06d}"
        unit.id = unit_id
        bank, contact = spec.bank, spec.contact
        unit_rows.append(
            {
                "id": unit_id,
                "sandbox_id": sandbox_id,
                "unit_no": unit.unit_no,
                "uscc": unit.uscc,
                "name": spec.name,
                "nature": spec.nature,
                "region_code": spec.region_code,
                "city_code": unit.city_code,
                "address": spec.address,
                "legal_rep_name": spec.legal_rep.name,
                "legal_rep_id_type": spec.legal_rep.id_type,
                "legal_rep_id_number": legal_rep_number,
                "is_hr_agency": spec.is_hr_agency,
                "industry_class": spec.industry_class,
                "floating_tier": spec.floating_tier,
                "insurance_codes": ",".join(unit.insurance),
                "bank_name": bank.name if bank else "",
                "bank_account_name": bank.account_name if bank else "",
                "bank_account_no": bank.account_no if bank else "",
                "contact_name": contact.name if contact else "",
                "contact_phone": contact.phone if contact else "",
                "registered_on": spec.registered_on
                or plan.earliest_start.get(spec.key)
                or clock_day,
                "status": "参保",
            }
        )
        unit_id += 1
    sequences["unit"] = unit_seq

    identity_id = starts.get("mock_identity_records", 1)
    for number, name in plan.extra_identities:
        parsed = parse_resident_id(number)
        identity_rows.append(
            {
                "id": identity_id,
                "sandbox_id": sandbox_id,
                "id_number": number,
                "name": name,
                "gender": parsed.gender,
                "birth_date": parsed.birth_date,
                "ethnicity": "汉族",
                "hukou_region": parsed.region_code,
                "hukou_address": "",
            }
        )
        identity_id += 1
    sink.flush()

    person_id = starts.get("people", 1)
    employment_id = starts.get("employments", 1)
    relation_id = starts.get("insured_relations", 1)
    line_id = starts.get("contribution_lines", 1)
    benefit_id = starts.get("benefit_payments", 1)
    person_seq = sequences["person"]
    person_prefix = world.city
    amounts = _Amounts(platform)
    fee_month = plan.fee_month
    pending = 0
    for person in plan.people:
        spec = person.spec
        number = person.id_number
        public = spec.public_security or _DEFAULT_PUBLIC_SECURITY
        if public.known:
            identity_rows.append(
                {
                    "id": identity_id,
                    "sandbox_id": sandbox_id,
                    "id_number": number,
                    "name": public.name or spec.name,
                    "gender": person.gender,
                    "birth_date": person.birth_date,
                    "ethnicity": public.ethnicity or spec.ethnicity,
                    "hukou_region": public.hukou_region or person.hukou_region,
                    "hukou_address": spec.hukou_address
                    if public.hukou_address is None
                    else public.hukou_address,
                }
            )
            identity_id += 1
        if spec.base_record == "missing":
            continue
        first_person_id = person_id
        for copy in range(spec.duplicate_records):
            if copy == 0 and spec.person_no is not None:
                person_no = spec.person_no
            else:
                person_seq += 1
                person_no = f"{person_prefix}{person_seq:010d}"
            person_rows.append(
                {
                    "id": person_id,
                    "sandbox_id": sandbox_id,
                    "person_no": person_no,
                    "id_type": "居民身份证",
                    "id_number": number,
                    "name": spec.name,
                    "gender": person.gender,
                    "birth_date": person.birth_date,
                    "ethnicity": spec.ethnicity,
                    "nationality": spec.nationality,
                    "mobile": spec.mobile,
                    "hukou_nature": person.hukou_nature,
                    "residence_address": spec.residence_address,
                    "hukou_region": person.hukou_region,
                    "hukou_address": spec.hukou_address,
                    "education": spec.education,
                    "political_status": spec.political_status,
                    "major": spec.major,
                    "skill_level": spec.skill_level,
                    "position": spec.position,
                    "draws_pension": spec.draws_pension,
                    "work_injury_level": spec.work_injury_level,
                    "disability_allowance": spec.disability_allowance,
                    "created_at": None,
                }
            )
            person_id += 1
        for employment in person.employments:
            e = employment.spec
            codes = employment.codes
            identity = codes["identity"]
            unit = employment.unit
            employer = employment.employer
            start = employment.start
            stop = employment.stop
            employment_rows.append(
                {
                    "id": employment_id,
                    "sandbox_id": sandbox_id,
                    "person_id": first_person_id,
                    "unit_id": unit.id,
                    "identity": identity,
                    "contract_reason": codes["contract_reason"],
                    "contract_type": codes["contract_type"],
                    "contract_start": e.contract_start,
                    "contract_end": e.contract_end,
                    "job_type": codes["job_type"],
                    "dispatch_type": employment.dispatch_type,
                    "dispatch_employer_no": (employer.unit_no or "") if employer else "",
                    "dispatch_employer_name": employer.spec.name if employer else "",
                    "start_month": start,
                    "stopped_on": e.stopped_on
                    or (Month.parse(stop).plus(1).first_day() if stop else None),
                    "stop_reason": codes["stop_reason"],
                }
            )
            declared = e.base
            effective = amounts.base(unit.city_code, employment.base_month, declared)
            for code in employment.insurance:
                relation_rows.append(
                    {
                        "id": relation_id,
                        "sandbox_id": sandbox_id,
                        "person_id": first_person_id,
                        "unit_id": unit.id,
                        "employment_id": employment_id,
                        "insurance_code": code,
                        "identity": identity,
                        "kind": "employee",
                        "start_month": start,
                        "stop_month": stop,
                        "status": employment.status,
                        "declared_base": declared,
                        "base": effective,
                        "note": "",
                    }
                )
                if employment.history is not None:
                    first, last = employment.history
                    industry_class = unit.spec.industry_class
                    floating_tier = unit.spec.floating_tier
                    for index in range(first.index, last.index + 1):
                        month = Month(index // 12, index % 12 + 1)
                        line_base, unit_amount, personal_amount = amounts.line(
                            unit.city_code, month, code, declared, industry_class, floating_tier
                        )
                        line_rows.append(
                            {
                                "id": line_id,
                                "sandbox_id": sandbox_id,
                                "person_id": first_person_id,
                                "unit_id": unit.id,
                                "relation_id": relation_id,
                                "insurance_code": code,
                                "fee_month": str(month),
                                "base": line_base,
                                "unit_amount": unit_amount,
                                "personal_amount": personal_amount,
                                "kind": "regular",
                                "serial_no": None,
                                "business_id": None,
                            }
                        )
                        line_id += 1
                        pending += 1
                relation_id += 1
            employment_id += 1
            pending += 1 + len(employment.insurance)
        flexible = spec.flexible
        if flexible is not None:
            stop_month = flexible.stop_month
            declared = flexible.base
            effective = (
                amounts.base(world.city, fee_month, declared) if declared is not None else None
            )
            for code in flexible.insurance:
                relation_rows.append(
                    {
                        "id": relation_id,
                        "sandbox_id": sandbox_id,
                        "person_id": first_person_id,
                        "unit_id": None,
                        "employment_id": None,
                        "insurance_code": code,
                        "identity": flexible.identity,
                        "kind": "flexible",
                        "start_month": flexible.start_month,
                        "stop_month": stop_month,
                        "status": flexible.status or (ACTIVE if stop_month is None else TERMINATED),
                        "declared_base": declared,
                        "base": effective,
                        "note": "灵活就业",
                    }
                )
                relation_id += 1
        for benefit in spec.unemployment_benefit:
            benefit_rows.append(
                {
                    "id": benefit_id,
                    "sandbox_id": sandbox_id,
                    "person_id": first_person_id,
                    "month": benefit.month,
                    "amount": benefit.amount,
                    "returned_on": benefit.returned_on,
                }
            )
            benefit_id += 1
        pending += 2 + spec.duplicate_records
        if pending >= BATCH_SIZE:
            sink.flush()
            pending = 0
    sequences["person"] = person_seq
    sink.flush()


class _Amounts:
    """PER-3 and PER-8 with the city's parameters of each month, memoised."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.views: dict[tuple[str, int], ParameterView] = {}
        self.bases: dict[tuple[str, int, Decimal], Decimal] = {}
        self.lines: dict[tuple[Any, ...], tuple[Decimal, Decimal, Decimal]] = {}

    def view(self, city_code: str, month: Month) -> ParameterView:
        key = (city_code, month.index)
        view = self.views.get(key)
        if view is None:
            platform = self.platform
            view = platform.parameters_for(platform.city(city_code)).at(month.first_day())
            self.views[key] = view
        return view

    def base(self, city_code: str, month: Month, declared: Decimal) -> Decimal:
        key = (city_code, month.index, declared)
        effective = self.bases.get(key)
        if effective is None:
            effective = clamp_base(declared, self.view(city_code, month)).effective
            self.bases[key] = effective
        return effective

    def line(
        self,
        city_code: str,
        month: Month,
        code: str,
        declared: Decimal,
        industry_class: int | None,
        floating_tier: int | None,
    ) -> tuple[Decimal, Decimal, Decimal]:
        key = (city_code, month.index, code, declared, industry_class, floating_tier)
        found = self.lines.get(key)
        if found is None:
            effective = self.base(city_code, month, declared)
            amount = monthly_contribution(
                code,
                effective,
                self.view(city_code, month),
                industry_class=industry_class,
                floating_tier=floating_tier,
            )
            found = (effective, amount.unit_amount, amount.personal_amount)
            self.lines[key] = found
        return found


def _write_accounts(connection: Connection, sandbox_id: str, plan: _Plan) -> None:
    """A 法定代表人 account for every insured unit (A-1), real-name verified on the clock day.

    One hash for the world's password serves every account: hashing is deliberately slow,
    and a world's accounts share one password anyway.
    """
    from simulator.auth import ROLE_LEGAL_REP, hash_password
    from simulator.db.models import Account

    insured = [unit for unit in plan.units if unit.spec.insured and unit.id is not None]
    if not insured:
        return
    password_hash = hash_password(plan.world.password)
    now = plan.world.clock
    connection.execute(
        insert(Account),
        [
            {
                "sandbox_id": sandbox_id,
                "unit_id": unit.id,
                "role": ROLE_LEGAL_REP,
                "id_type": unit.spec.legal_rep.id_type,
                "id_number": unit.spec.legal_rep.id_number.strip().upper(),
                "name": unit.spec.legal_rep.name,
                "mobile": unit.spec.contact.phone if unit.spec.contact else "",
                "password_hash": password_hash,
                "verified_at": now,
                "scopes": [],
                "status": "active",
                "created_at": now,
            }
            for unit in insured
        ],
    )


def _write(
    platform: Platform, connection: Connection, sandbox_id: str, plan: _Plan, progress: Any
) -> None:
    starts = allocate_ids(connection, plan)
    counters = {name: _counter(connection, sandbox_id, name) for name in ("unit", "person")}
    sequences = dict(counters)
    build_rows(platform, plan, sandbox_id, starts, sequences, _BatchWriter(connection, progress))
    _write_accounts(connection, sandbox_id, plan)
    for name, value in sequences.items():
        if value != counters[name]:
            _set_counter(connection, sandbox_id, name, value)

"""Mock of the market-registration service (市场监管).

企业社会保险信息登记 (G §三.1, behaviours I1-1/I1-4) does not let the unit type
its basic information: it is fetched from market regulation by 统一社会信用代码 —
name, legal representative (name, ID type and number), nature (单位性质), whether
it is an HR-service agency licensed for labour dispatch, address, region code,
registration date and status (存续 / 注销 / 吊销).  F-4 refreshes a unit from it.

What the service knows comes from ``mock_market_records`` (a world file or
``POST /api/v1/sandboxes/<sid>/mocks/market/records``); an unknown code is
``not_found``.  Magic values (``docs/mocks.md``), for a **valid** code with no
registered record, decided by the first two digits of the organisation code
(组织机构代码, characters 9–17; :func:`magic_uscc` finds such codes):

* ``99`` → a unit with status 注销 (deregistered);
* ``98`` → a unit with status 吊销 (licence revoked);
* ``97`` → the service fails for this code only (HTTP 503).

Contract: ``GET /mocks/market/units/<uscc>`` with header ``X-Sandbox-Id``.
"""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from mocks import store
from mocks.faults import (
    OUTAGE_BODY,
    MockAnswer,
    MockCall,
    SandboxHeader,
    ServiceFailure,
    serve_call,
)
from simulator.api import ErrorBody
from simulator.identifiers import (
    CreditCode,
    InvalidIdentifier,
    generate_credit_code,
    parse_credit_code,
)

SERVICE = "market"
DEREGISTERED_ORGANISATION_PREFIX = "99"
REVOKED_ORGANISATION_PREFIX = "98"
FAILING_ORGANISATION_PREFIX = "97"
MAGIC_PREFIXES = {
    "注销": DEREGISTERED_ORGANISATION_PREFIX,
    "吊销": REVOKED_ORGANISATION_PREFIX,
    "failure": FAILING_ORGANISATION_PREFIX,
}
#: the registration date of a magic (synthetic) unit
MAGIC_REGISTRATION_DATE = date(2010, 1, 1)

UnitNature = Literal[
    "企业",
    "个体工商户",
    "农民专业合作社",
    "机关",
    "参公",
    "事业单位",
    "社会团体",
    "民办非企业",
    "基金会",
    "其他",
]
UnitStatus = Literal["存续", "注销", "吊销"]

#: 单位性质 of a magic unit from the code's registration authority and category (GB 32100).
NATURE_BY_AUTHORITY_CATEGORY: dict[tuple[str, str], str] = {
    ("9", "1"): "企业",
    ("9", "2"): "个体工商户",
    ("9", "3"): "农民专业合作社",
    ("1", "1"): "机关",
    ("1", "2"): "事业单位",
    ("5", "1"): "社会团体",
    ("5", "2"): "民办非企业",
    ("5", "3"): "基金会",
}


def magic_uscc(
    behaviour: Literal["注销", "吊销", "failure"],
    region_code: str = "320100",
    *,
    authority: str = "9",
    category: str = "1",
    index: int = 0,
) -> str:
    """A valid 统一社会信用代码 that the market mock answers with ``behaviour`` when unregistered.

    The first such codes ``generate_credit_code`` makes for the region (``index``
    picks the next ones): same arguments, same code, every check character right.
    """
    prefix = MAGIC_PREFIXES[behaviour]
    found = 0
    for serial in count():
        code = generate_credit_code(region_code, serial, authority=authority, category=category)
        if code[8:10] == prefix:
            if found == index:
                return code
            found += 1
    raise AssertionError("unreachable: generate_credit_code covers every organisation code")


tag = Tag(
    name="模拟服务 市场监管",
    description="Mock market registration: a unit by 统一社会信用代码 → its registration, or not_found",
)
api = APIBlueprint(
    "mock_market",
    __name__,
    url_prefix="/mocks/market",
    abp_tags=[tag],
    abp_responses={400: ErrorBody},
)
api.record_once(store.install_from_platform)


class UsccPath(BaseModel):
    uscc: str = Field(min_length=1, max_length=18, description="统一社会信用代码")


class LegalRepBody(BaseModel):
    name: str = Field(description="法定代表人姓名")
    id_type: str = Field(description="证件类型, e.g. 居民身份证")
    id_number: str = Field(description="证件号码")


class MarketUnitBody(BaseModel):
    """A unit's registration with market regulation."""

    uscc: str = Field(description="统一社会信用代码")
    name: str = Field(description="单位名称")
    legal_rep: LegalRepBody
    nature: UnitNature = Field(description="单位性质")
    is_hr_agency: bool = Field(description="人力资源服务机构 licensed for labour dispatch")
    address: str = Field(description="住所")
    region_code: str = Field(description="行政区划代码")
    registered_on: date = Field(description="成立（登记）日期")
    status: UnitStatus = Field(description="登记状态")


class MarketLookupAnswer(BaseModel):
    """``found`` with the ``unit`` (whatever its status), or ``not_found``."""

    result: Literal["found", "not_found"]
    unit: MarketUnitBody | None = None


def magic_unit(code: CreditCode, status: str) -> dict[str, Any]:
    """The registration a magic code stands for: a unit that no longer exists."""
    return {
        "uscc": code.code,
        "name": f"模拟{status}单位（{code.organisation_code}）",
        "legal_rep": {"name": "模拟法人", "id_type": "居民身份证", "id_number": ""},
        "nature": NATURE_BY_AUTHORITY_CATEGORY.get((code.authority, code.category), "其他"),
        "is_hr_agency": False,
        "address": "",
        "region_code": code.region_code,
        "registered_on": MAGIC_REGISTRATION_DATE.isoformat(),
        "status": status,
    }


def lookup_answer(call: MockCall, uscc: str) -> MockAnswer:
    uscc = uscc.strip().upper()
    record = store.market_record(call.session, call.sandbox_id, uscc)
    if record is not None:
        return MockAnswer({"result": "found", "unit": store.market_unit_dict(record)})
    try:
        code = parse_credit_code(uscc)
    except InvalidIdentifier:
        return MockAnswer({"result": "not_found", "unit": None})
    prefix = code.organisation_code[:2]
    if prefix == FAILING_ORGANISATION_PREFIX:
        return MockAnswer(dict(OUTAGE_BODY), 503, fault="magic-outage")
    if prefix == DEREGISTERED_ORGANISATION_PREFIX:
        return MockAnswer({"result": "found", "unit": magic_unit(code, "注销")})
    if prefix == REVOKED_ORGANISATION_PREFIX:
        return MockAnswer({"result": "found", "unit": magic_unit(code, "吊销")})
    return MockAnswer({"result": "not_found", "unit": None})


@api.get(
    "/units/<uscc>",
    summary="A unit's registration by 统一社会信用代码",
    responses={200: MarketLookupAnswer, 503: ServiceFailure},
)
def lookup(path: UsccPath, header: SandboxHeader):  # type: ignore[no-untyped-def]
    return serve_call(
        SERVICE,
        header.sandbox_id,
        {"uscc": path.uscc},
        lambda call: lookup_answer(call, path.uscc),
    )

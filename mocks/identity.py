"""Mock of the public-security person base-information service (公安部人员基准信息).

人员基础信息采集 (G §三.2, behaviours I2-2/I2-3) checks every person against this
service before anything is stored: the platform sends (证件号码, 姓名) and gets back
``match`` with the registered facts (性别, 出生日期, 民族, 户籍地行政区划, 户籍地址),
``mismatch`` (the number is known, the name is not its holder's) or
``not_found``.

What the service knows comes from ``mock_identity_records`` (a world file or
``POST /api/v1/sandboxes/<sid>/mocks/identity/records``).  Magic values, like
the card numbers of a payment sandbox (``docs/mocks.md``):

* a name containing ``错配`` always mismatches;
* for a valid number with **no** registered record, the order code (顺序码,
  digits 15–17) decides: ``98x`` → ``mismatch``, ``99x`` → the service fails
  for this number only (HTTP 503, so one row of a batch can hit I2-3); any
  other → ``not_found``.  A registered record always wins over the number's
  pattern.  ``generate_resident_id(region, birth, sequence, gender)`` gives
  order code 98x for sequences 490–494 and 99x for 495–499, either gender;
  :func:`magic_id_number` does it for you.

Contract: ``POST /mocks/identity/verify`` with header ``X-Sandbox-Id``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

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
from simulator.identifiers import InvalidIdentifier, generate_resident_id, parse_resident_id

SERVICE = "identity"
ALWAYS_MISMATCHING_NAME_PART = "错配"
MISMATCH_ORDER_PREFIX = "98"
FAILING_ORDER_PREFIX = "99"
#: ``generate_resident_id`` sequences whose order codes are 98x / 99x (顺序码 = 2 × sequence (+1 男))
MISMATCH_SEQUENCES = range(490, 495)
FAILING_SEQUENCES = range(495, 500)


def magic_id_number(
    behaviour: Literal["mismatch", "failure"],
    *,
    region_code: str = "320102",
    birth_date: date = date(1990, 1, 1),
    gender: str = "男",
    index: int = 0,
) -> str:
    """A valid 公民身份号码 that the identity mock answers with ``behaviour`` when unregistered.

    ``index`` (0–4) picks one of five such numbers for the same person data.
    """
    sequences = MISMATCH_SEQUENCES if behaviour == "mismatch" else FAILING_SEQUENCES
    return generate_resident_id(region_code, birth_date, sequences[index], gender)


tag = Tag(
    name="模拟服务 公安部人员基准信息",
    description="Mock public-security identity check: (证件号码, 姓名) → match / mismatch / not_found",
)
api = APIBlueprint(
    "mock_identity",
    __name__,
    url_prefix="/mocks/identity",
    abp_tags=[tag],
    abp_responses={400: ErrorBody},
)
api.record_once(store.install_from_platform)


class IdentityQuery(BaseModel):
    """The comparison the platform asks for."""

    id_number: str = Field(min_length=1, max_length=18, description="证件号码 (居民身份证)")
    name: str = Field(min_length=1, max_length=50, description="姓名")


class IdentityFactsBody(BaseModel):
    """The facts public security registered for the person."""

    id_number: str = Field(description="证件号码")
    name: str = Field(description="姓名")
    gender: Literal["男", "女"] = Field(description="性别")
    birth_date: date = Field(description="出生日期")
    ethnicity: str = Field(description="民族, e.g. 汉族")
    hukou_region: str = Field(description="户籍地行政区划 (6-digit code)")
    hukou_address: str = Field(description="户籍地址")


class IdentityVerifyAnswer(BaseModel):
    """``match`` (with ``facts``), ``mismatch`` or ``not_found`` (``facts`` null)."""

    result: Literal["match", "mismatch", "not_found"]
    facts: IdentityFactsBody | None = None


# Names of minorities are written with a middle dot, which people type in several ways.
_MIDDLE_DOTS = str.maketrans({"•": "·", "．": "·", "・": "·", "∙": "·"})


def same_name(registered: str, given: str) -> bool:
    return registered.strip().translate(_MIDDLE_DOTS) == given.strip().translate(_MIDDLE_DOTS)


def order_code(id_number: str) -> str | None:
    """The order code (顺序码) of a valid 18-character number; ``None`` if it is not valid."""
    try:
        parse_resident_id(id_number)
    except InvalidIdentifier:
        return None
    return id_number[14:17]


def verify_answer(call: MockCall, query: IdentityQuery) -> MockAnswer:
    id_number = query.id_number.strip().upper()
    if ALWAYS_MISMATCHING_NAME_PART in query.name:
        return MockAnswer({"result": "mismatch", "facts": None})
    record = store.identity_record(call.session, call.sandbox_id, id_number)
    if record is not None:
        if not same_name(record.name, query.name):
            return MockAnswer({"result": "mismatch", "facts": None})
        return MockAnswer({"result": "match", "facts": store.identity_record_dict(record)})
    order = order_code(id_number) or ""
    if order.startswith(FAILING_ORDER_PREFIX):
        return MockAnswer(dict(OUTAGE_BODY), 503, fault="magic-outage")
    if order.startswith(MISMATCH_ORDER_PREFIX):
        return MockAnswer({"result": "mismatch", "facts": None})
    return MockAnswer({"result": "not_found", "facts": None})


@api.post(
    "/verify",
    summary="Compare (证件号码, 姓名) with the registered person",
    responses={200: IdentityVerifyAnswer, 503: ServiceFailure},
)
def verify(header: SandboxHeader, body: IdentityQuery):  # type: ignore[no-untyped-def]
    return serve_call(
        SERVICE,
        header.sandbox_id,
        body.model_dump(mode="json"),
        lambda call: verify_answer(call, body),
    )

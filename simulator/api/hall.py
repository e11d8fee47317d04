"""The hall outside the unit's businesses: 单位实名注册 (PREP-1) and the personal side (P-1, P-2).

* ``POST /sandboxes/{id}/units/signup`` — the legal representative registers the
  unit (market registration, public security, face verification); afterwards
  they log in with ``POST /sandboxes/{id}/login`` and do 企业社会保险信息登记.
* ``POST /sandboxes/{id}/personal/flexible-stop`` — 灵活就业人员停保登记 (P-1).
* ``POST /sandboxes/{id}/personal/hukou-nature`` — 个人中心维护户籍性质 (P-2).

The personal routes act as the person: no unit token, and no personal login
either (the personal hall's own registration is not simulated).  The rules are in
``simulator/hall.py``; request bodies here check only types and lengths, so that
every refusal reads the same in-process and over HTTP.
"""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from simulator.api import ERROR_RESPONSES, ErrorBody, platform
from simulator.hall import maintain_hukou_nature, sign_up_unit, stop_flexible_employment

unit_tag = Tag(
    name="实名注册 unit sign-up", description="单位实名注册 before any business (PREP-1)"
)
personal_tag = Tag(
    name="个人办事 personal side",
    description="What the person does on the personal side to clear a unit's error (P-1, P-2)",
)

api = APIBlueprint(
    "hall",
    __name__,
    url_prefix="/api/v1",
    abp_responses={**ERROR_RESPONSES, 503: ErrorBody},
)


class SandboxPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class UnitSignupBody(BaseModel):
    uscc: str = Field(max_length=40, description="统一社会信用代码")
    legal_rep_name: str = Field(max_length=50, description="法定代表人姓名")
    legal_rep_id_number: str = Field(max_length=40, description="法定代表人居民身份证号码")
    mobile: str = Field(max_length=40, description="法定代表人手机号码")
    password: str = Field(max_length=200, description="8–20 characters, letters and digits")


class UnitSignupAnswer(BaseModel):
    message: str
    unit: dict[str, Any] = Field(description="the unit, status 未参保")
    account: dict[str, Any] = Field(description="the legal representative's account")


class PersonBody(BaseModel):
    id_number: str = Field(max_length=40, description="公民身份号码")
    name: str = Field(max_length=50, description="姓名")


class HukouNatureBody(PersonBody):
    hukou_nature: str = Field(max_length=20, description="户籍性质: code (11, 21 …) or label")


@api.post(
    "/sandboxes/<sandbox_id>/units/signup",
    tags=[unit_tag],
    summary="单位实名注册: the legal representative registers the unit (PREP-1)",
    responses={201: UnitSignupAnswer},
)
def unit_signup(path: SandboxPath, body: UnitSignupBody):  # type: ignore[no-untyped-def]
    result = sign_up_unit(
        platform(),
        path.sandbox_id,
        uscc=body.uscc,
        legal_rep_name=body.legal_rep_name,
        legal_rep_id_number=body.legal_rep_id_number,
        mobile=body.mobile,
        password=body.password,
    )
    return result, 201


@api.post(
    "/sandboxes/<sandbox_id>/personal/flexible-stop",
    tags=[personal_tag],
    summary="灵活就业人员停保登记 on the personal side (P-1, clears I3-9)",
)
def personal_flexible_stop(path: SandboxPath, body: PersonBody):  # type: ignore[no-untyped-def]
    return stop_flexible_employment(
        platform(), path.sandbox_id, id_number=body.id_number, name=body.name
    )


@api.post(
    "/sandboxes/<sandbox_id>/personal/hukou-nature",
    tags=[personal_tag],
    summary="个人中心维护户籍性质 (P-2, clears I3-10)",
)
def personal_hukou_nature(path: SandboxPath, body: HukouNatureBody):  # type: ignore[no-untyped-def]
    return maintain_hukou_nature(
        platform(),
        path.sandbox_id,
        id_number=body.id_number,
        name=body.name,
        hukou_nature=body.hukou_nature,
    )

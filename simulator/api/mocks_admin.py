"""Driving the mocked agencies of a sandbox: faults, the request journal, their records.

A tester sets a mock's fault (normal, outage, refused, slow, malformed, with an
optional end on the sandbox clock), lists and clears the journal of what the
simulator sent, registers the facts the other agencies hold (a person at public
security, a unit at market regulation) and reads the SMS codes "sent" — a
sandbox has no phone (issue 3; ``docs/mocks.md``).

Registered by the ``mocks`` plugin (``mocks/plugin.py``) with the mocks themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from mocks import faults, journal, store, verification
from mocks.identity import IdentityFactsBody
from mocks.market import MarketUnitBody, UnitNature, UnitStatus
from simulator.api import ADMIN_RESPONSES, admin_only, platform
from simulator.errors import NOT_FOUND, UNKNOWN_SANDBOX
from simulator.identifiers import InvalidIdentifier, parse_credit_code, parse_resident_id

mocks_tag = Tag(
    name="模拟服务管理 mock control",
    description="Faults, request journal and records of the mocked agencies, per sandbox",
)

api = admin_only(  # sandbox administration: the trainer's key when one is configured
    APIBlueprint("mocks_admin", __name__, url_prefix="/api/v1", abp_responses=ADMIN_RESPONSES)
)

ServiceName = Literal["identity", "market", "verification"]
FaultModeName = Literal["normal", "outage", "refused", "slow", "malformed"]


@contextmanager
def sandbox_transaction(sandbox_id: str) -> Iterator[tuple[Session, datetime]]:
    """A transaction on an existing sandbox, with the time on its clock."""
    with platform().db.transaction() as session:
        if not store.sandbox_exists(session, sandbox_id):
            raise UNKNOWN_SANDBOX.refuse(sandbox=sandbox_id)
        yield session, store.sandbox_now(session, sandbox_id)


# --- the contract -------------------------------------------------------------------------


class SandboxPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class ServicePath(BaseModel):
    sandbox_id: str = Field(max_length=64)
    service: ServiceName = Field(description="identity | market | verification")


class FaultSettingBody(BaseModel):
    """How a mock misbehaves in this sandbox (``docs/mocks.md``)."""

    mode: FaultModeName = Field(description="normal | outage | refused | slow | malformed")
    until: str | None = Field(
        None,
        description="the fault ends at this instant on the sandbox clock, 'YYYY-MM-DD HH:MM'",
        examples=["2026-09-08 09:00"],
    )
    latency_seconds: float | None = Field(
        None,
        ge=0,
        le=faults.MAX_LATENCY_SECONDS,
        description="for slow: seconds before the answer (default 10, beyond the 3 s timeout)",
    )

    @field_validator("until")
    @classmethod
    def _instant(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                faults.parse_until(value)
            except ValueError:
                raise ValueError(
                    "until must be 'YYYY-MM-DD HH:MM' (or ISO date/datetime)"
                ) from None
        return value


class FaultState(BaseModel):
    service: ServiceName
    mode: FaultModeName
    until: str | None
    latency_seconds: float
    effective_mode: FaultModeName = Field(
        description="the mode in force now (normal once past until)"
    )
    sandbox_now: str


class JournalQuery(BaseModel):
    limit: int = Field(
        journal.DEFAULT_LIMIT, ge=1, le=journal.MAX_LIMIT, description="the last N calls"
    )


class JournalEntryBody(BaseModel):
    id: int
    sandbox_id: str
    at: str = Field(description="sandbox clock")
    service: ServiceName
    method: str
    path: str
    request: dict[str, Any]
    status: int = Field(description="HTTP status; 0 = connection dropped (refused)")
    response: dict[str, Any] | None = Field(description='the answer; {"raw": …} when malformed')
    fault: str = Field(description="the fault injected: a mode, or magic-outage")


class JournalBody(BaseModel):
    entries: list[JournalEntryBody]


class Deleted(BaseModel):
    deleted: int


class IdentityRecordBody(BaseModel):
    """A person as public security registers them; gender, birth date and region
    default to what the ID number says (and must agree with it)."""

    id_number: str = Field(min_length=18, max_length=18, description="公民身份号码")
    name: str = Field(min_length=1, max_length=50)
    gender: Literal["男", "女"] | None = None
    birth_date: date | None = None
    ethnicity: str = Field("汉族", max_length=20)
    hukou_region: str | None = Field(None, pattern=r"^\d{6}$", description="户籍地行政区划")
    hukou_address: str = Field("", max_length=300)

    @model_validator(mode="after")
    def _agrees_with_number(self) -> IdentityRecordBody:
        self.id_number = self.id_number.upper()
        try:
            parsed = parse_resident_id(self.id_number)
        except InvalidIdentifier as error:
            raise ValueError(f"id_number: {error}") from None
        if self.gender is not None and self.gender != parsed.gender:
            raise ValueError("gender does not agree with the id_number")
        if self.birth_date is not None and self.birth_date != parsed.birth_date:
            raise ValueError("birth_date does not agree with the id_number")
        self.gender = parsed.gender  # type: ignore[assignment]
        self.birth_date = parsed.birth_date
        self.hukou_region = self.hukou_region or parsed.region_code
        return self


class IdentityRecordsBody(BaseModel):
    records: list[IdentityFactsBody]


class LegalRepIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    id_type: str = Field("居民身份证", max_length=20)
    id_number: str = Field(min_length=1, max_length=18)


class MarketRecordBody(BaseModel):
    """A unit as market regulation registers it; ``region_code`` defaults to the code's."""

    uscc: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    name: str = Field(min_length=1, max_length=200)
    legal_rep: LegalRepIn
    nature: UnitNature = "企业"
    is_hr_agency: bool = Field(
        False, description="HR-service agency with a labour-dispatch licence"
    )
    address: str = Field("", max_length=300)
    region_code: str | None = Field(None, pattern=r"^\d{6}$")
    registered_on: date | None = Field(None, description="default: the sandbox's today")
    status: UnitStatus = "存续"

    @model_validator(mode="after")
    def _valid_codes(self) -> MarketRecordBody:
        self.uscc = self.uscc.upper()
        try:
            code = parse_credit_code(self.uscc)
        except InvalidIdentifier as error:
            raise ValueError(f"uscc: {error}") from None
        if self.legal_rep.id_type == "居民身份证":
            try:
                parse_resident_id(self.legal_rep.id_number)
            except InvalidIdentifier as error:
                raise ValueError(f"legal_rep.id_number: {error}") from None
        self.region_code = self.region_code or code.region_code
        return self


class MarketRecordsBody(BaseModel):
    records: list[MarketUnitBody]


class SmsQuery(BaseModel):
    mobile: str | None = Field(None, pattern=r"^1\d{10}$")


class SmsCodesBody(BaseModel):
    codes: list[dict[str, Any]] = Field(
        description="request_id, mobile, code, sent_at, expires_at, attempts, used, state"
    )


# --- faults -------------------------------------------------------------------------------


@api.get(
    "/sandboxes/<sandbox_id>/mocks/faults",
    tags=[mocks_tag],
    summary="Every mock's fault in the sandbox",
)
def list_faults(path: SandboxPath):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, now):
        return {
            "faults": [
                faults.read_fault(session, path.sandbox_id, service).as_dict(now)
                for service in faults.SERVICES
            ]
        }


@api.get(
    "/sandboxes/<sandbox_id>/mocks/<service>/fault",
    tags=[mocks_tag],
    summary="A mock's fault in the sandbox",
    responses={200: FaultState},
)
def get_fault(path: ServicePath):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, now):
        return faults.read_fault(session, path.sandbox_id, path.service).as_dict(now)


@api.put(
    "/sandboxes/<sandbox_id>/mocks/<service>/fault",
    tags=[mocks_tag],
    summary="Set a mock's fault: normal, outage, refused, slow, malformed (optionally until …)",
    responses={200: FaultState},
)
def set_fault(path: ServicePath, body: FaultSettingBody):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, now):
        setting = faults.write_fault(
            session,
            path.sandbox_id,
            path.service,
            body.mode,
            until=faults.parse_until(body.until),
            latency_seconds=body.latency_seconds,
        )
        return setting.as_dict(now)


# --- the journal --------------------------------------------------------------------------


@api.get(
    "/sandboxes/<sandbox_id>/mocks/journal",
    tags=[mocks_tag],
    summary="Every call to the sandbox's mocks, oldest first",
    responses={200: JournalBody},
)
def list_journal(path: SandboxPath, query: JournalQuery):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        rows = journal.entries(session, path.sandbox_id, limit=query.limit)
        return {"entries": [journal.entry_dict(row) for row in rows]}


@api.delete(
    "/sandboxes/<sandbox_id>/mocks/journal",
    tags=[mocks_tag],
    summary="Clear the journal of every mock",
    responses={200: Deleted},
)
def clear_journal(path: SandboxPath):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        return {"deleted": journal.clear(session, path.sandbox_id)}


@api.get(
    "/sandboxes/<sandbox_id>/mocks/<service>/journal",
    tags=[mocks_tag],
    summary="The calls to one mock, oldest first",
    responses={200: JournalBody},
)
def list_service_journal(path: ServicePath, query: JournalQuery):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        rows = journal.entries(session, path.sandbox_id, path.service, limit=query.limit)
        return {"entries": [journal.entry_dict(row) for row in rows]}


@api.delete(
    "/sandboxes/<sandbox_id>/mocks/<service>/journal",
    tags=[mocks_tag],
    summary="Clear the journal of one mock",
    responses={200: Deleted},
)
def clear_service_journal(path: ServicePath):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        return {"deleted": journal.clear(session, path.sandbox_id, path.service)}


# --- what the other agencies know -----------------------------------------------------------


@api.post(
    "/sandboxes/<sandbox_id>/mocks/identity/records",
    tags=[mocks_tag],
    summary="Register a person at public security (replaces the number's record)",
    responses={201: IdentityFactsBody, 200: IdentityFactsBody},
)
def add_identity_record(path: SandboxPath, body: IdentityRecordBody):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        assert body.gender is not None and body.birth_date is not None  # set by the validator
        record, created = store.save_identity_record(
            session,
            path.sandbox_id,
            id_number=body.id_number,
            name=body.name.strip(),
            gender=body.gender,
            birth_date=body.birth_date,
            ethnicity=body.ethnicity,
            hukou_region=body.hukou_region or "",
            hukou_address=body.hukou_address,
        )
        return store.identity_record_dict(record), 201 if created else 200


@api.get(
    "/sandboxes/<sandbox_id>/mocks/identity/records",
    tags=[mocks_tag],
    summary="The people public security knows in the sandbox",
    responses={200: IdentityRecordsBody},
)
def list_identity_records(path: SandboxPath):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        rows = store.identity_records(session, path.sandbox_id)
        return {"records": [store.identity_record_dict(row) for row in rows]}


@api.post(
    "/sandboxes/<sandbox_id>/mocks/market/records",
    tags=[mocks_tag],
    summary="Register a unit at market regulation (replaces the code's record)",
    responses={201: MarketUnitBody, 200: MarketUnitBody},
)
def add_market_record(path: SandboxPath, body: MarketRecordBody):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, now):
        record, created = store.save_market_record(
            session,
            path.sandbox_id,
            body.uscc,
            name=body.name.strip(),
            legal_rep_name=body.legal_rep.name.strip(),
            legal_rep_id_type=body.legal_rep.id_type,
            legal_rep_id_number=body.legal_rep.id_number.upper(),
            nature=body.nature,
            is_hr_agency=body.is_hr_agency,
            address=body.address,
            region_code=body.region_code or "",
            registered_on=body.registered_on or now.date(),
            status=body.status,
        )
        return store.market_unit_dict(record), 201 if created else 200


@api.get(
    "/sandboxes/<sandbox_id>/mocks/market/records",
    tags=[mocks_tag],
    summary="The units market regulation knows in the sandbox",
    responses={200: MarketRecordsBody},
)
def list_market_records(path: SandboxPath):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        rows = store.market_records(session, path.sandbox_id)
        return {"records": [store.market_unit_dict(row) for row in rows]}


class MarketRecordPath(SandboxPath):
    uscc: str = Field(min_length=18, max_length=18, description="统一社会信用代码")


@api.delete(
    "/sandboxes/<sandbox_id>/mocks/market/records/<uscc>",
    tags=[mocks_tag],
    summary="Forget a unit's market registration (market regulation no longer knows it)",
    responses={200: Deleted},
)
def delete_market_record(path: MarketRecordPath):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, _now):
        record = store.market_record(session, path.sandbox_id, path.uscc.upper())
        if record is None:
            raise NOT_FOUND.refuse(what="市场监管登记记录")
        session.delete(record)
        return {"deleted": 1}


@api.get(
    "/sandboxes/<sandbox_id>/mocks/verification/sms",
    tags=[mocks_tag],
    summary="The SMS codes sent in the sandbox, newest first (a sandbox has no phone)",
    responses={200: SmsCodesBody},
)
def list_sms_codes(path: SandboxPath, query: SmsQuery):  # type: ignore[no-untyped-def]
    with sandbox_transaction(path.sandbox_id) as (session, now):
        return {"codes": verification.sms_codes(session, path.sandbox_id, now, mobile=query.mobile)}

"""Sandboxes and their clocks: create, reset, delete; read, set and advance time.

A sandbox is an isolated world with its own clock (default: now in
Asia/Shanghai).  The period endpoints answer PER-1/PER-2 for any day.
"""

from __future__ import annotations

import datetime as dt

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field, model_validator

from simulator.api import ADMIN_RESPONSES, admin_only, platform
from simulator.clock import parse_instant

sandbox_tag = Tag(name="沙箱 sandboxes", description="Isolated worlds, each with its own clock")
period_tag = Tag(
    name="申报期 periods", description="Declaration periods and fee months (PER-1, PER-2)"
)

api = admin_only(  # sandbox administration: the trainer's key when one is configured
    APIBlueprint("sandboxes", __name__, url_prefix="/api/v1", abp_responses=ADMIN_RESPONSES)
)


class SandboxPath(BaseModel):
    sandbox_id: str = Field(description="sandbox id", max_length=64)


class NewSandbox(BaseModel):
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="optional id")
    name: str = Field("", max_length=200)
    clock: str | None = Field(
        None,
        description="start the clock at this date or datetime (default: follow the wall clock)",
    )
    location_city: str | None = Field(None, pattern=r"^32\d{4}$", description="hall location 定位")


class ClockSetting(BaseModel):
    at: str | None = Field(None, description="YYYY-MM-DD (09:00) or YYYY-MM-DDTHH:MM[:SS]")
    follow_wall_clock: bool = Field(False, description="go back to following the wall clock")

    @model_validator(mode="after")
    def _one_of(self) -> ClockSetting:
        if (self.at is None) == (not self.follow_wall_clock):
            raise ValueError("give either 'at' or 'follow_wall_clock': true")
        return self


class ClockAdvance(BaseModel):
    days: int = Field(0, ge=0, le=3660)
    hours: int = Field(0, ge=0, le=24 * 366)
    minutes: int = Field(0, ge=0, le=60 * 24 * 31)


class LocationSetting(BaseModel):
    city: str | None = Field(None, pattern=r"^32\d{4}$", description="prefecture code; null: none")


class PeriodQuery(BaseModel):
    date: dt.date | None = Field(
        None, description="the day to describe (default: the sandbox's today)"
    )
    city: str | None = Field(
        None, pattern=r"^32\d{4}$", description="city code (default: province)"
    )


class StatelessPeriodQuery(BaseModel):
    date: dt.date
    city: str | None = Field(None, pattern=r"^32\d{4}$")


@api.post("/sandboxes", tags=[sandbox_tag], summary="Create a sandbox")
def create_sandbox(body: NewSandbox):  # type: ignore[no-untyped-def]
    created = platform().create_sandbox(
        body.id, name=body.name, clock=body.clock, location_city=body.location_city
    )
    return created, 201


@api.get("/sandboxes", tags=[sandbox_tag], summary="List sandboxes")
def list_sandboxes():  # type: ignore[no-untyped-def]
    return {"sandboxes": platform().list_sandboxes()}


@api.get("/sandboxes/<sandbox_id>", tags=[sandbox_tag], summary="Describe a sandbox")
def get_sandbox(path: SandboxPath):  # type: ignore[no-untyped-def]
    return platform().describe_sandbox(path.sandbox_id)


@api.delete("/sandboxes/<sandbox_id>", tags=[sandbox_tag], summary="Delete a sandbox")
def delete_sandbox(path: SandboxPath):  # type: ignore[no-untyped-def]
    platform().delete_sandbox(path.sandbox_id)
    return "", 204


@api.post("/sandboxes/<sandbox_id>/reset", tags=[sandbox_tag], summary="Empty a sandbox's world")
def reset_sandbox(path: SandboxPath):  # type: ignore[no-untyped-def]
    return platform().reset_sandbox(path.sandbox_id)


@api.get("/sandboxes/<sandbox_id>/clock", tags=[sandbox_tag], summary="Read the sandbox clock")
def get_clock(path: SandboxPath):  # type: ignore[no-untyped-def]
    return platform().clock(path.sandbox_id)


@api.put("/sandboxes/<sandbox_id>/clock", tags=[sandbox_tag], summary="Set the sandbox clock")
def set_clock(path: SandboxPath, body: ClockSetting):  # type: ignore[no-untyped-def]
    if body.follow_wall_clock:
        return platform().follow_wall_clock(path.sandbox_id)
    assert body.at is not None  # ClockSetting: one of the two
    # an invalid date or time (2021-02-30, 25:00) is the client's error, named by its field
    return platform().set_clock(path.sandbox_id, parse_instant(body.at, field="at"))


@api.post(
    "/sandboxes/<sandbox_id>/clock/advance", tags=[sandbox_tag], summary="Advance the sandbox clock"
)
def advance_clock(path: SandboxPath, body: ClockAdvance):  # type: ignore[no-untyped-def]
    return platform().advance_clock(
        path.sandbox_id, days=body.days, hours=body.hours, minutes=body.minutes
    )


@api.put(
    "/sandboxes/<sandbox_id>/location",
    tags=[sandbox_tag],
    summary="Set the hall's location (定位), e.g. 苏州 for 人员变更回退 (I6-4)",
)
def set_location(path: SandboxPath, body: LocationSetting):  # type: ignore[no-untyped-def]
    return platform().set_location(path.sandbox_id, body.city)


@api.get(
    "/sandboxes/<sandbox_id>/period",
    tags=[period_tag],
    summary="The declaration period of a day in the sandbox (default: its today)",
)
def sandbox_period(path: SandboxPath, query: PeriodQuery):  # type: ignore[no-untyped-def]
    sim = platform()
    with sim.sandbox_session(path.sandbox_id, city_code=query.city) as ctx:
        info = sim.period_on(query.date or ctx.today, ctx.city)
    return {**info.as_dict(), "variant": info.variant, "city": ctx.city.as_dict()}


@api.get("/period", tags=[period_tag], summary="The declaration period of any day (no sandbox)")
def period(query: StatelessPeriodQuery):  # type: ignore[no-untyped-def]
    sim = platform()
    city = sim.city(query.city)
    info = sim.period_on(query.date, city)
    return {**info.as_dict(), "variant": info.variant, "city": city.as_dict()}

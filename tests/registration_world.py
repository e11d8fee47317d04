"""A registration world for unit tests: what market regulation and public security
know (the mocks' records), a unit signed up by its legal representative, and the
row counts that prove a refusal stored nothing.

(The Gherkin features build the same world through the driver instead.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import func, select

from mocks import store
from mocks.transport import in_process_mocks
from simulator.auth import actor_of
from simulator.context import Actor
from simulator.db.models import Account, Base, Unit
from simulator.hall import sign_up_unit
from simulator.identifiers import generate_credit_code, parse_resident_id
from simulator.platform import Platform

REGION = "320105"  # 南京市秦淮区 → city 320100
LEGAL_REP_NAME = "王芳"
LEGAL_REP_ID = "320105197503080246"
MOBILE = "13900001111"
PASSWORD = "Shebao@2021"
UNIT_NAME = "南京示例科技有限公司"
UNIT_ADDRESS = "南京市秦淮区中华路1号"
#: tables a refusal may still change: the mocks' journal of calls (not the platform's data)
OUTSIDE_THE_BUSINESS = {"mock_journal"}


@pytest.fixture(scope="module", name="app")
def module_app(shared_platform: Platform) -> Flask:
    """One application per test module (building one takes ~0.1 s), with the hall's routes
    (``simulator.api.hall``) whether or not ``create_app`` registers them yet."""
    from simulator.api import hall
    from simulator.app import TestConfig, create_app

    application = create_app(TestConfig, platform=shared_platform)
    if "hall" not in application.blueprints:
        application.register_api(hall.api)
    return application


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at production cost takes ~0.17 s per hash; tests do not need that."""
    import simulator.auth

    production = simulator.auth._hasher
    simulator.auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    simulator.auth._hasher = production


def uscc_for(nature: str = "企业", serial: int = 1201, region: str = REGION) -> str:
    authority, category = {
        "机关": ("1", "1"),
        "参公": ("1", "1"),
        "事业单位": ("1", "2"),
        "社会团体": ("5", "1"),
        "民办非企业": ("5", "2"),
        "基金会": ("5", "3"),
        "个体工商户": ("9", "2"),
        "农民专业合作社": ("9", "3"),
    }.get(nature, ("9", "1"))
    return generate_credit_code(region, serial, authority=authority, category=category)


def add_market_unit(
    platform: Platform,
    sandbox_id: str,
    *,
    uscc: str | None = None,
    name: str = UNIT_NAME,
    nature: str = "企业",
    status: str = "存续",
    legal_rep_name: str = LEGAL_REP_NAME,
    legal_rep_id_number: str = LEGAL_REP_ID,
    legal_rep_id_type: str = "居民身份证",
    address: str = UNIT_ADDRESS,
    region_code: str = REGION,
    is_hr_agency: bool = False,
) -> str:
    """Register (or replace) a unit at market regulation; returns its USCC."""
    uscc = uscc or uscc_for(nature)
    with platform.db.transaction() as session:
        store.save_market_record(
            session,
            sandbox_id,
            uscc,
            name=name,
            legal_rep_name=legal_rep_name,
            legal_rep_id_type=legal_rep_id_type,
            legal_rep_id_number=legal_rep_id_number,
            nature=nature,
            is_hr_agency=is_hr_agency,
            address=address,
            region_code=region_code,
            registered_on=date(2015, 3, 2),
            status=status,
        )
    return uscc


def forget_market_unit(platform: Platform, sandbox_id: str, uscc: str) -> None:
    with platform.db.transaction() as session:
        record = store.market_record(session, sandbox_id, uscc)
        assert record is not None
        session.delete(record)


def add_identity(
    platform: Platform,
    sandbox_id: str,
    id_number: str,
    name: str,
    *,
    ethnicity: str = "汉族",
    hukou_address: str = "江苏省南京市玄武区中山路1号",
) -> None:
    """Register a person at public security (gender and birth date from the number)."""
    resident = parse_resident_id(id_number)
    with platform.db.transaction() as session:
        store.save_identity_record(
            session,
            sandbox_id,
            id_number=resident.number,
            name=name,
            gender=resident.gender,
            birth_date=resident.birth_date,
            ethnicity=ethnicity,
            hukou_region=resident.region_code,
            hukou_address=hukou_address,
        )


def sign_up(platform: Platform, app: Flask, sandbox_id: str, uscc: str, **overrides: str) -> Any:
    request = {
        "uscc": uscc,
        "legal_rep_name": LEGAL_REP_NAME,
        "legal_rep_id_number": LEGAL_REP_ID,
        "mobile": MOBILE,
        "password": PASSWORD,
        **overrides,
    }
    with in_process_mocks(app):
        return sign_up_unit(platform, sandbox_id, **request)


def signed_up_unit(
    platform: Platform, app: Flask, sandbox_id: str, **market: Any
) -> tuple[int, Actor, str]:
    """A unit known to market regulation, signed up (未参保): its id, its legal rep, its USCC."""
    uscc = add_market_unit(platform, sandbox_id, **market)
    add_identity(platform, sandbox_id, market.get("legal_rep_id_number", LEGAL_REP_ID),
                 market.get("legal_rep_name", LEGAL_REP_NAME))  # fmt: skip
    answer = sign_up(
        platform,
        app,
        sandbox_id,
        uscc,
        legal_rep_name=market.get("legal_rep_name", LEGAL_REP_NAME),
        legal_rep_id_number=market.get("legal_rep_id_number", LEGAL_REP_ID),
    )
    with platform.db.transaction() as session:
        account = session.get(Account, answer["account"]["id"])
        assert account is not None
        return answer["unit"]["id"], actor_of(account), uscc


def unit_row(platform: Platform, unit_id: int) -> Unit:
    with platform.db.transaction() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        session.expunge(unit)
        return unit


def table_counts(platform: Platform, sandbox_id: str) -> dict[str, int]:
    """Rows per table of the sandbox (the mocks' journal aside)."""
    counts = {}
    with platform.db.transaction() as session:
        for name, table in Base.metadata.tables.items():
            if "sandbox_id" in table.c and name not in OUTSIDE_THE_BUSINESS:
                counts[name] = session.scalar(
                    select(func.count()).select_from(table).where(table.c.sandbox_id == sandbox_id)
                )
    return counts


def snapshot(platform: Platform, sandbox_id: str) -> dict[str, Any]:
    """Row counts and every unit's and person's columns: unchanged after a refusal."""
    from simulator.db.models import Person

    rows: dict[str, Any] = {"counts": table_counts(platform, sandbox_id)}
    with platform.db.transaction() as session:
        for model in (Unit, Person):
            rows[model.__tablename__] = [
                {c.name: getattr(row, c.name) for c in model.__table__.columns}
                for row in session.scalars(select(model).where(model.sandbox_id == sandbox_id))
            ]
        return rows

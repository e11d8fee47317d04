"""Small builders for unit tests that need a unit, people and relations in a sandbox.

(The Gherkin features use world files and the API instead.)
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import count
from typing import Any

from simulator.auth import hash_password
from simulator.context import Actor
from simulator.db.models import Account, BenefitPayment, InsuredRelation, Person, Unit
from simulator.identifiers import generate_credit_code, generate_resident_id
from simulator.platform import Platform

_serial = count(1)
PASSWORD = "Shebao@2021"
_PASSWORD_HASH = hash_password(PASSWORD)


def add_unit(
    platform: Platform,
    sandbox_id: str,
    *,
    name: str = "宿迁市测试科技有限公司",
    region: str = "321302",
    hr_agency: bool = False,
    insured: bool = True,
    insurance: str = "110,210,410",
    industry_class: int = 2,
) -> tuple[int, Actor]:
    """An insured unit and its legal representative's actor."""
    with platform.db.transaction() as session:
        serial = next(_serial)
        unit = Unit(
            sandbox_id=sandbox_id,
            unit_no=f"32{serial:08d}",
            uscc=generate_credit_code(region, 5000 + serial),
            name=name,
            nature="企业",
            region_code=region,
            city_code=region[:4] + "00",
            is_hr_agency=hr_agency,
            industry_class=industry_class,
            insurance_codes=insurance if insured else "",
            status="参保" if insured else "未参保",
            registered_on=date(2020, 1, 1),
        )
        session.add(unit)
        session.flush()
        account = Account(
            sandbox_id=sandbox_id,
            unit_id=unit.id,
            role="legal_rep",
            id_number=generate_resident_id("321302", date(1980, 5, 5), serial % 400, "男"),
            name="法人甲",
            mobile="13900000000",
            password_hash=_PASSWORD_HASH,
            created_at=datetime(2020, 1, 1),
        )
        session.add(account)
        session.flush()
        return unit.id, Actor(
            unit_id=unit.id, name="法人甲", role="legal_rep", account_id=account.id
        )


def add_person(
    platform: Platform,
    sandbox_id: str,
    *,
    name: str = "张三",
    birth: date = date(1990, 1, 1),
    gender: str = "男",
    hukou_nature: str | None = "11",
    records: int = 1,
    draws_pension: bool = False,
    id_number: str | None = None,
) -> str:
    """A person's base record(s); returns the ID number."""
    serial = next(_serial)
    id_number = id_number or generate_resident_id("321302", birth, serial % 490, gender)
    with platform.db.transaction() as session:
        for _ in range(records):
            session.add(
                Person(
                    sandbox_id=sandbox_id,
                    person_no=f"32{next(_serial):014d}",
                    id_number=id_number,
                    name=name,
                    gender=gender,
                    birth_date=birth,
                    hukou_nature=hukou_nature,
                    draws_pension=draws_pension,
                )
            )
    return id_number


def person_id(platform: Platform, sandbox_id: str, id_number: str) -> int:
    from sqlalchemy import select

    with platform.db.transaction() as session:
        return session.scalars(
            select(Person.id).where(Person.sandbox_id == sandbox_id, Person.id_number == id_number)
        ).first()


def add_relation(
    platform: Platform,
    sandbox_id: str,
    id_number: str,
    *,
    unit_id: int | None,
    insurance: str = "110",
    kind: str = "employee",
    start: str = "2020-01",
) -> None:
    pid = person_id(platform, sandbox_id, id_number)
    with platform.db.transaction() as session:
        session.add(
            InsuredRelation(
                sandbox_id=sandbox_id,
                person_id=pid,
                unit_id=unit_id,
                insurance_code=insurance,
                identity="101" if kind == "employee" else "301",
                kind=kind,
                start_month=start,
                status="1",
                base=Decimal("5000"),
                declared_base=Decimal("5000"),
            )
        )


def add_benefit(platform: Platform, sandbox_id: str, id_number: str, month: str) -> None:
    pid = person_id(platform, sandbox_id, id_number)
    with platform.db.transaction() as session:
        session.add(
            BenefitPayment(
                sandbox_id=sandbox_id, person_id=pid, month=month, amount=Decimal("1800")
            )
        )


def bearer_headers(
    client: Any, sandbox_id: str, uscc: str, id_number: str, password: str = PASSWORD
) -> dict[str, str]:
    """Log in over the API (a world's accounts share ``PASSWORD``); the Authorization header."""
    reply = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/login",
        json={"uscc": uscc, "id_number": id_number, "password": password},
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}

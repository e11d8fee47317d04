"""The business pipeline: one transaction per business, the paused-period gate,
city rules through ``validate_business``, effects recorded and undone, and a
refusal that leaves every table exactly as it was."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from simulator import hookimpl
from simulator.context import Actor, BusinessContext
from simulator.db.models import Base, Business, BusinessEffect, Person, Unit
from simulator.effects import undo_business_effects
from simulator.errors import ErrorSpec, Refused
from simulator.items import BusinessItem, ItemResult
from simulator.platform import Platform
from simulator.plugin_manager import make_plugin_manager

LATE_REFUSAL = ErrorSpec(code="E_TEST_LATE", message="写入后才发现的错误", behaviour_id=None)
CITY_RULE = ErrorSpec(code="E_TEST_CITY", message="本市规则拒绝", behaviour_id=None)


class CollectPerson(BusinessItem):
    """Adds a person; refuses *after* writing when asked, to prove the rollback."""

    code = "test_collect"
    name = "测试采集"
    changes_insurance = False
    needs_unit = False

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        person = Person(
            sandbox_id=context.sandbox.id,
            person_no=f"P{context.next_number('person'):06d}",
            id_number=payload["id_number"],
            name=payload["name"],
            gender="男",
            birth_date=date(1990, 1, 1),
        )
        context.session.add(person)
        context.session.flush()
        if payload.get("fail_after_write"):
            raise LATE_REFUSAL.refuse()
        return ItemResult(
            message="采集成功", data={"person_no": person.person_no}, person_id=person.id
        )


class RenamePerson(BusinessItem):
    code = "test_rename"
    name = "测试改名"
    needs_unit = False

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        person = context.session.scalars(
            select(Person).where(
                Person.sandbox_id == context.sandbox.id, Person.person_no == payload["person_no"]
            )
        ).one()
        person.name = payload["name"]
        return ItemResult(person_id=person.id)


class TestItems:
    @hookimpl
    def register_items(self):  # type: ignore[no-untyped-def]
        return [CollectPerson(), RenamePerson()]

    @hookimpl
    def validate_business(self, context, item, payload):  # type: ignore[no-untyped-def]
        if payload.get("name") == "城市禁止":
            return [CITY_RULE.error(field="name")]
        return None


@pytest.fixture
def sim(database_url: str) -> Platform:
    platform = Platform(
        database_url, plugin_manager=make_plugin_manager(extra_plugins=[TestItems()])
    )
    platform.create_schema()
    return platform


@pytest.fixture
def sid(sim: Platform) -> str:
    import uuid

    sandbox_id = f"p-{uuid.uuid4().hex[:8]}"
    sim.create_sandbox(sandbox_id, clock="2021-08-16")
    return sandbox_id


def snapshot(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    with platform.db.transaction() as session:
        return {
            name: [
                tuple(row) for row in session.execute(select(table).order_by(*table.primary_key))
            ]
            for name, table in Base.metadata.tables.items()
        }


@pytest.mark.db
def test_business_is_recorded_with_effects(sim: Platform, sid: str) -> None:
    outcome = sim.submit(sid, "test_collect", {"id_number": "X1", "name": "张三"})
    assert outcome.message == "采集成功"
    assert outcome.business_no.startswith("20210816")
    assert str(outcome.period.fee_month) == "2021-09"
    with sim.db.transaction() as session:
        business = session.scalars(select(Business).where(Business.sandbox_id == sid)).one()
        effects = session.scalars(
            select(BusinessEffect).where(BusinessEffect.business_id == business.id)
        ).all()
        assert [(e.table_name, e.op) for e in effects] == [("people", "insert")]
        assert business.fee_month == "2021-09"
        assert business.channel == "网上大厅"


@pytest.mark.db
@pytest.mark.parametrize(
    "payload",
    [
        {"id_number": "X2", "name": "李四", "fail_after_write": True},  # refused after a write
        {"id_number": "X3", "name": "城市禁止"},  # refused by a plugin's validate_business
    ],
)
def test_refusal_leaves_every_table_unchanged(sim: Platform, sid: str, payload: dict) -> None:
    sim.submit(sid, "test_collect", {"id_number": "X0", "name": "王五"})
    before = snapshot(sim)
    with pytest.raises(Refused) as refused:
        sim.submit(sid, "test_collect", payload)
    assert refused.value.problem.code in {"E_TEST_LATE", "E_TEST_CITY"}
    assert snapshot(sim) == before


@pytest.mark.db
def test_paused_days_refuse_insurance_changes(sim: Platform, sid: str) -> None:
    """PER-2: on the 7th–10th a business that changes insurance is refused; others go on."""
    sim.submit(sid, "test_collect", {"id_number": "X4", "name": "赵六"})
    sim.set_clock(sid, "2021-09-08")
    before = snapshot(sim)
    with pytest.raises(Refused) as refused:
        sim.submit(sid, "test_rename", {"person_no": "P000001", "name": "赵七"})
    problem = refused.value.problem
    assert problem.code == "E_PAUSED_PERIOD"
    assert problem.message == "当前为暂停申报期（每月7日至10日），仅可办理用人单位用工参保预登记"
    assert problem.behaviour_id == "PER-2"
    assert snapshot(sim) == before
    sim.submit(sid, "test_collect", {"id_number": "X5", "name": "钱八"})  # not gated


@pytest.mark.db
def test_effects_undo_restores_the_data(sim: Platform, sid: str) -> None:
    sim.submit(sid, "test_collect", {"id_number": "X6", "name": "孙九"})
    before = snapshot(sim)
    outcome = sim.submit(sid, "test_rename", {"person_no": "P000001", "name": "孙十"})
    second = sim.submit(sid, "test_collect", {"id_number": "X7", "name": "周一"})
    with sim.db.transaction() as session:
        for number in (second.business_no, outcome.business_no):
            business = session.scalars(
                select(Business).where(Business.sandbox_id == sid, Business.business_no == number)
            ).one()
            undo_business_effects(session, business.id)
            session.execute(
                BusinessEffect.__table__.delete().where(BusinessEffect.business_id == business.id)
            )
            session.delete(business)
        # the counters moved on, as on the real platform: numbers are never reused
    after = snapshot(sim)
    after.pop("counters")
    before.pop("counters")
    assert after == before


def test_unknown_item_is_refused(sim: Platform, sid: str) -> None:
    with pytest.raises(Refused) as refused:
        sim.submit(sid, "no_such_item", {})
    assert refused.value.problem.code == "E_UNKNOWN_ITEM"
    assert refused.value.http_status == 404


def test_unknown_sandbox_is_refused(sim: Platform) -> None:
    with pytest.raises(Refused) as refused:
        sim.submit("nope", "test_collect", {"id_number": "1", "name": "x"})
    assert refused.value.problem.code == "E_UNKNOWN_SANDBOX"


def test_actor_of_another_sandbox_is_refused(sim: Platform, sid: str) -> None:
    other = sid + "-b"
    sim.create_sandbox(other, clock="2021-08-16")
    with sim.db.transaction() as session:
        unit = Unit(
            sandbox_id=other,
            uscc="91320000TEST00001X",
            name="外单位",
            nature="企业",
            region_code="320102",
            city_code="320100",
        )
        session.add(unit)
        session.flush()
        unit_id = unit.id
    with pytest.raises(Refused) as refused:
        sim.submit(
            sid,
            "test_collect",
            {"id_number": "X8", "name": "吴二"},
            actor=Actor(unit_id=unit_id, name="外人", role="admin"),
        )
    assert refused.value.problem.code == "E_NOT_LOGGED_IN"


def test_agent_needs_a_grant(sim: Platform, sid: str) -> None:
    """A-2: an agent does only the items granted; the refusal names the item."""
    agent = Actor(unit_id=None, name="经办人", role="agent")
    with pytest.raises(Refused) as refused:
        sim.submit(sid, "test_collect", {"id_number": "X9", "name": "郑三"}, actor=agent)
    assert refused.value.problem.message == "您没有办理“测试采集”的权限"
    assert refused.value.http_status == 403
    granted = Actor(unit_id=None, name="经办人", role="agent", scopes=frozenset({"test_collect"}))
    sim.submit(sid, "test_collect", {"id_number": "X9", "name": "郑三"}, actor=granted)

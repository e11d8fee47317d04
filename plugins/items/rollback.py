"""人员变更回退 — guide §三.6, §五 问题四, FAQ Q5; I6-1 … I6-3 (I6-4 is the 苏州 plugin).

Between the 11th and the next 6th, a business done online in the *same*
declaration period can be rolled back when it was done in error (错办、误办):
its effects disappear as if it had never been done (I6-1) — enrolment, stop,
back pay, base change.  A business of an earlier period cannot be rolled back
online (I6-2).  The form lists the person's businesses that can be rolled back
(业务编号列表) with 操作状态, 经办时间 and 经办方式 (I6-3).  Businesses are rolled
back newest first: a person's later business must be rolled back before an
earlier one, so that nothing is undone under another business's feet.

"Done online" is every business the unit declared itself: in the hall (网上大厅),
and a pre-registration of the paused days that became a 用工参保登记 on the 11th
(预登记转入, I10-2) — it belongs to the period that opened that day.  The
counter's work (柜台, plugins/counter.py) is never rolled back online, and a
later counter business or refund application that rests on a business blocks
rolling that business back: the counter must undo its own work first
(docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from plugins.counter import counter_work_resting_on
from plugins.items import common
from plugins.items.common import text
from plugins.items.pre_registration import CHANNEL as PRE_REGISTERED
from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.db.models import Business, BusinessEffect, Person
from simulator.effects import undo_business_effects
from simulator.errors import ErrorSpec
from simulator.items import BusinessItem, FormField, ItemResult

#: the items whose businesses can be rolled back here
ROLLBACKABLE_ITEMS = frozenset(
    {
        "employment_enrolment",
        "person_enrolment",
        "stop_insurance",
        "base_adjustment",
        "dispatch_transfer",
    }
)
#: 经办方式 of the businesses a unit declared itself online (I6-1, I6-3): in the hall, or on
#: the paused days as a pre-registration that became a 用工参保登记 on the 11th (I10-2)
ONLINE_CHANNELS = ("网上大厅", PRE_REGISTERED)
DONE = "办结"
ROLLED_BACK = "已回退"

UNKNOWN_BUSINESS = ErrorSpec(
    code="E_NO_SUCH_BUSINESS",
    message="未找到该人员可回退的业务：{business_no}",
    remedy="请从业务编号列表中选择该人员在本申报期内网上办理的业务。",
    behaviour_id="I6-3",
)
EARLIER_PERIOD = ErrorSpec(
    code="E_ROLLBACK_EARLIER_PERIOD",
    message="该业务不是本申报期内办理的业务，不能网上回退",
    remedy="人员变更回退仅限同一个经办期（每月11日至次月6日）内网上办理的业务；其他情形请至经办机构柜台办理。",
    behaviour_id="I6-2",
)
NOT_ONLINE = ErrorSpec(
    code="E_ROLLBACK_NOT_ONLINE",
    message="该业务为经办机构（柜台）办理的业务，不能网上回退",
    remedy="人员变更回退仅限单位网上办理的业务；柜台办理的业务请至经办机构柜台申请撤销。",
    behaviour_id="I6-1",
)
LATER_BUSINESS_FIRST = ErrorSpec(
    code="E_ROLLBACK_LATER_FIRST",
    message="该人员在此业务之后还办理了业务{later}，请先回退后办理的业务",
    remedy="请按办理的相反顺序逐笔回退。",
    behaviour_id="I6-1",
)
LATER_COUNTER_WORK_FIRST = ErrorSpec(
    code="E_ROLLBACK_COUNTER_LATER",
    message="该人员在此业务之后还在经办机构（柜台）办理了{later}，请先至柜台撤销后再回退此业务",
    remedy="柜台办理的业务不能网上回退：请携带相关材料至社保经办机构窗口，"
    "先撤销在此业务之后办理的柜台业务，再通过人员变更回退回退此业务。",
    behaviour_id="I6-1",
)


def rollbackable(context: BusinessContext, person_ids: list[int]) -> list[Business]:
    """The unit's businesses for these people done online in the current period (I6-3)."""
    period = context.period
    return list(
        context.session.scalars(
            select(Business)
            .where(
                Business.sandbox_id == context.sandbox.id,
                Business.unit_id == context.unit.id,  # type: ignore[union-attr]
                Business.person_id.in_(person_ids),
                Business.item_code.in_(ROLLBACKABLE_ITEMS),
                Business.state == DONE,
                Business.channel.in_(ONLINE_CHANNELS),
                Business.period_start == period.period_start,
            )
            .order_by(Business.id)
        )
    )


def business_row(business: Business) -> dict[str, Any]:
    return {
        "业务编号": business.business_no,
        "事项": business.item_name,
        "操作状态": business.state,
        "经办时间": business.submitted_at.isoformat(sep=" "),
        "经办方式": business.channel,
    }


class Rollback(BusinessItem):
    code = "rollback"
    name = "人员变更回退"
    guide_hint = "每月11日至次月6日前，用人单位如有错办、误办参保的情形，可通过此模块办理回退。"
    guide_section = "G §三.6"

    def form(self, context: BusinessContext) -> list[FormField]:
        return [
            FormField("id_number", "证件号码", True, "id_number", "基本信息"),
            FormField("business_no", "业务编号列表", True, "choice", "基本信息",
                      help="选择该人员本申报期内网上办理的业务"),
        ]  # fmt: skip

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        common.require(payload, {"id_number": "证件号码", "business_no": "业务编号"})
        id_number = common.check_id_number(payload)
        people = context.session.scalars(
            select(Person.id).where(
                Person.sandbox_id == context.sandbox.id, Person.id_number == id_number
            )
        ).all()
        if not people:
            raise common.NO_BASE_RECORD.refuse(field="id_number")
        number = text(payload, "business_no")
        target = context.session.scalars(
            select(Business).where(
                Business.sandbox_id == context.sandbox.id,
                Business.business_no == number,
                Business.unit_id == context.unit.id,  # type: ignore[union-attr]
                Business.person_id.in_(people),
            )
        ).first()
        if target is not None and target.channel not in ONLINE_CHANNELS:
            raise NOT_ONLINE.refuse(field="business_no")
        if target is None or target.item_code not in ROLLBACKABLE_ITEMS or target.state != DONE:
            raise UNKNOWN_BUSINESS.refuse(field="business_no", business_no=number)
        if target.period_start != context.period.period_start:
            raise EARLIER_PERIOD.refuse(field="business_no")
        later = context.session.scalars(
            select(Business.business_no).where(
                Business.sandbox_id == context.sandbox.id,
                Business.person_id == target.person_id,
                Business.id > target.id,
                Business.state == DONE,
                Business.item_code.in_(ROLLBACKABLE_ITEMS),
            )
        ).all()
        if later:
            raise LATER_BUSINESS_FIRST.refuse(field="business_no", later="、".join(later))
        counter_work = counter_work_resting_on(context.session, target)
        if counter_work:
            raise LATER_COUNTER_WORK_FIRST.refuse(
                field="business_no", later="、".join(counter_work)
            )
        context.scratch["target"] = target

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        target: Business = context.scratch["target"]
        undone = undo_business_effects(context.session, target.id)
        target = context.session.get(Business, target.id)  # reloaded after the undo
        assert target is not None and context.business is not None
        target.state = ROLLED_BACK
        target.rolled_back_by = context.business.id
        context.session.execute(
            BusinessEffect.__table__.delete().where(BusinessEffect.business_id == target.id)
        )
        context.note("business rolled back", behaviour_id="I6-1",
                     business_no=target.business_no, effects=undone)  # fmt: skip
        return ItemResult(
            message="回退成功",
            person_id=target.person_id,
            data={"rolled_back": business_row(target), "effects_undone": undone},
        )


@hookimpl
def register_items() -> list[BusinessItem]:
    return [Rollback()]


# --- the list the form shows (业务编号列表, I6-3) ---------------------------------------------


class CandidatesPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class CandidatesQuery(BaseModel):
    id_number: str = Field(min_length=18, max_length=18, description="证件号码")


def candidates(platform: Any, sandbox_id: str, actor: Any, id_number: str) -> list[dict[str, Any]]:
    """The person's businesses that this unit can roll back now, newest first."""
    from simulator.context import BusinessContext as Context

    with platform.sandbox_session(sandbox_id) as base:
        from simulator.db.models import Unit

        unit = base.session.get(Unit, actor.unit_id) if actor.unit_id else None
        context = Context(
            platform=platform,
            session=base.session,
            sandbox=base.sandbox,
            city=platform.city(unit.city_code if unit else None),
            now=base.now,
            actor=actor,
            unit=unit,
        )
        people = base.session.scalars(
            select(Person.id).where(Person.sandbox_id == sandbox_id, Person.id_number == id_number)
        ).all()
        if unit is None or not people:
            return []
        return [business_row(b) for b in reversed(rollbackable(context, list(people)))]


@hookimpl
def register_blueprints() -> list[Any]:
    from flask_openapi3 import APIBlueprint, Tag

    from simulator.api import ERROR_RESPONSES, platform
    from simulator.api.businesses import current_actor

    api = APIBlueprint(
        "rollback", __name__, url_prefix="/api/v1", abp_responses=ERROR_RESPONSES,
        abp_security=[{"bearer": []}],
    )  # fmt: skip

    @api.get(
        "/sandboxes/<sandbox_id>/rollback-candidates",
        tags=[Tag(name="单位办事 businesses")],
        summary="人员变更回退: the person's businesses that can be rolled back (I6-3)",
    )
    def rollback_candidates(path: CandidatesPath, query: CandidatesQuery):  # type: ignore[no-untyped-def]
        actor = current_actor(path.sandbox_id)
        rows = candidates(platform(), path.sandbox_id, actor, query.id_number.upper())
        return {"业务编号列表": rows}

    return [api]

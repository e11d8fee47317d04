"""用人单位用工参保预登记 — guide §三.10; I10-1, I10-2, PER-2.

During the paused days (7th–10th) a unit can pre-register a hire so that the
worker is not left without work-injury cover (I10-1).  It has the same fields
and the same rules as 用人单位用工参保登记, checked against the fee month of the
period that opens on the 11th.  Outside the paused days it is refused; when the
sandbox clock reaches the 11th, each pending pre-registration becomes a
用工参保登记 of the new period, with its back pay (I10-2).

That registration (经办方式 预登记转入) is the unit's own online declaration and
belongs to the period that opens on the 11th: it is listed for 人员变更回退 and
can be rolled back in that period like one done in the hall (I6-1, I6-3;
docs/decisions.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from plugins.items.employment_enrolment import EmploymentEnrolment
from simulator import hookimpl
from simulator.clock import DEFAULT_TIME_OF_DAY
from simulator.context import Actor, BusinessContext, SandboxContext
from simulator.db.models import PreRegistration, Unit
from simulator.errors import ErrorSpec, Refused
from simulator.items import BusinessItem, FormField, ItemResult

ONLY_WHEN_PAUSED = ErrorSpec(
    code="E_PRE_REGISTRATION_CLOSED",
    message="预登记仅在每月7日至10日暂停申报期间办理",
    remedy="申报期内（每月11日至次月6日）请直接办理用人单位用工参保登记。",
    behaviour_id="I10-2",
)
ALREADY_PENDING = ErrorSpec(
    code="E_PRE_REGISTRATION_PENDING",
    message="该人员已办理预登记，将于11日自动转为用工参保登记",
    remedy="如预登记有误，请于11日转入后通过人员变更回退撤销。",
    behaviour_id="I10-2",
)

#: 经办方式 of the 用工参保登记 a pre-registration becomes on the 11th (I6-3 lists it)
CHANNEL = "预登记转入"
PENDING = "待转入"
CONVERTED = "已转入"
FAILED = "转入失败"


class PreRegistrationItem(BusinessItem):
    code = "pre_registration"
    name = "用人单位用工参保预登记"
    window_tabs = ("用工增员申报", "批量用工增员申报")
    guide_hint = (
        "每月7-10日暂停申报期间，用人单位可通过此模块进行参保预登记，防止职工发生工伤无保障。"
    )
    guide_section = "G §三.10"
    allowed_when_paused = True
    batch_columns = EmploymentEnrolment.batch_columns

    def __init__(self) -> None:
        self.enrolment = EmploymentEnrolment()

    def form(self, context: BusinessContext) -> list[FormField]:
        return self.enrolment.form(context)

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        if not context.period.paused:
            raise ONLY_WHEN_PAUSED.refuse()
        upcoming = context.fee_month.plus(1)
        plan = self.enrolment.check(context, payload, fee_month=upcoming)
        pending = context.session.scalars(
            select(PreRegistration).where(
                PreRegistration.sandbox_id == context.sandbox.id,
                PreRegistration.unit_id == context.unit.id,  # type: ignore[union-attr]
                PreRegistration.person_id == plan.person.id,
                PreRegistration.state == PENDING,
            )
        ).first()
        if pending is not None:
            raise ALREADY_PENDING.refuse(field="id_number")
        context.scratch["plan"] = plan
        context.note("pre-registration checked against the coming fee month",
                     behaviour_id="I10-1", fee_month=str(upcoming))  # fmt: skip

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        plan = context.scratch["plan"]
        context.session.add(
            PreRegistration(
                sandbox_id=context.sandbox.id,
                unit_id=context.unit.id,  # type: ignore[union-attr]
                person_id=plan.person.id,
                payload=dict(payload),
                declared_at=context.now,
                state=PENDING,
            )
        )
        opening = _next_eleventh(context.today)
        return ItemResult(
            message=f"预登记成功，将于{opening:%Y年%m月%d日}转为用工参保登记",
            person_id=plan.person.id,
            data={
                "person_no": plan.person.person_no,
                "name": plan.person.name,
                "state": PENDING,
                "converts_on": opening.isoformat(),
                "start_month": str(plan.start),
            },
        )


def _next_eleventh(day: date) -> date:
    """The first 11th strictly after ``day``."""
    if day.day < 11:
        return day.replace(day=11)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=11)


def _eleventh_passed(previous: datetime, current: datetime) -> bool:
    """Did the clock reach an 11th in (previous, current]?"""
    return _next_eleventh(previous.date()) <= current.date()


@hookimpl
def register_items() -> list[BusinessItem]:
    return [PreRegistrationItem()]


@hookimpl(tryfirst=True)  # before the settlements of the 7ths a long move also reaches
def clock_moved(context: SandboxContext, previous: datetime, current: datetime) -> None:
    """I10-2: on the 11th, pending pre-registrations become registrations of the new period
    — done, numbered and dated on that 11th when the period opens, however far the clock
    moved past it."""
    if not _eleventh_passed(previous, current):
        return
    # when the hall opens that day (or the clock's stop, if it stopped before)
    opening = min(datetime.combine(_next_eleventh(previous.date()), DEFAULT_TIME_OF_DAY), current)
    session = context.session
    pending = session.scalars(
        select(PreRegistration)
        .where(PreRegistration.sandbox_id == context.sandbox.id, PreRegistration.state == PENDING)
        .order_by(PreRegistration.id)
    ).all()
    enrolment = context.platform.item("employment_enrolment")
    for record in pending:
        unit = session.get(Unit, record.unit_id)
        actor = Actor(
            unit_id=record.unit_id, name=f"{unit.name if unit else ''}（预登记转入）", role="system"
        )
        try:
            with session.begin_nested():
                outcome = context.platform.submit_in(
                    session, context.sandbox.id, enrolment, dict(record.payload), actor=actor,
                    channel=CHANNEL, at=opening,
                )  # fmt: skip
        except Refused as refused:
            record.state = FAILED
            record.message = refused.problem.message
            continue
        record.state = CONVERTED
        record.converted_business_no = outcome.business_no
        record.message = outcome.message

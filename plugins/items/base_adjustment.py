"""企业缴费基数调整（上调） — guide §三.7; I7-1 … I7-3.

When a unit declared a person's contribution base (缴费基数) too low, it raises
it here: "对于上调的人员可经此办理，办理成功后自次月起执行新缴费基数；如需向下调整
缴费基数或往期缴费基数的，请携带相关材料至经办机构申请" (G §三.7).

* The unit uploads a workbook (≤ ``upload.max_bytes`` = 10 MB, refused before it
  is parsed; template from ``GET /api/v1/items/base_adjustment/template``, I7-1)
  with the columns ``证件号码★, 姓名, 个人唯一识别码, 调整后缴费基数★, 生效年月``.
  生效年月 may be left empty: it can only be the month after the current fee month.
* The file is processed in the background and tracked per file (处理详情: 文件名称,
  数据总数, 已处理, 错误数量, 当前状态, 创建时间, 处理完成时间; I7-2):
  ``POST /api/v1/sandboxes/<sid>/base-adjustments`` answers 202 at once,
  ``GET …/base-adjustments`` lists the files and ``GET …/base-adjustments/<id>``
  shows one with its rows (see :mod:`simulator.jobs`).  The generic batch route
  and a single declaration (``POST …/businesses/base_adjustment``) work too.
* Each row is one business: it raises the base of the person's running
  employee relations (参保关系) at this unit from the **next** fee month on
  (current fee month + 1).  The declared base is clamped (封顶保底, PER-3) with
  the parameters of that month; only a strictly higher effective base is an
  upward change.  A lower one, or a 生效年月 other than the next month, is
  refused with ``下调缴费基数或调整往期缴费基数，请携带相关材料至经办机构申请``
  (I7-3) — the counter does those (``plugins/counter.py``).  A base equal to
  the current one is refused as nothing to do.

The contract with the monthly settlement (how a month's base is found)
---------------------------------------------------------------------------
A base change is kept as history in :class:`~simulator.db.models.BaseChange`
rows (``from_month``, ``old_base``, ``new_base`` = the effective base after
clamping, ``declared_base``), **and** the relation's ``declared_base``/``base``
are set to the new values (the relation shows the base now declared).  The base
of a relation for a fee month ``m`` is therefore (:func:`base_in_force`, the
same rule as the settlement's SQL):

1. the ``new_base`` of the latest change with ``from_month <= m`` (latest:
   highest ``from_month``, then highest id);
2. else the ``old_base`` of the earliest change with ``from_month > m``;
3. else the relation's ``base``.

Rolling the business back (人员变更回退, I6-1) deletes the change and restores
the relation's old values: the effects recorder keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_openapi3 import FileStorage
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.items import common
from plugins.items.common import text
from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.contributions import BaseDecision, clamp_base
from simulator.db.models import BaseChange, InsuredRelation, Person
from simulator.errors import INVALID_INPUT, ErrorSpec
from simulator.items import BusinessItem, FormField, ItemResult
from simulator.months import Month
from simulator.workbooks import Column

BASE_DOWN_OR_PAST = ErrorSpec(
    code="E_BASE_DOWN_OR_PAST",
    message="下调缴费基数或调整往期缴费基数，请携带相关材料至经办机构申请",
    remedy=(
        "网上仅可上调缴费基数，自次月起执行；如需向下调整缴费基数或调整往期缴费基数，"
        "请携带相关材料至经办机构（柜台）申请。"
    ),
    behaviour_id="I7-3",
)
BASE_UNCHANGED = ErrorSpec(
    code="E_BASE_UNCHANGED",
    message="调整后缴费基数与当前缴费基数相同，无需调整",
    remedy="请核对调整后缴费基数；封顶保底后与当前缴费基数相同的无需办理。",
    behaviour_id="I7-3",
)
NOT_INSURED_HERE = ErrorSpec(
    code="E_BASE_NOT_INSURED_HERE",
    message="该人员在本单位没有正常参保的记录，不能调整缴费基数",
    remedy="请核对证件号码；尚未参保的人员请先办理用人单位用工参保登记。",
    behaviour_id="I7-3",
)
NAME_MISMATCH = ErrorSpec(
    code="E_NAME_MISMATCH",
    message="姓名与人员基础信息不一致",
    remedy="请核对证件号码和姓名；人员信息有误的，请持证件至经办机构更正。",
    behaviour_id="I7-1",
    http_status=400,
)

#: the relations whose base a unit adjusts: its employees (a project's relations have none)
ADJUSTABLE_KINDS = ("employee",)


def base_in_force(session: Session, relation: InsuredRelation, month: Month) -> Decimal | None:
    """The base of ``relation`` for fee month ``month`` (the settlement contract, see above)."""
    changes = session.scalars(
        select(BaseChange)
        .where(BaseChange.relation_id == relation.id)
        .order_by(BaseChange.from_month, BaseChange.id)
    ).all()
    applicable = [change for change in changes if change.from_month <= str(month)]
    if applicable:
        return applicable[-1].new_base
    if changes:
        return changes[0].old_base
    return relation.base if relation.base is not None else relation.declared_base


def latest_change_month(session: Session, relation: InsuredRelation) -> str | None:
    """The ``from_month`` of the relation's latest base change (``None``: never changed)."""
    return session.scalar(
        select(BaseChange.from_month)
        .where(BaseChange.relation_id == relation.id)
        .order_by(BaseChange.from_month.desc(), BaseChange.id.desc())
        .limit(1)
    )


def relations_at_unit(ctx: BusinessContext, person: Person) -> list[InsuredRelation]:
    """The person's running employee relations at the acting unit."""
    assert ctx.unit is not None
    return [
        relation
        for relation in common.active_relations(ctx, person)
        if relation.unit_id == ctx.unit.id and relation.kind in ADJUSTABLE_KINDS
    ]


@dataclass
class AdjustmentPlan:
    """What validation found, for apply."""

    person: Person
    from_month: Month
    decision: BaseDecision
    #: (relation, its base for ``from_month`` before this change)
    changes: list[tuple[InsuredRelation, Decimal]]


class BaseAdjustment(BusinessItem):
    code = "base_adjustment"
    name = "企业缴费基数调整（上调）"
    window_tabs = ("单笔调整", "缴费基数调整（上调）")
    guide_hint = (
        "如用人单位申报的缴费基数有误，对于上调的人员可经此办理，办理成功后自次月起执"
        "行新缴费基数；如需向下调整缴费基数或往期缴费基数的，请携带相关材料至经办机构"
        "申请。"
    )
    guide_section = "G §三.7"
    batch_columns = (
        Column("id_number", "证件号码", required=True),
        Column("name", "姓名"),
        Column("person_no", "个人唯一识别码"),
        Column("base", "调整后缴费基数", required=True),
        Column("effective_month", "生效年月"),
    )
    batch_notes = (
        "带★的为必填项；文件大小不能超过10M，请使用office（.xlsx）上传。",
        "仅可上调缴费基数，办理成功后自次月起执行新缴费基数；生效年月可不填，填写时只能为次月（YYYY-MM）。",
        "调整后缴费基数按当年缴费基数上下限封顶保底。",
        "如需向下调整缴费基数或往期缴费基数的，请携带相关材料至经办机构申请。",
    )

    def form(self, context: BusinessContext) -> list[FormField]:
        section = "缴费基数调整"
        return [
            FormField("id_number", "证件号码", True, "id_number", section),
            FormField("name", "姓名", False, "text", section),
            FormField("person_no", "个人唯一识别码", False, "text", section),
            FormField("base", "调整后缴费基数", True, "money", section),
            FormField("effective_month", "生效年月", False, "month", section,
                      help="自次月起执行新缴费基数"),
        ]  # fmt: skip

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        common.require(payload, {"id_number": "证件号码", "base": "调整后缴费基数"})
        id_number = common.check_id_number(payload)
        declared = common.parse_money(payload, "base", "调整后缴费基数")
        assert declared is not None
        next_month = context.fee_month.plus(1)
        asked = text(payload, "effective_month")
        if asked:
            try:
                asked_month = Month.parse(asked)
            except ValueError:
                raise INVALID_INPUT.refuse(
                    field="effective_month", message=f"生效年月格式不正确，应为YYYY-MM：{asked}"
                ) from None
            if asked_month != next_month:
                context.note("only the next month can be adjusted online", behaviour_id="I7-3",
                             asked=str(asked_month), next_month=str(next_month))  # fmt: skip
                raise BASE_DOWN_OR_PAST.refuse(field="effective_month")
        person = common.find_person(context, id_number, text(payload, "person_no"))
        if text(payload, "name") and text(payload, "name") != person.name:
            raise NAME_MISMATCH.refuse(field="name")
        relations = relations_at_unit(context, person)
        if not relations:
            raise NOT_INSURED_HERE.refuse(field="id_number")
        decision = clamp_base(declared, context.parameters(next_month))
        changes: list[tuple[InsuredRelation, Decimal]] = []
        for relation in relations:
            current = base_in_force(context.session, relation, next_month)
            current = current if current is not None else decision.floor
            if decision.effective < current:
                context.note("a lower base is a downward change", behaviour_id="I7-3",
                             insurance_code=relation.insurance_code, current=current,
                             new=decision.effective)  # fmt: skip
                raise BASE_DOWN_OR_PAST.refuse(field="base")
            if decision.effective > current:
                changes.append((relation, current))
        if not changes:
            raise BASE_UNCHANGED.refuse(field="base")
        context.scratch["plan"] = AdjustmentPlan(person, next_month, decision, changes)

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        plan: AdjustmentPlan = context.scratch["plan"]
        decision = plan.decision
        for relation, current in plan.changes:
            context.session.add(
                BaseChange(
                    sandbox_id=context.sandbox.id,
                    relation_id=relation.id,
                    from_month=str(plan.from_month),
                    old_base=current,
                    new_base=decision.effective,
                    declared_base=decision.declared,
                    business_id=context.business.id if context.business else None,
                )
            )
            relation.declared_base = decision.declared
            relation.base = decision.effective
        old_bases = sorted({str(current) for _, current in plan.changes})
        context.note("new base applies from the next month", behaviour_id="I7-3",
                     from_month=str(plan.from_month), old_base="、".join(old_bases),
                     new_base=decision.effective)  # fmt: skip
        if decision.adjusted:
            context.note(f"declared base {decision.adjustment}", behaviour_id="PER-3",
                         declared=decision.declared, effective=decision.effective)  # fmt: skip
        return ItemResult(
            message="调整成功，自次月起执行新缴费基数",
            person_id=plan.person.id,
            data={
                "person_no": plan.person.person_no,
                "name": plan.person.name,
                "id_number": plan.person.id_number,
                "生效年月": str(plan.from_month),
                "原缴费基数": old_bases[0] if len(old_bases) == 1 else old_bases,
                "调整后缴费基数": str(decision.declared),
                "实际缴费基数": str(decision.effective),
                "封顶保底": decision.adjustment,
                "insurance_codes": sorted(r.insurance_code for r, _ in plan.changes),
            },
        )


@hookimpl
def register_items() -> list[BusinessItem]:
    return [BaseAdjustment()]


# --- 处理详情: the asynchronous upload and its progress (I7-2) -------------------------------


class BaseAdjustmentPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class BaseAdjustmentJobPath(BaseAdjustmentPath):
    job_id: int


class BaseAdjustmentUpload(BaseModel):
    file: FileStorage = Field(description="the filled template (.xlsx, ≤ 10 MB)")


@hookimpl
def register_blueprints() -> list[Any]:
    from flask_openapi3 import APIBlueprint, Tag

    from simulator.api import ERROR_RESPONSES, platform
    from simulator.api.businesses import current_actor
    from simulator.errors import NOT_FOUND
    from simulator.jobs import ensure_runner, job_details, list_jobs, submit_async

    api = APIBlueprint(
        "base_adjustment", __name__, url_prefix="/api/v1",
        abp_responses={**ERROR_RESPONSES, 401: ERROR_RESPONSES[400], 413: ERROR_RESPONSES[400]},
        abp_security=[{"bearer": []}],
    )  # fmt: skip
    tag = Tag(
        name="缴费基数调整 base adjustment",
        description="企业缴费基数调整（上调）: upload, then refresh 处理详情 (I7-1 … I7-3)",
    )

    @api.post(
        "/sandboxes/<sandbox_id>/base-adjustments",
        tags=[tag],
        summary="上传基数调整文件: checked at once, processed in the background (202)",
    )
    def upload_base_adjustments(path: BaseAdjustmentPath, form: BaseAdjustmentUpload):  # type: ignore[no-untyped-def]
        actor = current_actor(path.sandbox_id)
        content = form.file.read()
        job = submit_async(
            platform(), path.sandbox_id, BaseAdjustment.code, form.file.filename or "", content,
            actor=actor,
        )  # fmt: skip
        return job, 202

    @api.get(
        "/sandboxes/<sandbox_id>/base-adjustments",
        tags=[tag],
        summary="处理详情: the unit's uploaded files, newest first (刷新)",
    )
    def list_base_adjustments(path: BaseAdjustmentPath):  # type: ignore[no-untyped-def]
        actor = current_actor(path.sandbox_id)
        ensure_runner(platform())  # files queued before a restart go on
        files = list_jobs(
            platform(), path.sandbox_id, unit_id=actor.unit_id, item_code=BaseAdjustment.code
        )
        return {"处理详情": files}

    @api.get(
        "/sandboxes/<sandbox_id>/base-adjustments/<int:job_id>",
        tags=[tag],
        summary="One file's progress and its per-row results so far",
    )
    def base_adjustment_job(path: BaseAdjustmentJobPath):  # type: ignore[no-untyped-def]
        actor = current_actor(path.sandbox_id)
        ensure_runner(platform())
        job = job_details(platform(), path.sandbox_id, path.job_id, unit_id=actor.unit_id)
        if job is None or job["item"] != BaseAdjustment.code:
            raise NOT_FOUND.refuse(what="处理记录")
        return job

    return [api]

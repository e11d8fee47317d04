"""工程建设项目人员登记维护 — guide §三.9; I9-1, I9-2 (and the project's own registration).

"以工程建设项目打包参加工伤保险的，人员工伤保险参保登记，录入工程编码可查询当前项目
参保人员的情况，新登记人员可批量办理" (G §三.9).  Work-injury insurance bought per
construction project (按项目总造价打包参保) covers the people working on the
project; the unit registers them on the project with their entry and exit dates.

Two items:

* ``project_registration`` — 工程建设项目登记: the project itself (I9-1):
  工程编码★ (unique in the sandbox), 工程名称★, 所属地行政区代码★ (a current
  Jiangsu code), 工程造价★ (元, > 0), 开工日期★, 竣工日期 (not before 开工日期).
  **Decision:** the guide's screen only *reads* the project by its 工程编码, and
  where the project comes from is not documented; the simulator lets the unit
  register it online, as a business of its own.  It is not gated by the paused
  days (PER-2 names 工程建设项目人员登记, not the project), and no money is
  computed for the package (the premium on the total cost is not simulated).
* ``project_workers`` — 工程建设项目人员登记维护 (I9-2), with ``action``:

  - ``register`` (default; 建筑施工人员参保登记, one by one or in batch from the
    template): 工程编码★, 证件号码★, 姓名, 个人唯一识别码, 入场日期★, 离场日期.  The
    entry date lies between 开工日期 and 竣工日期 and is not after today (a stay that
    has not begun is not registered ahead: it would block registering the person
    with the real date); a person still on the project cannot be registered on it
    twice.  Effects: a :class:`ProjectWorker` and a 参保关系 of kind ``project`` —
    工伤 (410), 参保身份 ``401`` (建设项目工伤,
    **decision**: the simulator's own code, ``301`` being 灵活就业 in the world
    files), starting in the entry month, without a base (the package is priced
    by the project's cost, not per person).
  - ``exit`` (maintaining 离场日期): 工程编码★, 证件号码★, 离场日期★ (not before
    入场日期, not after today): the stay ends and the relation stops with the
    exit month (:func:`end_stay`; 用人单位退工停保登记 ends the unit's stays the same
    way, on the processing date, I5-1).

  Both change insurance relations, so the paused days refuse them (PER-2).

``GET /api/v1/sandboxes/<sid>/projects/<工程编码>`` shows the project and its people
(个人编号, 证件号码, 姓名, 性别, 入场日期, 离场日期, 备注; I9-2).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from plugins.items import common
from plugins.items.common import text
from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.db.models import InsuredRelation, Person, Unit
from simulator.db.projects import (
    PROJECT_IDENTITY,
    Project,
    ProjectWorker,
    stay_relation_values,
)
from simulator.errors import INVALID_INPUT, ErrorSpec
from simulator.identifiers import InvalidIdentifier, prefecture_of
from simulator.items import BusinessItem, Choice, FormField, ItemResult, WindowLookup
from simulator.months import Month
from simulator.workbooks import Column

if TYPE_CHECKING:
    from simulator.platform import Platform

PROJECT_CODE = re.compile(r"^[0-9A-Za-z\-]{1,40}$")

ACTION_REGISTER = "register"
ACTION_EXIT = "exit"
ACTIONS = {ACTION_REGISTER: "人员登记", ACTION_EXIT: "离场维护"}

PROJECT_EXISTS = ErrorSpec(
    code="E_PROJECT_EXISTS",
    message="工程编码{code}已登记",
    remedy="同一工程只登记一次；新进场人员请在“工程建设项目人员登记维护”中录入工程编码后登记。",
    behaviour_id="I9-1",
    http_status=409,
)
PROJECT_NOT_FOUND = ErrorSpec(
    code="E_NO_PROJECT",
    message="未查询到工程编码为{code}的工程建设项目",
    remedy="请核对工程编码；本单位尚未登记的工程，请先办理工程建设项目登记。",
    behaviour_id="I9-2",
    http_status=404,
)
ENTRY_OUTSIDE_PROJECT = ErrorSpec(
    code="E_ENTRY_OUTSIDE_PROJECT",
    message="入场日期须在工程开工日期（{start}）至竣工日期（{end}）之间",
    remedy="请核对入场日期；工期变更的，请先至经办机构变更工程信息。",
    behaviour_id="I9-2",
    http_status=400,
)
ALREADY_ON_PROJECT = ErrorSpec(
    code="E_WORKER_ON_PROJECT",
    message="该人员已在本工程登记（入场日期{entry}），尚未离场",
    remedy="同一人员在本工程离场前不能重复登记；离场后再次进场的，请先维护离场日期。",
    behaviour_id="I9-2",
)
NOT_ON_PROJECT = ErrorSpec(
    code="E_WORKER_NOT_ON_PROJECT",
    message="该人员在本工程没有未离场的登记记录",
    remedy="请核对工程编码和证件号码；未登记的人员请先办理人员登记。",
    behaviour_id="I9-2",
)


def find_project(ctx: BusinessContext, code: str) -> Project:
    """The acting unit's project with this 工程编码 (another unit's is not found)."""
    assert ctx.unit is not None
    project = ctx.session.scalars(
        select(Project).where(Project.sandbox_id == ctx.sandbox.id, Project.code == code)
    ).first()
    if project is None or project.unit_id != ctx.unit.id:
        raise PROJECT_NOT_FOUND.refuse(field="project_code", code=code)
    return project


def open_stay(ctx: BusinessContext, project: Project, person: Person) -> ProjectWorker | None:
    """The person's stay on the project that has no exit date yet."""
    return ctx.session.scalars(
        select(ProjectWorker).where(
            ProjectWorker.project_id == project.id,
            ProjectWorker.person_id == person.id,
            ProjectWorker.exit_date.is_(None),
        )
    ).first()


def check_entry_date(ctx: BusinessContext, entry_date: date) -> None:
    """An entry in the future is not registered ahead (I9-2), as an exit is not."""
    if entry_date > ctx.today:
        raise INVALID_INPUT.refuse(field="entry_date", message="入场日期不能晚于经办当日")


def check_exit_date(ctx: BusinessContext, exit_date: date | None, entry_date: date) -> None:
    if exit_date is None:
        return
    if exit_date < entry_date:
        raise INVALID_INPUT.refuse(field="exit_date", message="离场日期不能早于入场日期")
    if exit_date > ctx.today:
        raise INVALID_INPUT.refuse(field="exit_date", message="离场日期不能晚于经办当日")


def end_stay(ctx: BusinessContext, stay: ProjectWorker, exit_date: date) -> InsuredRelation | None:
    """离场: the stay ends on ``exit_date`` and its work-injury relation stops with the
    exit month (I9-2).  Changed through the session, so the business's effects recorder
    keeps the old values and 人员变更回退 can restore them (I6-1)."""
    stay.exit_date = exit_date
    relation = ctx.session.get(InsuredRelation, stay.relation_id) if stay.relation_id else None
    if relation is not None:
        relation.stop_month = str(Month.of(exit_date))
        relation.status = "3"
    return relation


# --- 工程建设项目登记 (I9-1) -------------------------------------------------------------------


class ProjectRegistration(BusinessItem):
    code = "project_registration"
    name = "工程建设项目登记"
    guide_section = "G §三.9"
    #: PER-2 gates 工程建设项目人员登记; the project itself holds no person's insurance
    changes_insurance = False

    def form(self, context: BusinessContext) -> list[FormField]:
        section = "工程建设项目信息"
        return [
            FormField("code", "工程编码", True, "text", section),
            FormField("name", "工程名称", True, "text", section),
            FormField("region_code", "所属地行政区代码", True, "text", section),
            FormField("cost", "工程造价", True, "money", section, help="元"),
            FormField("start_date", "开工日期", True, "date", section),
            FormField("end_date", "竣工日期", False, "date", section),
        ]

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        unit = context.unit
        assert unit is not None
        if unit.status != "参保" or not unit.insurance_list():
            raise common.UNIT_NOT_INSURED.refuse()
        common.require(
            payload,
            {
                "code": "工程编码",
                "name": "工程名称",
                "region_code": "所属地行政区代码",
                "cost": "工程造价",
                "start_date": "开工日期",
            },
        )
        code = text(payload, "code")
        if not PROJECT_CODE.match(code):
            raise INVALID_INPUT.refuse(
                field="code", message="工程编码只能由字母、数字和“-”组成，且不超过40位"
            )
        region_code = text(payload, "region_code")
        try:
            prefecture_of(region_code)
        except InvalidIdentifier:
            raise INVALID_INPUT.refuse(
                field="region_code",
                message=f"所属地行政区代码不是江苏省现行的行政区划代码：{region_code}",
            ) from None
        cost = common.parse_money(payload, "cost", "工程造价")
        if cost is None or cost <= 0:
            raise INVALID_INPUT.refuse(field="cost", message="工程造价应大于0")
        start = common.parse_date(payload, "start_date", "开工日期")
        end = common.parse_date(payload, "end_date", "竣工日期")
        assert start is not None
        if end is not None and end < start:
            raise INVALID_INPUT.refuse(field="end_date", message="竣工日期不能早于开工日期")
        taken = context.session.scalars(
            select(Project.id).where(Project.sandbox_id == context.sandbox.id, Project.code == code)
        ).first()
        if taken is not None:
            raise PROJECT_EXISTS.refuse(field="code", code=code)
        context.scratch.update(code=code, region_code=region_code, cost=cost, start=start, end=end)

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        assert context.unit is not None
        found = context.scratch
        project = Project(
            sandbox_id=context.sandbox.id,
            unit_id=context.unit.id,
            code=found["code"],
            name=text(payload, "name"),
            region_code=found["region_code"],
            cost=found["cost"],
            start_date=found["start"],
            end_date=found["end"],
            registered_at=context.now,
            business_id=context.business.id if context.business else None,
        )
        context.session.add(project)
        context.session.flush()
        context.note("project registered for work-injury insurance by total cost",
                     behaviour_id="I9-1", code=project.code)  # fmt: skip
        return ItemResult(message="工程建设项目登记成功", data=project_row(project))


def project_row(project: Project) -> dict[str, Any]:
    return {
        "工程编码": project.code,
        "工程名称": project.name,
        "所属地行政区代码": project.region_code,
        "工程造价": str(project.cost),
        "开工日期": project.start_date.isoformat(),
        "竣工日期": project.end_date.isoformat() if project.end_date else None,
    }


# --- 工程建设项目人员登记维护 (I9-2) -----------------------------------------------------------


class ProjectWorkers(BusinessItem):
    code = "project_workers"
    name = "工程建设项目人员登记维护"
    window_tabs = ("建筑施工人员参保登记", "批量建筑施工人员参保登记")
    guide_hint = (
        "以工程建设项目打包参加工伤保险的，人员工伤保险参保登记，录入工程编码可查询当"
        "前项目参保人员的情况，新登记人员可批量办理。"
    )
    guide_section = "G §三.9"
    batch_columns = (
        Column("project_code", "工程编码", required=True),
        Column("id_number", "证件号码", required=True),
        Column("name", "姓名"),
        Column("person_no", "个人唯一识别码"),
        Column("entry_date", "入场日期", required=True),
        Column("exit_date", "离场日期"),
    )
    batch_notes = (
        "批量建筑施工人员参保登记：带★的为必填项，日期格式为YYYY-MM-DD。",
        "入场日期须在工程开工日期至竣工日期之间；离场日期可不填，离场后在人员列表中维护。",
    )

    def form(self, context: BusinessContext) -> list[FormField]:
        project = "工程建设项目信息"
        person = "人员基本信息"
        actions = tuple(Choice(code, label) for code, label in ACTIONS.items())
        return [
            FormField("action", "操作", False, "choice", project, actions, help="默认为人员登记"),
            FormField("project_code", "工程编码", True, "text", project),
            FormField("id_number", "证件号码", True, "id_number", person),
            FormField("name", "姓名", False, "text", person),
            FormField("person_no", "个人唯一识别码", False, "text", person),
            FormField("entry_date", "入场日期", True, "date", person, help="人员登记时必填"),
            FormField("exit_date", "离场日期", False, "date", person, help="离场维护时必填"),
        ]  # fmt: skip

    def row_payload(self, row: dict[str, str]) -> dict[str, Any]:
        return {**super().row_payload(row), "action": ACTION_REGISTER}

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        action = text(payload, "action") or ACTION_REGISTER
        if action not in ACTIONS:
            raise INVALID_INPUT.refuse(field="action", message=f"操作取值不正确：{action}")
        required = {"project_code": "工程编码", "id_number": "证件号码"}
        required.update(
            {"entry_date": "入场日期"} if action == ACTION_REGISTER else {"exit_date": "离场日期"}
        )
        common.require(payload, required)
        id_number = common.check_id_number(payload)
        entry_date = common.parse_date(payload, "entry_date", "入场日期")
        exit_date = common.parse_date(payload, "exit_date", "离场日期")
        project = find_project(context, text(payload, "project_code"))
        person = common.find_person(context, id_number, text(payload, "person_no"))
        if text(payload, "name") and text(payload, "name") != person.name:
            raise INVALID_INPUT.refuse(field="name", message="姓名与人员基础信息不一致")
        stay = open_stay(context, project, person)
        if action == ACTION_EXIT:
            if stay is None:
                raise NOT_ON_PROJECT.refuse(field="id_number")
            assert exit_date is not None
            check_exit_date(context, exit_date, stay.entry_date)
        else:
            assert entry_date is not None
            if entry_date < project.start_date or (
                project.end_date is not None and entry_date > project.end_date
            ):
                raise ENTRY_OUTSIDE_PROJECT.refuse(
                    field="entry_date",
                    start=project.start_date.isoformat(),
                    end=project.end_date.isoformat() if project.end_date else "—",
                )
            check_entry_date(context, entry_date)
            if stay is not None:
                raise ALREADY_ON_PROJECT.refuse(
                    field="id_number", entry=stay.entry_date.isoformat()
                )
            check_exit_date(context, exit_date, entry_date)
        context.scratch.update(
            action=action, project=project, person=person, stay=stay,
            entry_date=entry_date, exit_date=exit_date,
        )  # fmt: skip

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        if context.scratch["action"] == ACTION_EXIT:
            return self._exit(context)
        return self._register(context)

    @staticmethod
    def _register(ctx: BusinessContext) -> ItemResult:
        assert ctx.unit is not None
        project: Project = ctx.scratch["project"]
        person: Person = ctx.scratch["person"]
        entry_date: date = ctx.scratch["entry_date"]
        exit_date: date | None = ctx.scratch["exit_date"]
        relation = InsuredRelation(
            **stay_relation_values(
                sandbox_id=ctx.sandbox.id,
                unit_id=ctx.unit.id,
                person_id=person.id,
                project_code=project.code,
                entry_date=entry_date,
                exit_date=exit_date,
            )
        )
        ctx.session.add(relation)
        ctx.session.flush()
        worker = ProjectWorker(
            sandbox_id=ctx.sandbox.id,
            project_id=project.id,
            person_id=person.id,
            entry_date=entry_date,
            exit_date=exit_date,
            relation_id=relation.id,
            business_id=ctx.business.id if ctx.business else None,
        )
        ctx.session.add(worker)
        ctx.session.flush()
        ctx.note("work injury by project: relation from the entry month", behaviour_id="I9-1",
                 project=project.code, start_month=relation.start_month,
                 identity=PROJECT_IDENTITY)  # fmt: skip
        return ItemResult(
            message="建筑施工人员参保登记成功",
            person_id=person.id,
            data={"工程编码": project.code, **worker_row(worker, person)},
        )

    @staticmethod
    def _exit(ctx: BusinessContext) -> ItemResult:
        project: Project = ctx.scratch["project"]
        person: Person = ctx.scratch["person"]
        stay: ProjectWorker = ctx.scratch["stay"]
        exit_date: date = ctx.scratch["exit_date"]
        end_stay(ctx, stay, exit_date)
        ctx.note("worker left the project: work-injury cover ends with the exit month",
                 behaviour_id="I9-2", project=project.code,
                 exit_date=exit_date.isoformat())  # fmt: skip
        return ItemResult(
            message="离场日期维护成功",
            person_id=person.id,
            data={"工程编码": project.code, **worker_row(stay, person)},
        )


def worker_row(worker: ProjectWorker, person: Person) -> dict[str, Any]:
    """One line of 已有人员信息 (I9-2)."""
    return {
        "个人编号": person.person_no,
        "证件号码": person.id_number,
        "姓名": person.name,
        "性别": person.gender,
        "入场日期": worker.entry_date.isoformat(),
        "离场日期": worker.exit_date.isoformat() if worker.exit_date else None,
        "备注": worker.note,
    }


@hookimpl
def register_items() -> list[BusinessItem]:
    return [ProjectRegistration(), ProjectWorkers()]


# --- the query by 工程编码 (I9-2) ----------------------------------------------------------------


def project_facts(
    platform: Platform, sandbox_id: str, unit_id: int | None, code: str
) -> dict[str, Any]:
    """The unit's project and its people, in the order they were registered."""
    with platform.sandbox_session(sandbox_id) as ctx:
        project = ctx.session.scalars(
            select(Project).where(Project.sandbox_id == sandbox_id, Project.code == code)
        ).first()
        if project is None or unit_id is None or project.unit_id != unit_id:
            raise PROJECT_NOT_FOUND.refuse(code=code)
        unit = ctx.session.get(Unit, project.unit_id)
        rows = ctx.session.execute(
            select(ProjectWorker, Person)
            .join(Person, Person.id == ProjectWorker.person_id)
            .where(ProjectWorker.project_id == project.id)
            .order_by(ProjectWorker.id)
        ).all()
        people = [worker_row(worker, person) for worker, person in rows]
        return {
            **project_row(project),
            "单位全称": unit.name if unit else "",
            "已有人员信息": people,
            "总行数": len(people),
            "在场人数": sum(1 for row in people if row["离场日期"] is None),
        }


def unit_projects(platform: Platform, sandbox_id: str, unit_id: int | None) -> list[dict[str, Any]]:
    with platform.sandbox_session(sandbox_id) as ctx:
        projects = ctx.session.scalars(
            select(Project)
            .where(Project.sandbox_id == sandbox_id, Project.unit_id == unit_id)
            .order_by(Project.id)
        ).all()
        return [project_row(project) for project in projects]


#: the window's query by 工程编码, above the form (I9-2: 录入工程编码可查询当前项目参保人员的情况)
ProjectWorkers.window_lookup = WindowLookup(
    param="project_code",
    label="工程编码",
    template="hall/_project_lookup.html",
    known=unit_projects,
    facts=project_facts,
)


class ProjectsPath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class ProjectPath(ProjectsPath):
    code: str = Field(max_length=40, description="工程编码")


@hookimpl
def register_blueprints() -> list[Any]:
    from flask_openapi3 import APIBlueprint, Tag

    from simulator.api import ERROR_RESPONSES, platform
    from simulator.api.businesses import current_actor

    api = APIBlueprint(
        "projects", __name__, url_prefix="/api/v1",
        abp_responses={**ERROR_RESPONSES, 401: ERROR_RESPONSES[400]},
        abp_security=[{"bearer": []}],
    )  # fmt: skip
    tag = Tag(
        name="工程建设项目 projects",
        description="工程建设项目人员登记维护: the query by 工程编码 (I9-1, I9-2)",
    )

    @api.get(
        "/sandboxes/<sandbox_id>/projects",
        tags=[tag],
        summary="The unit's construction projects",
    )
    def list_projects(path: ProjectsPath):  # type: ignore[no-untyped-def]
        actor = current_actor(path.sandbox_id)
        return {"projects": unit_projects(platform(), path.sandbox_id, actor.unit_id)}

    @api.get(
        "/sandboxes/<sandbox_id>/projects/<code>",
        tags=[tag],
        summary="录入工程编码查询: the project and its people (I9-2)",
    )
    def get_project(path: ProjectPath):  # type: ignore[no-untyped-def]
        actor = current_actor(path.sandbox_id)
        return project_facts(platform(), path.sandbox_id, actor.unit_id, path.code)

    return [api]


__all__ = [
    "PROJECT_IDENTITY",
    "ProjectRegistration",
    "ProjectWorkers",
    "end_stay",
    "project_facts",
    "unit_projects",
]

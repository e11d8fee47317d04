"""What every page of the hall needs: the sandbox header, the items in the guide's order,
an item's form, errors with their remedy links, and the journal of refusals.

* **The header** (every page): the sandbox clock's date and the period state
  (申报期 / 暂停申报期), from ``Platform.clock``.
* **Items** (guide §三, “单位办事—社会保险”): every registered item a unit can do,
  in the guide's order (§三.1 … §三.10), then the others; counter items
  (``counter_*``) belong to the trainer's counter console.
* **An item's form**: ``item.form(context)`` with the logged-in unit in the context
  (an HR-service agency sees 劳务派遣信息) — its choices from the city's parameter
  tables (常州's 新业态工伤 is a row of ``identities``) — plus any that plugins add
  through ``item_choices``.
* **Errors**: the platform's exact message and remedy, and a link to each place the
  message or remedy names (“人员基础信息采集” → that item's form, “灵活就业人员停保登记”
  → the personal side, “经办人管理” → the unit centre, “实名注册” → 单位实名注册 …).
* **The refusal journal**: a refused business leaves nothing in the business tables
  (docs/decisions.md); the hall writes what it showed to the audit log (action
  ``web_refused``) in a transaction of its own, so that the trainer console can list
  each trainee's errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import abort, g, url_for
from sqlalchemy import select

from simulator.context import Actor, BusinessContext
from simulator.db.models import AuditEntry, Unit
from simulator.errors import Problem, Refused
from simulator.items import BusinessItem, Choice, FormField
from simulator.platform import Platform, flatten
from simulator.queries import actor_display
from simulator.web import platform

REFUSAL_ACTION = "web_refused"
COUNTER_PREFIX = "counter_"

#: read-only facts the look-up fills in 人员基本信息 (guide §三.3's screen), label by key
LOOKUP_FACTS: tuple[tuple[str, str], ...] = (
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("nationality", "国家/地区"),
    ("id_type", "证件类型"),
    ("hukou_nature", "户籍性质"),
    ("hukou_address", "户籍地址"),
)

#: the result's keys (``ItemResult.data``) as the screen names them; others are shown as they are
RESULT_LABELS: dict[str, str] = {
    "person_no": "个人唯一识别码",
    "person_nos": "个人唯一识别码",
    "name": "姓名",
    "id_number": "证件号码",
    "identity": "参保身份",
    "start_month": "参保开始年月",
    "stop_month": "参保截止年月",
    "declared_base": "申报缴费基数",
    "base": "缴费基数",
    "base_adjustment": "封顶保底说明",
    "insurance_codes": "参保险种",
    "counter_backpay_months": "需至柜台申请补缴的月份",
    "unit_no": "单位编号",
    "uscc": "统一社会信用代码",
    "effective_month": "生效年月",
    "fee_month": "费款所属期",
    "rolled_back": "已回退的业务",
    "effects_undone": "撤销的数据变更（条）",
}
INSURANCE_LABELS = {"110": "企业职工基本养老保险", "120": "机关事业单位养老保险", "210": "失业保险",
                    "410": "工伤保险"}  # fmt: skip


def result_facts(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
    """A result's plain facts (labelled, empty ones left out) and its tables (补缴明细 …);
    a record of plain facts (人员变更回退's 已回退的业务) is a table of one row."""
    facts: dict[str, str] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables[RESULT_LABELS.get(key, key)] = value
            continue
        if isinstance(value, dict) and value:
            if all(not isinstance(v, (dict, list)) for v in value.values()):
                tables[RESULT_LABELS.get(key, key)] = [value]  # one record (回退的业务 …)
            continue
        if value is None or value == "":
            continue
        if isinstance(value, list):
            names = [INSURANCE_LABELS.get(str(v), str(v)) if key == "insurance_codes" else str(v)
                     for v in value]  # fmt: skip
            facts[RESULT_LABELS.get(key, key)] = "、".join(names) if names else "无"
        else:
            facts[RESULT_LABELS.get(key, key)] = str(value)
    return facts, tables


# --- the sandbox and its header -----------------------------------------------------------------


def load_sandbox(sandbox_id: str) -> dict[str, Any]:
    """The sandbox's header facts (date, period state); 404 when there is no such sandbox."""
    sim = platform()
    try:
        described = sim.describe_sandbox(sandbox_id)
    except Refused:
        abort(404, description=f"沙箱不存在：{sandbox_id}")
    clock = described["clock"]
    period = clock["period"]
    header = {
        "id": described["id"],
        "name": described["name"] or described["id"],
        "world": described["world"],
        "date": clock["date"],
        "now": clock["now"],
        "period_state": clock["period_state"],
        "paused": period.get("paused", False),
        "fee_month": period.get("fee_month"),
        "period_start": period.get("period_start"),
        "period_end": period.get("period_end"),
        "follows_wall_clock": clock["follows_wall_clock"],
    }
    g.sandbox = header
    return header


# --- items and forms ---------------------------------------------------------------------------


def _guide_order(item: BusinessItem) -> tuple[int, int, str]:
    match = re.search(r"§三\.(\d+)", item.guide_section or "")
    if match:
        return (0, int(match.group(1)), item.code)
    return (1, 0, item.code)


def hall_items(sim: Platform) -> list[BusinessItem]:
    """The items of 单位办事—社会保险, in the guide's order (counter items excluded)."""
    items = [item for code, item in sim.items.items() if not code.startswith(COUNTER_PREFIX)]
    return sorted(items, key=_guide_order)


def hall_item(sim: Platform, code: str) -> BusinessItem:
    if code.startswith(COUNTER_PREFIX) or code not in sim.items:
        abort(404, description=f"未找到业务事项：{code}")
    return sim.items[code]


@dataclass
class FormSection:
    """A section of an item's window (◆ 人员基本信息 …) and its fields."""

    title: str
    fields: list[FormField] = field(default_factory=list)


def item_form(
    sim: Platform, sandbox_id: str, item: BusinessItem, actor: Actor | None
) -> list[FormSection]:
    """The item's form for this unit, grouped in its sections (in the order they come)."""
    with sim.sandbox_session(sandbox_id) as ctx:
        unit = ctx.session.get(Unit, actor.unit_id) if actor and actor.unit_id is not None else None
        city = sim.city(unit.city_code if unit is not None else ctx.sandbox.location_city)
        context = BusinessContext(
            platform=sim,
            session=ctx.session,
            sandbox=ctx.sandbox,
            city=city,
            now=ctx.now,
            item=item,
            actor=actor or Actor(unit_id=None, name="", role="system"),
            unit=unit,
        )
        fields = []
        for form_field in item.form(context):
            if form_field.kind == "choice":
                extra: list[Choice] = flatten(
                    sim.hook.item_choices(context=context, item=item, field=form_field.name)
                )
                known = {choice.code for choice in form_field.choices}
                added = tuple(choice for choice in extra if choice.code not in known)
                if added:
                    form_field = FormField(
                        form_field.name,
                        form_field.label,
                        form_field.required,
                        form_field.kind,
                        form_field.section,
                        form_field.choices + added,
                        form_field.help,
                    )
            fields.append(form_field)
    sections: list[FormSection] = []
    for form_field in fields:
        title = form_field.section or "申报信息"
        if not sections or sections[-1].title != title:
            existing = next((s for s in sections if s.title == title), None)
            if existing is not None:
                existing.fields.append(form_field)
                continue
            sections.append(FormSection(title))
        sections[-1].fields.append(form_field)
    return sections


def payload_from_form(sections: list[FormSection], form: Any) -> dict[str, str]:
    """The business payload: every field of the item's form that was filled (trimmed)."""
    payload: dict[str, str] = {}
    for section in sections:
        for form_field in section.fields:
            value = (form.get(form_field.name) or "").strip()
            if value:
                payload[form_field.name] = value
    return payload


# --- errors and their remedy links ----------------------------------------------------------------


@dataclass(frozen=True)
class RemedyLink:
    label: str
    url: str


def _remedy_targets(sandbox_id: str) -> list[tuple[str, RemedyLink]]:
    """Names a message or remedy may mention, longest first, with the page they lead to."""
    targets: list[tuple[str, RemedyLink]] = []
    for item in hall_items(platform()):
        link = RemedyLink(
            item.name, url_for("web_hall.item_page", sandbox_id=sandbox_id, item_code=item.code)
        )
        targets.append((item.name, link))
    targets += [
        ("灵活就业人员停保登记", RemedyLink(
            "灵活就业人员停保登记（个人办事）",
            url_for("web_hall.personal_flexible_stop", sandbox_id=sandbox_id))),
        ("个人中心", RemedyLink(
            "个人中心—户籍性质维护（个人办事）",
            url_for("web_hall.personal_hukou_nature", sandbox_id=sandbox_id))),
        ("经办人管理", RemedyLink(
            "单位中心—经办人管理", url_for("web_centre.agents", sandbox_id=sandbox_id))),
        ("办理单位实名注册", RemedyLink(
            "单位实名注册", url_for("web_auth.signup", sandbox_id=sandbox_id))),
        ("网上服务大厅实名注册", RemedyLink(
            "单位实名注册", url_for("web_auth.signup", sandbox_id=sandbox_id))),
        ("忘记密码", RemedyLink(
            "忘记密码", url_for("web_auth.forgot_password", sandbox_id=sandbox_id))),
        ("登录", RemedyLink("单位登录", url_for("web_auth.login", sandbox_id=sandbox_id))),
    ]  # fmt: skip
    return sorted(targets, key=lambda pair: -len(pair[0]))


def remedy_links(sandbox_id: str, *texts: str) -> list[RemedyLink]:
    """The pages the texts name, each once, in the order the targets were found."""
    links: list[RemedyLink] = []
    for text in texts:
        remaining = text or ""
        for name, link in _remedy_targets(sandbox_id):
            if name in remaining:
                remaining = remaining.replace(name, "\0")
                if link not in links:
                    links.append(link)
    return links


@dataclass(frozen=True)
class ShownProblem:
    """A problem as the page shows it: message, remedy (处理方法) and links."""

    code: str
    message: str
    remedy: str
    behaviour_id: str | None
    field: str | None
    row: int | None
    links: tuple[RemedyLink, ...]


def show_problems(sandbox_id: str, problems: tuple[Problem, ...] | list[Any]) -> list[ShownProblem]:
    shown = []
    for problem in problems:
        data = problem.as_dict() if isinstance(problem, Problem) else dict(problem)
        shown.append(
            ShownProblem(
                code=str(data.get("code", "")),
                message=str(data.get("message", "")),
                remedy=str(data.get("remedy") or ""),
                behaviour_id=data.get("behaviour_id"),
                field=data.get("field"),
                row=data.get("row"),
                links=tuple(
                    remedy_links(
                        sandbox_id, str(data.get("message", "")), str(data.get("remedy") or "")
                    )
                ),
            )
        )
    return shown


# --- the refusal journal (trainer console) --------------------------------------------------------


def record_refusal(
    sandbox_id: str, actor: Actor | None, where: str, refused: Refused, **details: Any
) -> None:
    """Write a refusal the hall showed to the audit log (its own transaction)."""
    sim = platform()
    try:
        with sim.sandbox_session(sandbox_id) as ctx:
            ctx.session.add(
                AuditEntry(
                    sandbox_id=sandbox_id,
                    at=ctx.now,
                    actor=actor.label if actor else "（未登录）",
                    action=REFUSAL_ACTION,
                    target=where[:200],
                    details={
                        "unit_id": actor.unit_id if actor else None,
                        "problems": [problem.as_dict() for problem in refused.problems],
                        **details,
                    },
                )
            )
    except Refused:  # the sandbox went away meanwhile: nothing to record
        return


def refusals(sim: Platform, sandbox_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """The refusals shown in a sandbox's hall, newest first."""
    with sim.db.transaction() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.sandbox_id == sandbox_id, AuditEntry.action == REFUSAL_ACTION)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        ).all()
        return [
            {
                "at": row.at.isoformat(sep=" ", timespec="seconds"),
                "actor": actor_display(row.actor),
                "where": row.target,
                "problems": row.details.get("problems", []),
            }
            for row in rows
        ]

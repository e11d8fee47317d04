"""Refusals and errors in the platform's own words.

Every error the simulator returns carries the documents' exact Chinese message,
a stable machine code, the documented remedy (处理方法) and the behaviour ID of
the rule that produced it (see ``../shared/spec/behaviours.md``).  Rules declare
their errors as :class:`ErrorSpec` constants next to the rule, so that
``grep -rn "I3-9"`` finds the rule, its message and its remedy together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    """A documented error: the text the platform shows and what the user does about it."""

    code: str
    message: str
    remedy: str = ""
    behaviour_id: str | None = None
    http_status: int = 422

    def error(self, *, field: str | None = None, row: int | None = None, **fmt: Any) -> Problem:
        """This error as a :class:`Problem`, with ``{placeholders}`` in the message filled."""
        return Problem(
            code=self.code,
            message=self.message.format(**fmt) if fmt else self.message,
            remedy=self.remedy.format(**fmt) if fmt else self.remedy,
            behaviour_id=self.behaviour_id,
            http_status=self.http_status,
            field=field,
            row=row,
        )

    def refuse(self, *, field: str | None = None, row: int | None = None, **fmt: Any) -> Refused:
        """An exception carrying this error, to ``raise``."""
        return Refused(self.error(field=field, row=row, **fmt))


@dataclass(frozen=True)
class Problem:
    """One concrete error, as returned to API clients (``as_dict``)."""

    code: str
    message: str
    remedy: str = ""
    behaviour_id: str | None = None
    http_status: int = 422
    field: str | None = None
    row: int | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "remedy": self.remedy,
            "behaviour_id": self.behaviour_id,
        }
        if self.field is not None:
            out["field"] = self.field
        if self.row is not None:
            out["row"] = self.row
        if self.details:
            out["details"] = self.details
        return out


class Refused(Exception):
    """A business or request refused by a rule.  Nothing it touched is kept."""

    def __init__(self, *problems: Problem) -> None:
        if not problems:
            raise ValueError("Refused needs at least one problem")
        self.problems: tuple[Problem, ...] = problems
        super().__init__("; ".join(p.message for p in problems))

    @property
    def problem(self) -> Problem:
        return self.problems[0]

    @property
    def http_status(self) -> int:
        return self.problems[0].http_status


def problem_body(*problems: Problem) -> dict[str, Any]:
    """The JSON body of an error answer: the first problem, and every problem under ``errors``."""
    body = problems[0].as_dict()
    body["errors"] = [problem.as_dict() for problem in problems]
    return body


# Errors of the core (pipeline, input, sandboxes).  Item errors live with their items.

PAUSED_PERIOD = ErrorSpec(
    code="E_PAUSED_PERIOD",
    message="当前为暂停申报期（每月7日至10日），仅可办理用人单位用工参保预登记",
    remedy="请于每月11日申报期开始后再办理；需要为新职工提供工伤保障的，可办理用人单位用工参保预登记。",
    behaviour_id="PER-2",
)
INVALID_INPUT = ErrorSpec(
    code="E_INVALID_INPUT",
    message="{message}",
    remedy="请按提示修改后重新提交。",
    http_status=400,
)
REQUIRED_FIELD = ErrorSpec(
    code="E_REQUIRED_FIELD",
    message="{label}不能为空",
    remedy="请填写带★的必填项后重新提交。",
    http_status=400,
)
NO_PARAMETERS = ErrorSpec(
    code="E_NO_PARAMETERS",
    message="{month}没有可用的缴费参数（{path}），网上无法计算该月份",
    remedy=(
        "缴费基数上下限、费率等参数自其最早生效的月份起提供；更早月份的业务请至经办机构（柜台）"
        "办理，或在城市参数中补充该时期的数值。"
    ),
)
UNKNOWN_ITEM = ErrorSpec(
    code="E_UNKNOWN_ITEM",
    message="未找到业务事项：{item}",
    remedy="请从“单位办事”—“社会保险”中选择已开通的事项。",
    http_status=404,
)
UNKNOWN_SANDBOX = ErrorSpec(
    code="E_UNKNOWN_SANDBOX",
    message="沙箱不存在：{sandbox}",
    remedy="请先创建沙箱，或检查沙箱编号。",
    http_status=404,
)
NOT_FOUND = ErrorSpec(
    code="E_NOT_FOUND",
    message="{what}不存在",
    remedy="请检查查询条件。",
    http_status=404,
)
CONFLICT = ErrorSpec(
    code="E_CONFLICT",
    message="{message}",
    remedy="",
    http_status=409,
)

"""苏州 (320500) — FAQ Q5: 人员变更回退 needs the hall's location (定位) set to 苏州 (I6-4).

"该功能需要将网办大厅左上角的定位选择“苏州”": the location is part of the sandbox's
state (``PUT /api/v1/sandboxes/{id}/location``); a 苏州 unit's rollback is refused
while the hall is located elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.errors import ErrorSpec, Problem
from simulator.items import BusinessItem

SUZHOU = "320500"

LOCATION_NOT_SUZHOU = ErrorSpec(
    code="E_LOCATION_NOT_SUZHOU",
    message="请将网办大厅左上角的定位选择“苏州”后再办理人员变更回退",
    remedy="将网办大厅左上角的定位选择“苏州”，再点击“单位办事”—“社会保险”—“社会保险登记”—“人员变更回退”。",
    behaviour_id="I6-4",
)


@hookimpl
def validate_business(
    context: BusinessContext, item: BusinessItem, payload: Mapping[str, Any]
) -> list[Problem]:
    if item.code != "rollback" or context.city.code != SUZHOU:
        return []
    if context.sandbox.location_city == SUZHOU:
        context.note("hall located in 苏州", behaviour_id="I6-4")
        return []
    return [LOCATION_NOT_SUZHOU.error()]

"""The JSON API under ``/api/v1`` (OpenAPI document generated from the code)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from simulator.errors import ErrorSpec, Problem, Refused, problem_body

#: the header that carries the trainer's key to the sandbox administration routes
ADMIN_KEY_HEADER = "X-Admin-Key"

ADMIN_KEY_REQUIRED = ErrorSpec(
    code="E_ADMIN_KEY_REQUIRED",
    message="该操作仅限培训管理员",
    remedy="沙箱的时钟、数据世界、模拟服务和柜台由培训管理员在培训控制台操作；"
    "通过接口操作时请在请求头 X-Admin-Key 中提供管理员密钥。",
    http_status=401,
)


class ErrorBody(BaseModel):
    """Every error of the API: the platform's exact message, a stable code and the remedy."""

    code: str = Field(description="stable machine code, e.g. E_FLEX_INSURED")
    message: str = Field(description="the platform's exact message (Chinese)")
    remedy: str = Field("", description="处理方法: what to do about it")
    behaviour_id: str | None = Field(None, description="behaviour ID in the catalogue, e.g. I3-9")
    errors: list[dict[str, Any]] = Field(default_factory=list, description="every problem found")


ERROR_RESPONSES: dict[int, type[BaseModel]] = {
    400: ErrorBody,
    404: ErrorBody,
    409: ErrorBody,
    422: ErrorBody,
}


#: the error answers of an administration route: those of every route and a missing key
ADMIN_RESPONSES: dict[int, type[BaseModel]] = {**ERROR_RESPONSES, 401: ErrorBody}


def problem_response(*problems: Problem, status: int | None = None) -> ResponseReturnValue:
    return jsonify(problem_body(*problems)), status or problems[0].http_status


def refused_response(refused: Refused) -> ResponseReturnValue:
    return problem_response(*refused.problems)


def platform():  # type: ignore[no-untyped-def]
    """The :class:`~simulator.platform.Platform` of the current app."""
    return current_app.extensions["shebao_sim"]


def admin_only(blueprint: Blueprint) -> Blueprint:
    """Guard a blueprint of sandbox administration (clock, worlds, mock faults and
    journals, the counter) with the trainer's key, when one is configured (``ADMIN_KEY``,
    ``$SHEBAO_SIM_ADMIN_KEY``).  Without a key the routes stay open: integration testers
    and the BDD runner drive them; a classroom sets a key so that trainees, who reach
    only the hall, cannot move their own clock or read the SMS codes."""

    @blueprint.before_request
    def _check_admin_key() -> ResponseReturnValue | None:
        key = current_app.config.get("ADMIN_KEY")
        given = request.headers.get(ADMIN_KEY_HEADER, "")
        if key and not hmac.compare_digest(given.encode(), str(key).encode()):
            return refused_response(ADMIN_KEY_REQUIRED.refuse())
        return None

    return blueprint

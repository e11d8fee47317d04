"""The JSON API under ``/api/v1`` (OpenAPI document generated from the code)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from simulator.errors import Problem, Refused, problem_body


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


def problem_response(*problems: Problem, status: int | None = None) -> ResponseReturnValue:
    return jsonify(problem_body(*problems)), status or problems[0].http_status


def refused_response(refused: Refused) -> ResponseReturnValue:
    return problem_response(*refused.problems)


def platform():  # type: ignore[no-untyped-def]
    """The :class:`~simulator.platform.Platform` of the current app."""
    return current_app.extensions["shebao_sim"]

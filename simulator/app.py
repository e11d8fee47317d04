"""The Flask application factory: JSON API, OpenAPI docs, mocks and plugin blueprints."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_openapi3 import Info, OpenAPI
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from simulator import __version__, settings
from simulator.api import problem_response, refused_response
from simulator.errors import INVALID_INPUT, NO_PARAMETERS, Problem, Refused
from simulator.parameters import ParameterNotFound
from simulator.platform import Platform, flatten
from simulator.plugin_manager import make_plugin_manager
from simulator.workbooks import TOO_LARGE


class Config:
    """Defaults: an embedded SQLite database in the instance folder."""

    SECRET_KEY = os.environ.get("SHEBAO_SIM_SECRET_KEY", "shebao-sim-development-key")
    #: SQLAlchemy URL; ``None``: ``$SHEBAO_SIM_DATABASE_URL`` or the instance folder's SQLite
    DATABASE_URL: str | None = None
    #: create missing tables at start-up (``serve`` runs the migrations instead)
    CREATE_SCHEMA = False
    JSON_AS_ASCII = False
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    #: the trainer's key to the sandbox administration routes (``None``: open, for testers)
    ADMIN_KEY = os.environ.get("SHEBAO_SIM_ADMIN_KEY") or None


class TestConfig(Config):
    TESTING = True
    DATABASE_URL = "sqlite://"
    CREATE_SCHEMA = True
    SECRET_KEY = "test"
    ADMIN_KEY = None


def _validation_error(error: ValidationError):  # type: ignore[no-untyped-def]
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(
            INVALID_INPUT.error(
                message=f"{location}: {item.get('msg', '')}", field=location or None
            )
        )
    body, status = problem_response(*problems, status=400)
    body.status_code = status
    return body


def create_app(
    config: type[Config] | dict[str, Any] | None = None, *, platform: Platform | None = None
) -> Flask:
    app = OpenAPI(
        __name__,
        info=Info(
            title="ShebaoSim API",
            version=__version__,
            description=(
                "江苏省人社一体化信息平台（用人单位社保网办）模拟器的 JSON API。"
                " Every error carries the platform's exact message, a stable code and the remedy."
            ),
        ),
        doc_prefix="/api/v1",
        doc_url="/openapi.json",
        validation_error_status=400,
        validation_error_callback=_validation_error,
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        instance_path=str(settings.instance_dir()),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    if platform is None:
        url = settings.database_url(app.config["DATABASE_URL"])
        platform = Platform(url, plugin_manager=make_plugin_manager())
        if app.config["CREATE_SCHEMA"]:
            platform.create_schema()
    app.extensions["shebao_sim"] = platform

    from simulator.api import (
        accounts,
        businesses,
        contributions,
        hall,
        meta,
        records,
        sandboxes,
        unit_centre,
    )

    for module in (meta, sandboxes, contributions, businesses, hall, unit_centre, accounts):
        app.register_api(module.api)
    app.register_api(businesses.public_api)
    app.register_api(records.api)  # 打印证明, 导出 (issue 9)
    app.register_api(records.public_api)  # 验证 without login, and the /verify/<token> page
    for blueprint in flatten(platform.hook.register_blueprints()):
        if hasattr(blueprint, "register_api") or blueprint.__class__.__name__ == "APIBlueprint":
            app.register_api(blueprint)
        else:
            app.register_blueprint(blueprint)

    _register_error_handlers(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Refused, refused_response)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if error.code == 413:  # beyond MAX_CONTENT_LENGTH: the upload rule's own answer
            return _problem_answer(TOO_LARGE.error())
        if not request.path.startswith("/api/"):
            return error
        problem = Problem(
            code=f"E_HTTP_{error.code}",
            message=error.description or error.name,
            http_status=error.code or 500,
        )
        return problem_response(problem)

    @app.errorhandler(ParameterNotFound)
    def _no_parameters(error: ParameterNotFound):  # type: ignore[no-untyped-def]
        # a month before the parameters' first values: say so instead of a 500
        month = error.on_date.strftime("%Y-%m") if error.on_date else ""
        return _problem_answer(NO_PARAMETERS.error(month=month, path=error.path))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unexpected error")
        problem = Problem(
            code="E_INTERNAL",
            message="系统内部错误",
            remedy="请稍后再试；如持续出现，请把请求和沙箱编号报告给维护者。",
            http_status=500,
        )
        return problem_response(problem)


def _problem_answer(problem: Problem) -> ResponseReturnValue:
    """A problem as JSON under ``/api/``, as the Chinese error page elsewhere."""
    if request.path.startswith("/api/"):
        return problem_response(problem)
    page = render_template(
        "error.html", title="无法办理", message=problem.message, remedy=problem.remedy
    )
    return page, problem.http_status

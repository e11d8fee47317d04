"""The mocked agencies as their own server (``shebao-sim mocks serve``).

At scale the mocks run apart from the simulator, at the base URL the simulator
is configured with (``mocks_base_url``, e.g. ``http://127.0.0.1:8001/mocks``),
on the same database: they read the sandboxes' clocks and the records a world
put there, and write their journal for the admin API to list.  The contract
document is served at ``/mocks/openapi.json`` (Swagger UI: ``/mocks/swagger``).
"""

from __future__ import annotations

from flask import Flask, Response, make_response
from flask.typing import ResponseReturnValue
from flask_openapi3 import Info, OpenAPI
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from mocks import identity, market, store, verification
from simulator import __version__
from simulator.api import problem_response
from simulator.db import Database
from simulator.errors import INVALID_INPUT, Problem


def _validation_error(error: ValidationError) -> Response:
    # flask-openapi3 passes the callback's result to abort(), which takes a Response only.
    problems = [
        INVALID_INPUT.error(
            message=f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg', '')}",
            field=".".join(str(p) for p in item.get("loc", ())) or None,
        )
        for item in error.errors()
    ]
    return make_response(problem_response(*problems, status=400))


def create_mocks_app(
    database_url: str | None = None,
    *,
    database: Database | None = None,
    max_sleep_seconds: float = store.MAX_SLEEP_SECONDS,
) -> Flask:
    """The three mocks on one Flask app, on ``database`` or a new one at ``database_url``."""
    if database is None:
        if database_url is None:
            raise ValueError("give a database_url or a database")
        database = Database(database_url)
    app = OpenAPI(
        __name__,
        info=Info(
            title="ShebaoSim mocked agencies",
            version=__version__,
            description=(
                "公安部人员基准信息, 市场监管 and 身份核验 as the simulator sees them. "
                "Every call names its sandbox in the X-Sandbox-Id header."
            ),
        ),
        doc_prefix="/mocks",
        doc_url="/openapi.json",
        validation_error_status=400,
        validation_error_callback=_validation_error,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    store.install(app, database, max_sleep_seconds=max_sleep_seconds)
    for blueprint in (identity.api, market.api, verification.api):
        app.register_api(blueprint)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        return problem_response(
            Problem(
                code=f"E_HTTP_{error.code}",
                message=error.description or error.name,
                http_status=error.code or 500,
            )
        )

    return app

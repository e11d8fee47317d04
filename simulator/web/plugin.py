"""The ``web`` plugin: mounts the web UI's blueprints and sets up login and CSRF.

Entry point ``web = simulator.web.plugin`` in the ``shebao_sim`` group.  Through
``register_blueprints`` it returns the blueprints of :mod:`simulator.web`; the
first one, when registered, sets up the application once:

* Flask-Login (the unit accounts; user loader :func:`simulator.web.auth.load_user`);
* Flask-WTF's ``CSRFProtect``: every form of the web UI carries ``csrf_token``; the
  check runs for every POST to a web blueprint (the JSON API, called with bearer
  tokens by programs, is not a browser form and is left alone:
  ``WTF_CSRF_CHECK_DEFAULT = False`` plus a ``before_request`` on the web blueprints);
* the page header's facts and the template helpers.

The ``web`` blueprint itself serves the landing page (``/``) and the static CSS/JS
(``/web/static/…``, written by hand: no CDN, a classroom may be offline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from simulator import hookimpl

if TYPE_CHECKING:
    from flask.blueprints import BlueprintSetupState

WEB_BLUEPRINTS = ("web", "web_hall", "web_centre", "web_auth", "web_trainer")

csrf = CSRFProtect()
login_manager = LoginManager()

web = Blueprint(
    "web",
    __name__,
    static_folder="static",
    static_url_path="/web/static",
    template_folder="templates",
)


@web.get("/")
def landing() -> ResponseReturnValue:
    """The entry page: the halls of the sandboxes and the trainer console."""
    from simulator.web import platform

    sandboxes = platform().list_sandboxes()
    if len(sandboxes) == 1 and not request.args:
        return redirect(url_for("web_hall.home", sandbox_id=sandboxes[0]["id"]))
    return render_template("landing.html", sandboxes=sandboxes)


def _setup(state: BlueprintSetupState) -> None:
    app: Flask = state.app
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a class lasts longer than an hour
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"

    from simulator.web.auth import load_user

    login_manager.user_loader(load_user)

    @app.before_request
    def _csrf_on_web_forms() -> None:
        if request.method == "POST" and request.blueprint in WEB_BLUEPRINTS:
            csrf.protect()

    app.register_error_handler(CSRFError, _csrf_error)

    @app.context_processor
    def _page_facts() -> dict[str, Any]:
        from simulator.web.auth import signed_in

        sandbox = g.get("sandbox")
        return {
            "sandbox": sandbox,
            "unit_user": signed_in(sandbox["id"]) if sandbox else None,
        }


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return (
        render_template(
            "error.html",
            title="页面已失效",
            message=f"表单校验失败（{error.description}）",
            remedy="请刷新页面后重新提交；如长时间未操作，请重新登录。",
        ),
        400,
    )


web.record_once(_setup)


@hookimpl
def register_blueprints() -> list[Blueprint]:
    from simulator.web import auth, centre, hall, trainer

    return [web, hall.bp, centre.bp, auth.bp, trainer.bp]

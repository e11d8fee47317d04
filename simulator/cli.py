"""The ``shebao-sim`` command line.

``serve`` runs the sandbox (API, docs and mocks) on the embedded defaults;
``db``, ``sandbox``, ``clock`` and ``period`` manage and inspect it; plugins add
their own commands through the ``register_commands`` hook.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from simulator import settings
from simulator.errors import Refused
from simulator.platform import Platform
from simulator.plugin_manager import make_plugin_manager


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class State:
    """Lazily opened platform for one CLI invocation."""

    def __init__(self, database_url: str | None) -> None:
        self.database_url = database_url
        self._platform: Platform | None = None

    def platform(self, *, migrate: bool = True) -> Platform:
        if self._platform is None:
            from simulator.db.migrate import upgrade

            url = settings.database_url(self.database_url)
            if migrate:
                upgrade(url)
            self._platform = Platform(url, plugin_manager=make_plugin_manager())
        return self._platform


pass_state = click.make_pass_decorator(State)


class SimulatorGroup(click.Group):
    """Turns refusals into their message on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Refused as refused:
            for problem in refused.problems:
                click.echo(f"{problem.code}: {problem.message}", err=True)
                if problem.remedy:
                    click.echo(f"  处理方法：{problem.remedy}", err=True)
            sys.exit(2)


@click.group(cls=SimulatorGroup)
@click.option(
    "--database-url",
    envvar=settings.DATABASE_ENV,
    help="SQLAlchemy URL (default: SQLite in $SHEBAO_SIM_HOME or ./instance).",
)
@click.version_option(package_name="shebao-sim")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """ShebaoSim — 江苏省人社一体化信息平台（用人单位社保网办）模拟器."""
    ctx.obj = State(database_url)


# --- serve -------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--sandbox", "sandbox_id", default="demo", show_default=True)
@click.option("--world", default="demo", show_default=True, help="world to load into a new sandbox")
@click.option("--debug/--no-debug", default=False)
@pass_state
def serve(
    state: State, host: str, port: int, sandbox_id: str, world: str | None, debug: bool
) -> None:
    """Serve the API, its docs and the mocked services on one address."""
    from simulator.app import create_app

    platform = state.platform()
    platform.settings.setdefault("mocks_base_url", f"http://{host}:{port}/mocks")
    existing = {s["id"] for s in platform.list_sandboxes()}
    if sandbox_id not in existing:
        platform.create_sandbox(sandbox_id, name="演示沙箱")
        loader = getattr(platform, "load_world", None)
        if world and loader is not None:
            loader(sandbox_id, world)
    app = create_app(platform=platform)
    click.echo(
        f"ShebaoSim on http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/swagger)"
    )
    click.echo(f"sandbox: {sandbox_id}   database: {platform.db.url}")
    if world:
        click.echo(
            "log in as a unit's 法定代表人: its 统一社会信用代码, their 证件号码 and the world's "
            "password (default Shebao@2021) — docs/worlds.md lists them"
        )
    app.run(host=host, port=port, debug=debug, threaded=True, use_reloader=False)


# --- db ---------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.option(
    "--database-url",
    "database_url",
    default=None,
    help="SQLAlchemy URL to migrate; the same as the group's --database-url, given here too.",
)
@pass_state
def db_upgrade(state: State, revision: str, database_url: str | None) -> None:
    """Migrate the database to the newest schema."""
    from simulator.db.migrate import current_revision, upgrade

    if database_url is not None:
        state.database_url = database_url  # wins over the group's option and the variable
    url = settings.database_url(state.database_url)
    upgrade(url, revision)
    platform = state.platform(migrate=False)
    click.echo(f"database at revision {current_revision(platform.db.engine)}: {url}")


# --- sandboxes and clock --------------------------------------------------------------


@cli.group()
def sandbox() -> None:
    """Create, list, reset and delete sandboxes."""


@sandbox.command("create")
@click.argument("sandbox_id", required=False)
@click.option("--name", default="")
@click.option("--clock", "clock_at", help="start the clock at DATE or DATETIME")
@pass_state
def sandbox_create(state: State, sandbox_id: str | None, name: str, clock_at: str | None) -> None:
    _echo_json(state.platform().create_sandbox(sandbox_id, name=name, clock=clock_at))


@sandbox.command("list")
@pass_state
def sandbox_list(state: State) -> None:
    _echo_json(state.platform().list_sandboxes())


@sandbox.command("reset")
@click.argument("sandbox_id")
@pass_state
def sandbox_reset(state: State, sandbox_id: str) -> None:
    _echo_json(state.platform().reset_sandbox(sandbox_id))


@sandbox.command("delete")
@click.argument("sandbox_id")
@pass_state
def sandbox_delete(state: State, sandbox_id: str) -> None:
    state.platform().delete_sandbox(sandbox_id)
    click.echo(f"deleted {sandbox_id}")


@cli.group()
def clock() -> None:
    """Read, set and advance a sandbox's clock."""


sandbox_option = click.option("--sandbox", "sandbox_id", default="demo", show_default=True)


@clock.command("show")
@sandbox_option
@pass_state
def clock_show(state: State, sandbox_id: str) -> None:
    _echo_json(state.platform().clock(sandbox_id))


@clock.command("set")
@click.argument("when")
@sandbox_option
@pass_state
def clock_set(state: State, when: str, sandbox_id: str) -> None:
    """Set the clock to WHEN (YYYY-MM-DD or YYYY-MM-DDTHH:MM), or 'wall' to follow the wall clock."""
    platform = state.platform()
    if when == "wall":
        _echo_json(platform.follow_wall_clock(sandbox_id))
    else:
        _echo_json(platform.set_clock(sandbox_id, when))


@clock.command("advance")
@click.option("--days", default=0, type=click.IntRange(min=0))
@click.option("--hours", default=0, type=click.IntRange(min=0))
@click.option("--minutes", default=0, type=click.IntRange(min=0))
@sandbox_option
@pass_state
def clock_advance(state: State, days: int, hours: int, minutes: int, sandbox_id: str) -> None:
    _echo_json(state.platform().advance_clock(sandbox_id, days=days, hours=hours, minutes=minutes))


# --- period -----------------------------------------------------------------------------


@cli.command()
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--city", help="city code, e.g. 320500 (default: the province)")
@click.option("--json", "as_json", is_flag=True, help="print exactly one JSON object")
@pass_state
def period(state: State, day: Any, city: str | None, as_json: bool) -> None:
    """The declaration period (申报期) and fee month (费款所属期) of DAY (PER-1, PER-2)."""
    platform = Platform("sqlite://", plugin_manager=make_plugin_manager())
    on: date = day.date()
    info = platform.period_on(on, platform.city(city))
    if as_json:
        click.echo(json.dumps(info.as_dict(), ensure_ascii=False))
        return
    state_label = "暂停申报期" if info.paused else "申报期"
    click.echo(
        f"{on}: {state_label}；申报期 {info.period_start} 至 {info.period_end}，"
        f"费款所属期 {info.fee_month}（{info.variant}）"
    )


# --- what-if -------------------------------------------------------------------------------


@cli.command("what-if")
@click.argument("item")
@click.option("--sandbox", "sandbox_id", default="demo", show_default=True)
@click.option("--unit", "uscc", required=True, help="统一社会信用代码 of the unit doing it")
@click.option("--payload", "payload_json", required=True, help="the form as a JSON object")
@click.option(
    "--variant",
    "variants",
    multiple=True,
    required=True,
    help="LABEL=YYYY-MM-DD or LABEL=city:320500 (repeat, at least twice)",
)
@pass_state
def what_if(
    state: State,
    item: str,
    sandbox_id: str,
    uscc: str,
    payload_json: str,
    variants: tuple[str, ...],
) -> None:
    """Do ITEM under several rule variants (old system vs platform, city vs city); store nothing."""
    from sqlalchemy import select

    from simulator.auth import actor_of
    from simulator.db.models import Account, Unit
    from simulator.whatif import Variant, compare

    parsed = []
    for text in variants:
        label, _, spec = text.partition("=")
        if spec.startswith("city:"):
            parsed.append(Variant(label, city=spec[5:]))
        else:
            parsed.append(Variant(label, on=date.fromisoformat(spec)))
    platform = state.platform()
    with platform.sandbox_session(sandbox_id) as ctx:
        account = ctx.session.scalars(
            select(Account)
            .join(Unit, Unit.id == Account.unit_id)
            .where(Unit.sandbox_id == sandbox_id, Unit.uscc == uscc, Account.role == "legal_rep")
        ).first()
        if account is None:
            raise click.ClickException(
                f"no unit {uscc} with a legal representative in {sandbox_id}"
            )
        actor = actor_of(account)
    _echo_json(compare(platform, sandbox_id, item, json.loads(payload_json), actor, parsed))


# --- spec ---------------------------------------------------------------------------------


PROJECT_ROOT = Path(__file__).resolve().parents[1]


@cli.group()
def spec() -> None:
    """The executable specification: behaviours, features and their results."""


@spec.command("coverage")
@click.option(
    "--catalogue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="behaviours.md (default: ../shared/spec/behaviours.md, else docs/spec/behaviours.md)",
)
@click.option(
    "--features",
    "features_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "features",
    show_default=True,
)
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    default=PROJECT_ROOT / "reports" / "cucumber.json",
    show_default=True,
    help="cucumber JSON of the last run (pytest --cucumberjson=...)",
)
@click.option("--json", "as_json", is_flag=True, help="print the matrix as JSON")
def spec_coverage(catalogue: Path | None, features_dir: Path, results: Path, as_json: bool) -> None:
    """Behaviour ID → scenarios → result of the last run; exits 1 on gaps or unknown tags."""
    from simulator.spec_coverage import (
        build_report,
        default_catalogue_path,
        exit_code,
        format_matrix,
        report_json,
    )

    report = build_report(
        catalogue or default_catalogue_path(PROJECT_ROOT),
        features_dir,
        results if results.exists() else None,
    )
    if as_json:
        _echo_json(report_json(report))
    else:
        click.echo(format_matrix(report))
    sys.exit(exit_code(report))


def build_cli() -> click.Group:
    """The command group with every plugin's commands added."""
    manager = make_plugin_manager()
    manager.hook.register_commands(cli=cli)
    return cli


def main() -> None:
    build_cli()(prog_name="shebao-sim")


if __name__ == "__main__":
    main()

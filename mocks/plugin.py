"""The ``mocks`` plugin: mounts the mocked agencies and their control API, adds ``shebao-sim mocks``.

``shebao-sim serve`` serves the mocks in-process under ``/mocks/...`` next to the
API; ``shebao-sim mocks serve`` serves them alone (the "at scale" column of
architecture.md).  ``mocks fault`` and ``mocks journal`` do from the command line
what ``/api/v1/sandboxes/<sid>/mocks/...`` does over HTTP.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from simulator import hookimpl

if TYPE_CHECKING:
    from flask import Blueprint


@hookimpl
def register_blueprints() -> list[Blueprint]:
    from mocks import identity, market, verification
    from simulator.api import mocks_admin

    return [identity.api, market.api, verification.api, mocks_admin.api]


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@hookimpl
def register_commands(cli: click.Group) -> None:
    from mocks import faults, journal, store
    from simulator import settings
    from simulator.cli import State
    from simulator.errors import UNKNOWN_SANDBOX

    pass_state = click.make_pass_decorator(State)
    sandbox_option = click.option("--sandbox", "sandbox_id", default="demo", show_default=True)

    @cli.group("mocks")
    def mocks_group() -> None:
        """The mocked agencies (公安, 市场监管, 身份核验): serve, faults, journal."""

    @mocks_group.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8001, show_default=True, type=int)
    @click.option("--database-url", "mocks_database_url", help="default: the simulator's database")
    @pass_state
    def serve(state: State, host: str, port: int, mocks_database_url: str | None) -> None:
        """Serve the mocks alone; point the simulator's mocks_base_url at /mocks here."""
        from mocks.app import create_mocks_app
        from simulator.db.migrate import upgrade

        url = settings.database_url(mocks_database_url or state.database_url)
        upgrade(url)
        app = create_mocks_app(url)
        click.echo(
            f"mocks on http://{host}:{port}/mocks  (contract: http://{host}:{port}/mocks/swagger)"
        )
        click.echo(f"database: {url}")
        app.run(host=host, port=port, threaded=True, use_reloader=False)

    @mocks_group.command("fault")
    @click.argument("service", type=click.Choice(faults.SERVICES))
    @click.argument("mode", type=click.Choice(faults.FAULT_MODES), required=False)
    @click.option("--until", help="the fault ends at 'YYYY-MM-DD HH:MM' on the sandbox clock")
    @click.option(
        "--latency", type=click.FloatRange(0, faults.MAX_LATENCY_SECONDS), help="seconds (slow)"
    )
    @sandbox_option
    @pass_state
    def fault(
        state: State,
        service: str,
        mode: str | None,
        until: str | None,
        latency: float | None,
        sandbox_id: str,
    ) -> None:
        """Show SERVICE's fault in the sandbox, or set it to MODE."""
        try:
            end = faults.parse_until(until)
        except ValueError:
            raise click.BadParameter("use 'YYYY-MM-DD HH:MM'", param_hint="--until") from None
        with state.platform().db.transaction() as session:
            if not store.sandbox_exists(session, sandbox_id):
                raise UNKNOWN_SANDBOX.refuse(sandbox=sandbox_id)
            now = store.sandbox_now(session, sandbox_id)
            if mode is None:
                setting = faults.read_fault(session, sandbox_id, service)
            else:
                setting = faults.write_fault(
                    session, sandbox_id, service, mode, until=end, latency_seconds=latency
                )
            _echo_json(setting.as_dict(now))

    @mocks_group.command("journal")
    @click.option("--service", type=click.Choice(faults.SERVICES), help="one mock (default: all)")
    @click.option(
        "--limit", default=journal.DEFAULT_LIMIT, type=click.IntRange(1, journal.MAX_LIMIT)
    )
    @click.option("--clear", is_flag=True, help="clear it instead of listing it")
    @sandbox_option
    @pass_state
    def journal_command(
        state: State, service: str | None, limit: int, clear: bool, sandbox_id: str
    ) -> None:
        """List (or clear) the calls the simulator made to the sandbox's mocks."""
        with state.platform().db.transaction() as session:
            if not store.sandbox_exists(session, sandbox_id):
                raise UNKNOWN_SANDBOX.refuse(sandbox=sandbox_id)
            if clear:
                _echo_json({"deleted": journal.clear(session, sandbox_id, service)})
                return
            rows = journal.entries(session, sandbox_id, service, limit=limit)
            _echo_json({"entries": [journal.entry_dict(row) for row in rows]})

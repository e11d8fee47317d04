"""The shipped worlds (``scenarios/*.yaml``) and the ``world`` command and API.

A plugin like any other (entry point ``worlds`` in the ``shebao_sim`` group):
it registers this folder as a source of world files, the ``shebao-sim world``
commands and the ``/api/v1/worlds`` endpoints.  The format is in
``docs/worlds.md``; the loader in :mod:`simulator.worlds`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from simulator import hookimpl

if TYPE_CHECKING:
    import click
    from flask import Blueprint

WORLDS = Path(__file__).parent


@hookimpl
def register_worlds() -> list[Path]:
    return [WORLDS]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from simulator.world_cli import world

    if "world" not in cli.commands:
        cli.add_command(world)


@hookimpl
def register_blueprints() -> list[Blueprint]:
    from simulator.api.worlds import api

    return [api]

"""``shebao-sim world``: list, load and generate worlds (``docs/worlds.md``).

The group reaches the command line through the ``register_commands`` hook of the
``worlds`` plugin (``scenarios/__init__.py``).  It shares the main command's
``--database-url`` when run under ``shebao-sim``, and works on its own too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from simulator.errors import Refused


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _state(ctx: click.Context) -> Any:
    from simulator.cli import State

    state = ctx.find_object(State)
    if state is None:  # the group run on its own, not under shebao-sim
        state = State(None)
        ctx.obj = state
    return state


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


@contextmanager
def _progress(total: int, unit: str, description: str) -> Iterator[Callable[[int], Any]]:
    """A tqdm bar on stderr (only when stderr is a terminal)."""
    from tqdm import tqdm

    with tqdm(
        total=total or None,
        unit=unit,
        desc=description,
        file=sys.stderr,
        disable=None,
        leave=False,
    ) as bar:
        yield bar.update


def _ensure_sandbox(platform: Any, sandbox_id: str, label: str) -> bool:
    """Create the sandbox if it does not exist; True when it was created here."""
    try:
        platform.describe_sandbox(sandbox_id)
        return False
    except Refused:
        platform.create_sandbox(sandbox_id, name=label)
        return True


def _load(
    platform: Any, sandbox_id: str, *, replace: bool, total: int, load: Callable[..., Any]
) -> Any:
    from simulator.worlds import WorldError

    created = _ensure_sandbox(platform, sandbox_id, "世界沙箱")
    try:
        with _progress(total, "rows", "loading") as progress:
            return load(progress)
    except (WorldError, Refused) as error:
        if created:
            platform.delete_sandbox(sandbox_id)
        if isinstance(error, WorldError):
            _fail(str(error))
        raise


@click.group()
def world() -> None:
    """World files: list, load into a sandbox, generate (docs/worlds.md)."""


@world.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
def world_list(ctx: click.Context, as_json: bool) -> None:
    """The worlds that can be loaded by name."""
    from simulator.worlds import list_worlds

    worlds = list_worlds(_state(ctx).platform(migrate=False))
    if as_json:
        _echo_json([info.as_dict() for info in worlds])
        return
    for info in worlds:
        click.echo(f"{info.name:<16} {info.description}")


@world.command("load")
@click.argument("name")
@click.option("--sandbox", "sandbox_id", default="demo", show_default=True,
              help="sandbox to load into (created when missing)")  # fmt: skip
@click.option("--replace", is_flag=True, help="empty the sandbox first if it holds data")
@click.pass_context
def world_load(ctx: click.Context, name: str, sandbox_id: str, replace: bool) -> None:
    """Load the world NAME (or a world file's path) into a sandbox."""
    from simulator.worlds import load_world

    platform = _state(ctx).platform()
    summary = _load(
        platform,
        sandbox_id,
        replace=replace,
        total=0,
        load=lambda progress: load_world(
            platform, sandbox_id, name, replace=replace, progress=progress
        ),
    )
    _echo_json(summary.as_dict())


@world.command("generate")
@click.option("--units", default=10, show_default=True, type=click.IntRange(min=0))
@click.option("--people", default=10, show_default=True, type=click.IntRange(min=0),
              help="people per unit")  # fmt: skip
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="write the world file here ('-': standard output)")  # fmt: skip
@click.option("--sandbox", "sandbox_id", help="load the world straight into this sandbox")
@click.option("--city", default="320100", show_default=True, help="prefecture code")
@click.option("--history-months", default=0, show_default=True, type=click.IntRange(min=0),
              help="contribution lines for the last N settled months")  # fmt: skip
@click.option("--clock", "clock_day", default="2021-08-16", show_default=True,
              type=click.DateTime(formats=["%Y-%m-%d"]), help="the world's clock date")  # fmt: skip
@click.option("--name", help="world name (default: generated-SEED)")
@click.option("--replace", is_flag=True, help="empty the sandbox first if it holds data")
@click.pass_context
def world_generate(
    ctx: click.Context,
    units: int,
    people: int,
    seed: int,
    out: Path | None,
    sandbox_id: str | None,
    city: str,
    history_months: int,
    clock_day: Any,
    name: str | None,
    replace: bool,
) -> None:
    """Generate a world of UNITS units × PEOPLE people (same seed, same world)."""
    from simulator.generator import dump_world, generate_world
    from simulator.identifiers import jiangsu_prefectures
    from simulator.worlds import load_world_data

    if city not in jiangsu_prefectures():
        raise click.BadParameter(f"{city!r} is not a Jiangsu prefecture code", param_hint="--city")
    platform = _state(ctx).platform() if sandbox_id else None
    day: date = clock_day.date()
    with _progress(units, "units", "generating") as progress:
        data = generate_world(
            units=units,
            people=people,
            seed=seed,
            city=city,
            history_months=history_months,
            clock=day,
            name=name,
            platform=platform,
            progress=progress,
        )
    if out is not None or sandbox_id is None:
        text = dump_world(data, header=f"shebao-sim world generate --units {units} "
                          f"--people {people} --seed {seed} --city {city} "
                          f"--history-months {history_months} --clock {day}")  # fmt: skip
        if out is None or str(out) == "-":
            click.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            click.echo(f"wrote {out} ({units} units, {units * people} people)", err=True)
    if sandbox_id:
        source = str(out) if out is not None and str(out) != "-" else f"<generated seed {seed}>"
        summary = _load(
            platform,
            sandbox_id,
            replace=replace,
            total=units * (3 + people * (6 + 3 * history_months)),
            load=lambda progress: load_world_data(
                platform, sandbox_id, data, source=source, replace=replace, progress=progress
            ),
        )
        _echo_json(summary.as_dict())

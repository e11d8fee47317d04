"""The hooks a ShebaoSim plugin can implement.

Business items (``plugins/items/``) and city rule variants (``plugins/cities/``)
are plugins; so is any third-party package that declares an entry point in the
``shebao_sim`` group.  Implement a hook with :data:`simulator.hookimpl`; take only
the arguments you need; hooks are always called with keyword arguments.

Families (as in datasette): ``register_*`` hooks return lists that the host
flattens; ``select_*`` hooks are single-answer decisions (``firstresult``); the
rest observe or extend a business inside its transaction.

Every hook here is documented in ``docs/hooks.md``; a test fails if one is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from simulator import PROJECT_NAME

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from simulator.cities import City
    from simulator.context import BusinessContext, SandboxContext
    from simulator.errors import Problem
    from simulator.items import BusinessItem, Choice, ItemResult
    from simulator.parameters import ParameterView
    from simulator.variants import RuleVariant

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# --- registration -----------------------------------------------------------


@hookspec
def register_items() -> list[BusinessItem]:
    """Business items this plugin provides (one :class:`~simulator.items.BusinessItem` each).

    Called once per platform.  Item codes must be unique across plugins.
    """


@hookspec
def register_cities() -> list[City]:
    """Cities this plugin declares (code and name).  A later declaration of the
    same code replaces an earlier one's name and label."""


@hookspec
def register_parameters() -> list[Path | Mapping[str, Any]]:
    """Baseline parameter sources for the whole province: folders or files of
    date-versioned YAML, or mappings in the same format.  Later sources merge
    over earlier ones."""


@hookspec
def register_city_parameters(city: City) -> list[Path | Mapping[str, Any]]:
    """Parameter overlays for ``city``, applied on a copy of the baseline (the
    baseline is never mutated).  Return ``[]`` or ``None`` for other cities."""


@hookspec
def register_worlds() -> list[Path]:
    """Folders holding world files (``*.yaml``) that can be loaded into a sandbox by name."""


@hookspec
def register_blueprints() -> list[Blueprint]:
    """Flask blueprints to mount in the web application (API, mocks, UI pages)."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``shebao-sim`` command line (``cli.add_command(...)``)."""


# --- decisions --------------------------------------------------------------


@hookspec(firstresult=True)
def select_rule_variant(city: City, on_date: date, parameters: ParameterView) -> RuleVariant | None:
    """The rule variant (declaration calendar, base source, back-pay policy) in
    force for ``city`` on ``on_date`` (PER-7).  First non-``None`` answer wins;
    the provincial baseline answers last."""


@hookspec
def item_choices(context: SandboxContext, item: BusinessItem, field: str) -> list[Choice]:
    """Extra choices for ``field`` of ``item``'s form in ``context.city``.  Offer only
    values the item's own checks accept; where the item reads its choices from a
    parameter table, add a row there instead (常州's 新业态工伤 is a row of the
    ``identities`` table, added by ``register_city_parameters``)."""


# --- a business, inside its transaction --------------------------------------


@hookspec
def validate_business(
    context: BusinessContext, item: BusinessItem, payload: Mapping[str, Any]
) -> list[Problem] | None:
    """Extra rules for a business, run after the item's own validation.

    Return the problems that refuse it (``[]`` or ``None`` when it may go on).
    City plugins state their differences here (for example 苏州's location rule
    for 人员变更回退)."""


@hookspec
def apply_business(
    context: BusinessContext, item: BusinessItem, payload: Mapping[str, Any], result: ItemResult
) -> None:
    """Extra effects after the item applied, in the same transaction; they are
    recorded on the business and undone with it by a rollback."""


@hookspec
def business_done(context: BusinessContext, business: Mapping[str, Any]) -> None:
    """A business succeeded and is about to be committed (audit, journals)."""


@hookspec
def clock_moved(context: SandboxContext, previous: datetime, current: datetime) -> None:
    """The sandbox clock moved from ``previous`` to ``current`` (forward).  Time
    driven work happens here: the monthly settlement when the 7th is reached,
    pending pre-registrations becoming registrations on the 11th."""

"""One plugin manager per platform: built-in and installed plugins alike.

Built-in items and cities are registered through the ``shebao_sim`` entry-point
group exactly as a third-party plugin is (pytest's ``default_plugins``,
datasette's ``DEFAULT_PLUGINS``).  Two environment variables choose what loads:

``SHEBAO_SIM_PLUGINS``
    comma-separated entry-point names: of the *third-party* plugins (entry points
    of other distributions), load only these.  The built-ins (the entry points of
    the ``shebao-sim`` distribution itself) always load: they are the platform,
    and "only this one plugin" would otherwise leave it without its items, cities
    and rule variants (datasette's ``DATASETTE_LOAD_PLUGINS`` behaves the same).
``SHEBAO_SIM_BLOCK_PLUGINS``
    comma-separated entry-point names never to load, built-in or not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy

from simulator import ENTRY_POINT_GROUP, PROJECT_NAME, hookspecs

ALLOW_ENV = "SHEBAO_SIM_PLUGINS"
BLOCK_ENV = "SHEBAO_SIM_BLOCK_PLUGINS"

#: the distribution whose entry points are the built-in plugins
DISTRIBUTION = "shebao-sim"


def _names(value: str | None) -> set[str] | None:
    if value is None or not value.strip():
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def is_builtin(entry_point: EntryPoint) -> bool:
    """True for an entry point declared by ShebaoSim's own ``pyproject.toml``."""
    dist = entry_point.dist
    return dist is not None and _normalised(dist.name or "") == DISTRIBUTION


def make_plugin_manager(
    *,
    allow: Iterable[str] | None = None,
    block: Iterable[str] | None = None,
    extra_plugins: Iterable[object] = (),
    environ: Mapping[str, str] | None = None,
    builtins: bool = True,
) -> pluggy.PluginManager:
    """A fresh manager with the hookspecs, the built-ins and every allowed installed plugin.

    ``allow``/``block`` default to the environment variables above; ``allow``
    restricts third-party plugins only.  ``builtins=False`` leaves the built-ins
    out too (a bare manager: the hookspecs and ``extra_plugins``).
    ``extra_plugins`` are registered after the entry points (tests use this).
    """
    env = os.environ if environ is None else environ
    allowed = set(allow) if allow is not None else _names(env.get(ALLOW_ENV))
    blocked = set(block) if block is not None else (_names(env.get(BLOCK_ENV)) or set())

    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    for name in sorted(blocked):
        manager.set_blocked(name)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if is_builtin(entry_point):
            if not builtins:
                continue
        elif allowed is not None and entry_point.name not in allowed:
            continue
        if manager.is_blocked(entry_point.name) or manager.get_plugin(entry_point.name):
            continue
        plugin = entry_point.load()
        manager.register(plugin, name=entry_point.name)
    for plugin in extra_plugins:
        manager.register(plugin)
    manager.check_pending()
    return manager


def blocked_names(manager: pluggy.PluginManager) -> list[str]:
    """The names blocked in ``manager`` (``SHEBAO_SIM_BLOCK_PLUGINS``), sorted."""
    return sorted(name for name, plugin in manager.list_name_plugin() if plugin is None)


def plugin_summary(manager: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Name, module and implemented hooks of each loaded plugin (for ``/plugins``).

    A blocked name is held by pluggy as a registration of ``None``; it is not a
    plugin and is left out (``blocked_names`` lists those).
    """
    rows = []
    for name, plugin in manager.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(
            caller.name for caller in manager.get_hookcallers(plugin) or () if caller.name
        )
        module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
        rows.append({"name": name, "module": module, "hooks": hooks})
    return rows

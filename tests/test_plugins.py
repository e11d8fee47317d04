"""The plugin system: documented hooks, entry-point loading, allow/block lists,
one manager per platform, and an external distribution with its own entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from simulator import ENTRY_POINT_GROUP, hookspecs
from simulator.months import Month
from simulator.platform import Platform
from simulator.plugin_manager import is_builtin, make_plugin_manager, plugin_summary

ROOT = Path(__file__).resolve().parents[1]


def hook_names() -> list[str]:
    manager = make_plugin_manager(builtins=False, block=[])
    return sorted(name for name in dir(manager.hook) if not name.startswith("_"))


def test_every_hook_is_documented() -> None:
    documented = set(re.findall(r"^## (\w+)\(", (ROOT / "docs/hooks.md").read_text(), re.M))
    names = hook_names()
    assert names, "no hooks found"
    missing = [name for name in names if name not in documented]
    assert not missing, f"hooks missing from docs/hooks.md: {missing}"
    stale = documented - set(names)
    assert not stale, f"docs/hooks.md documents hooks that do not exist: {stale}"


def test_every_hookspec_has_a_docstring() -> None:
    for name in hook_names():
        assert getattr(hookspecs, name).__doc__, name


def test_builtins_load_through_entry_points() -> None:
    manager = make_plugin_manager()
    assert manager.get_plugin("city-jiangsu") is not None
    manager.check_pending()


def loaded(manager) -> list[str]:  # type: ignore[no-untyped-def]
    return [name for name, plugin in manager.list_name_plugin() if plugin is not None]


BUILTINS = sorted(
    entry_point.name
    for entry_point in entry_points(group=ENTRY_POINT_GROUP)
    if is_builtin(entry_point)
)


def test_allow_and_block_lists() -> None:
    assert "city-jiangsu" in BUILTINS and "item-employment_enrolment" in BUILTINS
    assert loaded(make_plugin_manager(builtins=False, block=[])) == []
    blocked = make_plugin_manager(block=["city-jiangsu"])
    assert blocked.get_plugin("city-jiangsu") is None
    env = make_plugin_manager(environ={"SHEBAO_SIM_BLOCK_PLUGINS": "city-jiangsu"})
    assert env.get_plugin("city-jiangsu") is None
    assert "city-jiangsu" not in loaded(env)
    # the allow-list restricts third-party plugins: the built-ins are the platform
    for allow in ("city-jiangsu", "example-extra", "nothing-by-that-name"):
        env = make_plugin_manager(environ={"SHEBAO_SIM_PLUGINS": allow})
        assert sorted(loaded(env)) == BUILTINS, allow
    assert sorted(loaded(make_plugin_manager(allow=[], block=[]))) == BUILTINS


def test_an_allow_list_naming_one_plugin_keeps_the_platform_working(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SHEBAO_SIM_PLUGINS=example-extra used to drop every built-in: no items, no rule
    variant, every API call a 500."""
    monkeypatch.setenv("SHEBAO_SIM_PLUGINS", "example-extra")
    platform = Platform()
    assert platform.period_on(date(2021, 8, 16)).fee_month == Month(2021, 9)
    assert "employment_enrolment" in platform.items
    assert platform.city("320400").code == "320400"


def test_blocked_plugins_are_not_listed_as_loaded() -> None:
    """GET /api/v1/plugins lists what is loaded; blocked names only under ``blocked``."""
    from simulator.app import TestConfig, create_app

    manager = make_plugin_manager(block=["example-extra", "city-suqian"])
    blocked = Platform("sqlite://", plugin_manager=manager)
    body = create_app(TestConfig, platform=blocked).test_client().get("/api/v1/plugins").get_json()
    names = [row["name"] for row in body["plugins"]]
    assert "example-extra" not in names and "city-suqian" not in names
    assert "city-jiangsu" in names
    assert all(row["module"] != "builtins" and row["hooks"] for row in body["plugins"])
    assert body["blocked"] == ["city-suqian", "example-extra"]
    assert plugin_summary(manager) == body["plugins"]


def test_each_platform_has_its_own_manager() -> None:
    first, second = Platform(), Platform()
    assert first.pm is not second.pm
    second.pm.unregister(name="city-jiangsu")
    assert first.pm.get_plugin("city-jiangsu") is not None


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install tests/fixtures/example_plugin (its own distribution) into a folder."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "tests/fixtures/example_plugin"),
        ],
        check=True,
    )
    return target


def _run_with(target: Path, code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**__import__("os").environ, "PYTHONPATH": str(target), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_external_plugin_is_loaded_from_its_entry_point(installed_example: Path) -> None:
    out = _run_with(
        installed_example,
        "from datetime import date\n"
        "from simulator.platform import Platform\n"
        "p = Platform()\n"
        "print(sorted(n for n, _ in p.pm.list_name_plugin()))\n"
        "wuxi, nanjing = p.city('320200'), p.city('320100')\n"
        "d = date(2024, 1, 1)\n"
        "print(p.parameters_for(wuxi).at(d).value('backpay.max_months'),"
        " p.parameters_for(nanjing).at(d).value('backpay.max_months'))\n",
    )
    names_line, values_line = out.strip().splitlines()
    assert "example-extra" in names_line
    assert values_line.split() == ["3", "6"]  # the overlay changed 无锡 only


def test_external_city_rule_applies_to_its_city_only(installed_example: Path) -> None:
    out = _run_with(
        installed_example,
        "import sys; sys.path.insert(0, 'tests')\n"
        "from builders import add_person, add_unit\n"
        "from simulator.errors import Refused\n"
        "from simulator.platform import Platform\n"
        "p = Platform(); p.create_schema(); p.create_sandbox('x', clock='2024-03-16')\n"
        "form = dict(contract_reason='1', contract_start='2023-06-01', job_type='07', base='6000')\n"
        "for region in ('320205', '320106'):\n"
        "    _, actor = add_unit(p, 'x', region=region)\n"
        "    idn = add_person(p, 'x')\n"
        "    try:\n"
        "        o = p.submit('x', 'employment_enrolment', dict(form, id_number=idn), actor=actor)\n"
        "        print(region, 'ok', len({l['起止年月'] for l in o.data['补缴明细']}),"
        " o.data['补缴明细'][0]['补缴月数'])\n"
        "    except Refused as r:\n"
        "        print(region, r.problem.code)\n",
    )
    wuxi, nanjing = out.strip().splitlines()
    assert wuxi == "320205 E_WUXI_CONTRACT_END"  # the plugin's rule, in 无锡 only
    assert nanjing.startswith("320106 ok")


def test_external_plugin_adds_a_cli_command(installed_example: Path) -> None:
    out = _run_with(
        installed_example,
        "import sys\nfrom simulator.cli import main\nsys.argv=['shebao-sim','example-hello']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n",
    )
    assert "example plugin loaded" in out


def test_the_allow_list_chooses_among_installed_plugins(installed_example: Path) -> None:
    code = (
        "from datetime import date\n"
        "from simulator.platform import Platform\n"
        "p = Platform()\n"
        "names = {n for n, plugin in p.pm.list_name_plugin() if plugin is not None}\n"
        "print('example-extra' in names, 'city-jiangsu' in names, 'item-rollback' in names,"
        " p.period_on(date(2021, 8, 16)).fee_month)\n"
    )
    chosen = _run_with(installed_example, code, SHEBAO_SIM_PLUGINS="example-extra")
    assert chosen.split() == ["True", "True", "True", "2021-09"]
    other = _run_with(installed_example, code, SHEBAO_SIM_PLUGINS="some-other-plugin")
    assert other.split() == ["False", "True", "True", "2021-09"]
    blocked = _run_with(installed_example, code, SHEBAO_SIM_BLOCK_PLUGINS="example-extra")
    assert blocked.split() == ["False", "True", "True", "2021-09"]

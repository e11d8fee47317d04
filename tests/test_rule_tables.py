"""Rule tests as data (as OpenFisca's YAML tests): every case of every ``tests/rules/*.yaml``.

The file stem picks the rule a table exercises: ``contribution_base`` → PER-3
(:func:`clamp_base`), ``contributions`` → PER-8 (:func:`monthly_contribution`),
``parameter_lookup`` → the provincial parameters by date.  Cases run against the
provincial baseline (``plugins/cities/jiangsu/parameters``), with the case's
``overlay`` (if any) on top, as a city plugin would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.contributions import InsuranceNotHandled, clamp_base, monthly_contribution
from simulator.parameters import ParameterNotFound, ParameterSet, ParameterView

ROOT = Path(__file__).resolve().parents[1]
RULES = Path(__file__).parent / "rules"
BASELINE = ROOT / "plugins" / "cities" / "jiangsu" / "parameters"

#: exceptions a case may name in ``error.type``
ERRORS: dict[str, type[Exception]] = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "ParameterNotFound": ParameterNotFound,
    "InsuranceNotHandled": InsuranceNotHandled,
}


def _money(text: Any) -> Decimal:
    # expected amounts are written as text so that YAML never turns them into floats
    return Decimal(str(text))


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, Decimal):
        return actual == _money(expected)
    return actual == expected


def _check(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    for key, wanted in expected.items():
        assert key in actual, f"the rule gives no {key!r}"
        assert _same(actual[key], wanted), f"{key}: got {actual[key]!r}, expected {wanted!r}"


def run_contribution_base(case: Mapping[str, Any], params: ParameterView) -> dict[str, Any]:
    decision = clamp_base(Decimal(str(case["declared"])), params)
    return {
        "effective": decision.effective,
        "adjustment": decision.adjustment,
        "floor": decision.floor,
        "ceiling": decision.ceiling,
        "declared": decision.declared,
    }


def run_contributions(case: Mapping[str, Any], params: ParameterView) -> dict[str, Any]:
    result = monthly_contribution(
        str(case["insurance"]),
        Decimal(str(case["base"])),
        params,
        industry_class=case.get("industry_class"),
        floating_tier=case.get("tier"),
    )
    return {
        "unit_rate": result.unit_rate,
        "personal_rate": result.personal_rate,
        "unit_amount": result.unit_amount,
        "personal_amount": result.personal_amount,
        "total": result.total,
    }


def run_parameter_lookup(case: Mapping[str, Any], params: ParameterView) -> dict[str, Any]:
    found = params.get(case["path"])
    value = found.value
    for key in case.get("key", []):
        value = value[key]
    return {
        "value": value,
        "start": found.start,
        "confidence": found.confidence,
        "unit": found.unit,
        "reference": found.reference,
    }


RUNNERS: dict[str, Callable[[Mapping[str, Any], ParameterView], dict[str, Any]]] = {
    "contribution_base": run_contribution_base,
    "contributions": run_contributions,
    "parameter_lookup": run_parameter_lookup,
}


def _cases() -> list[Any]:
    cases = []
    for table in sorted(RULES.glob("*.yaml")):
        for case in yaml.safe_load(table.read_text(encoding="utf-8")) or []:
            cases.append(pytest.param(table.stem, case, id=f"{table.stem}: {case['name']}"))
    return cases


@pytest.fixture(scope="module")
def baseline() -> ParameterSet:
    return ParameterSet.load([BASELINE])


def test_every_table_has_a_runner() -> None:
    tables = {table.stem for table in RULES.glob("*.yaml")}
    assert tables, "no rule tables found"
    assert tables <= RUNNERS.keys(), f"no runner for {sorted(tables - RUNNERS.keys())}"


def test_case_names_are_unique() -> None:
    ids = [param.id for param in _cases()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("table", "case"), _cases())
def test_rule_case(table: str, case: Mapping[str, Any], baseline: ParameterSet) -> None:
    runner = RUNNERS[table]
    assert isinstance(case["date"], date), "write dates unquoted (YYYY-MM-DD)"
    parameters = baseline.overlay([case["overlay"]]) if "overlay" in case else baseline
    params = parameters.at(case["date"])
    if "error" in case:
        error = case["error"]
        with pytest.raises(ERRORS[error["type"]], match=error.get("match")):
            runner(case, params)
        return
    _check(runner(case, params), case["expect"])


def test_overlay_cases_leave_the_baseline_alone(baseline: ParameterSet) -> None:
    # the overlay cases above ran on the module-scoped baseline
    fresh = ParameterSet.load([BASELINE])
    assert {p: baseline.history(p) for p in baseline.paths()} == {
        p: fresh.history(p) for p in fresh.paths()
    }


def test_error_types_are_known() -> None:
    for param in _cases():
        _, case = param.values
        if "error" in case:
            assert case["error"]["type"] in ERRORS, param.id
            assert re.compile(case["error"].get("match") or "")

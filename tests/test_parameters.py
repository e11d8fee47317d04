"""Date-versioned parameters: loading, look-up by date, overlays that never mutate the base."""

from __future__ import annotations

import copy
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from simulator import parameters as parameters_module
from simulator.parameters import (
    ParameterFormatError,
    ParameterNotFound,
    ParameterSet,
    ParameterSubtree,
    ParameterValue,
)

BASELINE = Path(__file__).resolve().parents[1] / "plugins" / "cities" / "jiangsu" / "parameters"

FLOOR = {
    "contribution_base": {
        "floor": {
            "description": "缴费基数下限",
            "metadata": {"reference": "node ref", "unit": "CNY/month", "confidence": "secondary"},
            "values": {
                "2023-01-01": {"value": 4494},
                date(2024, 1, 1): {"value": 4879, "reference": "entry ref"},
                "2025-01-01": {"value": 4952, "confidence": "illustrative", "unit": "yuan"},
            },
        }
    }
}


@pytest.fixture(scope="module")
def baseline() -> ParameterSet:
    return ParameterSet.load([BASELINE])


def snapshot(parameter_set: ParameterSet) -> dict[str, list[ParameterValue]]:
    return copy.deepcopy({path: parameter_set.history(path) for path in parameter_set.paths()})


# --- look-up by date ------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_date", "expected"),
    [
        (date(2023, 1, 1), "4494"),  # the start day itself
        (date(2023, 12, 31), "4494"),  # the day before the next start
        (date(2024, 1, 1), "4879"),
        (date(2024, 1, 2), "4879"),  # the day after a start
        (date(2099, 1, 1), "4952"),  # the last value stays in force
    ],
)
def test_lookup_takes_the_latest_start_on_or_before_the_date(on_date, expected) -> None:
    view = ParameterSet.load([FLOOR]).at(on_date)
    assert view.value("contribution_base.floor") == Decimal(expected)
    assert view.on_date == on_date


def test_before_the_first_value_is_not_found() -> None:
    view = ParameterSet.load([FLOOR]).at(date(2022, 12, 31))
    with pytest.raises(ParameterNotFound) as caught:
        view.get("contribution_base.floor")
    assert caught.value.path == "contribution_base.floor"
    assert caught.value.on_date == date(2022, 12, 31)
    assert "contribution_base.floor" in str(caught.value)
    assert "2022-12-31" in str(caught.value)
    assert isinstance(caught.value, LookupError)


def test_unknown_path_and_subtree_are_not_found(baseline) -> None:
    view = baseline.at(date(2024, 5, 1))
    with pytest.raises(ParameterNotFound, match=r"did you mean contribution_base\.floor"):
        view.get("contribution_base.flor")
    with pytest.raises(ParameterNotFound, match="sub-tree"):
        view.get("rates.pension")
    with pytest.raises(ParameterNotFound):
        baseline.history("no.such.parameter")


def test_at_accepts_datetime_and_iso_text() -> None:
    parameters = ParameterSet.load([FLOOR])
    assert parameters.at(datetime(2024, 1, 1, 9, 0)).on_date == date(2024, 1, 1)
    assert parameters.at("2024-01-01").value("contribution_base.floor") == Decimal("4879")


def test_attribute_access(baseline) -> None:
    view = baseline.at(date(2024, 5, 1))
    assert view.contribution_base.floor.value == Decimal("4879")
    assert view.rates.pension.unit.value == Decimal("0.16")
    assert isinstance(view.rates.pension, ParameterSubtree)
    with pytest.raises(AttributeError):
        _ = view.rates.nope
    assert not hasattr(view, "nothing_here")


def test_on_access_hears_every_read(baseline) -> None:
    heard: list[ParameterValue] = []
    view = baseline.at(date(2024, 5, 1), on_access=heard.append)
    view.value("contribution_base.floor")
    _ = view.contribution_base.ceiling.value
    assert [value.path for value in heard] == [
        "contribution_base.floor",
        "contribution_base.ceiling",
    ]
    assert heard[0].start == date(2024, 1, 1)


def test_history_is_sorted_oldest_first(baseline) -> None:
    history = baseline.history("contribution_base.floor")
    assert [value.start.year for value in history] == [2020, 2022, 2023, 2024, 2025, 2026]
    assert [value.value for value in history] == [
        Decimal(text) for text in ("4250", "4250", "4494", "4879", "4952", "4952")
    ]


# --- metadata, confidence, types ----------------------------------------------------


def test_entry_metadata_overrides_node_metadata() -> None:
    history = ParameterSet.load([FLOOR]).history("contribution_base.floor")
    first, second, third = history
    assert (first.reference, first.unit, first.confidence) == ("node ref", "CNY/month", "secondary")
    assert second.reference == "entry ref"
    assert (third.unit, third.confidence) == ("yuan", "illustrative")
    assert all(value.description == "缴费基数下限" for value in history)


def test_subtree_metadata_is_inherited(baseline) -> None:
    # rates/pension.yaml states its metadata once for unit and personal
    unit = baseline.at(date(2024, 5, 1)).get("rates.pension.personal")
    assert unit.unit == "/1"
    assert unit.confidence == "secondary"
    assert "国办发〔2019〕13号" in unit.reference


def test_illustrative_flag(baseline) -> None:
    assert baseline.at(date(2021, 5, 1)).get("contribution_base.floor").illustrative
    assert not baseline.at(date(2024, 5, 1)).get("contribution_base.floor").illustrative
    assert baseline.at(date(2024, 5, 1)).get("platform.go_live_date").illustrative


def test_confidence_levels_of_the_baseline(baseline) -> None:
    def confidence(path: str, on: date) -> str:
        return baseline.at(on).get(path).confidence

    assert confidence("contribution_base.floor", date(2022, 5, 1)) == "illustrative"
    assert confidence("contribution_base.ceiling", date(2023, 5, 1)) == "secondary"
    assert confidence("contribution_base.floor", date(2026, 5, 1)) == "secondary"
    assert confidence("work_injury.class_rates", date(2015, 10, 1)) == "official"
    assert confidence("work_injury.floating_tiers", date(2024, 5, 1)) == "official"
    assert confidence("rates.pension.unit", date(2024, 5, 1)) == "secondary"
    assert confidence("backpay.max_months", date(2024, 5, 1)) == "secondary"
    every = [value for path in baseline.paths() for value in baseline.history(path)]
    assert all(value.reference for value in every), "every value names its source"


def test_numbers_are_decimal_never_float(baseline) -> None:
    def walk(value):
        assert not isinstance(value, float), value
        if isinstance(value, tuple):
            for item in value:
                walk(item)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)

    for path in baseline.paths():
        for entry in baseline.history(path):
            walk(entry.value)
    view = baseline.at(date(2024, 5, 1))
    assert view.value("rates.unemployment.unit") == Decimal("0.005")
    assert str(view.value("rates.unemployment.unit")) == "0.005"  # not 0.005000000000000000104
    assert view.value("work_injury.floating_tiers")[2] == tuple(
        Decimal(text) for text in ("0.5", "0.8", "1.0", "1.2", "1.5")
    )
    assert view.value("work_injury.class_rates")[8] == Decimal("0.019")
    assert view.value("platform.go_live_date") == date(2021, 8, 1)
    assert view.get("upload.max_bytes").as_int() == 10 * 1024 * 1024
    assert view.get("declaration.open_day").as_int() == 11
    assert view.get("declaration.close_day").as_int() == 6
    assert view.get("backpay.max_months").as_int() == 6


def test_table_values_are_read_only(baseline) -> None:
    rates = baseline.at(date(2024, 5, 1)).value("work_injury.class_rates")
    with pytest.raises(TypeError):
        rates[1] = Decimal("0.5")
    with pytest.raises(TypeError):
        rates.update({1: Decimal("0.5")})
    assert baseline.at(date(2024, 5, 1)).value("work_injury.class_rates")[1] == Decimal("0.002")
    assert copy.deepcopy(rates) == rates
    json.dumps(baseline.at(date(2024, 5, 1)).get("insurance_types").as_dict(), ensure_ascii=False)


def test_as_int_refuses_fractions() -> None:
    value = ParameterSet.load([{"x": {"values": {"2020-01-01": 1.5}}}]).at("2020-01-01").get("x")
    with pytest.raises(ValueError, match="whole number"):
        value.as_int()
    assert value.confidence == "illustrative"  # nothing stated: not claimed as sourced


# --- overlays --------------------------------------------------------------------


CITY = {
    "contribution_base.floor": {
        "values": {"2024-01-01": {"value": 5000, "reference": "city", "confidence": "official"}}
    },
    "city_only": {"bonus": {"values": {"2024-07-01": {"value": "x", "reference": "city"}}}},
}


def test_overlay_merges_by_date_and_never_mutates_the_base(baseline) -> None:
    before = snapshot(baseline)
    internal_before = copy.deepcopy(baseline._parameters)
    city = baseline.overlay([CITY])
    assert snapshot(baseline) == before
    assert baseline._parameters == internal_before
    assert baseline.at(date(2024, 5, 1)).value("contribution_base.floor") == Decimal("4879")
    assert "city_only.bonus" not in baseline

    in_2024 = city.at(date(2024, 5, 1)).get("contribution_base.floor")
    assert (in_2024.value, in_2024.reference, in_2024.confidence) == (
        Decimal("5000"),
        "city",
        "official",
    )
    assert in_2024.unit == "CNY/month"  # the city restated the value, not the unit
    assert in_2024.description == "缴费基数下限（企业职工，全省）"
    # restating 2024 does not erase the province's other years
    assert city.at(date(2025, 5, 1)).value("contribution_base.floor") == Decimal("4952")
    assert city.at(date(2023, 5, 1)).value("contribution_base.floor") == Decimal("4494")
    assert city.at(date(2024, 7, 1)).value("city_only.bonus") == "x"
    assert set(city.paths()) == set(baseline.paths()) | {"city_only.bonus"}


def test_two_city_overlays_do_not_leak(baseline) -> None:
    a = baseline.overlay([{"platform.go_live_date": {"values": {"2020-01-01": date(2021, 6, 1)}}}])
    b = baseline.overlay([{"platform.go_live_date": {"values": {"2020-01-01": date(2021, 9, 1)}}}])
    on = date(2024, 1, 1)
    assert a.at(on).value("platform.go_live_date") == date(2021, 6, 1)
    assert b.at(on).value("platform.go_live_date") == date(2021, 9, 1)
    assert baseline.at(on).value("platform.go_live_date") == date(2021, 8, 1)


def test_later_sources_merge_over_earlier_ones() -> None:
    later = {"contribution_base": {"floor": {"values": {"2025-01-01": {"value": 1}}}}}
    merged = ParameterSet.load([FLOOR, later])
    assert merged.at(date(2025, 6, 1)).value("contribution_base.floor") == Decimal("1")
    assert merged.at(date(2024, 6, 1)).value("contribution_base.floor") == Decimal("4879")


def test_a_parameter_cannot_also_be_a_subtree() -> None:
    with pytest.raises(ParameterFormatError, match="both a parameter and a sub-tree"):
        ParameterSet.load([FLOOR]).overlay(
            [{"contribution_base.floor.extra": {"values": {"2020-01-01": 1}}}]
        )


def test_a_lone_source_is_refused() -> None:
    with pytest.raises(TypeError, match="iterable"):
        ParameterSet.load(FLOOR)  # type: ignore[arg-type]


# --- files, format errors, caching -----------------------------------------------------


def test_files_and_directories_name_nodes(tmp_path) -> None:
    (tmp_path / "tree" / "a").mkdir(parents=True)
    (tmp_path / "tree" / "a" / "b.yaml").write_text("values: {2020-01-01: {value: 1}}\n")
    (tmp_path / "tree" / "c.yaml").write_text(
        "metadata: {confidence: official, reference: r}\n"
        "d: {values: {2020-01-01: 2}}\ne: {f: {values: {2020-01-01: 3}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "tree" / "notes.txt").write_text("ignored")
    loaded = ParameterSet.load([tmp_path / "tree"])
    assert loaded.paths() == ["a.b", "c.d", "c.e.f"]
    assert loaded.at("2020-01-01").get("c.e.f").confidence == "official"
    single = ParameterSet.load([tmp_path / "tree" / "c.yaml"])
    assert single.paths() == ["c.d", "c.e.f"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"x": {"values": {"not a date": 1}}}, "not a date"),
        ({"x": {"values": {"2020-01-01": {"value": 1, "confidance": "official"}}}}, "unknown keys"),
        ({"x": {"values": {"2020-01-01": {"value": 1, "confidence": "sure"}}}}, "confidence"),
        ({"x": {"values": {}}}, "non-empty"),
        ({"x": {"values": {"2020-01-01": None}}}, "missing"),
        ({"x": {"valuez": {"2020-01-01": 1}}}, "'values' missing or misspelt"),
        ({"x": 3}, "expected a parameter"),
        ({"bad name": {"values": {"2020-01-01": 1}}}, "bad node name"),
    ],
)
def test_format_errors_name_the_node(source, message) -> None:
    with pytest.raises(ParameterFormatError, match=message):
        ParameterSet.load([source])


def test_missing_source_is_an_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        ParameterSet.load([tmp_path / "nowhere"])


def test_parsed_files_are_cached_until_they_change(tmp_path) -> None:
    path = tmp_path / "limit.yaml"
    path.write_text("values: {2020-01-01: {value: 1}}\n")
    parameters_module._parse_file_cached.cache_clear()
    ParameterSet.load([path])
    ParameterSet.load([path])
    info = parameters_module._parse_file_cached.cache_info()
    assert (info.hits, info.misses) == (1, 1)

    path.write_text("values: {2020-01-01: {value: 22}}\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert ParameterSet.load([path]).at("2021-01-01").value("limit") == Decimal("22")


def test_loading_the_baseline_twice_reuses_the_parsed_files() -> None:
    ParameterSet.load([BASELINE])
    before = parameters_module._parse_file_cached.cache_info()
    ParameterSet.load([BASELINE])
    after = parameters_module._parse_file_cached.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


# --- overlays given as Python mappings are typed as their YAML would be ----------------------


def _go_live(value: object) -> dict:
    return {"platform": {"go_live_date": {"values": {"2021-09-01": {"value": value}}}}}


def test_a_mapping_gives_dates_as_yaml_does(baseline) -> None:
    """A mapping has no quotes: ISO date text is a date, as unquoted in the YAML."""
    city = baseline.overlay([_go_live("2021-09-01")])
    assert city.at("2022-01-01").value("platform.go_live_date") == date(2021, 9, 1)
    table = ParameterSet.load(
        [{"t": {"values": {"2020-01-01": {"value": {"since": "2021-01-05"}}}}}]
    )
    assert table.at("2021-01-01").value("t") == {"since": date(2021, 1, 5)}
    text = ParameterSet.load([{"t": {"values": {"2020-01-01": "2021-1-5 and more"}}}])
    assert text.at("2021-01-01").value("t") == "2021-1-5 and more"  # not a date in YAML either


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2021/09/01",
            r"platform\.go_live_date @ 2021-09-01: value '2021/09/01' is text, but .* date",
        ),
        ("2021-02-30", "not a valid date"),
        (20210901, "is a number, but"),
    ],
)
def test_an_overlay_of_another_kind_is_refused_at_load(baseline, value, message) -> None:
    with pytest.raises(ParameterFormatError, match=message):
        baseline.overlay([_go_live(value)])


def test_a_quoted_number_is_refused_too(baseline, tmp_path) -> None:
    with pytest.raises(ParameterFormatError, match=r"rates\.pension\.unit .*'0\.15' is text"):
        baseline.overlay([{"rates.pension.unit": {"values": {"2024-01-01": "0.15"}}}])
    # a YAML file quoting the date gives text, and is refused the same way
    path = tmp_path / "platform" / "go_live_date.yaml"
    path.parent.mkdir()
    path.write_text("values:\n  2021-09-01: {value: '2021-09-01'}\n", encoding="utf-8")
    with pytest.raises(ParameterFormatError, match="is text, but"):
        baseline.overlay([tmp_path])
    with pytest.raises(ParameterFormatError, match="is text, but"):
        ParameterSet.load([{"x": {"values": {"2020-01-01": 1, "2021-01-01": "one"}}}])


def test_a_city_plugin_may_give_its_go_live_date_as_text() -> None:
    """select_rule_variant compared a date with the overlay's text: a 500 on every call."""
    from simulator import hookimpl
    from simulator.platform import Platform
    from simulator.plugin_manager import make_plugin_manager

    class LateCity:
        @hookimpl
        def register_city_parameters(self, city):  # type: ignore[no-untyped-def]
            if city.code != "320200":
                return []
            return [
                {"platform": {"go_live_date": {"values": {"2021-08-01": {"value": "2021-09-01"}}}}}
            ]

    platform = Platform("sqlite://", plugin_manager=make_plugin_manager(extra_plugins=[LateCity()]))
    on = date(2021, 8, 20)
    assert platform.period_on(on, platform.city("320200")).variant == "pre-platform"
    assert platform.period_on(on, platform.city("320100")).variant == "provincial-platform"

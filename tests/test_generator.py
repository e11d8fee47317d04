"""The world generator (issue 3): one seed, one world — byte for byte, on every machine
and every day; valid identifiers; real mobile prefixes; loadable."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from simulator.generator import MOBILE_PREFIXES, dump_world, generate_world
from simulator.identifiers import (
    jiangsu_counties,
    parse_credit_code,
    parse_resident_id,
)
from simulator.platform import Platform
from simulator.worlds import load_world, load_world_data, parse_world

CLOCK = date(2021, 8, 16)


def _generate(platform: Platform, seed: int, **options: Any) -> dict[str, Any]:
    options.setdefault("units", 3)
    options.setdefault("people", 4)
    return generate_world(seed=seed, platform=platform, **options)


def test_one_seed_gives_identical_bytes(platform: Platform) -> None:
    first = dump_world(_generate(platform, 42, history_months=3))
    second = dump_world(_generate(platform, 42, history_months=3))
    assert first == second
    assert dump_world(_generate(platform, 43, history_months=3)) != first


def _without_faker(world: dict[str, Any]) -> dict[str, Any]:
    """The world minus what comes from Faker's data (names, company and street names)."""
    out = json.loads(json.dumps(world, default=str, ensure_ascii=False))
    for unit in out["units"]:
        for key in ("name", "address"):
            unit.pop(key)
        unit["legal_rep"].pop("name")
        unit["contact"].pop("name")
        unit["bank"].pop("account_name")
    for person in out["people"]:
        for key in ("name", "residence_address", "hukou_address"):
            person.pop(key)
    return out


def test_the_seed_alone_decides_the_world(platform: Platform) -> None:
    """Golden value: identifiers, dates, bases and numbers of seed 2021 never change (only
    the names, which are Faker's data, may differ with another Faker release)."""
    world = _without_faker(_generate(platform, 2021, units=2, people=3, history_months=2))
    digest = hashlib.sha256(json.dumps(world, sort_keys=True).encode()).hexdigest()
    assert world["people"][0]["id_number"] == GOLDEN_FIRST_ID
    assert digest == GOLDEN_DIGEST


GOLDEN_FIRST_ID = "320118200307228334"
GOLDEN_DIGEST = "976fecbb04797093e1a0cafbbec93970b7ad3ffcf60499d3bd5787fa5bb65b01"


def test_identifiers_are_valid_and_jiangsu(platform: Platform) -> None:
    world = _generate(platform, 7, units=20, people=25)
    counties = jiangsu_counties()
    numbers = set()
    for person in world["people"]:
        parsed = parse_resident_id(person["id_number"], today=CLOCK)
        assert parsed.region_code in counties
        assert parsed.birth_date == person["birth_date"]
        assert parsed.gender == person["gender"]
        age = CLOCK.year - parsed.birth_date.year
        assert 18 <= age <= (60 if parsed.gender == "男" else 50)
        numbers.add(person["id_number"])
        assert person["mobile"][:3] in MOBILE_PREFIXES and len(person["mobile"]) == 11
        assert person["employments"][0]["contract_start"] <= date(2021, 8, 1)
    assert len(numbers) == len(world["people"]) == 500
    usccs = set()
    for unit in world["units"]:
        code = parse_credit_code(unit["uscc"])
        assert code.region_code == unit["region_code"] and unit["region_code"].startswith("3201")
        parse_resident_id(unit["legal_rep"]["id_number"])
        assert unit["contact"]["phone"][:3] in MOBILE_PREFIXES
        usccs.add(code.code)
    assert len(usccs) == 20
    prefixes = {person["mobile"][:2] for person in world["people"]}
    assert {"13", "15", "17", "18", "19"} <= prefixes


def test_mobile_prefixes_are_real() -> None:
    assert len(set(MOBILE_PREFIXES)) == len(MOBILE_PREFIXES)
    assert all(len(p) == 3 and p.startswith("1") and p[1] in "3456789" for p in MOBILE_PREFIXES)
    assert {"170", "171", "173", "177", "180", "199", "191", "198", "192", "166"} <= set(
        MOBILE_PREFIXES
    )


def test_a_generated_world_is_a_valid_world_file(
    platform: Platform, sandbox_id: str, tmp_path: Path
) -> None:
    world = _generate(platform, 5, units=4, people=5, history_months=4, city="321300")
    path = tmp_path / "generated.yaml"
    path.write_text(dump_world(world, header="generated"), encoding="utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["city"] == "321300"
    summary = load_world(platform, sandbox_id, path)
    assert summary.counts["people"] == 20 and summary.counts["units"] == 4
    assert summary.counts["insured_relations"] == 60
    assert 0 < summary.counts["contribution_lines"] <= 20 * 3 * 4
    assert platform.describe_sandbox(sandbox_id)["location_city"] == "321300"


def test_direct_load_without_a_file(platform: Platform, sandbox_id: str) -> None:
    world = _generate(platform, 9)
    summary = load_world_data(platform, sandbox_id, world, source="<generated>")
    assert summary.counts["people"] == 12
    assert parse_world(world).name == "generated-9"


def test_bad_arguments(platform: Platform) -> None:
    with pytest.raises(ValueError):
        _generate(platform, 1, city="110100")
    with pytest.raises(ValueError):
        _generate(platform, 1, units=-1)


def test_cli_generate_twice_gives_identical_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.cli import build_cli

    monkeypatch.delenv("SHEBAO_SIM_DATABASE_URL", raising=False)
    env = {"SHEBAO_SIM_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    cli = build_cli()
    files = []
    for name in ("one.yaml", "two.yaml"):
        out = tmp_path / name
        result = runner.invoke(
            cli,
            ["world", "generate", "--units", "3", "--people", "5", "--seed", "11",
             "--history-months", "2", "--out", str(out)],
            env=env,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        files.append(out.read_bytes())
    assert files[0] == files[1]
    loaded = runner.invoke(
        cli,
        ["world", "generate", "--units", "2", "--people", "3", "--seed", "11", "--sandbox", "g1"],
        env=env,
    )
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.output[loaded.output.index("{") :])["counts"]["people"] == 6
    from_file = runner.invoke(
        cli, ["world", "load", str(tmp_path / "one.yaml"), "--sandbox", "g2"], env=env
    )
    assert from_file.exit_code == 0, from_file.output
    assert json.loads(from_file.output)["counts"]["people"] == 15

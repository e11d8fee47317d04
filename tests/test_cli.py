"""The command line: period --json, sandboxes and the clock, spec coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.spec_coverage import build_report, default_catalogue_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHEBAO_SIM_HOME", str(tmp_path))
    monkeypatch.delenv("SHEBAO_SIM_DATABASE_URL", raising=False)
    return CliRunner()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (
            "2021-08-11",
            {"period_start": "2021-08-11", "period_end": "2021-09-06", "fee_month": "2021-09"},
        ),
        (
            "2021-09-08",
            {"period_start": "2021-08-11", "period_end": "2021-09-06", "fee_month": "2021-09"},
        ),
        (
            "2021-12-25",
            {"period_start": "2021-12-11", "period_end": "2022-01-06", "fee_month": "2022-01"},
        ),
    ],
)
def test_period_json_prints_exactly_one_object(runner, day, expected):  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["period", day, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"date", "period_start", "period_end", "fee_month", "paused"}
    assert body["date"] == day
    assert body["paused"] is (day == "2021-09-08")
    assert {k: body[k] for k in expected} == expected


def test_sandbox_and_clock_commands(runner):  # type: ignore[no-untyped-def]
    created = runner.invoke(cli, ["sandbox", "create", "class-1", "--clock", "2021-09-06"])
    assert created.exit_code == 0, created.output
    advanced = runner.invoke(cli, ["clock", "advance", "--days", "1", "--sandbox", "class-1"])
    assert json.loads(advanced.output)["period_state"] == "暂停申报期"
    shown = runner.invoke(cli, ["clock", "show", "--sandbox", "class-1"])
    assert json.loads(shown.output)["date"] == "2021-09-07"
    missing = runner.invoke(cli, ["clock", "show", "--sandbox", "nope"])
    assert missing.exit_code == 2
    assert "E_UNKNOWN_SANDBOX" in missing.output


@pytest.mark.parametrize("when", ["2021-02-30", "notadate", "2021-08-16T25:00"])
def test_an_invalid_clock_date_is_a_one_line_refusal(runner, when):  # type: ignore[no-untyped-def]
    assert (
        runner.invoke(cli, ["sandbox", "create", "class-1", "--clock", "2021-08-16"]).exit_code == 0
    )
    refused = runner.invoke(cli, ["clock", "set", when, "--sandbox", "class-1"])
    assert refused.exit_code == 2, refused.output
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    assert "Traceback" not in refused.output
    first, *rest = refused.output.splitlines()
    assert first.startswith(f"E_INVALID_INPUT: clock: 不是有效的日期或时间：{when}（")
    assert all(line.startswith("  处理方法：") for line in rest)  # as every refusal
    shown = runner.invoke(cli, ["clock", "show", "--sandbox", "class-1"])
    assert json.loads(shown.output)["now"] == "2021-08-16 09:00:00"
    created = runner.invoke(cli, ["sandbox", "create", "class-2", "--clock", when])
    assert created.exit_code == 2 and created.output.startswith("E_INVALID_INPUT: ")


def test_db_upgrade(runner, tmp_path):  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "shebao-sim.db").exists()


def test_db_upgrade_takes_the_database_url_after_the_command_too(runner, tmp_path):  # type: ignore[no-untyped-def]
    """README: ``shebao-sim db upgrade --database-url URL`` (as well as before ``db``)."""
    after = tmp_path / "after.db"
    result = runner.invoke(cli, ["db", "upgrade", "--database-url", f"sqlite:///{after}"])
    assert result.exit_code == 0, result.output
    assert after.exists() and str(after) in result.output
    before = tmp_path / "before.db"
    result = runner.invoke(cli, ["--database-url", f"sqlite:///{before}", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert before.exists()
    assert not (tmp_path / "shebao-sim.db").exists()  # neither used the default


def test_spec_coverage_lists_every_catalogue_id(runner):  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["spec", "coverage", "--json"])
    body = json.loads(result.output)
    ids = [row["id"] for row in body["behaviours"]]
    assert "PER-1" in ids and "I3-9" in ids and "P-3" in ids
    assert result.exit_code == (0 if not body["uncovered"] else 1)


def test_spec_coverage_fails_on_an_unknown_tag(runner, tmp_path):  # type: ignore[no-untyped-def]
    features = tmp_path / "features"
    features.mkdir()
    (features / "x.feature").write_text(
        '# language: zh-CN\n功能: 例\n  @PER-99\n  场景: 未知编号\n    假如 一个新的沙箱，时钟为 "2021-08-16"\n',
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["spec", "coverage", "--features", str(features)])
    assert result.exit_code == 1
    assert "PER-99" in result.output


def test_every_feature_tag_is_a_real_behaviour() -> None:
    """Keeps the matrix honest: a behaviour-looking tag must name a catalogue ID."""
    report = build_report(default_catalogue_path(ROOT), ROOT / "features")
    assert report.unknown_tags == {}
    assert report.scenarios_by_behaviour["PER-1"]

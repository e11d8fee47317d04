"""Traceability between the behaviour catalogue and the features (simulator.spec_coverage).

Fixtures live in tests/fixtures/spec: a small catalogue, Chinese feature files
(``features/`` covers the catalogue fully, ``features_gaps/`` does not and carries
an unknown tag) and ``cucumber.json``, a report pytest-bdd 9 wrote for
``features/`` (one scenario failed, one skipped inside a step, the rest passed).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulator.spec_coverage import (
    BEHAVIOUR_TAG,
    CATALOGUE_ENV,
    Behaviour,
    CatalogueError,
    FeatureFileError,
    ResultsError,
    ScenarioRef,
    build_report,
    classify_tag,
    default_catalogue_path,
    exit_code,
    format_matrix,
    marker_names,
    read_catalogue,
    read_features,
    read_results,
    report_json,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CATALOGUE = ROOT / "docs" / "spec" / "behaviours.md"
SHARED_CATALOGUE = ROOT.parent / "shared" / "spec" / "behaviours.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spec"
CATALOGUE = FIXTURES / "catalogue.md"
FEATURES = FIXTURES / "features"
GAPS = FIXTURES / "features_gaps"
RESULTS = FIXTURES / "cucumber.json"

#: Behaviour IDs in the catalogue (docs/spec/behaviours.md, 2021 guide + FAQ).
CATALOGUE_ID_COUNT = 71

PERIOD = "period/declaration_period.feature"
ENROLMENT = "enrolment/employment_enrolment.feature"


# --------------------------------------------------------------------------- catalogue


def test_bundled_catalogue_has_every_id() -> None:
    behaviours = read_catalogue(BUNDLED_CATALOGUE)
    text = BUNDLED_CATALOGUE.read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*([A-Z]+[0-9]*-[0-9]+)\s*\|", text, flags=re.MULTILINE)
    assert list(behaviours) == rows
    assert len(behaviours) == CATALOGUE_ID_COUNT
    for behaviour_id in ("PER-1", "PER-8", "PREP-2", "I1-5", "I3-12", "I10-2", "Q-9", "A-4"):
        assert behaviour_id in behaviours
    assert "F-2" in behaviours and "P-3" in behaviours
    assert behaviours["I3-12"].area == "I3"
    assert behaviours["PREP-2"].area == "PREP"
    assert behaviours["Q-5"].text.startswith("The certificate's QR code")
    assert all("\n" not in b.text and b.text for b in behaviours.values())
    areas = {b.area for b in behaviours.values()}
    assert areas == {"PER", "PREP", "Q", "A", "F", "P"} | {f"I{n}" for n in range(1, 11)}


def test_bundled_catalogue_is_a_copy_of_the_shared_one() -> None:
    if not SHARED_CATALOGUE.is_file():
        pytest.skip("no ../shared/spec/behaviours.md beside this checkout")
    assert BUNDLED_CATALOGUE.read_bytes() == SHARED_CATALOGUE.read_bytes(), (
        "docs/spec/behaviours.md differs from ../shared/spec/behaviours.md: copy it again"
    )


def test_fixture_catalogue_rows() -> None:
    behaviours = read_catalogue(CATALOGUE)
    assert list(behaviours) == ["PER-1", "PER-2", "I3-9", "I3-12", "Q-5"]
    assert behaviours["PER-2"] == Behaviour(
        id="PER-2", area="PER", text="The 7th–10th is the paused period (暂停申报期)."
    )
    # an escaped pipe stays inside its cell
    assert "registered \\| invalid rows" in behaviours["I3-12"].text


def test_duplicate_catalogue_id_is_an_error(tmp_path: Path) -> None:
    catalogue = tmp_path / "c.md"
    catalogue.write_text("| ID | B |\n|---|---|\n| A-1 | x |\n| A-1 | y |\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="A-1"):
        read_catalogue(catalogue)


def test_default_catalogue_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CATALOGUE_ENV, raising=False)
    project = tmp_path / "main"
    project.mkdir()
    assert default_catalogue_path(project) == project / "docs" / "spec" / "behaviours.md"

    shared = tmp_path / "shared" / "spec" / "behaviours.md"
    shared.parent.mkdir(parents=True)
    shared.write_text("| A-1 | x |\n", encoding="utf-8")
    assert default_catalogue_path(project) == shared.resolve()

    monkeypatch.setenv(CATALOGUE_ENV, str(CATALOGUE))
    assert default_catalogue_path(project) == CATALOGUE


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("PER-1", "behaviour"),
        ("@I3-12", "behaviour"),
        ("Q-5", "behaviour"),
        ("PREP-2", "behaviour"),
        ("PER-99", "behaviour"),
        ("item-employment_enrolment", "item"),
        ("@city-320500", "city"),
        ("per-1", "other"),
        ("PER1", "other"),
        ("wip", "other"),
    ],
)
def test_classify_tag(tag: str, kind: str) -> None:
    assert classify_tag(tag) == kind


def test_behaviour_tag_pattern() -> None:
    assert BEHAVIOUR_TAG.match("I10-2")
    assert not BEHAVIOUR_TAG.match("I3-")
    assert not BEHAVIOUR_TAG.match("city-320500")


# --------------------------------------------------------------------------- features


def test_read_features_chinese_keywords_outline_rule_and_background() -> None:
    scenarios = read_features(FEATURES)
    assert [(s.feature, s.line, s.name) for s in scenarios] == [
        (ENROLMENT, 9, "灵活就业参保人员不能办理用工参保登记"),
        (ENROLMENT, 16, "批量登记时有效行登记成功"),
        (PERIOD, 7, "申报期内办理的业务属于次月费款所属期"),
        (PERIOD, 13, "暂停申报期只能办理预登记 <日期>"),
    ]
    by_line = {(s.feature, s.line): s for s in scenarios}
    # feature tags are merged in; a rule's scenario too
    assert by_line[ENROLMENT, 9].tags == {"item-employment_enrolment", "I3-9", "city-320500"}
    assert by_line[ENROLMENT, 16].tags == {"item-employment_enrolment", "I3-12"}
    # a 场景大纲 gets its 例子 tags
    assert by_line[PERIOD, 13].tags == {"item-declaration_period", "PER-2", "Q-5"}
    # background steps count towards a full run
    assert by_line[ENROLMENT, 16].steps == 4
    assert by_line[PERIOD, 13].steps == 3
    assert by_line[PERIOD, 7].location == f"{PERIOD}:7"


def test_read_features_names_the_broken_file(tmp_path: Path) -> None:
    (tmp_path / "bad.feature").write_text(
        "# language: zh-CN\n功能: 坏\n  场景: 一\n    假如 甲\n  胡说八道\n    当 乙\n",
        encoding="utf-8",
    )
    with pytest.raises(FeatureFileError, match=r"bad\.feature"):
        read_features(tmp_path)


def test_marker_names_cover_catalogue_and_every_tag() -> None:
    names = marker_names(CATALOGUE, GAPS)
    assert names == {
        "PER-1",
        "PER-2",
        "I3-9",
        "I3-12",
        "Q-5",
        "PER-99",
        "item-declaration_period",
    }
    assert "city-320500" in marker_names(CATALOGUE, FEATURES)


# --------------------------------------------------------------------------- results


def test_read_results_of_a_pytest_bdd_report() -> None:
    assert read_results(RESULTS) == {
        (ENROLMENT, "灵活就业参保人员不能办理用工参保登记"): "failed",
        # pytest.skip() in a step: pytest-bdd reports the steps reached as passed
        (ENROLMENT, "批量登记时有效行登记成功"): "passed",
        (PERIOD, "申报期内办理的业务属于次月费款所属期"): "passed",
        (PERIOD, "暂停申报期只能办理预登记 2021-09-07"): "passed",
        (PERIOD, "暂停申报期只能办理预登记 2021-09-10"): "passed",
    }


def test_read_results_missing_file_and_outline_summary(tmp_path: Path) -> None:
    assert read_results(None) == {}
    assert read_results(tmp_path / "absent.json") == {}

    def element(statuses: list[str]) -> dict[str, object]:
        steps = [
            {"keyword": "当", "name": "x", "line": 3, "result": {"status": s}} for s in statuses
        ]
        return {"keyword": "场景", "name": "甲", "line": 2, "type": "scenario", "steps": steps}

    report = tmp_path / "r.json"
    report.write_text(
        json.dumps(
            [
                {"uri": "a/b.feature", "elements": [element(["passed"]), element(["skipped"])]},
                {"uri": "a/c.feature", "elements": [element(["passed", "failed"])]},
            ]
        ),
        encoding="utf-8",
    )
    assert read_results(report) == {
        ("a/b.feature", "甲"): "skipped",
        ("a/c.feature", "甲"): "failed",
    }

    report.write_text("{not json", encoding="utf-8")
    with pytest.raises(ResultsError):
        read_results(report)


# --------------------------------------------------------------------------- report


def test_full_coverage_with_results() -> None:
    report = build_report(CATALOGUE, FEATURES, RESULTS)
    assert report.ok and exit_code(report) == 0
    assert report.uncovered == [] and report.unknown_tags == {} and report.untagged == []
    assert [s.line for s in report.scenarios_by_behaviour["Q-5"]] == [13]

    assert report.status_of("PER-1") == "passed"
    assert report.status_of("PER-2") == "passed"  # both example rows passed
    assert report.status_of("I3-9") == "failed"
    assert report.status_of("I3-12") == "skipped"  # stopped before its last step

    matrix = format_matrix(report)
    lines = matrix.splitlines()
    assert lines[0] == "PER-1  1 scenario  passed"
    assert lines[1] == (
        "    features/period/declaration_period.feature:7  申报期内办理的业务属于次月费款所属期  passed"
    )
    assert "I3-9   1 scenario  failed" in lines
    assert lines[-1] == "5 of 5 behaviours covered; 0 unknown tags"
    assert "NOT COVERED" not in matrix

    data = report_json(report)
    json.dumps(data, ensure_ascii=False)  # serialisable
    assert data["ok"] is True
    assert [b["id"] for b in data["behaviours"]] == ["PER-1", "PER-2", "I3-9", "I3-12", "Q-5"]
    per2 = data["behaviours"][1]
    assert per2["status"] == "passed"
    assert per2["scenarios"][0]["feature"] == PERIOD
    assert per2["scenarios"][0]["path"] == f"features/{PERIOD}"
    assert per2["scenarios"][0]["tags"] == ["PER-2", "Q-5", "item-declaration_period"]


def test_without_results_everything_is_not_run() -> None:
    report = build_report(CATALOGUE, FEATURES)
    assert report.results == {}
    assert {report.status_of(bid) for bid in report.behaviours} == {"not run"}
    assert "PER-1  1 scenario  not run" in format_matrix(report)


def test_gaps_unknown_tag_and_uncovered_behaviours() -> None:
    report = build_report(CATALOGUE, GAPS, RESULTS)
    assert not report.ok and exit_code(report) == 1
    assert report.uncovered == ["PER-2", "I3-9", "I3-12", "Q-5"]
    assert list(report.unknown_tags) == ["PER-99"]
    [wrong] = report.unknown_tags["PER-99"]
    assert (wrong.feature, wrong.line, wrong.name) == (PERIOD, 6, "标签写错了的场景")
    assert [s.name for s in report.untagged] == ["没有行为标签的场景"]

    matrix = format_matrix(report)
    assert "PER-2  —  NOT COVERED" in matrix
    assert "I3-9   —  NOT COVERED" in matrix
    assert (
        "  @PER-99\n    features_gaps/period/declaration_period.feature:6  标签写错了的场景"
        in matrix
    )
    assert matrix.splitlines()[-1] == "1 of 5 behaviours covered; 1 unknown tag"

    data = report_json(report)
    assert data["ok"] is False
    assert data["uncovered"] == ["PER-2", "I3-9", "I3-12", "Q-5"]
    assert data["unknown_tags"]["PER-99"][0]["line"] == 6
    assert data["summary"]["untagged_scenarios"] == 1


def test_unknown_tag_alone_fails(tmp_path: Path) -> None:
    (tmp_path / "x.feature").write_text(
        "# language: zh-CN\n功能: 全覆盖\n  @PER-1 @PER-2 @I3-9 @I3-12 @Q-5 @Q-55\n"
        "  场景: 一\n    假如 甲\n",
        encoding="utf-8",
    )
    report = build_report(CATALOGUE, tmp_path)
    assert report.uncovered == []
    assert list(report.unknown_tags) == ["Q-55"]
    assert exit_code(report) == 1


def test_results_matched_by_uri_suffix(tmp_path: Path) -> None:
    # another tool may write the uri relative to the project: features/period/...
    report_file = tmp_path / "r.json"
    data = json.loads(RESULTS.read_text(encoding="utf-8"))
    for feature in data:
        feature["uri"] = "features/" + feature["uri"]
    report_file.write_text(json.dumps(data), encoding="utf-8")
    report = build_report(CATALOGUE, FEATURES, report_file)
    assert report.status_of("PER-1") == "passed"
    assert report.status_of("I3-9") == "failed"


def test_scenario_ref_is_hashable_and_compares_without_step_count() -> None:
    a = ScenarioRef(feature="a.feature", name="n", line=1, tags=frozenset({"PER-1"}), steps=2)
    b = ScenarioRef(feature="a.feature", name="n", line=1, tags=frozenset({"PER-1"}))
    assert a == b and len({a, b}) == 1

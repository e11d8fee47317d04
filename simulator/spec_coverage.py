"""Traceability between the behaviour catalogue and the Gherkin features.

The simulator's reference is a catalogue of behaviours
(``docs/spec/behaviours.md``; the shared original is
``../shared/spec/behaviours.md``). Every behaviour has an ID such as ``PER-1``,
``I3-12`` or ``Q-5``, written in markdown tables::

    | ID | Behaviour |
    |---|---|
    | PER-1 | The declaration period runs from the 11th … |

The features (``features/<area>/<item>.feature``, written in Chinese,
``# language: zh-CN``) carry those IDs as tags (``@PER-1 @I3-9``) next to an
item tag (``@item-employment_enrolment``) and maybe a city tag
(``@city-320500``). This module answers the questions behind
``shebao-sim spec coverage``:

* which scenarios cover each behaviour, and did they pass in the last run
  (read from the cucumber JSON that ``pytest --cucumberjson=PATH`` writes);
* which behaviours no scenario covers;
* which behaviour-looking tags name no behaviour (typos, removed IDs).

:func:`build_report` gathers all of it in a :class:`CoverageReport`;
:func:`format_matrix` and :func:`report_json` render it, :func:`exit_code` turns it
into the command's exit status, and :func:`marker_names` lists every tag so that a
conftest can register them as pytest markers (pytest-bdd turns ``@PER-1`` into the
marker ``PER-1``, which ``--strict-markers`` refuses unless it is registered).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BEHAVIOUR_TAG",
    "CATALOGUE_ENV",
    "Behaviour",
    "CatalogueError",
    "CoverageReport",
    "FeatureFileError",
    "ResultsError",
    "ScenarioRef",
    "build_report",
    "classify_tag",
    "default_catalogue_path",
    "exit_code",
    "format_matrix",
    "marker_names",
    "read_catalogue",
    "read_features",
    "read_results",
    "report_json",
]

#: Environment variable naming the catalogue to use instead of the default ones.
CATALOGUE_ENV = "SHEBAO_SIM_CATALOGUE"

#: A behaviour ID: an upper-case area, optionally numbered, a hyphen and a number
#: (``PER-1``, ``I3-12``, ``Q-5``, ``PREP-2``). Tags that look like this are
#: behaviour tags, whether or not the catalogue knows them.
BEHAVIOUR_TAG = re.compile(r"^[A-Z]+[0-9]*-[0-9]+$")

ITEM_TAG_PREFIX = "item-"
CITY_TAG_PREFIX = "city-"

#: What a scenario shows when the results file does not mention it.
NOT_RUN = "not run"
NOT_COVERED = "NOT COVERED"

# How bad a status is, for summarising several runs or scenarios: the worst wins.
_SEVERITY = {"passed": 0, "skipped": 1, NOT_RUN: 2, "failed": 3}

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


class CatalogueError(ValueError):
    """The catalogue cannot be read (e.g. the same ID appears twice)."""


class FeatureFileError(ValueError):
    """A ``.feature`` file is not valid Gherkin."""


class ResultsError(ValueError):
    """A results file is not cucumber JSON."""


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Behaviour:
    """One catalogue row."""

    id: str
    area: str  # the ID without its number: 'PER', 'I3', 'Q'
    text: str  # the table cell, as written (markdown), on one line


def read_catalogue(path: Path) -> dict[str, Behaviour]:
    """Read every behaviour row of the markdown catalogue at ``path``, in file order.

    A row is a table line whose first cell is a behaviour ID
    (:data:`BEHAVIOUR_TAG`); header and separator rows are thus skipped.
    """
    behaviours: dict[str, Behaviour] = {}
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("|"):
            continue
        cells = [cell.strip() for cell in _CELL_SPLIT.split(stripped.strip("|"))]
        if not cells or not BEHAVIOUR_TAG.match(cells[0]):
            continue
        behaviour_id = cells[0]
        if behaviour_id in behaviours:
            raise CatalogueError(f"{path}:{number}: behaviour {behaviour_id} is listed twice")
        behaviours[behaviour_id] = Behaviour(
            id=behaviour_id,
            area=behaviour_id.rsplit("-", 1)[0],
            text=" | ".join(cells[1:]),
        )
    return behaviours


def default_catalogue_path(project_root: Path) -> Path:
    """The catalogue to use for the project at ``project_root``.

    ``$SHEBAO_SIM_CATALOGUE`` when set; else the shared original
    ``project_root/../shared/spec/behaviours.md`` when it exists; else the copy
    bundled with the project, ``project_root/docs/spec/behaviours.md``.
    """
    configured = os.environ.get(CATALOGUE_ENV)
    if configured:
        return Path(configured)
    shared = Path(project_root) / ".." / "shared" / "spec" / "behaviours.md"
    if shared.is_file():
        return shared.resolve()
    return Path(project_root) / "docs" / "spec" / "behaviours.md"


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class ScenarioRef:
    """One scenario (or scenario outline) of a feature file."""

    feature: str  # path relative to the features directory, with '/'
    name: str  # as written; an outline's name may hold <placeholders>
    line: int  # line of the 场景/场景大纲 keyword
    tags: frozenset[str]  # without '@'; merged with the feature's, rule's and examples' tags
    #: steps a full run executes (background steps included); used to spot runs
    #: that stopped early without failing.
    steps: int = field(default=0, compare=False)

    @property
    def location(self) -> str:
        return f"{self.feature}:{self.line}"


def _tag_names(node: dict[str, Any]) -> set[str]:
    return {tag["name"].lstrip("@") for tag in node.get("tags", [])}


def _scenarios_of(
    children: Iterable[dict[str, Any]],
    feature: str,
    inherited_tags: set[str],
    background_steps: int,
) -> Iterator[ScenarioRef]:
    """Scenarios among the children of a feature or a rule (规则)."""
    for child in children:
        if "background" in child:
            background_steps += len(child["background"].get("steps", []))
        elif "rule" in child:
            rule = child["rule"]
            yield from _scenarios_of(
                rule.get("children", []),
                feature,
                inherited_tags | _tag_names(rule),
                background_steps,
            )
        elif "scenario" in child:
            scenario = child["scenario"]
            tags = inherited_tags | _tag_names(scenario)
            for examples in scenario.get("examples", []):
                tags |= _tag_names(examples)
            yield ScenarioRef(
                feature=feature,
                name=scenario["name"],
                line=scenario["location"]["line"],
                tags=frozenset(tags),
                steps=background_steps + len(scenario.get("steps", [])),
            )


def read_feature(path: Path, features_dir: Path) -> list[ScenarioRef]:
    """The scenarios of one feature file.

    The file is parsed with the official Gherkin parser, which takes its keywords
    from the ``# language:`` header (English without one, as pytest-bdd does).
    """
    # Imported here so that the CLI loads without gherkin-official (pytest-bdd's parser).
    from gherkin.errors import CompositeParserException
    from gherkin.parser import Parser
    from gherkin.token_scanner import TokenScanner

    relative = Path(path).relative_to(features_dir).as_posix()
    try:
        document = Parser().parse(TokenScanner(Path(path).read_text(encoding="utf-8")))
    except CompositeParserException as error:
        raise FeatureFileError(f"{relative}: {error}") from error
    feature = document.get("feature")
    if not feature:  # an empty file, or comments only
        return []
    return list(_scenarios_of(feature.get("children", []), relative, _tag_names(feature), 0))


def read_features(features_dir: Path) -> list[ScenarioRef]:
    """Every scenario of every ``**/*.feature`` under ``features_dir``, by file then line."""
    features_dir = Path(features_dir)
    scenarios: list[ScenarioRef] = []
    for path in sorted(features_dir.rglob("*.feature")):
        scenarios.extend(read_feature(path, features_dir))
    return scenarios


def classify_tag(tag: str) -> str:
    """``'behaviour'``, ``'item'``, ``'city'`` or ``'other'`` (a leading ``@`` is ignored)."""
    name = tag.removeprefix("@")
    if name.startswith(ITEM_TAG_PREFIX):
        return "item"
    if name.startswith(CITY_TAG_PREFIX):
        return "city"
    if BEHAVIOUR_TAG.match(name):
        return "behaviour"
    return "other"


def marker_names(catalogue: Path, features_dir: Path) -> set[str]:
    """Every tag used in the features plus every catalogue ID.

    A conftest registers these as markers so that pytest's ``--strict-markers``
    accepts the markers pytest-bdd makes from tags (``@PER-1`` → ``PER-1``), and
    ``-m PER-1`` can select a behaviour even before a scenario covers it.
    """
    names = set(read_catalogue(catalogue))
    if Path(features_dir).is_dir():
        for scenario in read_features(features_dir):
            names |= scenario.tags
    return names


# --------------------------------------------------------------------------- results


def _element_status(element: dict[str, Any]) -> str:
    statuses = [step.get("result", {}).get("status", "skipped") for step in element["steps"]]
    if not statuses:
        return "skipped"
    if any(status not in ("passed", "skipped") for status in statuses):
        return "failed"  # failed, and also undefined/pending/ambiguous from other tools
    if "skipped" in statuses:
        return "skipped"
    return "passed"


def _worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda status: _SEVERITY.get(status, _SEVERITY["failed"]))


def _read_runs(path: Path | None) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """(feature uri, scenario name) → [(status, number of steps reported)] per run."""
    if path is None or not Path(path).is_file():
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        runs: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for feature in data:
            uri = feature["uri"].replace("\\", "/")
            for element in feature.get("elements", []):
                if element.get("type", "scenario") != "scenario":
                    continue  # cucumber's 'background' elements
                key = (uri, element["name"])
                runs.setdefault(key, []).append(
                    (_element_status(element), len(element.get("steps", [])))
                )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ResultsError(f"{path}: not a cucumber JSON report ({error!r})") from error
    return runs


def read_results(path: Path | None) -> dict[tuple[str, str], str]:
    """The outcome of the last run, from a cucumber JSON report.

    The report is what ``pytest --cucumberjson=PATH`` (pytest-bdd) writes: a list of
    features, each with ``uri`` and ``elements`` (scenarios with ``name``, ``line``
    and ``steps``, each step with ``result.status``). Returns
    ``{(feature uri, scenario name): 'passed' | 'failed' | 'skipped'}``; a scenario
    outline runs once per example row and its runs are summarised, the worst
    outcome winning. No path or no file gives ``{}`` (everything shows as
    'not run').
    """
    return {key: _worst(status for status, _ in runs) for key, runs in _read_runs(path).items()}


def _uri_matches(uri: str, feature: str) -> bool:
    """Whether a report's ``uri`` names the feature file ``feature``.

    pytest-bdd writes the path relative to the feature's *parent* directory's
    parent (``features/period/period.feature`` → ``period/period.feature``); other
    tools write it relative to the project. Compare the common trailing parts.
    """
    uri_parts = [part for part in uri.split("/") if part not in ("", ".")]
    feature_parts = feature.split("/")
    common = min(len(uri_parts), len(feature_parts))
    return common > 0 and uri_parts[-common:] == feature_parts[-common:]


def _name_pattern(name: str) -> re.Pattern[str]:
    """Names an outline's runs may have: pytest-bdd fills its <placeholders>."""
    parts = re.split(r"<[^<>]+>", name)
    return re.compile("(?s:.*?)".join(re.escape(part) for part in parts))


# --------------------------------------------------------------------------- report


@dataclass
class CoverageReport:
    """Which scenarios cover which behaviours, and what is missing or unknown."""

    behaviours: dict[str, Behaviour]
    scenarios_by_behaviour: dict[str, list[ScenarioRef]]  # every catalogue ID, maybe []
    uncovered: list[str]  # catalogue IDs with no scenario, in catalogue order
    unknown_tags: dict[str, list[ScenarioRef]]  # behaviour-looking tags naming no ID
    results: dict[tuple[str, str], str]  # read_results() of the last run
    #: scenarios carrying no behaviour tag at all (shown, but not an error)
    untagged: list[ScenarioRef] = field(default_factory=list)
    #: the features directory, whose name prefixes the paths shown
    features_dir: Path | None = None

    @property
    def ok(self) -> bool:
        """No behaviour without a scenario and no tag naming no behaviour."""
        return not self.uncovered and not self.unknown_tags

    @property
    def covered(self) -> list[str]:
        uncovered = set(self.uncovered)
        return [bid for bid in self.behaviours if bid not in uncovered]

    def display_path(self, scenario: ScenarioRef) -> str:
        """``features/period/period.feature:12`` — the scenario's place, for people."""
        prefix = f"{self.features_dir.name}/" if self.features_dir is not None else ""
        return f"{prefix}{scenario.location}"

    def result_of(self, scenario: ScenarioRef) -> str:
        """'passed', 'failed', 'skipped' or 'not run' for one scenario."""
        candidates = [
            (key, status)
            for key, status in self.results.items()
            if _uri_matches(key[0], scenario.feature)
        ]
        found = [status for (_, name), status in candidates if name == scenario.name]
        if not found and "<" in scenario.name:
            pattern = _name_pattern(scenario.name)
            found = [status for (_, name), status in candidates if pattern.fullmatch(name)]
        return _worst(found) if found else NOT_RUN

    def status_of(self, behaviour_id: str) -> str:
        """The worst result among a behaviour's scenarios, or 'NOT COVERED'."""
        scenarios = self.scenarios_by_behaviour.get(behaviour_id, [])
        if not scenarios:
            return NOT_COVERED
        return _worst(self.result_of(scenario) for scenario in scenarios)


def _check_complete_runs(
    runs: dict[tuple[str, str], list[tuple[str, int]]],
    scenarios: list[ScenarioRef],
    results: dict[tuple[str, str], str],
) -> None:
    """Mark as 'skipped' the 'passed' runs that stopped before their last step.

    pytest-bdd reports a scenario that ``pytest.skip()`` interrupted inside a step as
    passed, listing only the steps it reached; a full run lists every step.
    """
    for key, key_runs in runs.items():
        if results.get(key) != "passed":
            continue
        expected = [
            scenario.steps
            for scenario in scenarios
            if _uri_matches(key[0], scenario.feature)
            and (scenario.name == key[1] or _name_pattern(scenario.name).fullmatch(key[1]))
        ]
        if expected and any(count < min(expected) for _, count in key_runs):
            results[key] = "skipped"


def build_report(
    catalogue: Path, features_dir: Path, results: Path | None = None
) -> CoverageReport:
    """Read the catalogue, the features and (optionally) the last run's results."""
    behaviours = read_catalogue(catalogue)
    features_dir = Path(features_dir)
    scenarios = read_features(features_dir) if features_dir.is_dir() else []

    by_behaviour: dict[str, list[ScenarioRef]] = {bid: [] for bid in behaviours}
    unknown: dict[str, list[ScenarioRef]] = {}
    untagged: list[ScenarioRef] = []
    for scenario in scenarios:
        behaviour_tags = sorted(tag for tag in scenario.tags if classify_tag(tag) == "behaviour")
        if not behaviour_tags:
            untagged.append(scenario)
        for tag in behaviour_tags:
            (by_behaviour if tag in behaviours else unknown).setdefault(tag, []).append(scenario)

    runs = _read_runs(results)
    outcomes = {key: _worst(status for status, _ in key_runs) for key, key_runs in runs.items()}
    _check_complete_runs(runs, scenarios, outcomes)

    return CoverageReport(
        behaviours=behaviours,
        scenarios_by_behaviour=by_behaviour,
        uncovered=[bid for bid, found in by_behaviour.items() if not found],
        unknown_tags=dict(sorted(unknown.items())),
        results=outcomes,
        untagged=untagged,
        features_dir=features_dir,
    )


def format_matrix(report: CoverageReport) -> str:
    """The coverage matrix as plain text, one block per behaviour in catalogue order."""
    width = max((len(bid) for bid in report.behaviours), default=0)
    lines: list[str] = []
    for bid in report.behaviours:
        scenarios = report.scenarios_by_behaviour.get(bid, [])
        if not scenarios:
            lines.append(f"{bid:<{width}}  —  {NOT_COVERED}")
            continue
        count = f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''}"
        lines.append(f"{bid:<{width}}  {count}  {report.status_of(bid)}")
        for scenario in scenarios:
            where = report.display_path(scenario)
            lines.append(f"    {where}  {scenario.name}  {report.result_of(scenario)}")

    if report.unknown_tags:
        lines.append("")
        lines.append("Unknown behaviour tags (no such ID in the catalogue):")
        for tag, scenarios in report.unknown_tags.items():
            lines.append(f"  @{tag}")
            for scenario in scenarios:
                lines.append(f"    {report.display_path(scenario)}  {scenario.name}")

    if report.untagged:
        lines.append("")
        lines.append("Scenarios without a behaviour tag:")
        for scenario in report.untagged:
            lines.append(f"    {report.display_path(scenario)}  {scenario.name}")

    lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _summary(report: CoverageReport) -> str:
    unknown = len(report.unknown_tags)
    return (
        f"{len(report.behaviours) - len(report.uncovered)} of {len(report.behaviours)} "
        f"behaviours covered; {unknown} unknown tag{'s' if unknown != 1 else ''}"
    )


def _scenario_json(report: CoverageReport, scenario: ScenarioRef) -> dict[str, Any]:
    return {
        "feature": scenario.feature,
        "path": report.display_path(scenario).rsplit(":", 1)[0],
        "line": scenario.line,
        "name": scenario.name,
        "tags": sorted(scenario.tags),
        "result": report.result_of(scenario),
    }


def report_json(report: CoverageReport) -> dict[str, Any]:
    """The report as JSON-ready data (the machine-readable twin of the matrix)."""
    return {
        "ok": report.ok,
        "summary": {
            "behaviours": len(report.behaviours),
            "covered": len(report.behaviours) - len(report.uncovered),
            "uncovered": len(report.uncovered),
            "unknown_tags": len(report.unknown_tags),
            "untagged_scenarios": len(report.untagged),
            "text": _summary(report),
        },
        "behaviours": [
            {
                "id": behaviour.id,
                "area": behaviour.area,
                "text": behaviour.text,
                "status": report.status_of(behaviour.id),
                "scenarios": [
                    _scenario_json(report, scenario)
                    for scenario in report.scenarios_by_behaviour.get(behaviour.id, [])
                ],
            }
            for behaviour in report.behaviours.values()
        ],
        "uncovered": list(report.uncovered),
        "unknown_tags": {
            tag: [_scenario_json(report, scenario) for scenario in scenarios]
            for tag, scenarios in report.unknown_tags.items()
        },
        "untagged": [_scenario_json(report, scenario) for scenario in report.untagged],
    }


def exit_code(report: CoverageReport) -> int:
    """0 when every behaviour has a scenario and every behaviour tag names one; else 1."""
    return 0 if report.ok else 1

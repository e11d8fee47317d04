"""Date-versioned rule parameters as data (contribution bases, rates, code tables).

Business concept: every number a rule uses — the contribution base floor and
ceiling (PER-3), the rates per insurance type (PER-8), the declaration days
(PER-1), the back-pay limit (PER-4), the go-live date (PER-7) — is a parameter
with values that start on dates, each value carrying its source (``reference``)
and how sure we are of it (``confidence``: official, secondary, illustrative;
see ``shared/spec/parameters.md``).  Code asks ``parameters(on_date, city)``
and never holds a literal.

The layout follows OpenFisca's ``parameters/`` folder:

* one YAML file is one node, named by the file stem; directories are sub-trees;
* a mapping with ``values`` is a parameter, any other mapping a sub-tree
  (``description``, ``metadata`` and ``documentation`` are reserved keys;
  a sub-tree's ``metadata`` is inherited by the nodes below it);
* ``values`` maps start dates to entries ``{value, reference?, confidence?,
  unit?}`` (or to the bare value); an entry's keys override the node metadata.

Numbers become :class:`~decimal.Decimal` (through ``str``, never float
arithmetic); lists become tuples and mappings read-only dicts, so that nobody
can change a value in place.  A source given as a Python mapping is read as its
YAML would be: text that an unquoted YAML scalar would have made a date
(``"2021-09-01"``) becomes a :class:`~datetime.date`.  Every value of one
parameter has the same kind (number, date, text, table …), whichever source gave
it: an overlay that gives text where the baseline has dates is refused when it is
loaded, naming the parameter, not when a rule reads it.  A city's overlay gives a new
:class:`ParameterSet`; the baseline is never mutated (as OpenFisca reforms
never mutate the base tax-benefit system).

The provincial data starts on 2020-01-01 (the first year with base values)
except where the law gives an earlier start; asking for a date before a
parameter's first value raises :class:`ParameterNotFound`.
"""

from __future__ import annotations

import difflib
import functools
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import yaml

__all__ = [
    "CONFIDENCE_LEVELS",
    "ParameterFormatError",
    "ParameterNotFound",
    "ParameterSet",
    "ParameterSubtree",
    "ParameterValue",
    "ParameterView",
]

#: how sure we are of a value, from most to least
CONFIDENCE_LEVELS = ("official", "secondary", "illustrative")

#: a value that states no confidence is not claimed to be sourced
DEFAULT_CONFIDENCE = "illustrative"

_YAML_SUFFIXES = (".yaml", ".yml")
_NODE_KEYS = frozenset({"description", "metadata", "documentation"})
_PARAMETER_KEYS = _NODE_KEYS | {"values"}
_ENTRY_KEYS = frozenset({"value", "reference", "confidence", "unit"})
_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # row codes such as 101 are names too


class ParameterFormatError(ValueError):
    """A parameter source does not follow the format (names the source and the node)."""


class ParameterNotFound(LookupError):
    """No parameter value at ``path`` on ``on_date`` (unknown path, a sub-tree, or a
    date before the parameter's first value)."""

    def __init__(self, path: str, on_date: date | None = None, *, reason: str = "") -> None:
        self.path = path
        self.on_date = on_date
        self.reason = reason
        message = f"parameter {path!r} not found"
        if on_date is not None:
            message += f" on {on_date.isoformat()}"
        if reason:
            message += f": {reason}"
        super().__init__(message)


class _FrozenDict(dict):
    """A dict that refuses changes, so a table value cannot be edited in place.

    A ``dict`` subclass (not ``MappingProxyType``) so that it prints, compares,
    deep-copies and serialises to JSON like the mapping it is.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("parameter values are read-only; overlay a new value instead")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        # rebuilt through the constructor: the default protocol would call __setitem__
        return (type(self), (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


@dataclass(frozen=True)
class ParameterValue:
    """One value of a parameter, in force from ``start`` until the next value starts."""

    path: str
    value: Any
    start: date
    reference: str
    unit: str | None
    confidence: str  # 'official' | 'secondary' | 'illustrative'
    description: str = ""

    @property
    def illustrative(self) -> bool:
        """True when the value is a stand-in that must be shown as such (trace, UI)."""
        return self.confidence == "illustrative"

    def as_int(self) -> int:
        """The value as an ``int`` (days, months, bytes); refuses a fractional number."""
        if isinstance(self.value, bool) or not isinstance(self.value, Decimal | int):
            raise TypeError(f"parameter {self.path!r} is not a number: {self.value!r}")
        if self.value != int(self.value):
            raise ValueError(f"parameter {self.path!r} is not a whole number: {self.value}")
        return int(self.value)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (numbers and dates as text) for traces and the UI."""
        return {
            "path": self.path,
            "value": _to_text(self.value),
            "in_force_from": self.start.isoformat(),
            "reference": self.reference,
            "unit": self.unit,
            "confidence": self.confidence,
            "illustrative": self.illustrative,
            "description": self.description,
        }


def _to_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_to_text(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _to_text(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class _Parameter:
    """A parameter node: its values sorted by start date."""

    path: str
    description: str
    unit: str | None
    entries: tuple[ParameterValue, ...]

    @property
    def starts(self) -> tuple[date, ...]:
        return tuple(entry.start for entry in self.entries)

    def merged_with(self, newer: _Parameter) -> _Parameter:
        """This parameter with ``newer``'s entries merged in by start date; ``newer``
        wins on an equal date, earlier and later dates of ``self`` stay."""
        by_start = {entry.start: entry for entry in self.entries}
        for entry in newer.entries:
            # a city restating a value keeps the unit of what it restates; its
            # reference and confidence are its own (a province source is not a city's)
            if entry.unit is None and self.unit is not None:
                entry = replace(entry, unit=self.unit)
            if not entry.description:
                entry = replace(entry, description=self.description)
            by_start[entry.start] = entry
        return _Parameter(
            path=self.path,
            description=newer.description or self.description,
            unit=newer.unit or self.unit,
            entries=tuple(by_start[start] for start in sorted(by_start)),
        )


# --- reading sources ---------------------------------------------------------


def _as_date(key: Any, where: str) -> date:
    if isinstance(key, datetime):
        return key.date()
    if isinstance(key, date):
        return key
    if isinstance(key, str):
        try:
            return date.fromisoformat(key.strip())
        except ValueError:
            pass
    raise ParameterFormatError(f"{where}: start {key!r} is not a date (YYYY-MM-DD)")


#: what YAML reads as a timestamp when it is not quoted (PyYAML's own pattern)
_YAML_TIMESTAMP = yaml.constructor.SafeConstructor.timestamp_regexp


def _as_yaml_scalar(text: str, where: str) -> Any:
    """``text`` as an unquoted YAML scalar would be read: a date (or date and time)
    for a YAML timestamp, else the text itself (a Python mapping has no quotes)."""
    if not _YAML_TIMESTAMP.match(text):
        return text
    try:
        return yaml.safe_load(text)
    except ValueError as error:  # 2021-02-30: YAML refuses it too
        raise ParameterFormatError(f"{where}: {text!r} is not a valid date: {error}") from None


def _freeze(value: Any, where: str, *, from_mapping: bool = False) -> Any:
    """A value as stored: exact Decimals, tuples, read-only dicts.

    ``from_mapping``: the value comes from a Python mapping, not from YAML text, so
    date-like text is read as YAML reads it unquoted (a date).
    """
    if isinstance(value, str) and from_mapping:
        return _as_yaml_scalar(value, where)
    if value is None or isinstance(value, bool | str | Decimal | date):
        return value
    if isinstance(value, int | float):
        # through str: Decimal(0.1) would carry the binary float's error
        return Decimal(str(value))
    if isinstance(value, list | tuple):
        return tuple(_freeze(item, where, from_mapping=from_mapping) for item in value)
    if isinstance(value, Mapping):
        return _FrozenDict(
            {key: _freeze(item, where, from_mapping=from_mapping) for key, item in value.items()}
        )
    raise ParameterFormatError(f"{where}: unsupported value type {type(value).__name__}")


def _kind(value: Any) -> str:
    """What kind of value this is, in words: the kinds of one parameter must agree."""
    if isinstance(value, bool):
        return "a yes/no"
    if isinstance(value, Decimal):
        return "a number"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date (YYYY-MM-DD)"
    if isinstance(value, str):
        return "text"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a table (mapping)"
    return type(value).__name__


def _shown(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _check_kinds(
    earlier: Iterable[ParameterValue], newer: Iterable[ParameterValue], where: str
) -> None:
    """Refuse a value of ``newer`` whose kind differs from the values before it."""
    seen: dict[str, ParameterValue] = {}
    for entry in earlier:
        seen.setdefault(_kind(entry.value), entry)
    for entry in newer:
        kind = _kind(entry.value)
        if seen and kind not in seen:
            other_kind, other = next(iter(seen.items()))
            raise ParameterFormatError(
                f"{where}: {entry.path} @ {entry.start.isoformat()}: value {_shown(entry.value)} "
                f"is {kind}, but its value from {other.start.isoformat()} is {other_kind}"
            )
        seen.setdefault(kind, entry)


def _metadata(node: Mapping[str, Any], where: str) -> dict[str, Any]:
    metadata = node.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise ParameterFormatError(f"{where}: metadata must be a mapping")
    return dict(metadata)


def _reference_text(reference: Any) -> str:
    # OpenFisca allows a list of references
    if isinstance(reference, list | tuple):
        return "; ".join(str(item) for item in reference)
    return "" if reference is None else str(reference)


def _checked_confidence(confidence: Any, where: str) -> str:
    if confidence not in CONFIDENCE_LEVELS:
        raise ParameterFormatError(
            f"{where}: confidence {confidence!r} is not one of {', '.join(CONFIDENCE_LEVELS)}"
        )
    return str(confidence)


def _parse_parameter(
    node: Mapping[str, Any],
    path: str,
    inherited: Mapping[str, Any],
    origin: str,
    from_mapping: bool = False,
) -> _Parameter:
    where = f"{origin}: {path}"
    unknown = set(node) - _PARAMETER_KEYS
    if unknown:
        raise ParameterFormatError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    metadata = {**inherited, **_metadata(node, where)}
    description = str(node.get("description") or "")
    values = node["values"]
    if not isinstance(values, Mapping) or not values:
        raise ParameterFormatError(f"{where}: 'values' must be a non-empty mapping of dates")
    entries: dict[date, ParameterValue] = {}
    for start_key, raw_entry in values.items():
        start = _as_date(start_key, where)
        entry_where = f"{where} @ {start.isoformat()}"
        if start in entries:
            raise ParameterFormatError(f"{entry_where}: start date given twice")
        if isinstance(raw_entry, Mapping) and "value" in raw_entry:
            unknown = set(raw_entry) - _ENTRY_KEYS
            if unknown:
                raise ParameterFormatError(f"{entry_where}: unknown keys {sorted(unknown)}")
            overrides = {key: raw_entry[key] for key in raw_entry if key != "value"}
            raw_value = raw_entry["value"]
        else:
            overrides, raw_value = {}, raw_entry
        if raw_value is None:
            raise ParameterFormatError(f"{entry_where}: value is missing")
        resolved = {**metadata, **overrides}
        unit = resolved.get("unit")
        entries[start] = ParameterValue(
            path=path,
            value=_freeze(raw_value, entry_where, from_mapping=from_mapping),
            start=start,
            reference=_reference_text(resolved.get("reference")),
            unit=None if unit is None else str(unit),
            confidence=_checked_confidence(
                resolved.get("confidence", DEFAULT_CONFIDENCE), entry_where
            ),
            description=description,
        )
    ordered = tuple(entries[start] for start in sorted(entries))
    _check_kinds((), ordered, origin)
    node_unit = metadata.get("unit")
    return _Parameter(
        path=path,
        description=description,
        unit=None if node_unit is None else str(node_unit),
        entries=ordered,
    )


def _child_path(prefix: str, key: Any, origin: str) -> str:
    names = str(key).split(".")  # a dotted key in a mapping stands for nested sub-trees
    for name in names:
        if not _NAME.match(name):
            hint = ""
            if isinstance(key, date) or re.match(r"^\d{4}-\d{2}-\d{2}$", str(key)):
                hint = (
                    f" (a date inside a sub-tree: is 'values' missing or misspelt in {prefix!r}?)"
                )
            raise ParameterFormatError(
                f"{origin}: {prefix or '<root>'}: bad node name {key!r}{hint}"
            )
    return ".".join([prefix, *names]) if prefix else ".".join(names)


def _parse_node(
    node: Any,
    path: str,
    inherited: Mapping[str, Any],
    origin: str,
    from_mapping: bool = False,
) -> Iterator[_Parameter]:
    if not isinstance(node, Mapping):
        raise ParameterFormatError(
            f"{origin}: {path or '<root>'}: expected a parameter (a mapping with 'values') "
            f"or a sub-tree (a mapping of nodes), got {type(node).__name__}"
        )
    if "values" in node:
        if not path:
            raise ParameterFormatError(f"{origin}: a parameter needs a name")
        yield _parse_parameter(node, path, inherited, origin, from_mapping)
        return
    metadata = {**inherited, **_metadata(node, f"{origin}: {path}")}
    for key, child in node.items():
        if key in _NODE_KEYS:
            continue
        child_path = _child_path(path, key, origin)
        yield from _parse_node(child, child_path, metadata, origin, from_mapping)


@functools.lru_cache(maxsize=1024)
def _parse_file_cached(
    resolved: str, mtime_ns: int, size: int, node_path: str
) -> tuple[_Parameter, ...]:
    # keyed by mtime and size so an edited file is read again; everything returned
    # is immutable, so sharing it between parameter sets is safe
    with open(resolved, encoding="utf-8") as handle:
        content = yaml.safe_load(handle)
    if content is None:
        raise ParameterFormatError(f"{resolved}: empty parameter file")
    return tuple(_parse_node(content, node_path, {}, resolved))


def _parse_file(path: Path, node_path: str) -> tuple[_Parameter, ...]:
    resolved = path.resolve()
    status = resolved.stat()
    return _parse_file_cached(str(resolved), status.st_mtime_ns, status.st_size, node_path)


def _parse_directory(directory: Path, prefix: str) -> Iterator[_Parameter]:
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            yield from _parse_directory(entry, _child_path(prefix, entry.name, str(directory)))
        elif entry.suffix in _YAML_SUFFIXES:
            yield from _parse_file(entry, _child_path(prefix, entry.stem, str(directory)))


def _parse_source(source: Path | str | Mapping[str, Any]) -> list[_Parameter]:
    if isinstance(source, Mapping):
        parameters = list(_parse_node(source, "", {}, "<mapping>", from_mapping=True))
    else:
        path = Path(source)
        if path.is_dir():
            parameters = list(_parse_directory(path, ""))
        elif path.is_file():
            parameters = list(_parse_file(path, _child_path("", path.stem, str(path.parent))))
        else:
            raise FileNotFoundError(f"parameter source not found: {path}")
    seen: set[str] = set()
    for parameter in parameters:
        if parameter.path in seen:
            raise ParameterFormatError(f"{source}: parameter {parameter.path!r} defined twice")
        seen.add(parameter.path)
    return parameters


def _source_name(source: Path | str | Mapping[str, Any]) -> str:
    return "<mapping>" if isinstance(source, Mapping) else str(source)


def _subtree_paths(parameter_paths: Iterable[str]) -> frozenset[str]:
    """Every proper prefix of the parameter paths ('' is the root)."""
    subtrees = {""}
    for path in parameter_paths:
        parts = path.split(".")
        subtrees.update(".".join(parts[:depth]) for depth in range(1, len(parts)))
    return frozenset(subtrees)


# --- the set and its views -----------------------------------------------------


class ParameterSet:
    """All parameters of a province or a city, with their whole history.

    Immutable: :meth:`overlay` returns a new set.  Build one with :meth:`load`.
    """

    __slots__ = ("_parameters", "_subtrees")

    def __init__(self) -> None:
        self._parameters: Mapping[str, _Parameter] = {}
        self._subtrees: frozenset[str] = frozenset({""})

    @classmethod
    def _of(cls, parameters: dict[str, _Parameter]) -> ParameterSet:
        subtrees = _subtree_paths(parameters)
        clashes = sorted(subtrees & parameters.keys())
        if clashes:
            raise ParameterFormatError(
                f"{clashes[0]!r} is both a parameter and a sub-tree (a source nests nodes under it)"
            )
        new = cls()
        new._parameters = parameters
        new._subtrees = subtrees
        return new

    @classmethod
    def load(cls, sources: Iterable[Path | str | Mapping[str, Any]]) -> ParameterSet:
        """Parameters from directories or files of YAML, or already-parsed mappings in
        the same format; later sources merge over earlier ones (as in :meth:`overlay`)."""
        return cls().overlay(sources)

    def overlay(self, sources: Iterable[Path | str | Mapping[str, Any]]) -> ParameterSet:
        """A NEW set with ``sources`` merged over this one; ``self`` is not changed.

        For a parameter present in both, values are merged by start date and the
        overlay wins on an equal date (a city restating 2024 keeps the province's
        2025); new parameters and sub-trees are added.
        """
        if isinstance(sources, Mapping | str | Path):
            # a lone source is a likely slip; iterating a mapping would give its keys
            raise TypeError("overlay()/load() take an iterable of sources, e.g. [path]")
        merged = dict(self._parameters)
        for source in sources:
            for parameter in _parse_source(source):
                known = merged.get(parameter.path)
                if known is None:
                    merged[parameter.path] = parameter
                    continue
                # an overlay keeps the kind of value the parameter has (a date stays a
                # date): refused here, at load, rather than as a TypeError in a rule
                _check_kinds(known.entries, parameter.entries, _source_name(source))
                merged[parameter.path] = known.merged_with(parameter)
        return ParameterSet._of(merged)

    def at(
        self,
        on_date: date | str,
        *,
        on_access: Callable[[ParameterValue], None] | None = None,
    ) -> ParameterView:
        """The parameters in force on ``on_date``; ``on_access`` hears every value read
        (the business trace records which parameter decided an amount)."""
        return ParameterView(self, _as_day(on_date), on_access)

    def paths(self) -> list[str]:
        """The dotted paths of all parameters, sorted."""
        return sorted(self._parameters)

    def history(self, path: str) -> list[ParameterValue]:
        """All values of ``path``, oldest first."""
        return list(self._parameter(path, None).entries)

    def __contains__(self, path: object) -> bool:
        return path in self._parameters

    def __repr__(self) -> str:
        return f"<ParameterSet of {len(self._parameters)} parameters>"

    def _parameter(self, path: str, on_date: date | None) -> _Parameter:
        parameter = self._parameters.get(path)
        if parameter is not None:
            return parameter
        if path in self._subtrees:
            children = sorted(p for p in self._parameters if p.startswith(f"{path}."))
            raise ParameterNotFound(
                path, on_date, reason=f"it is a sub-tree of {len(children)} parameters"
            )
        close = difflib.get_close_matches(path, self._parameters, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ParameterNotFound(path, on_date, reason=f"no such parameter{hint}")


def _as_day(on_date: date | str) -> date:
    if isinstance(on_date, datetime):
        return on_date.date()  # a datetime does not compare with the dates of entries
    if isinstance(on_date, date):
        return on_date
    if isinstance(on_date, str):
        return date.fromisoformat(on_date)
    raise TypeError(f"not a date: {on_date!r}")


class ParameterView:
    """The parameters in force on one date: ``view.value('contribution_base.floor')``
    or ``view.contribution_base.floor.value``."""

    __slots__ = ("_on_access", "_set", "on_date")

    def __init__(
        self,
        parameter_set: ParameterSet,
        on_date: date,
        on_access: Callable[[ParameterValue], None] | None = None,
    ) -> None:
        self._set = parameter_set
        self.on_date = on_date
        self._on_access = on_access

    def get(self, path: str) -> ParameterValue:
        """The value of ``path`` with the greatest start on or before :attr:`on_date`."""
        parameter = self._set._parameter(path, self.on_date)
        index = bisect_right(parameter.starts, self.on_date) - 1
        if index < 0:
            raise ParameterNotFound(
                path,
                self.on_date,
                reason=f"its first value starts on {parameter.entries[0].start.isoformat()}",
            )
        found = parameter.entries[index]
        if self._on_access is not None:
            self._on_access(found)
        return found

    def value(self, path: str) -> Any:
        """Shorthand for ``get(path).value``."""
        return self.get(path).value

    def children(self, path: str) -> dict[str, Any]:
        """The values in force of the parameters directly under sub-tree ``path``.

        Parameters that have no value yet on :attr:`on_date` are left out, so a city
        can add a row to a table (a parameter per row) from the date it starts.
        """
        prefix = path + "."
        found: dict[str, Any] = {}
        for name in sorted(self._set._parameters):
            if name.startswith(prefix) and "." not in name[len(prefix) :]:
                try:
                    found[name[len(prefix) :]] = self.get(name).value
                except ParameterNotFound:
                    continue
        return found

    @property
    def parameter_set(self) -> ParameterSet:
        return self._set

    def _node(self, path: str) -> ParameterValue | ParameterSubtree:
        if path in self._set._parameters:
            return self.get(path)
        if path in self._set._subtrees:
            return ParameterSubtree(self, path)
        raise AttributeError(f"no parameter or sub-tree {path!r}")

    def __getattr__(self, name: str) -> ParameterValue | ParameterSubtree:
        if name.startswith("_"):
            # copy/pickle probe private and dunder names; they are never parameters
            raise AttributeError(name)
        return self._node(name)

    def __repr__(self) -> str:
        return f"<ParameterView on {self.on_date.isoformat()} of {self._set!r}>"


class ParameterSubtree:
    """A sub-tree of a :class:`ParameterView`, for attribute access
    (``view.rates.pension.unit.value``)."""

    __slots__ = ("_path", "_view")

    def __init__(self, view: ParameterView, path: str) -> None:
        self._view = view
        self._path = path

    def __getattr__(self, name: str) -> ParameterValue | ParameterSubtree:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._view._node(f"{self._path}.{name}")

    def __repr__(self) -> str:
        return f"<ParameterSubtree {self._path!r} on {self._view.on_date.isoformat()}>"

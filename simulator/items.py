"""Business items (业务事项): the base class every item plugin implements.

An item describes its form (the guide's sections and fields, ★ = required),
validates a payload against the data and applies its effects.  The pipeline in
:mod:`simulator.platform` does everything around it: the paused-period gate,
city rules, the transaction, the business record (办件) and its trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from simulator.workbooks import Column

if TYPE_CHECKING:
    from simulator.bulk import BulkBatch
    from simulator.context import BusinessContext
    from simulator.gateways import Gateways
    from simulator.periods import PeriodInfo
    from simulator.platform import Platform


@dataclass(frozen=True)
class Choice:
    code: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label}


@dataclass(frozen=True)
class FormField:
    """One field of an item's form, named as on the platform's screen."""

    name: str  # the payload key (ASCII)
    label: str  # the screen label (Chinese)
    required: bool = False  # ★
    kind: str = "text"  # text | date | month | money | choice | id_number | phone
    section: str = ""  # e.g. 人员基本信息, 用工备案信息
    choices: tuple[Choice, ...] = ()
    help: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "required": self.required,
            "kind": self.kind,
            "section": self.section,
            "choices": [c.as_dict() for c in self.choices],
            "help": self.help,
        }


@dataclass(frozen=True)
class WindowLookup:
    """A query shown above an item's form (e.g. 工程编码 → the project and its people,
    I9-2): the URL parameter and its label, the template that shows the answer, what the
    unit may pick from, and the answer (``facts``; raises ``Refused`` as the API does)."""

    param: str
    label: str
    template: str
    known: Callable[[Platform, str, int | None], list[dict[str, Any]]]
    facts: Callable[[Platform, str, int | None, str], dict[str, Any]]


@dataclass
class ItemResult:
    """What an item's ``apply`` reports back, shown to the user and kept on the 办件."""

    message: str = "办理成功"
    data: dict[str, Any] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)
    person_id: int | None = None


class BusinessItem:
    """Base class of a business item plugin's item.

    Subclasses set the class attributes and implement :meth:`validate` and
    :meth:`apply`.  ``validate`` raises :class:`simulator.errors.Refused` (or
    returns nothing); ``apply`` makes the effects through ``context.session``
    and returns an :class:`ItemResult`.
    """

    code: ClassVar[str]  # stable ASCII code, used in URLs and tags (@item-<code>)
    name: ClassVar[str]  # the platform's name, e.g. 用人单位用工参保登记
    guide_section: ClassVar[str] = ""  # e.g. 'G §三.3'
    #: may be declared on the paused days (7th–10th) — only 预登记 (PER-2)
    allowed_when_paused: ClassVar[bool] = False
    #: changes insurance relations or contributions (gated by the declaration period)
    changes_insurance: ClassVar[bool] = True
    #: needs an insured unit to act for (everything but the unit's own first registration)
    needs_unit: ClassVar[bool] = True
    #: the batch template's columns (empty: no batch declaration)
    batch_columns: ClassVar[tuple[Column, ...]] = ()
    #: the window's single and batch tabs, as the guide's screenshots name them
    window_tabs: ClassVar[tuple[str, str]] = ("申报", "批量申报")
    #: what the guide writes under the item (G §三), shown with its entry and window
    guide_hint: ClassVar[str] = ""
    #: 证件号码 on the form looks up a known person (the 🔍 next to the field)
    looks_up_person: ClassVar[bool] = True
    #: the form's 统一社会信用代码 is the logged-in unit's own
    fills_unit_uscc: ClassVar[bool] = False
    #: a query the window shows above the form, if any
    window_lookup: ClassVar[WindowLookup | None] = None

    def closed_in(self, period: PeriodInfo) -> bool:
        """PER-2: the paused days close the items that change insurance, except those
        that may be declared then (预登记)."""
        return period.paused and self.changes_insurance and not self.allowed_when_paused

    def form(self, context: BusinessContext) -> list[FormField]:
        return []

    def consult(
        self, services: Gateways, sandbox_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Ask other agencies (identity, market registration) before the transaction opens.

        Called by the pipeline with no database transaction held, so that a slow or
        failing service never holds one (and a mock's journal never shares it).  A
        failure should raise ``GatewayError(...).refusal()``; the answers are passed to
        ``validate``/``apply`` as ``context.consulted``.
        """
        return {}

    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        """Refuse (raise ``Refused``) when a rule forbids the business."""

    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        raise NotImplementedError

    def row_payload(self, row: dict[str, str]) -> dict[str, Any]:
        """A batch row (``{column key: text}``) as a payload; empty cells are left out."""
        return {key: value for key, value in row.items() if value != ""}

    def bulk_batch(self, platform: Platform) -> BulkBatch | None:
        """A set-based implementation of this item's batch declaration, or ``None`` (the
        default): every row is one business through the pipeline (``simulator.batch``).

        One that is offered (see :mod:`simulator.bulk`) must give exactly the per-row
        results, data and reversible effects of the row-by-row path, only faster.
        """
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "guide_section": self.guide_section,
            "allowed_when_paused": self.allowed_when_paused,
            "changes_insurance": self.changes_insurance,
            "batch": bool(self.batch_columns),
        }

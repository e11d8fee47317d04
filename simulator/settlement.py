"""Monthly settlement (月度结算): the fee month's contribution lines and 单位征缴通知单.

When the sandbox clock passes from the 6th to the 7th — the paused days begin
(PER-2) — the fee month of the period that just closed is settled; it can also
be settled on demand.  For every insured relation at a unit covering the month,
one regular contribution line: base clamped to that month's floor and ceiling
(PER-3), amounts = base × rate half-up to the fen (PER-8).  Then one
单位征缴通知单 per unit (Q-6, F Q9): the month's regular lines plus the back pay
declared in the period (:func:`notice_totals`, also used for the settled months of a
world being loaded).

Two FAQ rules are applied here and written into the settlement's notes:

* F-1 (F Q2): a person with pension or unemployment insurance at two units in
  the province keeps only work injury at the later unit from the next month;
  pension and unemployment there stop after this month.
* F-3 (F Q4): from 2021-10, a level 1–4 work-injury employee's pension base is
  their disability allowance (伤残津贴), not clamped.

The lines are computed by one ``INSERT … SELECT`` per settlement, in integer fen
so that rounding is exact half-up on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from simulator.contributions import CENT, DISABILITY_BASE_FROM, work_injury_rate
from simulator.db.models import (
    Business,
    ContributionLine,
    InsuredRelation,
    Money,
    Settlement,
    Unit,
)
from simulator.months import Month
from simulator.parameters import ParameterView

PPM = Decimal(1_000_000)


@dataclass(frozen=True)
class SettlementSummary:
    fee_month: str
    units: int
    lines: int
    notes: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "fee_month": self.fee_month,
            "units": self.units,
            "lines": self.lines,
            "notes": self.notes,
        }


def _ppm(rate: Decimal, what: str) -> int:
    scaled = rate * PPM
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} rate {rate} is finer than one per million")
    return int(scaled)


def _injury_rate_case(params: ParameterView) -> str:
    """SQL CASE giving the unit's work-injury rate (per million) by class and tier (PER-8)."""
    tiers = params.value("work_injury.floating_tiers")
    whens = []
    for industry_class in range(1, 9):
        count = len(tiers.get(industry_class, tiers.get(str(industry_class), ())) or ())
        default = _ppm(work_injury_rate(params, industry_class), "work injury")
        whens.append(
            f"WHEN COALESCE(u.industry_class, 1) = {industry_class} AND u.floating_tier IS NULL "
            f"THEN {default}"
        )
        for tier in range(1, count + 1):
            rate = _ppm(work_injury_rate(params, industry_class, tier), "work injury")
            whens.append(
                f"WHEN COALESCE(u.industry_class, 1) = {industry_class} "
                f"AND u.floating_tier = {tier} THEN {rate}"
            )
    return "CASE " + " ".join(whens) + " ELSE 0 END"


def apply_duplicate_insurance_rule(session: Session, sandbox_id: str, month: Month) -> list[dict]:
    """F-1: stop pension/unemployment at the later unit after this month."""
    m = str(month)
    covering = and_(
        InsuredRelation.sandbox_id == sandbox_id,
        InsuredRelation.unit_id.is_not(None),
        InsuredRelation.insurance_code.in_(("110", "210")),
        InsuredRelation.start_month <= m,
        (InsuredRelation.stop_month.is_(None)) | (InsuredRelation.stop_month >= m),
        InsuredRelation.status.in_(("1", "3")),
    )
    duplicated = (
        select(InsuredRelation.person_id, InsuredRelation.insurance_code)
        .where(covering)
        .group_by(InsuredRelation.person_id, InsuredRelation.insurance_code)
        .having(func.count(func.distinct(InsuredRelation.unit_id)) > 1)
    )
    notes = []
    for person_id, code in session.execute(duplicated).all():
        relations = session.scalars(
            select(InsuredRelation)
            .where(covering, InsuredRelation.person_id == person_id)
            .where(InsuredRelation.insurance_code == code)
            .order_by(InsuredRelation.start_month, InsuredRelation.id)
        ).all()
        for later in relations[1:]:
            if later.stop_month == m:
                continue
            later.stop_month = m
            later.status = "3"
            later.note = f"省内重复参保，自{month.plus(1)}起停止（F-1）"
            notes.append(
                {
                    "behaviour_id": "F-1",
                    "rule": "duplicate insurance inside the province",
                    "person_id": person_id,
                    "unit_id": later.unit_id,
                    "insurance_code": code,
                    "stopped_after": m,
                }
            )
    session.flush()
    return notes


def settle_month(
    session: Session, sandbox_id: str, month: Month, params: ParameterView, now: datetime
) -> SettlementSummary:
    """Settle one fee month for every unit of the sandbox (idempotent)."""
    notes = apply_duplicate_insurance_rule(session, sandbox_id, month)
    floor = params.value("contribution_base.floor")
    ceiling = params.value("contribution_base.ceiling")
    rates = {
        "110": (params.value("rates.pension.unit"), params.value("rates.pension.personal")),
        "210": (
            params.value("rates.unemployment.unit"),
            params.value("rates.unemployment.personal"),
        ),
    }
    unit_rate = (
        f"CASE r.insurance_code WHEN '110' THEN {_ppm(rates['110'][0], 'pension')} "
        f"WHEN '210' THEN {_ppm(rates['210'][0], 'unemployment')} "
        f"WHEN '410' THEN {_injury_rate_case(params)} ELSE 0 END"
    )
    personal_rate = (
        f"CASE r.insurance_code WHEN '110' THEN {_ppm(rates['110'][1], 'pension')} "
        f"WHEN '210' THEN {_ppm(rates['210'][1], 'unemployment')} ELSE 0 END"
    )
    has_base_changes = session.execute(
        text("SELECT 1 FROM base_changes WHERE sandbox_id = :sandbox LIMIT 1"),
        {"sandbox": sandbox_id},
    ).first()
    has_disability = session.execute(
        text(
            "SELECT 1 FROM people WHERE sandbox_id = :sandbox "
            "AND work_injury_level BETWEEN 1 AND 4 AND disability_allowance IS NOT NULL LIMIT 1"
        ),
        {"sandbox": sandbox_id},
    ).first()
    # The declared base in force for the month: base changes (I7) take effect from their
    # month; before it the old base applies.  Skipped when the sandbox has none (fast path).
    declared = (
        "COALESCE("
        "(SELECT bc.new_base FROM base_changes bc WHERE bc.relation_id = r.id "
        " AND bc.from_month <= :month ORDER BY bc.from_month DESC, bc.id DESC LIMIT 1),"
        "(SELECT bc.old_base FROM base_changes bc WHERE bc.relation_id = r.id "
        " AND bc.from_month > :month ORDER BY bc.from_month, bc.id LIMIT 1),"
        "r.base, r.declared_base, :floor)"
        if has_base_changes
        else "COALESCE(r.base, r.declared_base, :floor)"
    )
    disability = (
        "r.insurance_code = '110' AND p.work_injury_level BETWEEN 1 AND 4 "
        "AND p.disability_allowance IS NOT NULL AND :month >= :disability_from"
    )
    allowance = (
        f"CASE WHEN {disability} THEN p.disability_allowance END"
        if has_disability
        else "CAST(NULL AS NUMERIC)"
    )
    people_join = "JOIN people p ON p.id = r.person_id" if has_disability else ""
    statement = text(
        f"""
        INSERT INTO contribution_lines
            (sandbox_id, person_id, unit_id, relation_id, insurance_code, fee_month,
             base, unit_amount, personal_amount, kind)
        SELECT :sandbox, person_id, unit_id, relation_id, insurance_code, :month,
               base_fen / 100.0,
               ((base_fen * unit_ppm + 500000) / 1000000) / 100.0,
               ((base_fen * personal_ppm + 500000) / 1000000) / 100.0,
               'regular'
        FROM (
            SELECT person_id, unit_id, relation_id, insurance_code, unit_ppm, personal_ppm,
                   CAST(ROUND(CASE WHEN allowance IS NOT NULL THEN allowance
                                   WHEN declared < :floor THEN :floor
                                   WHEN declared > :ceiling THEN :ceiling
                                   ELSE declared END * 100) AS BIGINT) AS base_fen
            FROM (
                SELECT r.person_id AS person_id, r.unit_id AS unit_id, r.id AS relation_id,
                       r.insurance_code AS insurance_code,
                       {declared} AS declared,
                       {allowance} AS allowance,
                       {unit_rate} AS unit_ppm,
                       {personal_rate} AS personal_ppm
                FROM insured_relations r
                JOIN units u ON u.id = r.unit_id
                {people_join}
                WHERE r.sandbox_id = :sandbox
                  AND r.start_month <= :month
                  AND (r.stop_month IS NULL OR r.stop_month >= :month)
                  AND r.status IN ('1', '3')
                  AND r.insurance_code IN ('110', '210', '410')
                  AND r.kind <> 'project'
                  AND NOT EXISTS (
                      SELECT 1 FROM contribution_lines c
                      WHERE c.relation_id = r.id AND c.fee_month = :month
                        AND c.kind = 'regular')
            ) AS declared_bases
        ) AS priced
        """
    ).bindparams(bindparam("floor", type_=Money), bindparam("ceiling", type_=Money))
    inserted = session.execute(
        statement,
        {
            "sandbox": sandbox_id,
            "month": str(month),
            "floor": floor,
            "ceiling": ceiling,
            "disability_from": DISABILITY_BASE_FROM,
        },
    ).rowcount
    disability_people = (
        has_disability
        and session.execute(
            text(
                "SELECT COUNT(DISTINCT r.person_id) FROM insured_relations r "
                "JOIN people p ON p.id = r.person_id "
                f"WHERE r.sandbox_id = :sandbox AND {disability} "
                "AND r.start_month <= :month AND (r.stop_month IS NULL OR r.stop_month >= :month)"
            ),
            {"sandbox": sandbox_id, "month": str(month), "disability_from": DISABILITY_BASE_FROM},
        ).scalar_one()
    )
    if disability_people:
        notes.append(
            {
                "behaviour_id": "F-3",
                "rule": "level 1–4 work injury: pension base = disability allowance",
                "people": disability_people,
            }
        )
    units = _write_notices(session, sandbox_id, month, now, notes)
    return SettlementSummary(str(month), units, inserted or 0, notes)


def notice_totals(sandbox_id: str, first: Month, last: Month) -> Select:
    """单位征缴通知单 totals per unit and fee month, for fee months ``first`` … ``last`` (Q-6):
    the month's regular lines plus the back pay declared in its period (the lines of the
    办结 businesses whose 费款所属期 is that month).  Columns: ``unit_id``, ``fee_month``,
    ``people``, ``lines``, ``unit_total``, ``personal_total``.

    The one rule of the notices: the monthly settlement applies it to the month it
    settles, world loading (:mod:`simulator.worlds`) to the settled months a world holds.
    """

    def months(column: Any) -> Any:
        return column == str(first) if first == last else column.between(str(first), str(last))

    regular = select(
        ContributionLine.unit_id.label("unit_id"),
        ContributionLine.fee_month.label("fee_month"),
        ContributionLine.person_id.label("person_id"),
        ContributionLine.unit_amount.label("unit_amount"),
        ContributionLine.personal_amount.label("personal_amount"),
    ).where(
        ContributionLine.sandbox_id == sandbox_id,
        months(ContributionLine.fee_month),
        ContributionLine.kind == "regular",
    )
    # from the sandbox's businesses to their lines (by business_id), not through every line
    # of the sandbox: a world being loaded has many lines and no business
    backpay = (
        select(
            ContributionLine.unit_id,
            Business.fee_month,
            ContributionLine.person_id,
            ContributionLine.unit_amount,
            ContributionLine.personal_amount,
        )
        .select_from(Business)
        .join(ContributionLine, ContributionLine.business_id == Business.id)
        .where(
            Business.sandbox_id == sandbox_id,
            months(Business.fee_month),
            Business.state == "办结",
            ContributionLine.kind == "backpay",
        )
    )
    lines = regular.union_all(backpay).subquery()
    return (
        select(
            lines.c.unit_id,
            lines.c.fee_month,
            func.count(func.distinct(lines.c.person_id)).label("people"),
            func.count().label("lines"),
            func.sum(lines.c.unit_amount).label("unit_total"),
            func.sum(lines.c.personal_amount).label("personal_total"),
        )
        .where(lines.c.unit_id.is_not(None))
        .group_by(lines.c.unit_id, lines.c.fee_month)
    )


def notice_number(month: Month, unit_no: str | None, unit_id: int) -> str:
    """征缴通知单号: ``ZJ`` + the fee month ``YYYYMM`` + the 单位编号 (Q-6)."""
    return f"ZJ{month.compact()}{unit_no or unit_id}"


def _fen(value: Any) -> Decimal:
    """A SUM of amounts as the database answers it (SQLite: maybe a float) back in fen."""
    return Decimal(str(value or 0)).quantize(CENT)


def _unit_numbers(connection: Session | Connection, sandbox_id: str) -> dict[int, str]:
    query = select(Unit.id, Unit.unit_no).where(Unit.sandbox_id == sandbox_id)
    return {unit_id: unit_no for unit_id, unit_no in connection.execute(query)}


def _write_notices(
    session: Session, sandbox_id: str, month: Month, now: datetime, notes: list[dict]
) -> int:
    """单位征缴通知单 per unit: the month's regular lines plus the period's back pay."""
    m = str(month)
    totals = session.execute(notice_totals(sandbox_id, month, month)).all()
    existing = {
        s.unit_id: s
        for s in session.scalars(
            select(Settlement).where(Settlement.sandbox_id == sandbox_id, Settlement.fee_month == m)
        )
    }
    unit_numbers = _unit_numbers(session, sandbox_id)
    for unit_id, _, people, count, unit_total, personal_total in totals:
        unit_total, personal_total = _fen(unit_total), _fen(personal_total)
        settlement = existing.get(unit_id) or Settlement(
            sandbox_id=sandbox_id,
            unit_id=unit_id,
            fee_month=m,
            notice_no=notice_number(month, unit_numbers.get(unit_id), unit_id),
        )
        settlement.people = people
        settlement.lines = count
        settlement.unit_total = unit_total
        settlement.personal_total = personal_total
        settlement.total = unit_total + personal_total
        settlement.settled_at = now
        settlement.notes = [n for n in notes if n.get("unit_id") in (None, unit_id)]
        session.add(settlement)
    session.flush()
    return len(totals)


def write_settled_notices(
    connection: Connection,
    sandbox_id: str,
    first: Month,
    last: Month,
    settled_at: Callable[[Month], datetime],
) -> int:
    """The 单位征缴通知单 of fee months ``first`` … ``last``, for a sandbox that has none of
    them yet: a world being loaded, whose settled months are written as lines without a
    settlement run (``docs/worlds.md``).  The same totals and numbers as
    :func:`settle_month` (:func:`notice_totals`); ``settled_at(month)``: when the month
    was settled.  One aggregate query and one executemany; returns the notices written.
    """
    unit_numbers = _unit_numbers(connection, sandbox_id)
    months: dict[str, tuple[Month, datetime]] = {}
    rows = []
    for unit_id, fee_month, people, count, unit_total, personal_total in connection.execute(
        notice_totals(sandbox_id, first, last)
    ):
        if fee_month not in months:
            month = Month.parse(fee_month)
            months[fee_month] = (month, settled_at(month))
        month, at = months[fee_month]
        unit_total, personal_total = _fen(unit_total), _fen(personal_total)
        rows.append(
            {
                "sandbox_id": sandbox_id,
                "unit_id": unit_id,
                "fee_month": fee_month,
                "notice_no": notice_number(month, unit_numbers.get(unit_id), unit_id),
                "people": people,
                "lines": count,
                "unit_total": unit_total,
                "personal_total": personal_total,
                "total": unit_total + personal_total,
                "settled_at": at,
                "notes": [],
            }
        )
    if rows:
        connection.execute(insert(Settlement.__table__), rows)
    return len(rows)

"""Benchmark: settling one fee month vs. the floor, and rollback vs. sandbox size (issue 6).

    python bench/bench_settlement.py [--people 100000] [--database-url URL]

The floor is one plain ``INSERT … SELECT`` that computes the same lines in SQL (base
clamped to floor/ceiling, base × rate in fen) for the same relations, measured in the
same run on a copy of the data.  The target: settlement ≤ 3 × floor.  Then a
business is rolled back in sandboxes of 1,000 and of ``--people`` people: its time
should not depend on the size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from simulator.db.models import InsuredRelation, Person, Unit  # noqa: E402
from simulator.months import Month  # noqa: E402
from simulator.platform import Platform  # noqa: E402
from simulator.settlement import settle_month  # noqa: E402

FLOOR_SQL = """
INSERT INTO contribution_lines
    (sandbox_id, person_id, unit_id, relation_id, insurance_code, fee_month,
     base, unit_amount, personal_amount, kind)
SELECT r.sandbox_id, r.person_id, r.unit_id, r.id, r.insurance_code, :month,
       b / 100.0,
       ((b * CASE r.insurance_code WHEN '110' THEN 160000 WHEN '210' THEN 5000 ELSE 4000 END
         + 500000) / 1000000) / 100.0,
       ((b * CASE r.insurance_code WHEN '110' THEN 80000 WHEN '210' THEN 5000 ELSE 0 END
         + 500000) / 1000000) / 100.0,
       'floor'
FROM (SELECT r.*, CAST(ROUND(CASE WHEN r.base < :floor THEN :floor
                                  WHEN r.base > :ceiling THEN :ceiling
                                  ELSE r.base END * 100) AS BIGINT) AS b
      FROM insured_relations r WHERE r.sandbox_id = :sandbox) AS r
"""


def populate(platform: Platform, sandbox_id: str, people: int) -> None:
    """People with 110/210/410 relations at 100-person units, by Core bulk insert."""
    with platform.db.transaction() as session:
        units = [
            {
                "sandbox_id": sandbox_id,
                "uscc": f"91321302BENCH{n:05d}",
                "name": f"基准单位{n}",
                "nature": "企业",
                "region_code": "321302",
                "city_code": "321300",
                "insurance_codes": "110,210,410",
                "status": "参保",
                "industry_class": 2,
            }
            for n in range(max(1, people // 100))
        ]
        session.execute(insert(Unit), units)
        unit_ids = session.scalars(select(Unit.id).where(Unit.sandbox_id == sandbox_id)).all()
        session.execute(
            insert(Person),
            [
                {
                    "sandbox_id": sandbox_id,
                    "person_no": f"B{n:014d}",
                    "id_number": f"3213021990{n:08d}",
                    "name": f"人{n}",
                    "gender": "男",
                    "birth_date": date(1990, 1, 1),
                    "hukou_nature": "11",
                }
                for n in range(people)
            ],
        )
        person_ids = session.scalars(
            select(Person.id).where(Person.sandbox_id == sandbox_id).order_by(Person.id)
        ).all()
        rows = []
        for index, pid in enumerate(person_ids):
            for code in ("110", "210", "410"):
                rows.append(
                    {
                        "sandbox_id": sandbox_id,
                        "person_id": pid,
                        "unit_id": unit_ids[index // 100 % len(unit_ids)],
                        "insurance_code": code,
                        "identity": "101",
                        "kind": "employee",
                        "start_month": "2024-01",
                        "status": "1",
                        "base": Decimal(3000 + (index * 37) % 30000),
                        "declared_base": Decimal(3000 + (index * 37) % 30000),
                    }
                )
        session.execute(insert(InsuredRelation), rows)


def timed(label: str, function) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    function()
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed:8.3f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    platform = Platform(url)
    platform.create_schema()
    month = Month(2024, 6)
    print(f"settlement of {args.people:,} people ({args.people * 3:,} relations) on {url}")
    for sid in ("floor", "settle"):
        platform.create_sandbox(sid, clock="2024-06-07")
        populate(platform, sid, args.people)
    with platform.sandbox_session("floor") as ctx:
        params = ctx.parameters(month)
        floor_value, ceiling = (
            params.value("contribution_base.floor"),
            params.value("contribution_base.ceiling"),
        )

    def floor() -> None:
        with platform.db.transaction() as session:
            session.execute(
                text(FLOOR_SQL),
                {"month": str(month), "floor": float(floor_value), "ceiling": float(ceiling),
                 "sandbox": "floor"},
            )  # fmt: skip

    def settle() -> None:
        with platform.sandbox_session("settle") as ctx:
            settle_month(ctx.session, "settle", month, ctx.parameters(month), datetime.now())

    floor_time = timed("floor: one INSERT … SELECT", floor)
    settle_time = timed("settle_month (lines, F-1, F-3, notices)", settle)
    print(f"  ratio settlement / floor: {settle_time / floor_time:.2f}  (target ≤ 3)")

    from builders import add_person, add_unit

    print("rollback of one enrolment, by sandbox size:")
    for size, sid in ((1_000, "small"), (args.people, "settle")):
        if sid == "small":
            platform.create_sandbox(sid, clock="2024-06-07")
            populate(platform, sid, size)
        platform.set_clock(sid, "2024-06-16")
        _, actor = add_unit(platform, sid)
        id_number = add_person(platform, sid)
        payload = {"id_number": id_number, "contract_reason": "1",
                   "contract_start": "2024-03-01", "job_type": "07", "base": "6000"}  # fmt: skip
        done = platform.submit(sid, "employment_enrolment", payload, actor=actor)
        timed(
            f"rollback in a sandbox of {size:,} people",
            lambda sid=sid, done=done, actor=actor, id_number=id_number: platform.submit(
                sid, "rollback", {"id_number": id_number, "business_no": done.business_no},
                actor=actor,
            ),
        )  # fmt: skip


if __name__ == "__main__":
    main()

"""Benchmark: generating and loading a big world vs a plain Core bulk insert of its rows.

    python bench/bench_worlds.py [--units 1000] [--people 100] [--seed 1]
                                 [--history-months 0] [--database-url URL]

Two measurements in one run, each on a fresh SQLite database file in a temporary
folder (WAL mode, as ``shebao-sim serve`` uses) so that neither inserts into
tables the other has already filled; with ``--database-url`` both use that
database, in two sandboxes:

* **floor** — the rows the loader writes for the world (units, market records,
  people, identity records, employments, insured relations; contribution lines
  too with ``--history-months``) are built beforehand, untimed; then only their
  insertion is timed: SQLAlchemy Core ``insert(table)`` executemany in batches,
  in one transaction, into a fresh sandbox;
* **generate + load** — ``simulator.generator.generate_world`` then
  ``simulator.worlds.load_world_data`` into another fresh sandbox: generation,
  schema and semantic validation, row building and insertion, all timed.

The target (issue 3) is ``generate + load ≤ 2 × floor`` at 1,000 units × 100
people.  This is a benchmark, not a test: it prints the figures and exits 0
either way (``--check`` makes it exit 1 above the target).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulator.generator import generate_world  # noqa: E402
from simulator.memory import gc_paused  # noqa: E402
from simulator.platform import Platform  # noqa: E402
from simulator.worlds import (  # noqa: E402
    BATCH_SIZE,
    RowSink,
    allocate_ids,
    build_rows,
    load_world_data,
    parse_world,
    validate_world,
)

TARGET_RATIO = 2.0


def _platform(url: str | None) -> tuple[Platform, str]:
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="shebao-bench-"))
        url = f"sqlite:///{folder / 'bench.db'}"
    platform = Platform(url)
    platform.create_schema()
    return platform, url


def floor(platform: Platform, data: dict, sandbox_id: str) -> tuple[float, int]:
    """Seconds to Core-insert the world's rows (built beforehand) and how many rows."""
    plan = validate_world(platform, parse_world(data))
    with platform.db.engine.begin() as connection:
        starts = allocate_ids(connection, plan)
    sink = RowSink()
    build_rows(platform, plan, sandbox_id, starts, {"unit": 0, "person": 0}, sink)
    rows = sink.rows
    total = sum(len(batch) for batch in rows.values())
    gc.collect()
    # the loader pauses the garbage collector; so does the floor, to compare like with like
    with gc_paused():
        started = time.perf_counter()
        with platform.db.engine.begin() as connection:
            for table, table_rows in rows.items():
                for first in range(0, len(table_rows), BATCH_SIZE):
                    connection.execute(insert(table), table_rows[first : first + BATCH_SIZE])
        elapsed = time.perf_counter() - started
    return elapsed, total


def generate_and_load(
    platform: Platform, args: argparse.Namespace, sandbox_id: str
) -> tuple[float, float, dict]:
    gc.collect()
    started = time.perf_counter()
    data = generate_world(
        units=args.units,
        people=args.people,
        seed=args.seed,
        history_months=args.history_months,
        platform=platform,
    )
    generated = time.perf_counter()
    summary = load_world_data(platform, sandbox_id, data, source="<bench>")
    done = time.perf_counter()
    return done - started, generated - started, summary.counts


def one_round(args: argparse.Namespace, number: int) -> tuple[float, float, float, int, int]:
    """One floor and one generate + load, each on a fresh database (or sandbox)."""
    floor_platform, url = _platform(args.database_url)
    platform = floor_platform if args.database_url else _platform(None)[0]
    if number == 1:
        print(f"database: {url}" + ("" if args.database_url else " (and a second fresh one)"))
    suffix = f"{int(time.time())}-{number}"
    floor_platform.create_sandbox(f"bench-floor-{suffix}", clock="2021-08-16")
    platform.create_sandbox(f"bench-load-{suffix}", clock="2021-08-16")
    # the floor's rows come from the same world (generated here, untimed)
    data = generate_world(
        units=args.units,
        people=args.people,
        seed=args.seed,
        history_months=args.history_months,
        platform=floor_platform,
    )
    floor_seconds, rows = floor(floor_platform, data, f"bench-floor-{suffix}")
    del data
    gc.collect()
    load_seconds, generate_seconds, counts = generate_and_load(
        platform, args, f"bench-load-{suffix}"
    )
    with platform.db.engine.connect() as connection:
        from simulator.db.models import Person

        people = connection.execute(
            select(func.count()).where(Person.sandbox_id == f"bench-load-{suffix}")
        ).scalar_one()
    assert people == args.units * args.people, people
    assert sum(counts.values()) == rows, (counts, rows)
    platform.db.dispose()
    floor_platform.db.dispose()
    print(
        f"  round {number}: floor {floor_seconds:6.2f} s, generate + load {load_seconds:6.2f} s "
        f"(generate {generate_seconds:.2f} s), ratio {load_seconds / floor_seconds:.2f}"
    )
    return floor_seconds, load_seconds, generate_seconds, rows, people


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--people", type=int, default=100, help="people per unit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--history-months", type=int, default=0)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds; the best time of each side counts"
    )
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET_RATIO}×")
    args = parser.parse_args(argv)

    print(f"world: {args.units} units × {args.people} people, seed {args.seed}, "
          f"history {args.history_months} months")  # fmt: skip
    results = [one_round(args, number) for number in range(1, args.repeat + 1)]
    floor_seconds = min(result[0] for result in results)
    best = min(results, key=lambda result: result[1])
    load_seconds, generate_seconds, rows, people = best[1], best[2], best[3], best[4]
    ratio = load_seconds / floor_seconds
    print(f"rows written: {rows} ({people} people with their identity records, employments,")
    print("  insured relations; units and market records" +
          (", contribution lines)" if args.history_months else ")"))  # fmt: skip
    print(f"floor (Core bulk insert of prebuilt rows): {floor_seconds:8.2f} s")
    print(f"generate + load:                           {load_seconds:8.2f} s "
          f"(generate {generate_seconds:.2f} s, validate + write "
          f"{load_seconds - generate_seconds:.2f} s)")  # fmt: skip
    print(f"ratio: {ratio:.2f} (target ≤ {TARGET_RATIO})")
    return 1 if args.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())

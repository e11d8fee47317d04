"""Benchmark: batch 用人单位用工参保登记 of a ~10 MB template vs. the floor (issue 5).

    python bench/bench_batch_enrolment.py [--rows 80000] [--database-url URL] [--profile]

Setup (not timed): a sandbox on a SQLite database file in a temporary folder (WAL, as
``shebao-sim serve`` uses; ``--database-url`` for another database) with one insured
unit and, by Core bulk insert, the people of the file (and 20 % more who are not in it),
with the situations that make some rows refused — a realistic mix: about 94 % valid
rows, contract starts that give no back pay, one month, two to six months and more than
six months (PER-4, PER-5), varied declared bases (some below the floor, some above the
ceiling), and a few rows of every documented refusal of I3 (I3-4 … I3-11, the same
person twice, input errors).  The workbook is written with openpyxl, like a template
filled in and saved by a spreadsheet program.

Measured in a fresh process, on the same database and the same file:

* **floor** — the file parsed with python-calamine, plus one SQLAlchemy Core executemany
  of its rows (as text) into a plain table, committed;
* **batch** — ``simulator.batch.submit_batch`` end to end: file checks, parsing,
  validation, the people's records, every rule of I3, relations, back-pay lines,
  one 办件 per valid row with its reversible effects, the per-row results.

A third figure, on SQLite: **writing only** the rows the batch wrote (read back from its
database, inserted table by table with the batch's own writer into a copy of the
database as it was before, committed) — what the batch's output costs to store, rules
and parsing aside, against the same floor.

It prints the times, the ratio (target ≤ 3) and the process's peak memory (peak RSS,
from ``resource.getrusage``; the floor's and the process baseline too, so that the
batch's share can be read off).  ``--profile`` runs the batch under cProfile and prints
where the time goes (slower: read the ratio from a run without it).  A benchmark, not
a test: it exits 0 whatever the figures (``--check`` exits 1 above the target).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Column as SqlColumn  # noqa: E402
from sqlalchemy import Integer, MetaData, String, Table, insert, select  # noqa: E402

from plugins.items.employment_enrolment import EmploymentEnrolment  # noqa: E402
from simulator.context import Actor  # noqa: E402
from simulator.db.models import (  # noqa: E402
    Account,
    BenefitPayment,
    InsuredRelation,
    Person,
    Unit,
)
from simulator.identifiers import generate_credit_code, generate_resident_id  # noqa: E402
from simulator.platform import Platform  # noqa: E402

TARGET_RATIO = 3.0
SANDBOX = "bench"
ROW_SANDBOX = "bench-row-by-row"
CLOCK = "2021-08-16"  # declaration period 2021-08-11 … 2021-09-06, fee month 2021-09
ITEM = "employment_enrolment"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍飞鹏宇浩晨欣怡佳琳子轩雨"

#: share of the rows per kind (the rest are valid rows)
REFUSALS = {
    "no_base_record": 0.012,  # I3-4
    "pension_elsewhere": 0.006,  # I3-5
    "all_elsewhere": 0.004,  # I3-6
    "past_age": 0.003,  # I3-6
    "pensioner": 0.002,  # I3-6
    "two_records": 0.004,  # I3-7
    "benefit": 0.004,  # I3-8
    "flexible": 0.004,  # I3-9
    "no_hukou": 0.004,  # I3-10
    "hr_fields": 0.003,  # I3-11
    "twice": 0.005,  # the same person again later in the file
    "bad_input": 0.005,  # a wrong check digit, a missing ★ field, a bad date
}
#: contract start months before the fee month 2021-09 → months of back pay
BACKPAY_MONTHS = [(0, 0.30), (1, 0.40), (2, 0.06), (3, 0.05), (4, 0.04), (5, 0.03),
                  (6, 0.04), (9, 0.05), (14, 0.03)]  # fmt: skip


# --- setup (not timed) -------------------------------------------------------------------------


def _month_start(months_back: int, rnd: random.Random) -> date:
    index = 2021 * 12 + 8 - months_back  # 2021-09 is index 2021*12+8
    return date(index // 12, index % 12 + 1, rnd.randint(1, 28))


def build(
    platform: Platform, rows: int, seed: int, sandbox: str = "bench"
) -> tuple[bytes, Actor, dict[str, int]]:
    """The sandbox's data (Core bulk inserts) and the workbook's content."""
    rnd = random.Random(seed)
    platform.create_sandbox(sandbox, clock=CLOCK)
    kinds: list[str] = []
    for kind, share in REFUSALS.items():
        kinds += [kind] * round(rows * share)
    # a "twice" person has two rows: the first registered, the second refused
    kinds += ["valid"] * (rows - len(kinds) - kinds.count("twice"))
    rnd.shuffle(kinds)
    with platform.db.transaction() as session:
        units = [
            {
                "sandbox_id": sandbox,
                "unit_no": f"32010000{n:04d}",
                "uscc": generate_credit_code("320115", 7000 + n),
                "name": name,
                "nature": "企业",
                "region_code": "320115",
                "city_code": "320100",
                "industry_class": 2,
                "insurance_codes": "110,210,410",
                "status": "参保",
                "registered_on": date(2015, 1, 1),
            }
            for n, name in enumerate(["南京示例制造集团有限公司", "南京示例物流有限公司"])
        ]
        main_id, former_id = (
            session.execute(insert(Unit).values(**unit).returning(Unit.id)).scalar_one()
            for unit in units
        )
        account_id = session.execute(
            insert(Account)
            .values(
                sandbox_id=sandbox,
                unit_id=main_id,
                role="legal_rep",
                id_number=generate_resident_id("320115", date(1970, 1, 1), 1, "男"),
                name="法人",
                created_at=datetime(2020, 1, 1),
            )
            .returning(Account.id)
        ).scalar_one()

        serial = iter(range(10**9))
        used: set[str] = set()

        def new_id(birth_from: int = 1972, birth_to: int = 2002, gender: str = "") -> str:
            while True:
                birth = date(
                    rnd.randint(birth_from, birth_to), rnd.randint(1, 12), rnd.randint(1, 28)
                )
                sex = gender or rnd.choice("男女")
                number = generate_resident_id(
                    rnd.choice(["320102", "320104", "320115", "321302", "340104"]),
                    birth, rnd.randint(0, 499), sex,
                )  # fmt: skip
                if number not in used:
                    used.add(number)
                    return number

        people: list[dict[str, Any]] = []
        file_rows: list[dict[str, Any]] = []
        situations: list[tuple[str, int]] = []  # (kind, index in people)

        def person(number: str, **extra: Any) -> int:
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            people.append(
                {
                    "sandbox_id": sandbox,
                    "person_no": f"32010{next(serial):011d}",
                    "id_number": number,
                    "name": rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.randint(1, 2))),
                    "gender": "男" if int(number[16]) % 2 else "女",
                    "birth_date": born,
                    "hukou_nature": rnd.choice(["11", "12", "21"]),
                    "draws_pension": False,
                    **extra,
                }
            )
            return len(people) - 1

        def contract(index: int | None, number: str) -> dict[str, Any]:
            months_back = rnd.choices(
                [m for m, _ in BACKPAY_MONTHS], [w for _, w in BACKPAY_MONTHS]
            )[0]
            start = _month_start(months_back, rnd)
            kind = rnd.choice(["41", "41", "41", "42", "43"])
            base = rnd.choice([Decimal(rnd.randrange(3000, 26000, 10)), Decimal(rnd.randrange(3000_00, 26000_00)) / 100])  # fmt: skip
            record = people[index] if index is not None else None
            end = date(start.year + 3, start.month, start.day) if kind == "41" else ""

            def typed(day: date | str) -> date | str:  # typed as text or as an Excel date
                return day.isoformat() if day and rnd.random() < 0.5 else day  # type: ignore[union-attr]

            return {
                "id_number": number,
                "person_no": record["person_no"] if record else "",
                "name": record["name"] if record else rnd.choice(SURNAMES) + rnd.choice(GIVEN),
                "contract_reason": rnd.choice(["1", "1", "1", "3"]),
                "contract_type": kind,
                "contract_start": typed(start),
                "contract_end": typed(end),
                "job_type": rnd.choice(["01", "02", "03", "04", "05", "06", "07", "07", "07"]),
                "identity": rnd.choice(["101"] * 30 + ["103", "104"]),
                "base": str(base),
                "pension_account_type": "1",
                "extended_payment": "0",
                "female_cadre": rnd.choice(["否", "否", "否", "是"]),
            }

        twice: list[dict[str, Any]] = []
        for kind in kinds:
            if kind == "no_base_record":
                file_rows.append(contract(None, new_id()))
                continue
            if kind == "past_age":
                index = person(new_id(1940, 1955, "男"))
            elif kind == "pensioner":
                index = person(new_id(1965, 1972), draws_pension=True)
            elif kind == "no_hukou":
                index = person(new_id(), hukou_nature=None)
            else:
                index = person(new_id())
            number = people[index]["id_number"]
            if kind == "two_records":
                person(number)
            row = contract(index, number)
            if kind == "two_records":
                row["person_no"] = ""
            if kind == "benefit":
                row["contract_start"] = _month_start(4, rnd)
            if kind == "hr_fields":
                row["dispatch_type"] = "1"
                row["dispatch_employer_no"] = "320100009999"
                row["dispatch_employer_name"] = "南京示例用工单位有限公司"
            if kind == "bad_input":
                choice = rnd.randrange(3)
                if choice == 0:
                    row["id_number"] = number[:17] + ("1" if number[17] != "1" else "2")
                elif choice == 1:
                    row["job_type"] = ""
                else:
                    row["contract_start"] = "2021-02-30"
            if kind == "twice":
                twice.append(dict(row))
            situations.append((kind, index))
            file_rows.append(row)
        for row in twice:  # later in the file: refused as already insured here
            file_rows.insert(rnd.randrange(len(file_rows) // 2, len(file_rows) + 1), row)
        for _ in range(rows // 5):  # people of the sandbox who are not in the file
            person(new_id())

        session.execute(insert(Person), people)
        ids = session.scalars(
            select(Person.id).where(Person.sandbox_id == sandbox).order_by(Person.id)
        ).all()
        relations: list[dict[str, Any]] = []
        benefits: list[dict[str, Any]] = []

        def relation(index: int, unit_id: int | None, code: str, kind: str = "employee") -> None:
            relations.append(
                {
                    "sandbox_id": sandbox,
                    "person_id": ids[index],
                    "unit_id": unit_id,
                    "insurance_code": code,
                    "identity": "101" if kind == "employee" else "301",
                    "kind": kind,
                    "start_month": "2019-01",
                    "status": "1",
                    "base": Decimal(5000),
                    "declared_base": Decimal(5000),
                }
            )

        for kind, index in situations:
            if kind == "pension_elsewhere":
                relation(index, former_id, "110")
            elif kind == "all_elsewhere":
                for code in ("110", "210", "410"):
                    relation(index, former_id, code)
            elif kind == "flexible":
                relation(index, None, "110", "flexible")
            elif kind == "benefit":
                for month in ("2021-05", "2021-06"):
                    benefits.append({"sandbox_id": sandbox, "person_id": ids[index],
                                     "month": month, "amount": Decimal(1860)})  # fmt: skip
        if relations:
            session.execute(insert(InsuredRelation), relations)
        if benefits:
            session.execute(insert(BenefitPayment), benefits)
    actor = Actor(unit_id=main_id, name="法人", role="legal_rep", account_id=account_id)
    counts = {kind: kinds.count(kind) for kind in ["valid", *REFUSALS]}
    counts["people"] = len(people)
    return workbook(file_rows), actor, counts


def workbook(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    columns = EmploymentEnrolment.batch_columns
    book = Workbook(write_only=True)
    sheet = book.create_sheet(EmploymentEnrolment.name)
    sheet.append([column.title for column in columns])
    for row in rows:
        sheet.append([row.get(column.key) or None for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- measured in a fresh process --------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(url: str, path: Path, actor: Actor, profile: bool) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    from simulator.batch import submit_batch

    content = path.read_bytes()
    platform = Platform(url)
    platform.create_schema()  # (no-op: the tables exist) warms the engine and metadata
    _ = platform.items, platform.parameters_for(platform.city("320100"))
    baseline = peak_rss_mb()

    columns = EmploymentEnrolment.batch_columns
    floor_table = Table(
        "bench_floor_rows",
        MetaData(),
        SqlColumn("id", Integer, primary_key=True),
        *[SqlColumn(column.key, String(200)) for column in columns],
    )
    floor_table.create(platform.db.engine)
    gc.collect()
    start, start_cpu = time.perf_counter(), time.process_time()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    cells = sheet.to_python(skip_empty_area=False)
    keys = [column.key for column in columns]
    parameters = [
        {key: (None if value is None or value == "" else str(value)) for key, value in zip(keys, row, strict=False)}
        for row in cells[1:]
    ]  # fmt: skip
    with platform.db.engine.begin() as connection:
        connection.execute(insert(floor_table), parameters)
    floor, floor_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    floor_rows = len(parameters)
    del cells, parameters, sheet
    after_floor = peak_rss_mb()

    gc.collect()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start, start_cpu = time.perf_counter(), time.process_time()
    job = submit_batch(platform, SANDBOX, ITEM, "用工参保登记.xlsx", content, actor=actor)
    batch, batch_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = io.StringIO()
        pstats.Stats(profiler, stream=stats).sort_stats("tottime").print_stats(30)
        print(stats.getvalue())
        stats = io.StringIO()
        pstats.Stats(profiler, stream=stats).sort_stats("cumulative").print_stats(40)
        print(stats.getvalue())
    codes: dict[str, int] = {}
    for row in job["rows"]:
        if not row["ok"]:
            codes[row["errors"][0]["code"]] = codes.get(row["errors"][0]["code"], 0) + 1
    lines = sum(len(r["data"]["补缴明细"]) for r in job["rows"] if r["ok"])
    return {
        "floor": floor,
        "floor_cpu": floor_cpu,
        "floor_rows": floor_rows,
        "batch": batch,
        "batch_cpu": batch_cpu,
        "total": job["数据总数"],
        "errors": job["错误数量"],
        "codes": codes,
        "backpay_lines_shown": lines,
        "baseline_rss_mb": baseline,
        "after_floor_rss_mb": after_floor,
        "peak_rss_mb": peak_rss_mb(),
        "bulk": platform.item(ITEM).bulk_batch(platform) is not None,
        "written": written(platform, SANDBOX),
    }


#: what a batch writes (rows per table, in the sandbox)
WRITTEN = ("businesses", "employments", "insured_relations", "contribution_lines",
           "business_effects")  # fmt: skip


def written(platform: Platform, sandbox_id: str) -> dict[str, int]:
    from sqlalchemy import func

    from simulator.db.models import Base

    tables = Base.metadata.tables
    with platform.db.transaction() as session:
        return {
            name: session.scalar(
                select(func.count())
                .select_from(tables[name])
                .where(tables[name].c.sandbox_id == sandbox_id)
            )
            for name in WRITTEN
        }


def row_by_row(url: str, path: Path, actor: Actor) -> dict[str, Any]:
    """The same kind of file through the row-by-row path (for comparison, a sample)."""
    from simulator.batch import submit_batch

    platform = Platform(url)
    platform.settings["batch.bulk"] = False
    content = path.read_bytes()
    start = time.perf_counter()
    job = submit_batch(platform, ROW_SANDBOX, ITEM, "用工参保登记.xlsx", content, actor=actor)
    return {"rows": job["数据总数"], "seconds": time.perf_counter() - start}


def write_only(url: str, written_url: str) -> dict[str, Any]:
    """How long writing just the rows the batch wrote takes, rules aside: the rows read
    back from the batch's database (``written_url``) and inserted, table by table with
    multi-row INSERTs (the batch's own writer), into a copy of the database as it was
    before the batch (``url``), then committed."""
    from sqlalchemy import create_engine, func

    from simulator.db import json_text
    from simulator.db.models import Base
    from simulator.db.rows import RowWriter

    # the job's file and 处理详情 too: the 办件 refer to them
    tables = [Base.metadata.tables[name] for name in ("uploaded_files", "batch_jobs", *WRITTEN)]
    before = create_engine(url)
    with before.connect() as connection:
        existing = {table: connection.scalar(select(func.max(table.c.id))) or 0 for table in tables}
    before.dispose()
    source = create_engine(written_url)
    with source.connect() as connection:
        rows = {
            table: [
                dict(row._mapping)
                for row in connection.execute(
                    select(table).where(table.c.id > existing[table]).order_by(table.c.id)
                )
            ]
            for table in tables
        }
    source.dispose()
    for row in rows[Base.metadata.tables["businesses"]]:
        for column in ("payload", "result", "trace"):
            row[column] = json_text(row[column])
    platform = Platform(url)
    platform.create_schema()
    gc.collect()
    start = time.perf_counter()
    with platform.db.engine.begin() as connection:
        writer = RowWriter(connection)
        from simulator.bulk import BATCH_CACHE_KIB

        writer.reserve_cache(BATCH_CACHE_KIB)
        for table in sorted(tables, key=list(Base.metadata.sorted_tables).index):
            # the 办件's JSON goes in as text, as the batch writes it (serialised once)
            serialised = ("payload", "result", "trace") if table.name == "businesses" else ()
            for start_row in range(0, len(rows[table]), 2000):
                writer.insert(
                    table, rows[table][start_row : start_row + 2000],
                    json_text=serialised, want_ids=False,
                )  # fmt: skip
        writer.close()
    return {"seconds": time.perf_counter() - start, "rows": sum(map(len, rows.values()))}


def child(flag: str, url: str, path: Path, actor: Actor, *extra: str) -> dict[str, Any]:
    """Run a measurement in a fresh process (its peak memory is its own); its answer."""
    actor_json = json.dumps(
        {"unit_id": actor.unit_id, "name": actor.name, "role": actor.role,
         "account_id": actor.account_id}
    )  # fmt: skip
    command = [sys.executable, __file__, flag, url, str(path), actor_json, *extra]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        print(done.stdout, done.stderr)
        raise SystemExit(done.returncode)
    *printed, last = done.stdout.rstrip("\n").split("\n")
    if printed:
        print("\n".join(printed))
    return json.loads(last)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=80_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true", help="profile the batch (slower)")
    parser.add_argument("--check", action="store_true", help="exit 1 above the target")
    parser.add_argument(
        "--row-by-row",
        type=int,
        default=0,
        metavar="N",
        help="also time a file of N rows through the row-by-row path (for comparison)",
    )
    parser.add_argument(
        "--measure", nargs=3, metavar=("URL", "XLSX", "ACTOR"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--measure-row-by-row", nargs=3, metavar=("URL", "XLSX", "ACTOR"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--measure-writes", nargs=2, metavar=("URL", "FROM"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.measure_writes:  # a child process
        print(json.dumps(write_only(*args.measure_writes)))
        return

    if args.measure or args.measure_row_by_row:  # a child process
        url, xlsx, actor_json = args.measure or args.measure_row_by_row
        actor = Actor(**json.loads(actor_json))
        if args.measure:
            print(json.dumps(measure(url, Path(xlsx), actor, args.profile)))
        else:
            print(json.dumps(row_by_row(url, Path(xlsx), actor)))
        return

    folder = Path(tempfile.mkdtemp(prefix="shebao-bench-batch-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    platform = Platform(url)
    platform.create_schema()
    print(f"batch 用人单位用工参保登记 of {args.rows:,} rows on {url}")
    started = time.perf_counter()
    content, actor, counts = build(platform, args.rows, args.seed)
    path = folder / "用工参保登记.xlsx"
    path.write_bytes(content)
    platform.db.dispose()
    print(f"  setup (not timed): {time.perf_counter() - started:.1f} s — {counts['people']:,} "
          f"people, file {len(content) / 2**20:.2f} MB ({len(content):,} bytes)")  # fmt: skip
    print("  rows by kind: " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "people"))
    sample = None
    if args.row_by_row:
        platform = Platform(url)
        sample_content, sample_actor, _ = build(platform, args.row_by_row, args.seed, ROW_SANDBOX)
        sample_path = folder / "row-by-row.xlsx"
        sample_path.write_bytes(sample_content)
        platform.db.dispose()
        sample = child("--measure-row-by-row", url, sample_path, sample_actor)
    before = None
    if url.startswith("sqlite:///"):  # a copy as it is before the batch, for the write-only run
        before = folder / "before.db"
        shutil.copyfile(url.removeprefix("sqlite:///"), before)
    result = child("--measure", url, path, actor, *(["--profile"] if args.profile else []))
    writes = None
    if before is not None:
        command = [sys.executable, __file__, "--measure-writes", f"sqlite:///{before}", url]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode == 0:
            writes = json.loads(done.stdout.rstrip("\n").split("\n")[-1])
        else:
            print("  (the write-only run failed:", done.stderr.strip().splitlines()[-1][:300], ")")
    ratio = result["batch"] / result["floor"]
    cpu_ratio = result["batch_cpu"] / result["floor_cpu"]
    print(f"  floor: calamine parse + one Core executemany of {result['floor_rows']:,} rows: "
          f"{result['floor']:.2f} s ({result['floor_cpu']:.2f} s CPU)")  # fmt: skip
    path_name = "set-based (simulator.bulk)" if result["bulk"] else "row by row"
    print(f"  batch: submit_batch end to end, {path_name}: "
          f"{result['batch']:.2f} s ({result['batch_cpu']:.2f} s CPU)")  # fmt: skip
    print(f"  ratio batch / floor: {ratio:.2f} wall clock, {cpu_ratio:.2f} CPU "
          f"(target ≤ {TARGET_RATIO:g})")  # fmt: skip
    print(f"  rows {result['total']:,}, refused {result['errors']:,}: " + ", ".join(
        f"{code} {n}" for code, n in sorted(result["codes"].items())))  # fmt: skip
    print(f"  back-pay lines shown: {result['backpay_lines_shown']:,}")
    print(f"  peak RSS of the measuring process: {result['peak_rss_mb']:.0f} MB "
          f"(after imports {result['baseline_rss_mb']:.0f} MB, after the floor "
          f"{result['after_floor_rss_mb']:.0f} MB)")  # fmt: skip
    total = sum(result["written"].values())
    print(f"  the batch wrote {total:,} rows (the floor {result['floor_rows']:,}): " + ", ".join(
        f"{name} {n:,}" for name, n in result["written"].items()))  # fmt: skip
    if writes is not None:
        print(f"  writing only the {writes['rows']:,} rows the batch wrote (its writer, rules aside, "
              f"committed): {writes['seconds']:.2f} s = {writes['seconds'] / result['floor']:.2f}× "
              f"the floor")  # fmt: skip
    if sample is not None:
        per_row = sample["seconds"] / sample["rows"]
        print(f"  row by row (the former path), {sample['rows']:,} rows: {sample['seconds']:.2f} s, "
              f"{per_row * 1000:.1f} ms a row — {per_row * result['total']:.0f} s for "
              f"{result['total']:,} rows; set-based: "
              f"{result['batch'] / result['total'] * 1000:.2f} ms a row")  # fmt: skip
    if args.check and ratio > TARGET_RATIO:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

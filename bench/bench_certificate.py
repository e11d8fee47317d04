"""Benchmark: the 权益记录单 of a unit with 10,000 insured people vs. the bare table (issue 9).

    python bench/bench_certificate.py [--people 10000] [--months 12] [--database-url URL]

One unit, ``--people`` people insured for 养老/工伤/失业 with ``--months`` months of
contributions each (360,000 lines for the defaults), bulk-inserted.  Two timings,
in the same run and process:

* **floor** — ReportLab lays out the same table with the record's own table code
  (same font, page size, rows per page, column widths, cells and grid) from rows
  computed beforehand: no data look-ups, no page header, totals, QR code or seal;
* **record** — :func:`simulator.certificate.issue_record`: the look-ups (缴费总人数,
  the list with 缴费起止年月 and 缴费月数), the full layout (header on every page,
  totals, QR code, notes, seal), signing and storing the issued record.

The target (issue 9): record ≤ 3 × floor.  Each is run ``--repeat`` times; the
best time counts (the first run also pays for loading the font).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import certificate as cert  # noqa: E402
from simulator.context import Actor  # noqa: E402
from simulator.db.models import ContributionLine, InsuredRelation, Person, Unit  # noqa: E402
from simulator.months import Month, month_range  # noqa: E402
from simulator.platform import Platform  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文臧蔺"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国庆春梅琴云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"


def name_of(n: int) -> str:
    surname = SURNAMES[n % len(SURNAMES)]
    first = GIVEN[(n * 7) % len(GIVEN)]
    if n % 3 == 0:
        return surname + first
    return surname + first + GIVEN[(n * 13 + 5) % len(GIVEN)]


def populate(platform: Platform, sandbox_id: str, people: int, months: list[Month]) -> Actor:
    """One 宿迁 unit with ``people`` insured people and their contribution lines."""
    with platform.db.transaction() as session:
        session.execute(
            insert(Unit),
            [
                {
                    "sandbox_id": sandbox_id,
                    "unit_no": "321300000001",
                    "uscc": "9132130262059337XB",
                    "name": "宿迁市示例纺织服饰有限公司",
                    "nature": "企业",
                    "region_code": "321302",
                    "city_code": "321300",
                    "insurance_codes": "110,210,410",
                    "status": "参保",
                    "industry_class": 4,
                }
            ],
        )
        unit_id = session.scalars(select(Unit.id).where(Unit.sandbox_id == sandbox_id)).one()
        session.execute(
            insert(Person),
            [
                {
                    "sandbox_id": sandbox_id,
                    "person_no": f"32130{n:011d}",
                    "id_number": f"3213021990{n:08d}",
                    "name": name_of(n),
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
        relations = [
            {
                "sandbox_id": sandbox_id,
                "person_id": pid,
                "unit_id": unit_id,
                "insurance_code": code,
                "identity": "101",
                "kind": "employee",
                "start_month": str(months[0]),
                "status": "1",
                "base": Decimal(6000),
                "declared_base": Decimal(6000),
            }
            for pid in person_ids
            for code in ("110", "210", "410")
        ]
        session.execute(insert(InsuredRelation), relations)
        batch: list[dict[str, object]] = []
        for pid in person_ids:
            for month in months:
                for code in ("110", "210", "410"):
                    batch.append(
                        {
                            "sandbox_id": sandbox_id,
                            "person_id": pid,
                            "unit_id": unit_id,
                            "insurance_code": code,
                            "fee_month": str(month),
                            "base": Decimal(6000),
                            "unit_amount": Decimal("960.00"),
                            "personal_amount": Decimal("480.00"),
                            "kind": "regular",
                        }
                    )
            if len(batch) >= 50_000:
                session.execute(insert(ContributionLine), batch)
                batch = []
        if batch:
            session.execute(insert(ContributionLine), batch)
    return Actor(unit_id=unit_id, name="基准", role="legal_rep")


def floor_layout(rows: tuple[cert.RecordRow, ...]) -> bytes:
    """The same table laid out by the same code, from rows computed beforehand.

    Only the list: its header row, cells and grid on every page (``_draw_rows``, the
    record's own table code) — no look-ups, no page header, totals, QR code or seal.
    """
    cert.register_cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A4,
        pageCompression=1,
        initialFontName=cert.FONT_NAME,
        initialFontSize=cert.BODY_SIZE,
    )
    pen = cert._Pen(canvas)
    for page in cert.plan_pages(len(rows)):
        cert._draw_rows(pen, rows, page)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def best_of(repeat: int, label: str, function: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    best = min(times)
    runs = ", ".join(f"{t:.3f}" for t in times)
    print(f"  {label:<58} best {best:7.3f} s  ({runs})")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    platform = Platform(url)
    platform.create_schema()
    months = month_range(Month(2020, 1), Month(2020, 1).plus(args.months - 1))
    sandbox_id = "bench-certificate"
    platform.create_sandbox(sandbox_id, clock="2021-08-16")
    started = time.perf_counter()
    actor = populate(platform, sandbox_id, args.people, months)
    lines = args.people * len(months) * 3
    print(
        f"权益记录单 of {args.people:,} people, {len(months)} months ({lines:,} contribution "
        f"lines) on {url}  [populated in {time.perf_counter() - started:.1f} s]"
    )
    cert.register_cjk_font()

    with platform.sandbox_session(sandbox_id) as ctx:
        unit = ctx.session.get(Unit, actor.unit_id)
        assert unit is not None
        data = cert.gather_record_data(ctx.session, unit, "宿迁市市本级", months[0], months[-1])
    precomputed = data.rows
    pages = len(cert.plan_pages(len(precomputed)))
    print(f"  {len(precomputed):,} rows listed, {pages} pages")

    floor = best_of(
        args.repeat, "floor: the bare table, precomputed rows", lambda: floor_layout(precomputed)
    )
    issued: list[cert.IssuedRecordView] = []

    def record() -> None:
        issued.append(
            cert.issue_record(
                platform,
                sandbox_id,
                actor,
                start=months[0],
                end=months[-1],
                secret_key="bench",
                base_url="http://127.0.0.1:8000",
            )
        )

    full = best_of(args.repeat, "record: look-ups + layout + QR + seal + store", record)
    lookups = best_of(
        args.repeat,
        "  of which the look-ups (gather_record_data)",
        lambda: _gather(platform, sandbox_id, actor, months),
    )
    print(f"  PDF: {len(issued[-1].pdf) / 1e6:.2f} MB, {issued[-1].pages} pages")
    print(f"  ratio record / floor: {full / floor:.2f}  (target ≤ 3)  lookups: {lookups:.3f} s")


def _gather(platform: Platform, sandbox_id: str, actor: Actor, months: list[Month]) -> None:
    with platform.sandbox_session(sandbox_id) as ctx:
        unit = ctx.session.get(Unit, actor.unit_id)
        assert unit is not None
        cert.gather_record_data(ctx.session, unit, "宿迁市市本级", months[0], months[-1])


if __name__ == "__main__":
    main()

"""江苏省社会保险权益记录单（参保单位） — guide G §四 (打印证明), FAQ Q6; Q-3, Q-4, Q-5.

The unit prints its rights record from the unit centre: a PDF laid out like the
guide's sample, "带红字印章的证明，并支持扫码验证".  This module holds the whole
business concept:

* **the data** (Q-3, Q-4, :func:`gather_record_data`): 参保单位全称, 现参保地,
  统一社会信用代码, 查询时间 (a month range); per insurance type (养老/工伤/失业) the
  缴费总人数 — the people insured *at query time*; and the list (序号, 姓名,
  公民身份号码, 缴费起止年月, 缴费月数) of the people with contributions inside the range
  whose insurance at the unit is not interrupted (F Q6);
* **the layout** (:func:`render_record_pdf`): header on every page with 共y页，第x页,
  the totals table on page 1, the list, the guide's four notes verbatim, a red
  electronic seal and a QR code at the top right of every page.  Chinese text is set
  in WenQuanYi Micro Hei (:func:`cjk_font_path`), never ReportLab's STSong-Light CID
  font, which viewers without Adobe's Asian font pack show as boxes;
* **the signature** (Q-5, :func:`sign_record`, :func:`verify_record`): the QR code
  carries a URL with a token signed with the application's secret key; it names the
  sandbox, the record, the unit, the range, the issue time and the SHA-256 digest of
  the record's data.  Verification succeeds any number of times while the sandbox
  clock of the record's sandbox is less than six months after the issue, and fails
  after that, for an altered token, or for a document that is not the one issued.

Decisions (docs/records.md, docs/decisions.md):

* 缴费总人数 counts, per type, the distinct people with an *employee* relation at the
  unit that is active now (``status == '1'`` and no stop month).  养老保险 counts
  企业职工 (110) and 机关事业 (120) pension.  Project work-injury cover (按项目参保,
  I9) is insured per project, not counted.
* The list: people with at least one contribution line (regular or back pay, any
  type) of the unit inside the range, **and** an employee relation at the unit
  active now.  Someone whose every relation at the unit is stopped is interrupted
  (已中断) and not listed, even with months in the range (F Q6).
* 缴费起止年月 = the first and last fee month with a line inside the range; 缴费月数 =
  the number of distinct such months (a gap makes it smaller than the span).
* Order: by 缴费起始年月, then 个人编号 (the order people were registered).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import qrcode
from itsdangerous import BadSignature, URLSafeSerializer
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from simulator.clock import SandboxClock
from simulator.context import Actor
from simulator.db.models import ContributionLine, InsuredRelation, Person, Sandbox, Unit
from simulator.db.records import IssuedRecord
from simulator.errors import NOT_FOUND, ErrorSpec, Refused
from simulator.months import Month

if TYPE_CHECKING:
    from simulator.platform import Platform

# --- the guide's words ------------------------------------------------------------------------

TITLE = "江苏省社会保险权益记录单（参保单位）"
#: the printed notes, verbatim from the guide's sample (G §四)
NOTES = (
    "1. 本权益单涉及单位及参保职工个人信息，单位应妥善保管。",
    "2. 本权益单为打印时参保情况。",
    "3. 本权益单已签具电子印章，不再加盖鲜章。",
    "4. 本权益单记录单出具后有效期内(6个月)，如需核对真伪，请使用江苏智慧人社APP，"
    "扫描右上方二维码进行验证(可多次验证)。",
)
#: the totals table's columns and the 险种 codes each counts
INSURANCE_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("养老保险", ("110", "120")),
    ("工伤保险", ("410",)),
    ("失业保险", ("210",)),
)
LIST_HEADERS = ("序号", "姓名", "公民身份号码（社会保障号）", "缴费起止年月", "缴费月数")
#: how long a record can be verified after issue (Q-5), in calendar months
VALIDITY_MONTHS = 6
#: printed on every page: the record comes from a simulator, not from the real platform
SIMULATION_NOTICE = "ShebaoSim 模拟环境出具，仅供培训与测试，不作为真实社会保险权益证明"

# --- errors -------------------------------------------------------------------------------------

RANGE_REVERSED = ErrorSpec(
    code="E_RECORD_RANGE",
    message="查询时间的开始年月不能晚于结束年月",
    remedy="请重新选择查询时间（开始年月—结束年月）。",
    behaviour_id="Q-3",
    http_status=400,
)
FONT_MISSING = ErrorSpec(
    code="E_RECORD_FONT_MISSING",
    message="权益单打印服务暂不可用：未找到中文字体",
    remedy="{detail}",
    behaviour_id="Q-3",
    http_status=503,
)
TOKEN_INVALID = ErrorSpec(
    code="E_RECORD_TOKEN_INVALID",
    message="二维码无效或已被篡改，验证不通过",
    remedy="请扫描权益单右上方的原始二维码；二维码内容被修改后无法通过验证。",
    behaviour_id="Q-5",
    http_status=400,
)
RECORD_UNKNOWN = ErrorSpec(
    code="E_RECORD_NOT_FOUND",
    message="未查询到该权益单的出具记录，验证不通过",
    remedy="请确认权益单由本平台出具；沙箱被重置或删除后，其出具的权益单无法验证。",
    behaviour_id="Q-5",
    http_status=404,
)
RECORD_EXPIRED = ErrorSpec(
    code="E_RECORD_EXPIRED",
    message="该权益单已超过有效期（出具后6个月），验证不通过",
    remedy="请单位重新打印权益单后再核对。",
    behaviour_id="Q-5",
)
RECORD_ALTERED = ErrorSpec(
    code="E_RECORD_ALTERED",
    message="权益单内容与出具时不一致，验证不通过",
    remedy="该权益单可能已被修改，请以平台出具的原件为准，或请单位重新打印。",
    behaviour_id="Q-5",
)

# --- the font -----------------------------------------------------------------------------------

#: environment variable naming a TrueType font file (.ttf/.ttc) with Chinese glyphs
FONT_ENV = "SHEBAO_SIM_CJK_FONT"
FONT_NAME = "ShebaoSimCJK"
#: the PyPI package shipping WenQuanYi Micro Hei (a project dependency)
FONT_PACKAGE = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")
#: Debian's fonts-wqy-microhei (scripts/install-system-deps.sh installs it as a fallback)
FONT_SYSTEM_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)


class FontMissing(RuntimeError):
    """No usable Chinese font: the message says where one was looked for."""

    def refusal(self) -> Refused:
        return FONT_MISSING.refuse(detail=str(self))


def cjk_font_path() -> Path:
    """The Chinese font: ``$SHEBAO_SIM_CJK_FONT``, the PyPI package, then Debian's path."""
    tried: list[str] = []
    explicit = os.environ.get(FONT_ENV)
    if explicit:
        if Path(explicit).is_file():
            return Path(explicit)
        tried.append(f"${FONT_ENV}={explicit}")
    package, member = FONT_PACKAGE
    try:
        candidate = Path(str(resources.files(package).joinpath(member)))
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    except ModuleNotFoundError:
        tried.append(f"the Python package {package} (pip install paperang-p2-fonts-cjk)")
    for path in FONT_SYSTEM_PATHS:
        if path.is_file():
            return path
        tried.append(str(path))
    raise FontMissing(
        "未找到中文字体 WenQuanYi Micro Hei。请安装项目依赖（pip install -e .，含 "
        "paperang-p2-fonts-cjk），或运行 scripts/install-system-deps.sh 安装 "
        f"fonts-wqy-microhei，或用环境变量 {FONT_ENV} 指定 .ttf/.ttc 字体文件。已查找："
        + "；".join(tried)
    )


@cache
def _registered_font(path: str) -> TTFont:
    font = TTFont(FONT_NAME, path, subfontIndex=0)
    pdfmetrics.registerFont(font)
    return font


def register_cjk_font() -> TTFont:
    """Register the Chinese font with ReportLab once (raises :class:`FontMissing`)."""
    return _registered_font(str(cjk_font_path()))


def uncovered_characters(text: str) -> set[str]:
    """Characters of ``text`` the font has no glyph for (they would print as boxes)."""
    glyphs = register_cjk_font().face.charToGlyph
    return {ch for ch in text if not ch.isspace() and ord(ch) not in glyphs}


# --- the data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRow:
    """One line of the list: 序号, 姓名, 公民身份号码, 缴费起止年月, 缴费月数."""

    seq: int
    name: str
    id_number: str
    first_month: str  # YYYYMM
    last_month: str  # YYYYMM
    months: int

    def cells(self) -> tuple[str, str, str, str, str]:
        span = f"{self.first_month} - {self.last_month}"
        return (str(self.seq), self.name, self.id_number, span, str(self.months))


@dataclass(frozen=True)
class RecordData:
    """What one 权益记录单 states (Q-3), before it is numbered and signed."""

    unit_name: str
    place_label: str  # 现参保地, e.g. 宿迁市市本级
    uscc: str
    unit_no: str
    start: Month
    end: Month
    totals: dict[str, int]  # 缴费总人数 per 险种 column
    rows: tuple[RecordRow, ...]

    @property
    def range_label(self) -> str:
        """查询时间 as printed: ``202001-202012``."""
        return f"{self.start.compact()}-{self.end.compact()}"

    def as_dict(self, *, record_no: str, issued_at: datetime) -> dict[str, Any]:
        """The record as stored and digested (Chinese keys, as printed)."""
        return {
            "标题": TITLE,
            "权益单编号": record_no,
            "出具时间": issued_at.isoformat(sep=" "),
            "参保单位全称": self.unit_name,
            "现参保地": self.place_label,
            "统一社会信用代码": self.uscc,
            "单位编号": self.unit_no,
            "查询时间": self.range_label,
            "缴费总人数": dict(self.totals),
            "人员名单": [list(row.cells()) for row in self.rows],
        }


def data_digest(document: dict[str, Any]) -> str:
    """SHA-256 of the record's canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _active_relation(sandbox_id: str, unit_id: int) -> Any:
    """The condition "an employee relation at the unit, active now" (Q-4)."""
    return (
        (InsuredRelation.sandbox_id == sandbox_id)
        & (InsuredRelation.unit_id == unit_id)
        & (InsuredRelation.kind == "employee")
        & (InsuredRelation.status == "1")
        & InsuredRelation.stop_month.is_(None)
    )


def insured_totals(session: Session, sandbox_id: str, unit_id: int) -> dict[str, int]:
    """缴费总人数 per column: distinct people insured at query time (Q-4, F Q6)."""
    column = case(
        *[(InsuredRelation.insurance_code.in_(codes), label) for label, codes in INSURANCE_COLUMNS],
        else_="",
    )
    counted = dict(
        session.execute(
            select(column, func.count(distinct(InsuredRelation.person_id)))
            .where(_active_relation(sandbox_id, unit_id))
            .group_by(column)
        ).all()
    )
    return {label: int(counted.get(label, 0)) for label, _ in INSURANCE_COLUMNS}


def listed_people(
    session: Session, sandbox_id: str, unit_id: int, start: Month, end: Month
) -> tuple[RecordRow, ...]:
    """The list: contributions inside the range, insurance not interrupted (Q-4)."""
    months = (
        select(
            ContributionLine.person_id.label("person_id"),
            func.min(ContributionLine.fee_month).label("first"),
            func.max(ContributionLine.fee_month).label("last"),
            func.count(distinct(ContributionLine.fee_month)).label("months"),
        )
        .where(
            ContributionLine.sandbox_id == sandbox_id,
            ContributionLine.unit_id == unit_id,
            ContributionLine.fee_month >= str(start),
            ContributionLine.fee_month <= str(end),
        )
        .group_by(ContributionLine.person_id)
        .subquery()
    )
    still_insured = select(InsuredRelation.person_id).where(_active_relation(sandbox_id, unit_id))
    rows = session.execute(
        select(Person.name, Person.id_number, months.c.first, months.c.last, months.c.months)
        .join(months, months.c.person_id == Person.id)
        .where(Person.id.in_(still_insured))
        .order_by(months.c.first, Person.person_no)
    ).all()
    return tuple(
        RecordRow(
            seq=seq,
            name=name,
            id_number=id_number,
            first_month=first.replace("-", ""),
            last_month=last.replace("-", ""),
            months=int(count),
        )
        for seq, (name, id_number, first, last, count) in enumerate(rows, start=1)
    )


def gather_record_data(
    session: Session, unit: Unit, place_label: str, start: Month, end: Month
) -> RecordData:
    """Everything the record states, read in one transaction (Q-3, Q-4)."""
    if end < start:
        raise RANGE_REVERSED.refuse(field="start_month")
    return RecordData(
        unit_name=unit.name,
        place_label=place_label,
        uscc=unit.uscc,
        unit_no=unit.unit_no or "",
        start=start,
        end=end,
        totals=insured_totals(session, unit.sandbox_id, unit.id),
        rows=listed_people(session, unit.sandbox_id, unit.id, start, end),
    )


# --- the signature (Q-5) ------------------------------------------------------------------------

TOKEN_SALT = "shebao-sim/rights-record/v1"
#: the token carries the first 128 bits of the data digest (a smaller QR code)
TOKEN_DIGEST_CHARS = 32


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT)


def sign_record(
    secret_key: str,
    *,
    sandbox_id: str,
    record_no: str,
    uscc: str,
    range_label: str,
    issued_at: datetime,
    digest: str,
) -> str:
    """The QR code's token: what it names, signed with the application's key."""
    claims = {
        "s": sandbox_id,
        "n": record_no,
        "u": uscc,
        "r": range_label,
        "t": issued_at.strftime("%Y%m%d%H%M%S"),
        "d": digest[:TOKEN_DIGEST_CHARS],
    }
    return str(_serializer(secret_key).dumps(claims))


def read_token(secret_key: str, token: str) -> dict[str, str]:
    """The token's claims, or :data:`TOKEN_INVALID` when it was altered or is not ours."""
    serializer = _serializer(secret_key)
    token = token.strip()
    try:
        claims = serializer.loads(token)
    except (BadSignature, UnicodeDecodeError, ValueError):
        raise TOKEN_INVALID.refuse() from None
    if not isinstance(claims, dict) or not all(
        isinstance(claims.get(key), str) for key in ("s", "n", "u", "r", "t", "d")
    ):
        raise TOKEN_INVALID.refuse()
    # Base64 tolerates changes to the unused low bits of the last character, so a token can be
    # altered and still carry a valid signature; only the canonical spelling is accepted.
    if serializer.dumps(claims) != token:
        raise TOKEN_INVALID.refuse()
    return claims


def plus_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the 31st → the month's last day)."""
    target = Month.of(moment.date()).plus(months)
    last_day = (target.plus(1).first_day() - target.first_day()).days
    return moment.replace(year=target.year, month=target.month, day=min(moment.day, last_day))


def verification_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{token}"


# --- the layout ---------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 40.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 74.0
ROW_HEIGHT = 16.0
LIST_HEADER_HEIGHT = 20.0
TOTALS_ROW_HEIGHT = 18.0
BODY_SIZE = 9.0
INFO_SIZE = 10.0
TITLE_SIZE = 16.0
#: widths of the list's columns (序号, 姓名, 公民身份号码, 缴费起止年月, 缴费月数)
LIST_WIDTHS = (42.0, 96.0, 170.0, 135.0, 72.0)
TOTALS_WIDTHS = (116.0, 133.0, 133.0, 133.0)
#: y of the first table's top edge under the header, and the lowest y a row may use
TABLE_TOP = PAGE_HEIGHT - MARGIN - 108.0
ROWS_BOTTOM = MARGIN + 14.0
#: the notes, the issue line and the seal after the last row
NOTES_HEIGHT = 190.0
SEAL_RADIUS = 44.0
#: the seal's ring: a simulated seal, never an agency's real one
SEAL_TEXT = "社会保险权益记录模拟专用章"
SEAL_RED = Color(0.86, 0.08, 0.08)
GRID_GREY = Color(0.35, 0.35, 0.35)


@dataclass(frozen=True)
class PagePlan:
    """What one page holds: the totals table (page 1), rows ``first..last``, the notes."""

    number: int
    first_row: int
    last_row: int  # exclusive
    totals: bool
    notes: bool
    notes_top: float = 0.0


def _list_top(page_number: int) -> float:
    if page_number == 1:
        return TABLE_TOP - 2 * TOTALS_ROW_HEIGHT - 10.0
    return TABLE_TOP


def plan_pages(row_count: int) -> list[PagePlan]:
    """Split the list over pages: every page has the header; the notes follow the last row."""
    pages: list[PagePlan] = []
    row = 0
    number = 1
    while True:
        top = _list_top(number) - LIST_HEADER_HEIGHT
        capacity = int((top - ROWS_BOTTOM) // ROW_HEIGHT)
        take = min(capacity, row_count - row)
        end_y = top - take * ROW_HEIGHT
        last = row + take == row_count
        fits_notes = last and end_y - NOTES_HEIGHT >= MARGIN - 20
        pages.append(PagePlan(number, row, row + take, number == 1, fits_notes, end_y - 14.0))
        row += take
        number += 1
        if fits_notes:
            return pages
        if last:  # the notes go on a page of their own (with the header)
            pages.append(PagePlan(number, row, row, False, True, TABLE_TOP - 4.0))
            return pages


@dataclass
class _Pen:
    """The canvas and the font, with the few drawing helpers the layout needs."""

    canvas: Canvas
    font: str = FONT_NAME
    #: advance width of each character at size 1 (a dict look-up beats stringWidth)
    advances: dict[str, float] = field(default_factory=dict)

    def width(self, text: str, size: float) -> float:
        advances = self.advances
        total = 0.0
        for ch in text:
            advance = advances.get(ch)
            if advance is None:
                advance = advances[ch] = pdfmetrics.stringWidth(ch, self.font, 1.0)
            total += advance
        return total * size

    def fitted(self, text: str, size: float, room: float, smallest: float = 6.5) -> float:
        """The largest size ≤ ``size`` (not below ``smallest``) at which ``text`` fits."""
        width = self.width(text, size)
        if width <= room:
            return size
        return max(smallest, size * room / width)


def _qr_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _define_qr(canvas: Canvas, data: str) -> None:
    """The QR code as a form XObject ``qr`` (drawn once, placed on every page)."""
    matrix = _qr_matrix(data)
    modules = len(matrix)
    cell = QR_SIZE / modules
    canvas.beginForm("qr", lowerx=0, lowery=0, upperx=QR_SIZE, uppery=QR_SIZE)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, line in enumerate(matrix):
        y = QR_SIZE - (r + 1) * cell
        c = 0
        while c < modules:
            if line[c]:
                start = c
                while c < modules and line[c]:
                    c += 1
                path.rect(start * cell, y, (c - start) * cell + 0.01, cell + 0.01)
            else:
                c += 1
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.endForm()


def _draw_seal(canvas: Canvas, cx: float, cy: float) -> None:
    """The red electronic seal (电子印章) — marked 模拟, as every page is."""
    canvas.saveState()
    canvas.setStrokeColor(SEAL_RED, alpha=0.85)
    canvas.setFillColor(SEAL_RED, alpha=0.85)
    canvas.setLineWidth(2.4)
    canvas.circle(cx, cy, SEAL_RADIUS, stroke=1, fill=0)
    # a five-pointed star in the middle
    star = canvas.beginPath()
    outer, inner = 13.0, 5.2
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        x, y = cx + radius * math.cos(angle), cy + 4 + radius * math.sin(angle)
        if i == 0:
            star.moveTo(x, y)
        else:
            star.lineTo(x, y)
    star.close()
    canvas.drawPath(star, stroke=0, fill=1)
    # the text along the upper arc, each character upright to the circle
    text = SEAL_TEXT
    span = math.radians(230)
    start = math.pi / 2 + span / 2
    step = span / (len(text) - 1)
    canvas.setFont(FONT_NAME, 8.5)
    for i, ch in enumerate(text):
        angle = start - i * step
        x = cx + (SEAL_RADIUS - 10) * math.cos(angle)
        y = cy + (SEAL_RADIUS - 10) * math.sin(angle)
        canvas.saveState()
        canvas.translate(x, y)
        canvas.rotate(math.degrees(angle) - 90)
        canvas.drawCentredString(0, -3.0, ch)
        canvas.restoreState()
    canvas.setFont(FONT_NAME, 7)
    canvas.drawCentredString(cx, cy - 20, "ShebaoSim")
    canvas.restoreState()


def _draw_header(pen: _Pen, data: RecordData, page: PagePlan, pages: int) -> None:
    """Title, the unit's lines, 查询时间, 共y页，第x页 and the QR code at the top right."""
    canvas = pen.canvas
    canvas.saveState()
    canvas.translate(PAGE_WIDTH - MARGIN - QR_SIZE, PAGE_HEIGHT - MARGIN - QR_SIZE)
    canvas.doForm("qr")
    canvas.restoreState()
    canvas.setFillColorRGB(0, 0, 0)
    top = PAGE_HEIGHT - MARGIN
    title = canvas.beginText()
    title.setTextRenderMode(2)  # fill and stroke: the font has no bold face
    canvas.setLineWidth(0.35)
    title.setFont(pen.font, TITLE_SIZE)
    title.setTextOrigin(PAGE_WIDTH / 2 - pen.width(TITLE, TITLE_SIZE) / 2, top - 18)
    title.textOut(TITLE)
    title.setTextRenderMode(0)
    canvas.drawText(title)
    room = CONTENT_WIDTH - QR_SIZE - 12
    lines = (
        f"参保单位全称：{data.unit_name}",
        f"现参保地：{data.place_label}",
        f"统一社会信用代码：{data.uscc}",
        f"查询时间：{data.range_label}",
    )
    text = canvas.beginText()
    for i, line in enumerate(lines):
        size = pen.fitted(line, INFO_SIZE, room)
        text.setFont(pen.font, size)
        text.setTextOrigin(MARGIN, top - 44 - i * 15)
        text.textOut(line)
    pager = f"共{pages}页，第{page.number}页"
    text.setFont(pen.font, INFO_SIZE)
    text.setTextOrigin(PAGE_WIDTH - MARGIN - pen.width(pager, INFO_SIZE), top - 44 - 3 * 15)
    text.textOut(pager)
    canvas.drawText(text)


def _draw_footer(pen: _Pen) -> None:
    """Every page says where it comes from: a simulator, not the real platform."""
    text = pen.canvas.beginText()
    text.setFont(pen.font, 7)
    text.setFillColorRGB(0.45, 0.45, 0.45)
    text.setTextOrigin(MARGIN, MARGIN - 16)
    text.textOut(SIMULATION_NOTICE)
    pen.canvas.drawText(text)


def _grid(
    canvas: Canvas, x0: float, widths: Sequence[float], top: float, bottoms: list[float]
) -> None:
    """Horizontal lines at ``top`` and each of ``bottoms``; verticals from top to the last."""
    right = x0 + sum(widths)
    lines = [(x0, top, right, top)] + [(x0, y, right, y) for y in bottoms]
    x = x0
    bottom = bottoms[-1] if bottoms else top
    for width in (0.0, *widths):
        x += width
        lines.append((x, top, x, bottom))
    canvas.setStrokeColor(GRID_GREY)
    canvas.setLineWidth(0.6)
    canvas.lines(lines)


def _cells(
    pen: _Pen,
    text: Any,
    x0: float,
    widths: Sequence[float],
    baseline: float,
    cells: Sequence[str],
    size: float,
) -> None:
    x = x0
    for width, cell in zip(widths, cells, strict=True):
        cell_size = pen.fitted(cell, size, width - 4)
        if cell_size != size:
            text.setFont(pen.font, cell_size)
        text.setTextOrigin(x + (width - pen.width(cell, cell_size)) / 2, baseline)
        text.textOut(cell)
        if cell_size != size:
            text.setFont(pen.font, size)
        x += width


def _draw_totals(pen: _Pen, data: RecordData) -> None:
    canvas = pen.canvas
    top = TABLE_TOP
    bottoms = [top - TOTALS_ROW_HEIGHT, top - 2 * TOTALS_ROW_HEIGHT]
    _grid(canvas, MARGIN, TOTALS_WIDTHS, top, bottoms)
    text = canvas.beginText()
    text.setFont(pen.font, BODY_SIZE)
    labels = [label for label, _ in INSURANCE_COLUMNS]
    _cells(pen, text, MARGIN, TOTALS_WIDTHS, top - 12.5, ["单位参保险种", *labels], BODY_SIZE)
    counts = [str(data.totals.get(label, 0)) for label in labels]
    _cells(pen, text, MARGIN, TOTALS_WIDTHS, bottoms[0] - 12.5, ["缴费总人数", *counts], BODY_SIZE)
    canvas.drawText(text)


def _draw_rows(pen: _Pen, rows: Sequence[RecordRow], page: PagePlan) -> None:
    canvas = pen.canvas
    top = _list_top(page.number)
    header_bottom = top - LIST_HEADER_HEIGHT
    bottoms = [header_bottom - (i + 1) * ROW_HEIGHT for i in range(page.last_row - page.first_row)]
    _grid(canvas, MARGIN, LIST_WIDTHS, top, [header_bottom, *bottoms])
    text = canvas.beginText()
    text.setFont(pen.font, BODY_SIZE)
    _cells(pen, text, MARGIN, LIST_WIDTHS, top - 13.5, LIST_HEADERS, BODY_SIZE)
    baseline = header_bottom - 11.5
    for row in rows[page.first_row : page.last_row]:
        _cells(pen, text, MARGIN, LIST_WIDTHS, baseline, row.cells(), BODY_SIZE)
        baseline -= ROW_HEIGHT
    canvas.drawText(text)


#: punctuation that never starts a line (it stays at the end of the previous one)
NO_LINE_START = "。，、；：？！）)】》"


def _wrapped(pen: _Pen, line: str, size: float, room: float) -> list[str]:
    """``line`` broken to ``room`` points, continuation lines indented."""
    out: list[str] = []
    current = ""
    for ch in line:
        if current.strip() and ch not in NO_LINE_START and pen.width(current + ch, size) > room:
            out.append(current)
            current = "   " + ch
        else:
            current += ch
    if current:
        out.append(current)
    return out


def _draw_notes(pen: _Pen, page: PagePlan, *, record_no: str, issued_at: datetime) -> None:
    canvas = pen.canvas
    text = canvas.beginText()
    y = page.notes_top - 8
    text.setFont(pen.font, INFO_SIZE)
    text.setTextOrigin(MARGIN, y)
    text.textOut("说明：")
    text.setFont(pen.font, BODY_SIZE)
    for note in NOTES:
        for line in _wrapped(pen, note, BODY_SIZE, CONTENT_WIDTH - 12):
            y -= 14
            text.setTextOrigin(MARGIN + 12, y)
            text.textOut(line)
    y -= 30
    text.setTextOrigin(MARGIN + 12, y)
    text.textOut(f"出具时间：{issued_at:%Y-%m-%d %H:%M:%S}")
    text.setTextOrigin(MARGIN + 12, y - 15)
    text.textOut(f"权益单编号：{record_no}")
    canvas.drawText(text)
    _draw_seal(canvas, PAGE_WIDTH - MARGIN - 75, y - 20)


@dataclass(frozen=True)
class RenderedRecord:
    pdf: bytes
    pages: int


def render_record_pdf(
    data: RecordData, *, record_no: str, issued_at: datetime, verify_url: str
) -> RenderedRecord:
    """The record as a PDF laid out like the guide's sample (Q-3)."""
    register_cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=A4, pageCompression=1, initialFontName=FONT_NAME, initialFontSize=BODY_SIZE
    )
    canvas.setTitle(TITLE)
    canvas.setAuthor("ShebaoSim")
    canvas.setCreator("ShebaoSim")
    canvas.setSubject(f"{TITLE} {record_no}")
    canvas.setKeywords(verify_url)  # the QR code's content, for tools that read metadata
    pen = _Pen(canvas)
    _define_qr(canvas, verify_url)
    plan = plan_pages(len(data.rows))
    for page in plan:
        _draw_header(pen, data, page, len(plan))
        if page.totals:
            _draw_totals(pen, data)
        if page.last_row > page.first_row or page.totals:
            _draw_rows(pen, data.rows, page)
        if page.notes:
            _draw_notes(pen, page, record_no=record_no, issued_at=issued_at)
        _draw_footer(pen)
        canvas.showPage()
    canvas.save()
    return RenderedRecord(buffer.getvalue(), len(plan))


# --- issuing and verifying ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedRecordView:
    """An issued record as the API reports it."""

    record_no: str
    token: str
    verify_url: str
    issued_at: datetime
    valid_until: datetime
    pages: int
    data: dict[str, Any]
    pdf: bytes = field(repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "权益单编号": self.record_no,
            "参保单位全称": self.data["参保单位全称"],
            "现参保地": self.data["现参保地"],
            "统一社会信用代码": self.data["统一社会信用代码"],
            "查询时间": self.data["查询时间"],
            "缴费总人数": self.data["缴费总人数"],
            "人员数": len(self.data["人员名单"]),
            "页数": self.pages,
            "出具时间": self.issued_at.isoformat(sep=" "),
            "有效期至": self.valid_until.isoformat(sep=" "),
            "token": self.token,
            "verify_url": self.verify_url,
        }


def new_record_no(issued_at: datetime) -> str:
    """权益单编号: ``QY`` + the sandbox date + 8 random digits (no counter to lock)."""
    return f"QY{issued_at:%Y%m%d}{secrets.randbelow(10**8):08d}"


def issue_record(
    platform: Platform,
    sandbox_id: str,
    actor: Actor,
    *,
    start: Month,
    end: Month,
    secret_key: str,
    base_url: str,
) -> IssuedRecordView:
    """Print the unit's 权益记录单 for 查询时间 ``start``–``end`` and keep it (Q-3…Q-5).

    The data is read in one transaction; the PDF is laid out outside it (a big unit
    takes a second or two, and SQLite would hold its write lock meanwhile); the
    issued record is stored in a second, short transaction.
    """
    if end < start:
        raise RANGE_REVERSED.refuse(field="start_month")
    with platform.sandbox_session(sandbox_id) as ctx:
        unit = ctx.session.get(Unit, actor.unit_id) if actor.unit_id is not None else None
        if unit is None or unit.sandbox_id != sandbox_id:
            raise NOT_FOUND.refuse(what="单位")
        place = platform.city(unit.city_code).as_dict()["insured_place_label"]
        record = gather_record_data(ctx.session, unit, place, start, end)
        issued_at = ctx.now.replace(microsecond=0)
        unit_id = unit.id
    record_no = new_record_no(issued_at)
    document = record.as_dict(record_no=record_no, issued_at=issued_at)
    digest = data_digest(document)
    token = sign_record(
        secret_key,
        sandbox_id=sandbox_id,
        record_no=record_no,
        uscc=record.uscc,
        range_label=record.range_label,
        issued_at=issued_at,
        digest=digest,
    )
    url = verification_url(base_url, token)
    try:
        rendered = render_record_pdf(
            record, record_no=record_no, issued_at=issued_at, verify_url=url
        )
    except FontMissing as missing:
        raise missing.refusal() from None
    valid_until = plus_months(issued_at, VALIDITY_MONTHS)
    with platform.db.transaction() as session:
        session.add(
            IssuedRecord(
                sandbox_id=sandbox_id,
                record_no=record_no,
                unit_id=unit_id,
                uscc=record.uscc,
                start_month=str(start),
                end_month=str(end),
                issued_at=issued_at,
                valid_until=valid_until,
                issued_by=actor.label,
                people=len(record.rows),
                pages=rendered.pages,
                data_digest=digest,
                data=document,
                pdf_sha256=hashlib.sha256(rendered.pdf).hexdigest(),
                pdf=rendered.pdf,
            )
        )
    return IssuedRecordView(
        record_no, token, url, issued_at, valid_until, rendered.pages, document, rendered.pdf
    )


def issued_view(record: IssuedRecord, *, secret_key: str, base_url: str) -> IssuedRecordView:
    """An issued record again (its token is recomputed: the same claims sign the same)."""
    token = sign_record(
        secret_key,
        sandbox_id=record.sandbox_id,
        record_no=record.record_no,
        uscc=record.uscc,
        range_label=record.data.get("查询时间", ""),
        issued_at=record.issued_at,
        digest=record.data_digest,
    )
    return IssuedRecordView(
        record.record_no,
        token,
        verification_url(base_url, token),
        record.issued_at,
        record.valid_until,
        record.pages,
        record.data,
        record.pdf,
    )


@dataclass(frozen=True)
class Verification:
    """A successful verification (Q-5): the record as issued, and until when it holds."""

    record: dict[str, Any]
    issued_at: datetime
    valid_until: datetime
    checked_at: datetime
    document_checked: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": True,
            "result": "验证通过：该权益单由平台出具，内容未被修改，在有效期内",
            "document_checked": self.document_checked,
            "验证时间": self.checked_at.isoformat(sep=" "),
            "出具时间": self.issued_at.isoformat(sep=" "),
            "有效期至": self.valid_until.isoformat(sep=" "),
            "record": self.record,
        }


def verify_record(
    platform: Platform, token: str, *, secret_key: str, document: bytes | None = None
) -> Verification:
    """Q-5: confirm a record from its QR token (and, optionally, the document itself).

    Refused with :data:`TOKEN_INVALID` (altered or foreign token),
    :data:`RECORD_UNKNOWN` (no such record, e.g. the sandbox was reset),
    :data:`RECORD_ALTERED` (the stored record or the given document differs from
    what was issued) or :data:`RECORD_EXPIRED` (six months after issue on the
    sandbox clock of the record's sandbox).  Reading only: it can be repeated.
    """
    claims = read_token(secret_key, token)
    with platform.db.transaction() as session:
        sandbox = session.get(Sandbox, claims["s"])
        if sandbox is None:
            raise RECORD_UNKNOWN.refuse()
        record = session.scalars(
            select(IssuedRecord).where(
                IssuedRecord.sandbox_id == claims["s"], IssuedRecord.record_no == claims["n"]
            )
        ).first()
        if record is None:
            raise RECORD_UNKNOWN.refuse()
        now = SandboxClock(sandbox.clock_frozen_at).now()
        stored = (
            record.uscc,
            record.data.get("查询时间"),
            record.issued_at.strftime("%Y%m%d%H%M%S"),
            record.data_digest[:TOKEN_DIGEST_CHARS],
        )
        if stored != (claims["u"], claims["r"], claims["t"], claims["d"]):
            raise RECORD_ALTERED.refuse()
        if data_digest(record.data) != record.data_digest:
            raise RECORD_ALTERED.refuse()
        if document is not None and hashlib.sha256(document).hexdigest() != record.pdf_sha256:
            raise RECORD_ALTERED.refuse(field="document")
        if now >= record.valid_until:
            raise RECORD_EXPIRED.refuse()
        return Verification(
            record=dict(record.data),
            issued_at=record.issued_at,
            valid_until=record.valid_until,
            checked_at=now,
            document_checked=document is not None,
        )

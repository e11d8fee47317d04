"""Uploaded workbooks (PREP-2, I7-1): Office 2007+ ``.xlsx`` only, size-limited,
checked before anything is written; templates with the form's Chinese headers.

The guide (§二.2) asks for Office 2007 or later, or WPS; a WPS-saved ``.xlsx``
is the same Office Open XML format.  Old ``.xls`` (OLE2), CSV and anything
else are refused with a message naming the accepted format.  Reading uses
python-calamine (fast: parameters.md measured ~0.2 s for 10,000×20 cells);
templates are written with openpyxl.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from simulator.errors import ErrorSpec, Refused

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

WRONG_FORMAT = ErrorSpec(
    code="E_FILE_FORMAT",
    message="文件格式不正确，仅支持Office 2007及以上版本或WPS保存的.xlsx文件",
    remedy="请下载模板，用Office 2007及以上版本或WPS填写后另存为.xlsx格式再上传。",
    behaviour_id="PREP-2",
    http_status=400,
)
TOO_LARGE = ErrorSpec(
    code="E_FILE_TOO_LARGE",
    message="文件大小不能超过10M，请使用office上传",
    remedy="请将数据拆分为多个不超过10M的文件分别上传。",
    behaviour_id="I7-1",
    http_status=413,
)
WRONG_HEADERS = ErrorSpec(
    code="E_TEMPLATE_HEADERS",
    message="文件表头与模板不一致：{details}",
    remedy="请下载最新模板，不要修改、增删表头后再上传。",
    behaviour_id="PREP-2",
    http_status=400,
)
EMPTY_WORKBOOK = ErrorSpec(
    code="E_EMPTY_WORKBOOK",
    message="文件中没有数据",
    remedy="请在模板表头下方逐行填写数据后再上传。",
    behaviour_id="PREP-2",
    http_status=400,
)


@dataclass(frozen=True)
class Column:
    """One template column: the payload key and the Chinese header (★ = required)."""

    key: str
    header: str
    required: bool = False

    @property
    def title(self) -> str:
        return f"★{self.header}" if self.required else self.header


def check_upload(filename: str, content: bytes, *, max_bytes: int) -> None:
    """Refuse a file that is too large or not an Office 2007+ workbook (before parsing)."""
    if len(content) > max_bytes:
        raise TOO_LARGE.refuse()
    if not filename.lower().endswith(".xlsx"):
        raise WRONG_FORMAT.refuse(field="file")
    if content.startswith(OLE2_MAGIC) or not content.startswith(ZIP_MAGIC):
        raise WRONG_FORMAT.refuse(field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise WRONG_FORMAT.refuse(field="file") from None
    if "xl/workbook.xml" not in names:
        raise WRONG_FORMAT.refuse(field="file")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise_header(text: str) -> str:
    return text.replace("★", "").replace("*", "").strip()


def read_rows(content: bytes, columns: Sequence[Column]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of the first sheet as ``(row number, {key: text})``; the header row must match.

    Row numbers are the spreadsheet's own (the header is row 1), so that an
    error can say 第3行.  Fully empty rows are skipped.
    """
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception:  # calamine raises several types for damaged files
        raise WRONG_FORMAT.refuse(field="file") from None
    if not rows:
        raise EMPTY_WORKBOOK.refuse()
    headers = [_normalise_header(_cell_text(cell)) for cell in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    expected = [column.header for column in columns]
    if headers != expected:
        missing = [h for h in expected if h not in headers]
        extra = [h for h in headers if h not in expected]
        parts = []
        if missing:
            parts.append("缺少列 " + "、".join(missing))
        if extra:
            parts.append("多出列 " + "、".join(extra))
        if not parts:
            parts.append("列的顺序与模板不同")
        raise WRONG_HEADERS.refuse(details="；".join(parts))
    keys = [column.key for column in columns]
    width = len(keys)
    found = False
    for index, row in enumerate(rows[1:], start=2):
        values = [_cell_text(cell) for cell in row[:width]]
        if not any(values):
            continue
        found = True
        values += [""] * (width - len(values))
        yield index, dict(zip(keys, values, strict=True))
    if not found:
        raise EMPTY_WORKBOOK.refuse()


def parse_upload(
    filename: str, content: bytes, columns: Sequence[Column], *, max_bytes: int
) -> list[tuple[int, dict[str, str]]]:
    """Check and read a whole upload; raises :class:`Refused` before any write."""
    check_upload(filename, content, max_bytes=max_bytes)
    return list(read_rows(content, columns))


def template(columns: Sequence[Column], *, sheet_title: str, notes: Sequence[str] = ()) -> bytes:
    """A template workbook: the headers (★ on required ones) and, on a second sheet, notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.title)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[cell.column_letter].width = max(12, len(column.header) * 2 + 4)
    if notes:
        info = workbook.create_sheet("填写说明")
        for row, note in enumerate(notes, start=1):
            info.cell(row=row, column=1, value=note)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_from_rows(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> bytes:
    """A filled workbook (tests, BDD steps and result downloads)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.title for column in columns])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


#: the media type of an Office 2007+ workbook (templates and result downloads)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: what a result workbook adds after the template's columns (I2-5, I3-12, I7-2)
RESULT_HEADERS = ("处理结果", "业务编号", "错误字段", "错误信息", "处理方法")


def result_workbook(
    columns: Sequence[Column],
    rows: Sequence[tuple[int, dict[str, str]]],
    results: Sequence[dict[str, Any]],
    *,
    sheet_title: str,
) -> bytes:
    """The uploaded rows as they were, each followed by its result: 成功 with its 业务编号
    (and the notices of the business, e.g. PER-5's months for the counter, with their
    remedy), 失败 with the field (by its column header), the message and the remedy of
    every problem, or 待处理 while the file is still being processed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    by_row = {result["row"]: result for result in results}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    bold = Font(bold=True)
    header_cells = []
    for title in [*(column.title for column in columns), *RESULT_HEADERS]:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for number, values in rows:
        result = by_row.get(number)
        if result is None:
            outcome = ["待处理", "", "", "", ""]
        elif result.get("ok"):
            notices = result.get("notices") or []
            outcome = [
                "成功",
                result.get("business_no", ""),
                "",
                "；".join([result.get("message", ""), *(_notice_text(n) for n in notices)]),
                "；".join(n["remedy"] for n in notices if n.get("remedy")),
            ]
        else:
            errors = result.get("errors") or []
            fields = [e.get("column") or e.get("field") or "" for e in errors]
            outcome = [
                "失败",
                "",
                "；".join(field for field in fields if field),
                "；".join(e.get("message", "") for e in errors),
                "；".join(e.get("remedy", "") for e in errors if e.get("remedy")),
            ]
        sheet.append([*(values.get(column.key, "") for column in columns), *outcome])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _notice_text(notice: dict[str, Any]) -> str:
    months = notice.get("months") or []
    return (
        f"{notice.get('message', '')}（{'、'.join(months)}）"
        if months
        else notice.get("message", "")
    )


__all__ = [
    "EMPTY_WORKBOOK",
    "TOO_LARGE",
    "WRONG_FORMAT",
    "WRONG_HEADERS",
    "Column",
    "Refused",
    "check_upload",
    "parse_upload",
    "read_rows",
    "result_workbook",
    "template",
    "workbook_from_rows",
]

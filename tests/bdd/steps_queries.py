"""Steps for the unit centre (Q-1, Q-6 … Q-9), the 权益记录单 (Q-3 … Q-5), exports (Q-2, Q-7)
and F-2, in the screen's words.

A list query or a print leaves its answer in ``world_state["reply"]``, so the shared
refusal steps (``办理被拒绝，提示 …``, ``错误代码为 …``) read it too.  The record's PDF is
read back with pypdf, the export's zip with pyzipper: the same checks in-process and
over HTTP (``--sim-url``).
"""

from __future__ import annotations

import io
from typing import Any

import pyzipper
from openpyxl import load_workbook
from pypdf import PdfReader
from pytest_bdd import parsers, then, when

from bdd.drivers import Driver, Reply

#: the unit centre's modules as the screen names them → the driver's views
VIEWS = {
    "单位信息": "unit",
    "参保信息—人员缴费基数": "insured",
    "单位征缴通知单": "collection-notices",
    "人员月缴费明细": "monthly-details",
    "单位办件": "businesses",
}
#: exportable lists → the export kinds
EXPORTS = {"参保信息—人员缴费基数": "insured", "人员月缴费明细": "monthly-details"}
#: filter labels on screen → query parameters
FILTERS = {
    "证件号码": "id_number",
    "姓名": "name",
    "险种": "insurance_code",
    "参保状态": "status",
    "费款所属期": "fee_month",
    "事项": "item",
    "办件状态": "state",
}


def _ok(reply: Reply) -> Any:
    assert reply.ok, reply.body
    return reply.body


def _filters(datatable: list[list[str]]) -> dict[str, str]:
    rows = datatable[1:] if datatable and datatable[0] == ["字段", "值"] else datatable
    return {FILTERS.get(label, label): value for label, value in rows}


# --- 单位中心 lists (Q-1, Q-6 … Q-9, F-2) ---------------------------------------------------------


@when(parsers.parse("在单位中心查看{view}"))
def look_at(driver: Driver, world_state: dict, view: str) -> None:
    world_state["reply"] = driver.unit_centre(world_state["sandbox"], VIEWS[view])


@when(parsers.parse("在单位中心查询{view}："))
def query_with(driver: Driver, world_state: dict, view: str, datatable: list[list[str]]) -> None:
    world_state["reply"] = driver.unit_centre(
        world_state["sandbox"], VIEWS[view], **_filters(datatable)
    )


@then(parsers.parse('单位信息的{field}为 "{value}"'))
def unit_field(world_state: dict, field: str, value: str) -> None:
    body = _ok(world_state["reply"])
    assert str(body[field]) == value, body


@then(parsers.parse("列表共 {count:d} 条"))
def list_total(world_state: dict, count: int) -> None:
    body = _ok(world_state["reply"])
    assert body["total"] == count, body


@then(parsers.parse('列表各行的{column}均为 "{value}"'))
def every_row(world_state: dict, column: str, value: str) -> None:
    rows = _ok(world_state["reply"])["rows"]
    assert rows and {str(row[column]) for row in rows} == {value}, rows


@then(parsers.parse('列表第 {number:d} 行的{column}为 "{value}"'))
def row_field(world_state: dict, number: int, column: str, value: str) -> None:
    row = _ok(world_state["reply"])["rows"][number - 1]
    assert str(row[column]) == value, row


# --- 打印证明: 江苏省社会保险权益记录单（参保单位） (Q-3, Q-4) ------------------------------------


@when(parsers.parse('打印查询时间为 "{start}" 至 "{end}" 的单位权益单'))
def print_record(driver: Driver, world_state: dict, start: str, end: str) -> None:
    reply = driver.print_record(world_state["sandbox"], start, end)
    world_state["reply"] = reply
    if reply.ok:
        world_state["record"] = reply.body
        pdf = _ok(driver.record_pdf(world_state["sandbox"], reply.body["record_no"]))
        assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
        world_state["record_pdf"] = pdf
        world_state["record_pages"] = [
            page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages
        ]


def _record_lines(world_state: dict, page: int | None = None) -> list[str]:
    pages = world_state["record_pages"]
    chosen = pages if page is None else [pages[page - 1]]
    return [line.strip() for text in chosen for line in text.splitlines()]


@then(parsers.parse("权益单共 {pages:d} 页，人员名单 {people:d} 人"))
def record_size(world_state: dict, pages: int, people: int) -> None:
    record = world_state["record"]
    assert (record["页数"], record["人员数"]) == (pages, people), record
    assert len(world_state["record_pages"]) == pages


@then("权益单的缴费总人数为：")
def record_totals(world_state: dict, datatable: list[list[str]]) -> None:
    header, values = datatable
    expected = {label: int(value) for label, value in zip(header, values, strict=True)}
    assert world_state["record"]["缴费总人数"] == expected, world_state["record"]


@then(parsers.parse("权益单第 {page:d} 页依次印有："))
def record_page_reads(world_state: dict, page: int, datatable: list[list[str]]) -> None:
    """Each line of the table is a line of the page's text, in this order."""
    lines = _record_lines(world_state, page)
    position = 0
    for (expected,) in datatable:
        try:
            position = lines.index(expected, position) + 1
        except ValueError:
            raise AssertionError(f"{expected!r} not found after line {position}: {lines}") from None


@then("权益单末页印有说明：")
def record_notes(world_state: dict, datatable: list[list[str]]) -> None:
    last = world_state["record_pages"][-1].replace("\n", "")
    for (note,) in datatable:
        assert note in last, (note, last)


@then(parsers.parse('权益单的人员名单中没有 "{name}"'))
def not_listed(world_state: dict, name: str) -> None:
    assert all(name not in text for text in world_state["record_pages"])


@then(parsers.parse('权益单人员名单第 {number:d} 人为 "{row}"'))
def listed_row(world_state: dict, number: int, row: str) -> None:
    expected = f"{number} {row}"
    assert expected in _record_lines(world_state), expected


# --- 扫码验证 (Q-5) -------------------------------------------------------------------------------


@when("扫描权益单的二维码验证")
def verify_record(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = driver.verify_record(world_state["record"]["token"])


@when("扫描被修改过的二维码验证")
def verify_altered_token(driver: Driver, world_state: dict) -> None:
    token = world_state["record"]["token"]
    body, _, signature = token.rpartition(".")
    changed = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    world_state["reply"] = driver.verify_record(f"{body}.{changed}")


@when("上传权益单文件并扫码验证")
def verify_with_document(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = driver.verify_record(
        world_state["record"]["token"], world_state["record_pdf"]
    )


@when("上传被修改过的权益单文件并扫码验证")
def verify_altered_document(driver: Driver, world_state: dict) -> None:
    pdf: bytes = world_state["record_pdf"]
    altered = pdf.replace(b"/Author (ShebaoSim)", b"/Author (Shebaosim)")
    assert altered != pdf
    world_state["reply"] = driver.verify_record(world_state["record"]["token"], altered)


@then("验证通过")
def verified(world_state: dict) -> None:
    body = _ok(world_state["reply"])
    assert body["valid"] is True, body
    assert body["record"]["权益单编号"] == world_state["record"]["权益单编号"]


@then(parsers.parse('验证不通过，提示 "{message}"'))
def not_verified(world_state: dict, message: str) -> None:
    reply: Reply = world_state["reply"]
    assert not reply.ok, reply.body
    assert reply.body["message"] == message, reply.body
    assert reply.body["behaviour_id"] == "Q-5", reply.body


# --- 导出 (Q-2, Q-7, F-2) -------------------------------------------------------------------------


@when(parsers.parse("导出{view}："))
def export_list(driver: Driver, world_state: dict, view: str, datatable: list[list[str]]) -> None:
    reply = driver.export_list(world_state["sandbox"], EXPORTS[view], _filters(datatable))
    world_state["reply"] = reply
    if reply.ok:
        world_state["export"] = reply.body


def _archive(world_state: dict) -> pyzipper.AESZipFile:
    content = world_state["export"]
    assert isinstance(content, bytes) and content.startswith(b"PK"), content
    return pyzipper.AESZipFile(io.BytesIO(content))


@then("导出的压缩包不输入密码无法打开")
def zip_needs_password(world_state: dict) -> None:
    archive = _archive(world_state)
    member = archive.namelist()[0]
    try:
        archive.read(member)
    except RuntimeError as error:
        assert "password" in str(error)
    else:
        raise AssertionError("the export opened without a password")
    archive.setpassword(b"00000000000")
    try:
        archive.read(member)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the export opened with a wrong password")


@then(parsers.parse('导出的压缩包用手机号码 "{mobile}" 打开，表格共 {rows:d} 行数据'))
def zip_opens_with(world_state: dict, mobile: str, rows: int) -> None:
    archive = _archive(world_state)
    archive.setpassword(mobile.encode())
    (member,) = archive.namelist()
    assert member.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(archive.read(member)), read_only=True).active
    found = list(sheet.iter_rows(values_only=True))
    assert len(found) - 1 == rows, found[:3]


@then(parsers.parse('导出记录第 1 条为 "{what}"，共 {rows:d} 条数据'))
def export_audited(driver: Driver, world_state: dict, what: str, rows: int) -> None:
    log = _ok(driver.export_log(world_state["sandbox"]))["rows"]
    assert log and log[0]["导出内容"] == what and log[0]["条数"] == rows, log
    assert log[0]["实人认证"] == "通过"


@then("没有导出记录")
def nothing_exported(driver: Driver, world_state: dict) -> None:
    assert _ok(driver.export_log(world_state["sandbox"]))["rows"] == []

"""Steps for batch declarations of the business items (I3-12, PREP-2): a template built
from a data table of the template's own headers, uploaded; the per-row results (row
number, field, message) and what the valid rows registered.

The rows of a batch are numbered as in the spreadsheet: the header is row 1, so the
first row of data is 第2行.  A field is named by its template header (证件号码,
劳动合同开始日期 …), as the platform's result file names it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pytest_bdd import parsers, then, when

from bdd.drivers import Driver, Reply
from bdd.steps_items import item_codes_and_labels
from simulator.platform import Platform
from simulator.workbooks import Column, workbook_from_rows

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an old .xls (Office 97–2003)


@cache
def _columns(item_name: str) -> tuple[Column, ...]:
    names, _ = item_codes_and_labels()
    return tuple(Platform().items[names[item_name]].batch_columns)


def _job(world_state: dict) -> dict[str, Any]:
    reply: Reply = world_state["reply"]
    assert reply.ok, reply.body
    return reply.body


@when(parsers.parse('上传 "{item_name}" 批量申报文件 "{filename}"：'))
def upload_batch(
    driver: Driver, world_state: dict, item_name: str, filename: str, datatable: list[list[str]]
) -> None:
    columns = _columns(item_name)
    header, *rows = datatable
    known = {column.header for column in columns}
    assert set(header) <= known, set(header) - known
    cells = [
        [dict(zip(header, row, strict=True)).get(column.header, "") for column in columns]
        for row in rows
    ]
    names, _ = item_codes_and_labels()
    world_state["columns"] = columns
    world_state["reply"] = driver.upload(
        world_state["sandbox"], names[item_name], filename, workbook_from_rows(columns, cells)
    )


@when(parsers.parse('上传旧版Excel（.xls）的 "{item_name}" 批量申报文件 "{filename}"'))
def upload_xls(driver: Driver, world_state: dict, item_name: str, filename: str) -> None:
    names, _ = item_codes_and_labels()
    world_state["reply"] = driver.upload(world_state["sandbox"], names[item_name], filename, OLE2)


@then("各行处理结果为：")
def row_results(world_state: dict, datatable: list[list[str]]) -> None:
    """Every row of the file, in order: 成功 or 失败, the field (a template header) and the
    message; a refused row names the field its first error is about."""
    job = _job(world_state)
    labels = {column.key: column.header for column in world_state["columns"]}
    header, *expected = datatable
    actual = []
    for row in job["rows"]:
        if row["ok"]:
            actual.append([str(row["row"]), "成功", "", row["message"]])
        else:
            field = row["errors"][0].get("field") or ""
            actual.append([str(row["row"]), "失败", labels.get(field, field), row["message"]])
    wanted = [dict(zip(header, values, strict=True)) for values in expected]
    assert [[w["行"], w["结果"], w["字段"], w["提示"]] for w in wanted] == actual, job["rows"]


@then(parsers.parse('第{number:d}行的 "{code}" 险种补缴起止年月为 "{span}"，补缴月数 {months:d}'))
def row_backpay(world_state: dict, number: int, code: str, span: str, months: int) -> None:
    row = next(r for r in _job(world_state)["rows"] if r["row"] == number)
    assert row["ok"], row
    lines = [x for x in row["data"]["补缴明细"] if x["险种"] == code]
    assert [(x["起止年月"], x["补缴月数"]) for x in lines] == [(span, months)], lines


@then(
    parsers.parse(
        '证件号码 "{id_number}" 在本单位参保，参保险种为 "{codes}"，参保开始年月为 "{month}"'
    )
)
def insured_here(driver: Driver, world_state: dict, id_number: str, codes: str, month: str) -> None:
    reply = driver.insured_relations(world_state["sandbox"], id_number)
    assert reply.ok, reply.body
    rows = reply.body["rows"]
    assert sorted(r["险种"] for r in rows) == sorted(codes.split(",")), rows
    assert {r["参保开始年月"] for r in rows} == {month}, rows


@then(parsers.parse('证件号码 "{id_number}" 在本单位没有参保关系'))
def not_insured_here(driver: Driver, world_state: dict, id_number: str) -> None:
    reply = driver.insured_relations(world_state["sandbox"], id_number)
    assert reply.ok, reply.body
    assert reply.body["rows"] == [], reply.body

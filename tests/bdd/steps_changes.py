"""Steps for the changes of issue 6 and the counter: 企业缴费基数调整 (I7), 劳务派遣用工调转 (I8),
工程建设项目人员登记维护 (I9) and the counter console (P-3, F-5).

The worlds are built through the counter (柜台单位参保登记, 柜台人员基础信息采集), so the
same steps run in-process and against a running simulator.  People are named in the
features; their 证件号码 are generated here and remembered in ``world_state["people"]``.
"""

from __future__ import annotations

import io
import time
from datetime import date
from itertools import count
from typing import Any

from pytest_bdd import given, parsers, then, when

from bdd.drivers import Driver, Reply
from simulator.identifiers import generate_credit_code, generate_resident_id
from simulator.workbooks import Column, workbook_from_rows

PASSWORD = "Shebao@2021"
REGION = "321302"  # 宿迁市宿城区
#: a valid 证件号码 nobody in a sandbox has (for rows about unknown people)
NOBODY = "110101199003074514"

_serial = count(1)


def _sandbox(world_state: dict) -> str:
    return str(world_state["sandbox"])


def _ok(reply: Reply) -> Any:
    assert reply.ok, reply.body
    return reply.body


def _rows(datatable: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = datatable
    return [dict(zip(header, row, strict=True)) for row in rows]


def _people(world_state: dict) -> dict[str, str]:
    return world_state.setdefault("people", {})


def _id(world_state: dict, name: str) -> str:
    return _people(world_state).get(name, NOBODY)


def _unit(world_state: dict) -> dict[str, Any]:
    return world_state["changes_unit"]


def _remember(world_state: dict, reply: Reply) -> Reply:
    """Keep the reply; a business that succeeded is the one 回退 would roll back."""
    world_state["reply"] = reply
    if reply.ok and isinstance(reply.body, dict) and reply.body.get("business_no"):
        world_state["last_business_no"] = reply.body["business_no"]
    return reply


def _months(text: str) -> list[str]:
    return [m.strip() for m in text.replace("，", ",").split(",") if m.strip()]


# --- the world, built at the counter ----------------------------------------------------------


def _register_unit(driver: Driver, world_state: dict, name: str, *, hr_agency: bool) -> None:
    serial = next(_serial)
    unit = {
        "uscc": generate_credit_code(REGION, 60000 + serial),
        "name": name,
        "region_code": REGION,
        "legal_rep_name": "柜台法人",
        "legal_rep_id_number": generate_resident_id(REGION, date(1975, 5, 5), serial % 900, "男"),
        "is_hr_agency": "是" if hr_agency else "否",
        "industry_class": "2",
        "bank_name": "中国工商银行宿迁分行",
        "bank_account_name": name,
        "bank_account_no": f"1116{serial:012d}",
        "password": PASSWORD,
    }
    _ok(driver.counter(_sandbox(world_state), "unit-registrations", unit))
    _ok(driver.login(_sandbox(world_state), unit["uscc"], unit["legal_rep_id_number"], PASSWORD))
    world_state["changes_unit"] = unit


@given(parsers.parse('柜台为单位 "{name}" 办理了参保登记，法定代表人已登录'))
def counter_registered_unit(driver: Driver, world_state: dict, name: str) -> None:
    _register_unit(driver, world_state, name, hr_agency=False)


@given(parsers.parse('柜台为人力资源服务机构 "{name}" 办理了参保登记，法定代表人已登录'))
def counter_registered_agency(driver: Driver, world_state: dict, name: str) -> None:
    _register_unit(driver, world_state, name, hr_agency=True)


def _person_form(world_state: dict, name: str) -> dict[str, str]:
    people = _people(world_state)
    if name not in people:
        people[name] = generate_resident_id(REGION, date(1990, 3, 3), next(_serial) % 900, "男")
    id_number = people[name]
    return {
        "id_type": "居民身份证",
        "id_number": id_number,
        "name": name,
        "gender": "男",
        "ethnicity": "汉族",
        "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
        "mobile": "13812345678",
        "hukou_nature": "21",
        "hukou_region": REGION,
        "hukou_address": "江苏省宿迁市宿城区幸福路1号",
    }


@given(parsers.parse('柜台采集了人员 "{name}" 的基础信息'))
def counter_collected(driver: Driver, world_state: dict, name: str) -> None:
    form = {**_person_form(world_state, name), "uscc": _unit(world_state)["uscc"]}
    _ok(driver.counter(_sandbox(world_state), "identity-collections", form))


@when(parsers.parse('柜台采集人员 "{name}" 的基础信息'))
def counter_collects(driver: Driver, world_state: dict, name: str) -> None:
    form = {**_person_form(world_state, name), "uscc": _unit(world_state)["uscc"]}
    reply = driver.counter(_sandbox(world_state), "identity-collections", form)
    _remember(world_state, reply)


@when(parsers.parse('单位在网上采集人员 "{name}" 的基础信息'))
def online_collection(driver: Driver, world_state: dict, name: str) -> None:
    reply = driver.submit(
        _sandbox(world_state), "person_collection", _person_form(world_state, name)
    )
    _remember(world_state, reply)


def _enrol(driver: Driver, world_state: dict, name: str, start: str, base: str) -> Reply:
    payload = {
        "id_number": _id(world_state, name),
        "contract_reason": "1",
        "contract_start": start,
        "job_type": "07",
        "base": base,
    }
    return _remember(
        world_state, driver.submit(_sandbox(world_state), "employment_enrolment", payload)
    )


@given(
    parsers.parse(
        '单位为 "{name}" 办理了用工参保登记，劳动合同开始日期 "{start}"，缴费基数 "{base}"'
    )
)
def enrolled(driver: Driver, world_state: dict, name: str, start: str, base: str) -> None:
    _ok(_enrol(driver, world_state, name, start, base))


@when(
    parsers.parse('单位为 "{name}" 办理用工参保登记，劳动合同开始日期 "{start}"，缴费基数 "{base}"')
)
def enrols(driver: Driver, world_state: dict, name: str, start: str, base: str) -> None:
    _enrol(driver, world_state, name, start, base)


@given(parsers.parse('单位为 "{name}" 办理了用工参保登记，派遣至用工单位 "{number}"（{employer}）'))
def enrolled_dispatched(
    driver: Driver, world_state: dict, name: str, number: str, employer: str
) -> None:
    payload = {
        "id_number": _id(world_state, name),
        "contract_reason": "1",
        "contract_start": "2021-06-01",
        "job_type": "07",
        "base": "6000",
        "dispatch_type": "1",
        "dispatch_employer_no": number,
        "dispatch_employer_name": employer,
    }
    _ok(
        _remember(
            world_state, driver.submit(_sandbox(world_state), "employment_enrolment", payload)
        )
    )


@given(parsers.parse('单位为 "{name}" 办理了退工停保登记'))
def stopped(driver: Driver, world_state: dict, name: str) -> None:
    payload = {"id_number": _id(world_state, name), "stop_reason": "6301"}
    _ok(_remember(world_state, driver.submit(_sandbox(world_state), "stop_insurance", payload)))


@when(parsers.parse('回退 "{name}" 的上一笔业务'))
def roll_back(driver: Driver, world_state: dict, name: str) -> None:
    payload = {"id_number": _id(world_state, name), "business_no": world_state["last_business_no"]}
    _remember(world_state, driver.submit(_sandbox(world_state), "rollback", payload))


def _data(world_state: dict) -> dict[str, Any]:
    return _ok(world_state["reply"])["data"]


# --- 企业缴费基数调整（上调） (I7) ----------------------------------------------------------------


def _adjust(driver: Driver, world_state: dict, name: str, base: str, month: str = "") -> Reply:
    payload = {"id_number": _id(world_state, name), "base": base}
    if month:
        payload["effective_month"] = month
    return _remember(world_state, driver.submit(_sandbox(world_state), "base_adjustment", payload))


@given(parsers.parse('为 "{name}" 申报调整缴费基数为 "{base}" 元'))
def adjusted(driver: Driver, world_state: dict, name: str, base: str) -> None:
    _ok(_adjust(driver, world_state, name, base))


@when(parsers.parse('为 "{name}" 申报调整缴费基数为 "{base}" 元'))
def adjust(driver: Driver, world_state: dict, name: str, base: str) -> None:
    _adjust(driver, world_state, name, base)


@when(
    parsers.re(
        r'为 "(?P<name>[^"]+)" 申报调整缴费基数为 "(?P<base>[^"]+)" 元，生效年月 "(?P<month>[^"]*)"'
    )
)
def adjust_month(driver: Driver, world_state: dict, name: str, base: str, month: str) -> None:
    _adjust(driver, world_state, name, base, month)


@then(parsers.parse('调整后自 "{month}" 起执行，原缴费基数 "{old}"，实际缴费基数 "{new}"'))
def adjustment_result(world_state: dict, month: str, old: str, new: str) -> None:
    data = _data(world_state)
    assert (data["生效年月"], data["原缴费基数"], data["实际缴费基数"]) == (month, old, new), data


@when("下载企业缴费基数调整（上调）的模板")
def download_template(driver: Driver, world_state: dict) -> None:
    world_state["template"] = _ok(driver.download_template("base_adjustment"))


@then(parsers.parse('模板的表头为 "{headers}"'))
def template_headers(world_state: dict, headers: str) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(world_state["template"])).active
    found = [cell.value for cell in sheet[1] if cell.value]
    assert "、".join(found) == headers, found


BASE_COLUMNS = (
    Column("id_number", "证件号码", required=True),
    Column("name", "姓名"),
    Column("person_no", "个人唯一识别码"),
    Column("base", "调整后缴费基数", required=True),
    Column("effective_month", "生效年月"),
)


@when(parsers.parse('上传缴费基数调整文件 "{filename}"：'))
def upload_adjustments(driver: Driver, world_state: dict, filename: str, datatable: list) -> None:
    rows = [
        [_id(world_state, row["姓名"]), row["姓名"], "", row["调整后缴费基数"], row["生效年月"]]
        for row in _rows(datatable)
    ]
    content = workbook_from_rows(BASE_COLUMNS, rows)
    world_state["upload_name"] = filename
    _remember(world_state, driver.upload_base_adjustments(_sandbox(world_state), filename, content))


@when(parsers.parse('上传大小为 {megabytes:d}M 的缴费基数调整文件 "{filename}"'))
def upload_large(driver: Driver, world_state: dict, megabytes: int, filename: str) -> None:
    content = b"PK\x03\x04" + b"\0" * (megabytes * 1024 * 1024)
    _remember(world_state, driver.upload_base_adjustments(_sandbox(world_state), filename, content))


@then("文件已受理")
def file_accepted(world_state: dict) -> None:
    reply: Reply = world_state["reply"]
    assert reply.status == 202, reply.body
    assert reply.body["文件名称"] == world_state["upload_name"]
    world_state["job_id"] = reply.body["id"]


@when("刷新处理详情直到处理完成")
def refresh_until_done(driver: Driver, world_state: dict) -> None:
    deadline = time.monotonic() + 30
    while True:
        job = _ok(driver.base_adjustment_job(_sandbox(world_state), world_state["job_id"]))
        if job["当前状态"] == "处理完成" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    world_state["job"] = job
    world_state["jobs"] = _ok(driver.base_adjustment_jobs(_sandbox(world_state)))["处理详情"]


@then("处理详情为：")
def jobs_are(world_state: dict, datatable: list) -> None:
    expected = _rows(datatable)
    listed = [{key: str(job[key]) for key in expected[0]} for job in world_state["jobs"]]
    assert listed == expected, world_state["jobs"]


@then(parsers.parse('处理详情显示创建时间 "{created}" 和处理完成时间'))
def job_times(world_state: dict, created: str) -> None:
    job = world_state["job"]
    assert job["创建时间"] == created and job["处理完成时间"], job


@then(parsers.parse("文件第{number:d}行办理成功"))
def adjustment_row_ok(world_state: dict, number: int) -> None:
    (row,) = [r for r in world_state["job"]["rows"] if r["row"] == number]
    assert row["ok"], row


@then(parsers.parse('文件第{number:d}行办理失败，提示 "{message}"'))
def adjustment_row_failed(world_state: dict, number: int, message: str) -> None:
    (row,) = [r for r in world_state["job"]["rows"] if r["row"] == number]
    assert not row["ok"] and row["message"] == message, row


@then("处理详情中没有文件")
def no_jobs(driver: Driver, world_state: dict) -> None:
    assert _ok(driver.base_adjustment_jobs(_sandbox(world_state)))["处理详情"] == []


# --- 劳务派遣用工调转 (I8) --------------------------------------------------------------------------


#: 将 "<name>" 调转至用工单位 "<number>"（<name>） — the names hold no quotes, so 从… never matches
TRANSFER = r'将 "(?P<name>[^"]+)" 调转至用工单位 "(?P<new>[^"]+)"（(?P<new_name>[^）]+)）'


def _transfer(
    driver: Driver, world_state: dict, name: str, new: str, new_name: str, old: str = ""
) -> Reply:
    payload = {
        "id_number": _id(world_state, name),
        "to_employer_no": new,
        "to_employer_name": new_name,
    }
    if old:
        payload["from_employer_no"] = old
    return _remember(
        world_state, driver.submit(_sandbox(world_state), "dispatch_transfer", payload)
    )


@when(
    parsers.re(
        r'将 "(?P<name>[^"]+)" 从用工单位 "(?P<old>[^"]+)" 调转至用工单位 "(?P<new>[^"]+)"（(?P<new_name>[^）]+)）'
    )
)
def transfer_from(
    driver: Driver, world_state: dict, name: str, old: str, new: str, new_name: str
) -> None:
    _transfer(driver, world_state, name, new, new_name, old)


@given(parsers.re(TRANSFER))
def transferred(driver: Driver, world_state: dict, name: str, new: str, new_name: str) -> None:
    _ok(_transfer(driver, world_state, name, new, new_name))


@when(parsers.re(TRANSFER))
def transfer(driver: Driver, world_state: dict, name: str, new: str, new_name: str) -> None:
    _transfer(driver, world_state, name, new, new_name)


@then(parsers.parse('调转结果为原用工单位 "{old}"（{old_name}），新用工单位 "{new}"（{new_name}）'))
def transfer_result(world_state: dict, old: str, old_name: str, new: str, new_name: str) -> None:
    data = _data(world_state)
    found = (
        data["原用工单位编号"],
        data["原用工单位全称"],
        data["新用工单位编号"],
        data["新用工单位全称"],
    )
    assert found == (old, old_name, new, new_name), data


@then(parsers.parse('"{name}" 的参保关系不中断：参保险种 "{codes}"，参保开始年月 "{month}"'))
def insurance_continues(world_state: dict, name: str, codes: str, month: str) -> None:
    data = _data(world_state)
    assert data["id_number"] == _id(world_state, name)
    assert ",".join(data["参保险种"]) == codes and data["参保开始年月"] == [month], data


# --- 工程建设项目人员登记维护 (I9) ---------------------------------------------------------------------

PROJECT_FIELDS = {
    "工程编码": "code",
    "工程名称": "name",
    "所属地行政区代码": "region_code",
    "工程造价": "cost",
    "开工日期": "start_date",
    "竣工日期": "end_date",
}


@given("单位登记了工程建设项目：")
def project_registered(driver: Driver, world_state: dict, datatable: list) -> None:
    for row in _rows(datatable):
        payload = {PROJECT_FIELDS[label]: value for label, value in row.items()}
        _ok(driver.submit(_sandbox(world_state), "project_registration", payload))


def _register_worker(driver: Driver, world_state: dict, name: str, code: str, entry: str) -> Reply:
    payload = {"project_code": code, "id_number": _id(world_state, name), "entry_date": entry}
    return _remember(world_state, driver.submit(_sandbox(world_state), "project_workers", payload))


@given(parsers.parse('为 "{name}" 办理建筑施工人员参保登记，工程编码 "{code}"，入场日期 "{entry}"'))
def worker_registered(driver: Driver, world_state: dict, name: str, code: str, entry: str) -> None:
    _ok(_register_worker(driver, world_state, name, code, entry))


@when(parsers.parse('为 "{name}" 办理建筑施工人员参保登记，工程编码 "{code}"，入场日期 "{entry}"'))
def register_worker(driver: Driver, world_state: dict, name: str, code: str, entry: str) -> None:
    _register_worker(driver, world_state, name, code, entry)


@when(parsers.parse('维护 "{name}" 在工程 "{code}" 的离场日期为 "{exit_date}"'))
def worker_exit(driver: Driver, world_state: dict, name: str, code: str, exit_date: str) -> None:
    payload = {
        "action": "exit",
        "project_code": code,
        "id_number": _id(world_state, name),
        "exit_date": exit_date,
    }
    _remember(world_state, driver.submit(_sandbox(world_state), "project_workers", payload))


WORKER_COLUMNS = (
    Column("project_code", "工程编码", required=True),
    Column("id_number", "证件号码", required=True),
    Column("name", "姓名"),
    Column("person_no", "个人唯一识别码"),
    Column("entry_date", "入场日期", required=True),
    Column("exit_date", "离场日期"),
)


@when(parsers.parse('上传建筑施工人员参保登记文件 "{filename}"：'))
def upload_workers(driver: Driver, world_state: dict, filename: str, datatable: list) -> None:
    rows = [
        [
            row["工程编码"],
            _id(world_state, row["姓名"]),
            row["姓名"],
            "",
            row["入场日期"],
            row["离场日期"],
        ]
        for row in _rows(datatable)
    ]
    content = workbook_from_rows(WORKER_COLUMNS, rows)
    _remember(
        world_state, driver.upload(_sandbox(world_state), "project_workers", filename, content)
    )


@then(parsers.parse("批量登记结果：数据总数 {total:d}，错误数量 {errors:d}"))
def batch_result(world_state: dict, total: int, errors: int) -> None:
    job = _ok(world_state["reply"])
    assert (job["数据总数"], job["错误数量"], job["当前状态"]) == (total, errors, "处理完成"), job


@then(parsers.parse('批量登记第{number:d}行提示 "{message}"'))
def batch_row(world_state: dict, number: int, message: str) -> None:
    (row,) = [r for r in world_state["reply"].body["rows"] if r["row"] == number]
    assert row["message"] == message, row


@when(parsers.parse('录入工程编码 "{code}" 查询'))
def query_project(driver: Driver, world_state: dict, code: str) -> None:
    world_state["project"] = _ok(driver.project(_sandbox(world_state), code))


@then("工程信息为：")
def project_is(world_state: dict, datatable: list) -> None:
    (expected,) = _rows(datatable)
    project = world_state["project"]
    assert {key: str(project[key]) for key in expected} == expected, project


@then("已有人员信息为空")
def no_workers(world_state: dict) -> None:
    assert world_state["project"]["已有人员信息"] == [] and world_state["project"]["总行数"] == 0


@then("已有人员信息为：")
def workers_are(world_state: dict, datatable: list) -> None:
    expected = _rows(datatable)
    people = world_state["project"]["已有人员信息"]
    found = [{key: row[key] or "" for key in expected[0]} for row in people]
    assert found == expected, people
    for row, wanted in zip(people, expected, strict=True):
        assert row["证件号码"] == _id(world_state, wanted["姓名"]) and row["个人编号"], row


# --- the counter (P-3, F-5) --------------------------------------------------------------------------


@then(parsers.parse('提示 "{message}"，月份为 "{months}"'))
def notice_with_months(world_state: dict, message: str, months: str) -> None:
    notices = _ok(world_state["reply"])["notices"]
    assert any(n["message"] == message and n["months"] == _months(months) for n in notices), notices


@when(parsers.parse('柜台为 "{name}" 办理超过六个月的补缴'))
def counter_backpay(driver: Driver, world_state: dict, name: str) -> None:
    body = {"uscc": _unit(world_state)["uscc"], "id_number": _id(world_state, name)}
    _remember(world_state, driver.counter(_sandbox(world_state), "backpays", body))


@then(parsers.parse('补缴月份为 "{months}"'))
def backpay_months(world_state: dict, months: str) -> None:
    assert _data(world_state)["months"] == _months(months)


@when(parsers.parse('柜台为 "{name}" 调整缴费基数为 "{base}" 元'))
def counter_base_change(driver: Driver, world_state: dict, name: str, base: str) -> None:
    body = {"uscc": _unit(world_state)["uscc"], "id_number": _id(world_state, name), "base": base}
    _remember(world_state, driver.counter(_sandbox(world_state), "base-changes", body))


@then(parsers.parse('柜台调整结果：自 "{month}" 起{direction}为 "{base}"'))
def counter_base_result(world_state: dict, month: str, direction: str, base: str) -> None:
    data = _data(world_state)
    assert (data["from_month"], data["调整方向"], data["实际缴费基数"]) == (month, direction, base)


@given(parsers.parse('"{name}" 在 "{months}" 领取了失业金'))
def benefit_paid(driver: Driver, world_state: dict, name: str, months: str) -> None:
    body = {"id_number": _id(world_state, name), "months": _months(months), "amount": "1800"}
    _ok(driver.counter(_sandbox(world_state), "benefit-payments", body))


@when(parsers.parse('"{name}" 在柜台退回失业金'))
def benefit_returned(driver: Driver, world_state: dict, name: str) -> None:
    body = {"id_number": _id(world_state, name)}
    _remember(world_state, driver.counter(_sandbox(world_state), "benefit-returns", body))


@then(parsers.parse('退回月份为 "{months}"'))
def returned_months(world_state: dict, months: str) -> None:
    assert _data(world_state)["months"] == _months(months)


@when(parsers.parse('单位持《社会保险费清退申请表》为 "{name}" 申请清退 "{months}" 的社会保险费'))
def refund(driver: Driver, world_state: dict, name: str, months: str) -> None:
    body = {
        "uscc": _unit(world_state)["uscc"],
        "id_numbers": [_id(world_state, name)],
        "months": _months(months),
    }
    _remember(world_state, driver.counter(_sandbox(world_state), "refunds", body))


@then(parsers.parse('退费申请已受理，清退月份为 "{months}"，个人金额合计 "{personal}"'))
def refund_accepted(world_state: dict, months: str, personal: str) -> None:
    details = _ok(world_state["reply"])["details"]
    assert details["受理状态"] == "已受理" and details["个人金额合计"] == personal, details
    assert details["清退人员"][0]["清退月份"] == _months(months)
    assert details["账号"] == _unit(world_state)["bank_account_no"]  # 确认单位银行账号


@then(parsers.parse('柜台记录中有 "{label}"'))
def counter_record_exists(driver: Driver, world_state: dict, label: str) -> None:
    records = _ok(driver.counter_records(_sandbox(world_state), _unit(world_state)["uscc"]))
    assert label in [record["事项"] for record in records["records"]], records

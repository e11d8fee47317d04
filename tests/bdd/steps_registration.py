"""Steps for registration: 单位实名注册 (PREP-1), 企业社会保险信息登记 (I1, F-4),
人员基础信息采集 (I2, PREP-2) and the personal side (P-2).

Every scenario builds its own world through the API: what market regulation and
public security know (the mocks' records), the unit's sign-up and login.  The
values a scenario does not state are the defaults below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from pytest_bdd import given, parsers, then, when

from bdd.drivers import Driver, Reply
from plugins.items.person_collection import FIELDS as PERSON_FIELDS
from plugins.items.person_collection import PersonCollection
from simulator.identifiers import (
    InvalidIdentifier,
    generate_credit_code,
    parse_resident_id,
)
from simulator.workbooks import workbook_from_rows

# --- speed ----------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 with its production cost takes ~0.17 s per hash and per check; every
    scenario here signs a unit up and logs in.  In-process, hash cheaply (the hash
    records its parameters, so checking it is cheap too)."""
    import simulator.auth

    production = simulator.auth._hasher
    simulator.auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    simulator.auth._hasher = production


# --- defaults -------------------------------------------------------------------------------

REGION = "320105"  # 南京市秦淮区
LEGAL_REP = {"name": "王芳", "id_number": "320105197503080246"}
MOBILE = "13900001111"
PASSWORD = "Shebao@2021"
BANK_AND_CONTACT = {
    "bank_name": "中国工商银行南京秦淮支行",
    "bank_account_name": "",  # the unit's name
    "bank_account_no": "4301012309100123456",
    "contact_name": "李娜",
    "contact_phone": "13812345678",
}
#: 登记管理部门 and 机构类别 of a USCC by the unit's nature (GB 32100)
CODE_KIND_BY_NATURE = {
    "企业": ("9", "1"),
    "个体工商户": ("9", "2"),
    "农民专业合作社": ("9", "3"),
    "机关": ("1", "1"),
    "参公": ("1", "1"),
    "事业单位": ("1", "2"),
    "社会团体": ("5", "1"),
    "民办非企业": ("5", "2"),
    "基金会": ("5", "3"),
}
SERVICES = {"市场监管": "market", "公安部人员基准信息": "identity", "人脸识别": "verification"}

UNIT_LABELS = {
    "统一社会信用代码": "uscc",
    "单位名称": "name",
    "单位性质": "nature",
    "住所": "address",
    "行政区划": "region_code",
    "登记状态": "status",
    "法定代表人": "legal_rep_name",
    "法定代表人证件号码": "legal_rep_id_number",
    "人力资源服务机构": "is_hr_agency",
}
REGISTRATION_LABELS = {
    "统一社会信用代码": "uscc",
    "开户银行": "bank_name",
    "户名": "bank_account_name",
    "账号": "bank_account_no",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "工伤行业类别": "industry_class",
    "浮动档次": "floating_tier",
    "单位名称": "name",
    "单位性质": "nature",
    "住所": "address",
    "法定代表人": "legal_rep_name",
}
UNIT_RECORD_LABELS = {
    "单位编号": "unit_no",
    "统一社会信用代码": "uscc",
    "单位名称": "name",
    "单位性质": "nature",
    "住所": "address",
    "行政区划": "region_code",
    "法定代表人": "legal_rep_name",
    "参保状态": "status",
    "参保险种": "insurance_codes",
    "工伤行业类别": "industry_class",
    "浮动档次": "floating_tier",
    "开户银行": "bank_name",
    "户名": "bank_account_name",
    "账号": "bank_account_no",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "社保登记日期": "registered_on",
}
PERSON_LABELS = {label: key for key, (label, _required) in PERSON_FIELDS.items()}
IDENTITY_LABELS = {
    "证件号码": "id_number",
    "姓名": "name",
    "民族": "ethnicity",
    "户籍地行政区划": "hukou_region",
    "户籍地址": "hukou_address",
}


def _vertical(datatable: list[list[str]]) -> dict[str, str]:
    """A two-column table (项目 | 内容), header row first."""
    return {row[0]: row[1] for row in datatable[1:]}


def _rows(datatable: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = datatable
    return [dict(zip(header, row, strict=True)) for row in rows]


def _ok(reply: Reply) -> Any:
    assert reply.ok, reply.body
    return reply.body


def _sandbox(world_state: dict) -> str:
    return str(world_state["sandbox"])


# --- what market regulation and public security know ---------------------------------------


def _market_body(unit: dict[str, Any]) -> dict[str, Any]:
    return {
        "uscc": unit["uscc"],
        "name": unit["name"],
        "legal_rep": {"name": unit["legal_rep_name"], "id_number": unit["legal_rep_id_number"]},
        "nature": unit["nature"],
        "is_hr_agency": unit["is_hr_agency"],
        "address": unit["address"],
        "region_code": unit["region_code"],
        "status": unit["status"],
    }


def _register_market_unit(driver: Driver, world_state: dict, **facts: Any) -> dict[str, Any]:
    nature = facts.get("nature", "企业")
    authority, category = CODE_KIND_BY_NATURE.get(nature, ("9", "1"))
    region = facts.get("region_code", REGION)
    unit = {
        "uscc": generate_credit_code(region, 1201, authority=authority, category=category),
        "name": "南京示例科技有限公司",
        "nature": nature,
        "address": "南京市秦淮区中华路1号",
        "region_code": region,
        "status": "存续",
        "legal_rep_name": LEGAL_REP["name"],
        "legal_rep_id_number": LEGAL_REP["id_number"],
        "is_hr_agency": False,
        **facts,
    }
    _ok(driver.add_market_record(_sandbox(world_state), _market_body(unit)))
    world_state["unit"] = unit
    return unit


def _register_legal_rep(driver: Driver, world_state: dict) -> None:
    unit = world_state["unit"]
    record = {"id_number": unit["legal_rep_id_number"], "name": unit["legal_rep_name"]}
    _ok(driver.add_identity_record(_sandbox(world_state), record))


@given(parsers.parse('市场监管登记了单位 "{name}"'))
def market_unit(driver: Driver, world_state: dict, name: str) -> None:
    _register_market_unit(driver, world_state, name=name)


@given("市场监管登记了单位：")
def market_unit_table(driver: Driver, world_state: dict, datatable: list[list[str]]) -> None:
    facts: dict[str, Any] = {UNIT_LABELS[k]: v for k, v in _vertical(datatable).items()}
    if "is_hr_agency" in facts:
        facts["is_hr_agency"] = facts["is_hr_agency"] == "是"
    _register_market_unit(driver, world_state, **facts)


@given("公安部门登记了该单位的法定代表人")
def legal_rep_known(driver: Driver, world_state: dict) -> None:
    _register_legal_rep(driver, world_state)


@given("公安部门登记了人员：")
def identity_records(driver: Driver, world_state: dict, datatable: list[list[str]]) -> None:
    people = world_state.setdefault("people", {})
    for row in _rows(datatable):
        record = {IDENTITY_LABELS[k]: v for k, v in row.items() if v}
        _ok(driver.add_identity_record(_sandbox(world_state), record))
        people[record["name"]] = record


@given(parsers.parse('市场监管将该单位的登记状态变为 "{status}"'))
def market_status(driver: Driver, world_state: dict, status: str) -> None:
    unit = {**world_state["unit"], "status": status}
    _ok(driver.add_market_record(_sandbox(world_state), _market_body(unit)))
    world_state["unit"] = unit


@given("市场监管不再有该单位的登记信息")
def market_forgets(driver: Driver, world_state: dict) -> None:
    _ok(driver.forget_market_record(_sandbox(world_state), world_state["unit"]["uscc"]))


@when("市场监管变更了该单位的登记信息：")
def market_changes(driver: Driver, world_state: dict, datatable: list[list[str]]) -> None:
    changes = {UNIT_LABELS[k]: v for k, v in _vertical(datatable).items()}
    unit = {**world_state["unit"], **changes}
    _ok(driver.add_market_record(_sandbox(world_state), _market_body(unit)))
    world_state["unit"] = unit


# --- faults of the mocked agencies -----------------------------------------------------------


@given(parsers.parse('模拟的{service}服务出现故障 "{mode:w}"'))
@when(parsers.parse('模拟的{service}服务出现故障 "{mode:w}"'))
def service_fault(driver: Driver, world_state: dict, service: str, mode: str) -> None:
    _ok(driver.set_fault(_sandbox(world_state), SERVICES[service], mode))


@given(parsers.parse('模拟的{service}服务出现故障 "{mode:w}"，持续到 "{until}"'))
def service_fault_until(
    driver: Driver, world_state: dict, service: str, mode: str, until: str
) -> None:
    _ok(driver.set_fault(_sandbox(world_state), SERVICES[service], mode, until))


@when(parsers.parse("模拟的{service}服务恢复正常"))
def service_back(driver: Driver, world_state: dict, service: str) -> None:
    _ok(driver.set_fault(_sandbox(world_state), SERVICES[service], "normal"))


@then(parsers.parse('模拟的{service}服务收到关于 "{subject}" 的请求 {count:d} 次'))
def service_calls(
    driver: Driver, world_state: dict, service: str, subject: str, count: int
) -> None:
    """Calls in the mock's journal whose request names ``subject`` (a name, a number, a code)."""
    entries = _ok(driver.journal(_sandbox(world_state), SERVICES[service]))["entries"]
    about = [e for e in entries if subject in (e["request"] or {}).values()]
    assert len(about) == count, entries


# --- 单位实名注册 (PREP-1) ---------------------------------------------------------------------


def _sign_up(
    driver: Driver, world_state: dict, name: str | None = None, id_number: str | None = None
) -> Reply:
    unit = world_state["unit"]
    return driver.signup(
        _sandbox(world_state),
        uscc=unit["uscc"],
        legal_rep_name=name or unit["legal_rep_name"],
        legal_rep_id_number=id_number or unit["legal_rep_id_number"],
        mobile=MOBILE,
        password=PASSWORD,
    )


def _log_in(driver: Driver, world_state: dict) -> None:
    unit = world_state["unit"]
    _ok(driver.login(_sandbox(world_state), unit["uscc"], unit["legal_rep_id_number"], PASSWORD))


@given("该单位的法定代表人已完成实名注册并登录")
def signed_up_and_logged_in(driver: Driver, world_state: dict) -> None:
    _ok(_sign_up(driver, world_state))
    _log_in(driver, world_state)


@given(parsers.parse('单位 "{name}" 已完成实名注册，法定代表人已登录'))
def unit_ready(driver: Driver, world_state: dict, name: str) -> None:
    _register_market_unit(driver, world_state, name=name)
    _register_legal_rep(driver, world_state)
    signed_up_and_logged_in(driver, world_state)


@given(parsers.parse('单位性质为 "{nature}" 的单位 "{name}" 已完成实名注册，法定代表人已登录'))
def unit_of_nature_ready(driver: Driver, world_state: dict, nature: str, name: str) -> None:
    _register_market_unit(driver, world_state, name=name, nature=nature)
    _register_legal_rep(driver, world_state)
    signed_up_and_logged_in(driver, world_state)


@when("法定代表人申请单位实名注册")
def sign_up(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = _sign_up(driver, world_state)


@when(parsers.parse('以法定代表人 "{name}"、证件号码 "{id_number}" 申请单位实名注册'))
def sign_up_as(driver: Driver, world_state: dict, name: str, id_number: str) -> None:
    world_state["reply"] = _sign_up(driver, world_state, name, id_number)


@given("法定代表人重新登录")
@when("法定代表人重新登录")
def log_in_again(driver: Driver, world_state: dict) -> None:
    """A token lasts 8 hours on the sandbox clock: after moving it, log in again."""
    _log_in(driver, world_state)


@when("法定代表人登录")
def log_in(driver: Driver, world_state: dict) -> None:
    unit = world_state["unit"]
    world_state["reply"] = driver.login(
        _sandbox(world_state), unit["uscc"], unit["legal_rep_id_number"], PASSWORD
    )


@then(parsers.parse('实名注册成功，单位状态为 "{status}"'))
def signed_up(world_state: dict, status: str) -> None:
    reply: Reply = world_state["reply"]
    assert reply.status == 201, reply.body
    assert reply.body["unit"]["status"] == status, reply.body


@then(parsers.parse("答复的状态码为 {status:d}"))
def reply_status(world_state: dict, status: int) -> None:
    assert world_state["reply"].status == status, world_state["reply"].body


# --- 企业社会保险信息登记 (I1) and 单位信息变更 (F-4) ----------------------------------------------


def _registration_payload(world_state: dict, **overrides: str) -> dict[str, str]:
    unit = world_state["unit"]
    payload = {**BANK_AND_CONTACT, "bank_account_name": unit["name"], "uscc": unit["uscc"]}
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value != ""}


def _register(driver: Driver, world_state: dict, payload: dict[str, str]) -> None:
    world_state["reply"] = driver.submit(_sandbox(world_state), "unit_registration", payload)


@given("该单位已办理企业社会保险信息登记")
def registered(driver: Driver, world_state: dict) -> None:
    _register(driver, world_state, _registration_payload(world_state))
    _ok(world_state["reply"])


@when("办理企业社会保险信息登记，银行和联系人信息齐全")
def register_complete(driver: Driver, world_state: dict) -> None:
    _register(driver, world_state, _registration_payload(world_state))


@when(parsers.parse('办理企业社会保险信息登记，未填写 "{labels}"'))
def register_missing(driver: Driver, world_state: dict, labels: str) -> None:
    blank = {REGISTRATION_LABELS[label]: "" for label in labels.split("、")}
    _register(driver, world_state, _registration_payload(world_state, **blank))


@when("办理企业社会保险信息登记：")
def register_with(driver: Driver, world_state: dict, datatable: list[list[str]]) -> None:
    typed = {REGISTRATION_LABELS[k]: v for k, v in _vertical(datatable).items()}
    _register(driver, world_state, _registration_payload(world_state, **typed))


@when("办理单位信息变更（同步市场监管登记信息）")
def refresh(driver: Driver, world_state: dict) -> None:
    payload = {"uscc": world_state["unit"]["uscc"]}
    world_state["reply"] = driver.submit(_sandbox(world_state), "unit_info_refresh", payload)


def _unit_record(world_state: dict) -> dict[str, Any]:
    return dict(_ok(world_state["reply"])["data"]["unit"])


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


@then("单位信息为：")
def unit_record_is(world_state: dict, datatable: list[list[str]]) -> None:
    record = _unit_record(world_state)
    for label, expected in _vertical(datatable).items():
        assert _shown(record[UNIT_RECORD_LABELS[label]]) == expected, (label, record)


@then(parsers.parse('单位的参保险种为 "{codes}"'))
def unit_insurance(world_state: dict, codes: str) -> None:
    assert _shown(_unit_record(world_state)["insurance_codes"]) == codes


@then(parsers.parse('提示信息为 "{message}"'))
def success_message(world_state: dict, message: str) -> None:
    assert _ok(world_state["reply"])["message"] == message, world_state["reply"].body


@then("变更内容为：")
def changes_are(world_state: dict, datatable: list[list[str]]) -> None:
    changes = _ok(world_state["reply"])["data"]["changes"]
    shown = [[c["label"], _shown(c["before"]), _shown(c["after"])] for c in changes]
    assert shown == datatable[1:], changes


@then(parsers.parse('处理方法中说明 "{words}"'))
def remedy_mentions(world_state: dict, words: str) -> None:
    body = world_state["reply"].body
    assert words in body["remedy"], body


# --- 人员基础信息采集 (I2) ----------------------------------------------------------------------


def _person_payload(world_state: dict, person: str, **overrides: str) -> dict[str, str]:
    """The form for a person public security knows, filled as the unit would."""
    record = world_state.get("people", {}).get(person, {})
    id_number = record.get("id_number", "")
    try:
        resident = parse_resident_id(id_number)
        gender, birth = resident.gender, resident.birth_date.isoformat()
    except InvalidIdentifier:
        gender, birth = "", ""
    payload = {
        "id_type": "居民身份证",
        "id_number": id_number,
        "nationality": "中国",
        "name": person,
        "gender": gender,
        "ethnicity": record.get("ethnicity", "汉族"),
        "birth_date": birth,
        "mobile": "13912345678",
        "hukou_nature": "11",
        "residence_address": "南京市秦淮区中华路8号",
        "hukou_region": record.get("hukou_region", id_number[:6]),
        "hukou_address": record.get("hukou_address", "江苏省南京市玄武区中山路1号"),
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value != ""}


def _collect(driver: Driver, world_state: dict, payload: dict[str, str]) -> None:
    world_state["reply"] = driver.submit(_sandbox(world_state), "person_collection", payload)


@given(parsers.parse('人员 "{name}" 的证件号码为 "{id_number}"，公安部门没有其登记信息'))
def unknown_person(world_state: dict, name: str, id_number: str) -> None:
    world_state.setdefault("people", {})[name] = {"id_number": id_number, "name": name}


@given(parsers.parse('已采集人员 "{name}" 的基础信息'))
def collected(driver: Driver, world_state: dict, name: str) -> None:
    _collect(driver, world_state, _person_payload(world_state, name))
    world_state["person_no"] = _ok(world_state["reply"])["data"]["person_no"]


@when(parsers.parse('采集人员 "{name}" 的基础信息'))
def collect(driver: Driver, world_state: dict, name: str) -> None:
    _collect(driver, world_state, _person_payload(world_state, name))


@when(parsers.parse('采集人员 "{name}" 的基础信息，其中{label}为 "{value}"'))
def collect_with(driver: Driver, world_state: dict, name: str, label: str, value: str) -> None:
    # the other fields stay those of the person public security knows as "name"
    _collect(
        driver, world_state, _person_payload(world_state, name, **{PERSON_LABELS[label]: value})
    )


@when(parsers.parse('采集人员 "{name}" 的基础信息，未填写{label}'))
def collect_without(driver: Driver, world_state: dict, name: str, label: str) -> None:
    _collect(driver, world_state, _person_payload(world_state, name, **{PERSON_LABELS[label]: ""}))


@then("采集成功，返回16位人员编号")
def collected_ok(world_state: dict) -> None:
    body = _ok(world_state["reply"])
    assert body["message"] == "人员信息已采集", body
    person_no = body["data"]["person_no"]
    assert re.fullmatch(r"\d{16}", person_no), person_no
    world_state.setdefault("person_no", person_no)


@then("办理被拒绝，提示该人员信息已采集及其人员编号")
def already_collected(world_state: dict) -> None:
    reply: Reply = world_state["reply"]
    assert not reply.ok, reply.body
    assert reply.body["message"] == f"人员信息已采集，人员编号为{world_state['person_no']}"


# --- batch collection (I2-5) and the upload's format (PREP-2) -------------------------------------


def _upload(driver: Driver, world_state: dict, filename: str, content: bytes) -> None:
    world_state["reply"] = driver.upload(
        _sandbox(world_state), "person_collection", filename, content
    )


@when(parsers.parse('上传人员基础信息采集文件 "{filename}"：'))
def upload_rows(
    driver: Driver, world_state: dict, filename: str, datatable: list[list[str]]
) -> None:
    columns = PersonCollection.batch_columns
    rows = []
    for row in _rows(datatable):
        typed = {PERSON_LABELS[label]: value for label, value in row.items()}
        rows.append([typed.get(column.key, "") for column in columns])
    _upload(driver, world_state, filename, workbook_from_rows(columns, rows))


@when(parsers.parse('上传旧版Excel（.xls）文件 "{filename}"'))
def upload_xls(driver: Driver, world_state: dict, filename: str) -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    _upload(driver, world_state, filename, ole2)


@when(parsers.parse('上传由CSV文件改名而成的 "{filename}"'))
def upload_csv(driver: Driver, world_state: dict, filename: str) -> None:
    headers = ",".join(column.title for column in PersonCollection.batch_columns)
    _upload(driver, world_state, filename, (headers + "\n").encode("utf-8"))


@when(parsers.parse('上传表头为 "{headers}" 的文件 "{filename}"'))
def upload_wrong_headers(driver: Driver, world_state: dict, headers: str, filename: str) -> None:
    from simulator.workbooks import Column

    columns = [Column(f"c{i}", header) for i, header in enumerate(headers.split("、"))]
    _upload(driver, world_state, filename, workbook_from_rows(columns, [["x"] * len(columns)]))


@then(parsers.parse("批量处理完成：数据总数 {total:d}，错误数量 {errors:d}"))
def batch_done(world_state: dict, total: int, errors: int) -> None:
    job = _ok(world_state["reply"])
    assert (job["当前状态"], job["数据总数"], job["错误数量"]) == ("处理完成", total, errors), job


def _row(world_state: dict, number: int) -> dict[str, Any]:
    rows = {row["row"]: row for row in _ok(world_state["reply"])["rows"]}
    return dict(rows[number])


@then(parsers.parse("第{number:d}行采集成功"))
def row_ok(world_state: dict, number: int) -> None:
    row = _row(world_state, number)
    assert row["ok"] and row["message"] == "人员信息已采集", row
    assert re.fullmatch(r"\d{16}", row["data"]["person_no"]), row


@then(parsers.parse('第{number:d}行提示 "{message}"'))
def row_refused(world_state: dict, number: int, message: str) -> None:
    row = _row(world_state, number)
    assert not row["ok"] and row["message"] == message, row


@then(parsers.parse("第{number:d}行提示人员信息已采集，人员编号为第{first:d}行采集的编号"))
def row_already_collected(world_state: dict, number: int, first: int) -> None:
    person_no = _row(world_state, first)["data"]["person_no"]
    row = _row(world_state, number)
    assert not row["ok"] and row["message"] == f"人员信息已采集，人员编号为{person_no}", row


@then(parsers.parse('办理被拒绝，提示以 "{prefix}" 开头'))
def refused_starting(world_state: dict, prefix: str) -> None:
    reply: Reply = world_state["reply"]
    assert not reply.ok, reply.body
    assert reply.body["message"].startswith(prefix), reply.body


# --- the personal side (P-2) ---------------------------------------------------------------------


@when(parsers.parse('"{name}" 本人在个人中心将户籍性质维护为 "{value}"'))
def maintain_hukou(driver: Driver, world_state: dict, name: str, value: str) -> None:
    id_number = world_state["people"][name]["id_number"]
    world_state["reply"] = driver.personal_hukou_nature(
        _sandbox(world_state), id_number, name, value
    )


@then(parsers.parse('该人员的户籍性质为 "{code}"（{label}）'))
def hukou_is(world_state: dict, code: str, label: str) -> None:
    body = _ok(world_state["reply"])
    assert (body["hukou_nature"], body["hukou_nature_label"]) == (code, label), body

"""人员基础信息采集 (I2-1 … I2-6), single and batch, against the mocked public security.

The unit is signed up (PREP-1); public security knows the people the tests
register.  Every refusal comes from its real cause and stores nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from builders import add_person
from flask import Flask
from registration_world import (
    add_identity,
    cheap_password_hashing,  # noqa: F401  (autouse fixture)
    module_app,  # noqa: F401  (the fixture ``app``: one application per module)
    signed_up_unit,
    snapshot,
)
from sqlalchemy import select

from mocks import faults, journal
from mocks.identity import magic_id_number
from mocks.transport import in_process_mocks
from plugins.items.person_collection import PersonCollection
from simulator.batch import submit_batch
from simulator.context import Actor
from simulator.db.models import Business, Person
from simulator.errors import Refused
from simulator.platform import BusinessOutcome, Platform
from simulator.workbooks import workbook_from_rows

ZHANG = "320102199001011179"  # 张三, 男, 1990-01-01
LI = "32130219950720042X"  # 李四, 女, 1995-07-20


@pytest.fixture
def actor(platform: Platform, app: Flask, sandbox_id: str) -> Actor:
    _unit_id, unit_actor, _uscc = signed_up_unit(platform, app, sandbox_id)
    add_identity(platform, sandbox_id, ZHANG, "张三")
    add_identity(platform, sandbox_id, LI, "李四", ethnicity="回族")
    return unit_actor


def form(id_number: str = ZHANG, name: str = "张三", **fields: Any) -> dict[str, Any]:
    from simulator.identifiers import InvalidIdentifier, parse_resident_id

    try:
        resident = parse_resident_id(id_number)
    except InvalidIdentifier:  # a test of the number itself: the rest is 张三's
        resident = parse_resident_id(ZHANG)
    payload = {
        "id_type": "居民身份证",
        "id_number": id_number,
        "nationality": "中国",
        "name": name,
        "gender": resident.gender,
        "ethnicity": "汉族",
        "birth_date": resident.birth_date.isoformat(),
        "mobile": "13912345678",
        "hukou_nature": "11",
        "residence_address": "南京市秦淮区中华路8号",
        "hukou_region": resident.region_code,
        "hukou_address": "江苏省南京市玄武区中山路1号",
        "education": "本科",
        **fields,
    }
    return {key: value for key, value in payload.items() if value is not None}


def collect(platform: Platform, sandbox_id: str, actor: Actor, **fields: Any) -> BusinessOutcome:
    return platform.submit(sandbox_id, "person_collection", form(**fields), actor=actor)


def refused(platform: Platform, sandbox_id: str, actor: Actor, **fields: Any) -> Refused:
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refusal:
        collect(platform, sandbox_id, actor, **fields)
    assert snapshot(platform, sandbox_id) == before  # nothing stored
    return refusal.value


def identity_calls(platform: Platform, sandbox_id: str, id_number: str) -> int:
    with platform.db.transaction() as session:
        return sum(
            1
            for entry in journal.entries(session, sandbox_id, "identity")
            if entry.request.get("id_number") == id_number
        )


# -- a collected person --------------------------------------------------------------------------


@pytest.mark.usefixtures("mocks")
def test_collecting_stores_the_base_record_with_a_person_number(
    platform: Platform, sandbox_id: str, actor: Actor
) -> None:
    outcome = collect(platform, sandbox_id, actor, hukou_nature="本地农业", gender="1")

    assert outcome.message == "人员信息已采集"
    assert outcome.data["person_no"] == "3201000000000001"  # city 320100 + sequence
    with platform.db.transaction() as session:
        person = session.scalars(select(Person).where(Person.sandbox_id == sandbox_id)).one()
        assert (person.person_no, person.id_number, person.name) == (
            "3201000000000001",
            ZHANG,
            "张三",
        )
        assert (person.gender, person.birth_date.isoformat()) == ("男", "1990-01-01")
        assert (person.hukou_nature, person.hukou_region, person.mobile) == (
            "21",
            "320102",
            "13912345678",
        )
        assert (person.id_type, person.nationality, person.education) == (
            "居民身份证",
            "中国",
            "本科",
        )
        assert person.residence_address == "南京市秦淮区中华路8号"
        business = session.scalars(select(Business).where(Business.sandbox_id == sandbox_id)).one()
        assert (business.item_code, business.person_id) == ("person_collection", person.id)
    assert any(t.get("rule") == "public security confirms (证件号码, 姓名)" for t in outcome.trace)
    second = collect(platform, sandbox_id, actor, id_number=LI, name="李四", ethnicity="回族")
    assert second.data["person_no"] == "3201000000000002"


@pytest.mark.usefixtures("mocks")
def test_typed_values_unlike_public_securitys_are_kept_and_traced(
    platform: Platform, sandbox_id: str, actor: Actor
) -> None:
    outcome = collect(platform, sandbox_id, actor, ethnicity="满族")
    assert outcome.data["ethnicity"] == "满族"
    note = next(t for t in outcome.trace if t.get("rule", "").startswith("typed values differ"))
    assert note["民族"] == "汉族"


@pytest.mark.usefixtures("mocks")
def test_collection_stays_open_on_paused_days(
    platform: Platform, sandbox_id: str, actor: Actor
) -> None:
    platform.set_clock(sandbox_id, "2021-09-08")
    assert collect(platform, sandbox_id, actor).message == "人员信息已采集"


# -- I2-1, I2-6: the form -------------------------------------------------------------------------


@pytest.mark.usefixtures("mocks")
@pytest.mark.parametrize("id_type", ["护照", "港澳居民来往内地通行证", "外国人永久居留身份证"])
def test_only_resident_id_cards_are_collected_here(
    platform: Platform, sandbox_id: str, actor: Actor, id_type: str
) -> None:
    problem = refused(platform, sandbox_id, actor, id_type=id_type).problem
    assert (problem.code, problem.message, problem.behaviour_id, problem.field) == (
        "E_ID_TYPE_NOT_SUPPORTED",
        "此模块仅办理持有居民身份证的人员信息采集",
        "I2-1",
        "id_type",
    )
    assert identity_calls(platform, sandbox_id, ZHANG) == 0  # public security not asked


@pytest.mark.usefixtures("mocks")
@pytest.mark.parametrize(
    ("fields", "code", "field", "message"),
    [
        (
            {"id_number": "320102199001011178"},
            "E_ID_NUMBER_INVALID",
            "id_number",
            "证件号码校验位错误",
        ),
        (
            {"id_number": "3201021990010111"},
            "E_ID_NUMBER_INVALID",
            "id_number",
            "证件号码长度应为18位",
        ),
        (
            {"birth_date": "1990-01-02"},
            "E_BIRTH_DATE_MISMATCH",
            "birth_date",
            "出生日期与证件号码不一致",
        ),
        ({"birth_date": "19900101"}, None, None, None),
        ({"gender": "女"}, "E_GENDER_MISMATCH", "gender", "性别与证件号码不一致"),
        ({"gender": "2"}, "E_GENDER_MISMATCH", "gender", "性别与证件号码不一致"),
        ({"gender": "未知"}, "E_INVALID_INPUT", "gender", "性别取值不正确：未知"),
        ({"mobile": "1391234567"}, "E_MOBILE_FORMAT", "mobile", "移动电话格式不正确"),
        ({"mobile": "12912345678"}, "E_MOBILE_FORMAT", "mobile", "移动电话格式不正确"),
        (
            {"hukou_region": "32010"},
            "E_INVALID_INPUT",
            "hukou_region",
            "户籍地行政区划应为6位行政区划代码",
        ),
        ({"hukou_nature": "99"}, "E_INVALID_INPUT", "hukou_nature", "户籍性质取值不正确：99"),
        (
            {"nationality": "美国"},
            "E_INVALID_INPUT",
            "nationality",
            "持居民身份证人员的国家/地区应为中国",
        ),
        ({"id_type": None}, "E_REQUIRED_FIELD", "id_type", "证件类型不能为空"),
        ({"name": None}, "E_REQUIRED_FIELD", "name", "姓名不能为空"),
        ({"ethnicity": ""}, "E_REQUIRED_FIELD", "ethnicity", "民族不能为空"),
        ({"hukou_address": " "}, "E_REQUIRED_FIELD", "hukou_address", "户籍地址不能为空"),
        ({"residence_address": None, "nationality": None, "education": None}, None, None, None),
    ],
)
def test_the_form_is_checked_field_by_field(
    platform: Platform,
    sandbox_id: str,
    actor: Actor,
    fields: dict[str, Any],
    code: str | None,
    field: str | None,
    message: str | None,
) -> None:
    if code is None:
        assert collect(platform, sandbox_id, actor, **fields).message == "人员信息已采集"
        return
    problem = refused(platform, sandbox_id, actor, **fields).problem
    assert (problem.code, problem.field, problem.message) == (code, field, message)


# -- I2-2, I2-3: public security ------------------------------------------------------------------


@pytest.mark.usefixtures("mocks")
@pytest.mark.parametrize(
    ("id_number", "name", "result"),
    [
        (ZHANG, "张叁", "mismatch"),  # the number is someone else's name
        ("320104198510102034", "赵六", "not_found"),  # public security does not know it
        (magic_id_number("mismatch"), "孙八", "mismatch"),
        (ZHANG, "张三错配", "mismatch"),
    ],
)
def test_what_public_security_does_not_confirm_goes_to_the_counter(
    platform: Platform, sandbox_id: str, actor: Actor, id_number: str, name: str, result: str
) -> None:
    problem = refused(platform, sandbox_id, actor, id_number=id_number, name=name).problem
    assert (problem.code, problem.message, problem.behaviour_id) == (
        "E_IDENTITY_MISMATCH",
        "公安部门比对不成功，请至窗口办理",
        "I2-2",
    )
    assert problem.remedy == "请持本人有效身份证件至社保经办机构窗口办理人员基础信息采集"
    assert problem.details == {"result": result}


@pytest.mark.usefixtures("mocks")
@pytest.mark.parametrize("mode", ["outage", "refused", "slow", "malformed"])
def test_a_failing_service_stores_nothing_and_the_request_can_be_repeated(
    platform: Platform, sandbox_id: str, actor: Actor, mode: str
) -> None:
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, "identity", mode)
    problem = refused(platform, sandbox_id, actor).problem
    assert (problem.code, problem.message, problem.behaviour_id, problem.http_status) == (
        "E_IDENTITY_SERVICE",
        "调用公安部人员基准信息查询接口出错。请稍后或第二天再试",
        "I2-3",
        503,
    )
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, "identity", "normal")
    assert collect(platform, sandbox_id, actor).message == "人员信息已采集"


@pytest.mark.usefixtures("mocks")
def test_a_service_down_until_tomorrow(platform: Platform, sandbox_id: str, actor: Actor) -> None:
    from simulator.clock import as_instant

    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, "identity", "outage",
                           until=as_instant("2021-08-17 08:00"))  # fmt: skip
    assert refused(platform, sandbox_id, actor).problem.behaviour_id == "I2-3"
    platform.advance_clock(sandbox_id, days=1)
    assert collect(platform, sandbox_id, actor).message == "人员信息已采集"


def test_without_the_service_nothing_is_collected(
    platform: Platform, sandbox_id: str, app: Flask
) -> None:
    """No mocks routed: the gateway cannot connect (refused) → I2-3, nothing stored."""
    with in_process_mocks(app):
        _unit_id, unit_actor, _uscc = signed_up_unit(platform, app, sandbox_id)
    with pytest.raises(Refused) as refusal, in_process_mocks(app, "http://elsewhere.invalid/m"):
        collect(platform, sandbox_id, unit_actor)
    assert refusal.value.problem.code == "E_IDENTITY_SERVICE"


# -- I2-4: already collected ----------------------------------------------------------------------


@pytest.mark.usefixtures("mocks")
def test_a_collected_person_is_not_collected_again(
    platform: Platform, sandbox_id: str, actor: Actor
) -> None:
    person_no = collect(platform, sandbox_id, actor).data["person_no"]
    problem = refused(platform, sandbox_id, actor).problem
    assert (problem.code, problem.message, problem.behaviour_id) == (
        "E_PERSON_EXISTS",
        f"人员信息已采集，人员编号为{person_no}",
        "I2-4",
    )
    assert problem.remedy == (
        "该人员在省一体化信息平台内已经存在人员基本信息，可以直接进行用人单位用工参保登记"
    )
    # the platform's own record answers even while public security is down
    with platform.db.transaction() as session:
        faults.write_fault(session, sandbox_id, "identity", "outage")
    assert refused(platform, sandbox_id, actor).problem.code == "E_PERSON_EXISTS"


@pytest.mark.usefixtures("mocks")
def test_every_existing_record_is_named(platform: Platform, sandbox_id: str, actor: Actor) -> None:
    add_person(platform, sandbox_id, name="张三", id_number=ZHANG, records=2)
    with platform.db.transaction() as session:
        numbers = session.scalars(
            select(Person.person_no).where(Person.sandbox_id == sandbox_id).order_by(Person.id)
        ).all()
    problem = refused(platform, sandbox_id, actor).problem
    assert problem.message == f"人员信息已采集，人员编号为{'、'.join(numbers)}"


# -- I2-5: batch --------------------------------------------------------------------------------------


def _row(payload: dict[str, Any]) -> list[str]:
    return [payload.get(column.key, "") for column in PersonCollection.batch_columns]


@pytest.mark.usefixtures("mocks")
def test_a_batch_keeps_the_valid_rows_and_reports_each_error(
    platform: Platform, sandbox_id: str, actor: Actor
) -> None:
    rows = [
        form(),  # row 2: collected
        form(id_number=LI, name="李四", gender="男"),  # row 3: gender
        form(id_type="护照"),  # row 4: I2-1
        form(name="张叁", id_number=LI, gender="女", birth_date="1995-07-20"),  # row 5: I2-2
        form(id_number=magic_id_number("failure"), name="孙七"),  # row 6: I2-3, this row only
        form(),  # row 7: I2-4, collected in row 2
        form(id_number=LI, name="李四", ethnicity="回族"),  # row 8: collected
    ]
    content = workbook_from_rows(PersonCollection.batch_columns, [_row(r) for r in rows])
    job = submit_batch(platform, sandbox_id, "person_collection", "采集.xlsx", content, actor=actor)

    assert (job["数据总数"], job["已处理"], job["错误数量"], job["当前状态"]) == (
        7,
        7,
        5,
        "处理完成",
    )
    results = {row["row"]: row for row in job["rows"]}
    assert results[2]["ok"] and results[8]["ok"]
    assert {n: results[n]["errors"][0]["code"] for n in (3, 4, 5, 6, 7)} == {
        3: "E_GENDER_MISMATCH",
        4: "E_ID_TYPE_NOT_SUPPORTED",
        5: "E_IDENTITY_MISMATCH",
        6: "E_IDENTITY_SERVICE",
        7: "E_PERSON_EXISTS",
    }
    assert results[7]["message"] == f"人员信息已采集，人员编号为{results[2]['data']['person_no']}"
    assert results[3]["errors"][0]["field"] == "gender"
    with platform.db.transaction() as session:
        kept = session.scalars(
            select(Person.name).where(Person.sandbox_id == sandbox_id).order_by(Person.id)
        ).all()
    assert kept == ["张三", "李四"]
    # the rows refused by the form never reached public security
    assert identity_calls(platform, sandbox_id, LI) == 2  # rows 5 and 8, not row 3


def test_the_template_has_the_forms_headers() -> None:
    columns = PersonCollection.batch_columns
    assert [c.title for c in columns][:4] == ["★证件类型", "★证件号码", "国家/地区", "★姓名"]
    assert [c.header for c in columns if c.required] == [
        "证件类型", "证件号码", "姓名", "性别", "民族", "出生日期", "移动电话",
        "户籍性质", "户籍地行政区划", "户籍地址",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("采集.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "E_FILE_FORMAT"),
        ("采集.xlsx", "证件类型,证件号码\n居民身份证,1\n".encode(), "E_FILE_FORMAT"),
        ("采集.csv", "证件类型,证件号码\n".encode(), "E_FILE_FORMAT"),
    ],
)
def test_only_xlsx_workbooks_are_accepted(
    platform: Platform, sandbox_id: str, actor: Actor, filename: str, content: bytes, code: str
) -> None:
    before = snapshot(platform, sandbox_id)
    with pytest.raises(Refused) as refusal:
        submit_batch(platform, sandbox_id, "person_collection", filename, content, actor=actor)
    assert (refusal.value.problem.code, refusal.value.problem.behaviour_id) == (code, "PREP-2")
    assert snapshot(platform, sandbox_id) == before


def test_a_workbook_with_other_headers_is_refused(
    platform: Platform, sandbox_id: str, actor: Actor
) -> None:
    from simulator.workbooks import Column

    content = workbook_from_rows([Column("a", "证件号码"), Column("b", "姓名")], [["1", "2"]])
    with pytest.raises(Refused) as refusal:
        submit_batch(platform, sandbox_id, "person_collection", "采集.xlsx", content, actor=actor)
    assert refusal.value.problem.code == "E_TEMPLATE_HEADERS"
    assert refusal.value.problem.message.startswith("文件表头与模板不一致：缺少列 证件类型")


def test_the_form_lists_the_guides_fields(platform: Platform, sandbox_id: str) -> None:
    item = platform.item("person_collection")
    with platform.sandbox_session(sandbox_id) as ctx:
        fields = item.form(ctx)  # type: ignore[arg-type]
    assert [f.label for f in fields][:6] == [
        "证件类型",
        "证件号码",
        "国家/地区",
        "姓名",
        "性别",
        "民族",
    ]
    hukou = next(f for f in fields if f.name == "hukou_nature")
    assert hukou.required and {c.code for c in hukou.choices} >= {"11", "21"}
    assert next(f for f in fields if f.name == "position").section == "人员综合业务信息"

"""The web UI's 单位实名注册 (PREP-1) and the look-up by 工程编码 of 工程建设项目人员登记维护
(I9-2), through Flask's test client.

Both pages call the JSON API's own core functions (:func:`simulator.hall.sign_up_unit`,
:func:`plugins.items.project_workers.project_facts`); the tests check that the page shows
what the API answers, every refusal with its exact message, remedy and links, and that
the sign-up form is CSRF-protected like the others.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from test_web import LEGAL_REP_ID, PASSWORD, USCC, csrf_token, log_in, post_form

from plugins.items.project_workers import PROJECT_NOT_FOUND
from simulator.accounts import PASSWORDS_DIFFER
from simulator.db.models import Account, Unit
from simulator.hall import UNIT_ALREADY_SIGNED_UP
from simulator.platform import Platform
from simulator.web.support import refusals
from simulator.worlds import load_world

NEW_USCC = "91320106921676283A"  # demo world: 南京鼓楼示例新材料有限公司, market regulation only
NEW_REP_NAME, NEW_REP_ID = "韩雪", "320104198511020807"
BUILDER_USCC = "913203111766123770"  # construction world: 徐州示例建设工程有限公司
BUILDER_ID = "320311196904040118"
PROJECT = "GC320312202188888"
WORKERS = {"320321197803121039": "王大军", "320312199104192631": "吴九成"}


def signup_form(**overrides: str) -> dict[str, str]:
    return {
        "uscc": NEW_USCC,
        "legal_rep_name": NEW_REP_NAME,
        "legal_rep_id_number": NEW_REP_ID,
        "mobile": "13951700002",
        "password": "Newco2021",
        "password_again": "Newco2021",
        **overrides,
    }


def units_named(platform: Platform, sandbox_id: str, uscc: str) -> list[Unit]:
    with platform.db.transaction() as db:
        return list(
            db.scalars(select(Unit).where(Unit.sandbox_id == sandbox_id, Unit.uscc == uscc))
        )


# --- 单位实名注册 (PREP-1) -------------------------------------------------------------------------


def test_signup_is_reached_from_the_login_page_and_the_hall_home(
    client: FlaskClient, demo: str
) -> None:
    for page in (f"/s/{demo}/login", f"/s/{demo}/"):
        assert f'href="/s/{demo}/signup"' in client.get(page).get_data(as_text=True)
    form = client.get(f"/s/{demo}/signup").get_data(as_text=True)
    assert "单位实名注册" in form and 'name="csrf_token"' in form
    for label in ("统一社会信用代码", "法定代表人姓名", "证件号码", "手机号码", "确认密码"):
        assert label in form


def test_signup_without_its_csrf_token_is_refused(
    client: FlaskClient, demo: str, platform: Platform
) -> None:
    reply = client.post(f"/s/{demo}/signup", data=signup_form())
    assert reply.status_code == 400
    assert "表单校验失败" in reply.get_data(as_text=True)
    assert units_named(platform, demo, NEW_USCC) == []


@pytest.mark.usefixtures("mocks")
def test_signup_registers_the_unit_and_its_legal_rep_logs_in(
    client: FlaskClient, demo: str, platform: Platform
) -> None:
    reply = post_form(client, f"/s/{demo}/signup", signup_form())
    assert reply.status_code == 302 and reply.headers["Location"] == f"/s/{demo}/signup/done"
    done = client.get(f"/s/{demo}/signup/done").get_data(as_text=True)
    assert "实名注册成功" in done and "南京鼓楼示例新材料有限公司" in done  # from market regulation
    assert "未参保" in done and "企业社会保险信息登记" in done
    assert f'href="/s/{demo}/login?uscc={NEW_USCC}"' in done
    assert f'value="{NEW_USCC}"' in client.get(f"/s/{demo}/login?uscc={NEW_USCC}").get_data(
        as_text=True
    )
    (unit,) = units_named(platform, demo, NEW_USCC)
    assert unit.status == "未参保"
    with platform.db.transaction() as db:
        account = db.scalars(select(Account).where(Account.unit_id == unit.id)).one()
        assert (account.role, account.name) == ("legal_rep", NEW_REP_NAME)

    login = post_form(
        client,
        f"/s/{demo}/login",
        {"uscc": NEW_USCC, "id_number": NEW_REP_ID, "password": "Newco2021"},
    )
    assert login.status_code == 302
    assert "法定代表人：韩雪" in client.get(f"/s/{demo}/").get_data(as_text=True)


@pytest.mark.usefixtures("mocks")
def test_signup_refusals_show_the_message_the_remedy_and_the_links(
    client: FlaskClient, demo: str, platform: Platform
) -> None:
    url = f"/s/{demo}/signup"
    taken = post_form(
        client,
        url,
        signup_form(uscc=USCC, legal_rep_name="周明远", legal_rep_id_number=LEGAL_REP_ID),
    ).get_data(as_text=True)
    assert UNIT_ALREADY_SIGNED_UP.message in taken and UNIT_ALREADY_SIGNED_UP.remedy in taken
    assert f'class="remedy-link" href="/s/{demo}/password/forgot"' in taken
    assert f'class="remedy-link" href="/s/{demo}/login"' in taken

    differ = post_form(client, url, signup_form(password_again="Other2021")).get_data(as_text=True)
    assert PASSWORDS_DIFFER.message in differ and PASSWORDS_DIFFER.remedy in differ
    assert f'value="{NEW_USCC}"' in differ  # what was typed is kept (the passwords are not)

    mismatch = post_form(client, url, signup_form(legal_rep_name="韩雪梅")).get_data(as_text=True)
    assert "法定代表人信息与市场监管登记信息不一致" in mismatch

    assert units_named(platform, demo, NEW_USCC) == []  # nothing stored
    shown = [problem["message"] for entry in refusals(platform, demo) for problem in
             entry["problems"] if entry["where"] == "单位实名注册"]  # fmt: skip
    assert UNIT_ALREADY_SIGNED_UP.message in shown and PASSWORDS_DIFFER.message in shown


# --- 工程建设项目人员登记维护: the look-up by 工程编码 (I9-2) ----------------------------------------


@pytest.fixture
def builder(client: FlaskClient, platform: Platform, sandbox_id: str) -> str:
    """The construction world's builder, logged in, with a project and two people on it."""
    load_world(platform, sandbox_id, "construction")
    reply = post_form(
        client,
        f"/s/{sandbox_id}/login",
        {"uscc": BUILDER_USCC, "id_number": BUILDER_ID, "password": PASSWORD},
    )
    assert reply.status_code == 302
    registered = post_form(
        client,
        f"/s/{sandbox_id}/items/project_registration",
        {"code": PROJECT, "name": "徐州示例安置房四期工程", "region_code": "320312",
         "cost": "1000000", "start_date": "2021-03-01", "end_date": "2022-06-30"},
    )  # fmt: skip
    assert registered.status_code == 302, registered.get_data(as_text=True)
    for id_number in WORKERS:
        added = post_form(
            client,
            f"/s/{sandbox_id}/items/project_workers",
            {"project_code": PROJECT, "id_number": id_number, "entry_date": "2021-08-02"},
        )
        assert added.status_code == 302, added.get_data(as_text=True)
    return sandbox_id


def test_project_lookup_shows_what_the_api_answers(client: FlaskClient, builder: str) -> None:
    token = client.post(
        f"/api/v1/sandboxes/{builder}/login",
        json={"uscc": BUILDER_USCC, "id_number": BUILDER_ID, "password": PASSWORD},
    ).get_json()["token"]
    api = client.get(
        f"/api/v1/sandboxes/{builder}/projects/{PROJECT}",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    assert [row["姓名"] for row in api["已有人员信息"]] == list(WORKERS.values())

    page = client.get(f"/s/{builder}/items/project_workers?project_code={PROJECT}").get_data(
        as_text=True
    )
    assert "已有人员信息" in page and f"总行数：{api['总行数']}" in page
    assert f'value="{api["工程名称"]}"' in page and f'value="{api["工程造价"]}"' in page
    for row in api["已有人员信息"]:
        for key in ("个人编号", "证件号码", "姓名", "入场日期"):
            assert f"<td>{row[key]}</td>" in page
    # 离场维护 fills 操作, 工程编码 and 证件号码 of the registration form below
    exit_link = f"action=exit&amp;id_number={next(iter(WORKERS))}"
    assert exit_link in page
    form = client.get(
        f"/s/{builder}/items/project_workers?project_code={PROJECT}&action=exit"
        f"&id_number={next(iter(WORKERS))}"
    ).get_data(as_text=True)
    assert '<option value="exit" selected>' in form
    assert f'id="f-id_number" name="id_number" value="{next(iter(WORKERS))}"' in form


def test_project_lookup_of_an_unknown_or_empty_code(
    client: FlaskClient, builder: str, platform: Platform
) -> None:
    url = f"/s/{builder}/items/project_workers"
    unknown = client.get(f"{url}?project_code=GC404").get_data(as_text=True)
    problem = PROJECT_NOT_FOUND.error(code="GC404")
    assert problem.message in unknown and problem.remedy in unknown
    assert f'class="remedy-link" href="/s/{builder}/items/project_registration"' in unknown
    assert 'id="project-people"' not in unknown
    empty = client.get(f"{url}?project_code=").get_data(as_text=True)
    assert "工程编码不能为空" in empty
    plain = client.get(url).get_data(as_text=True)
    assert 'id="project-query"' in plain and 'id="project-problems"' not in plain
    shown = [p["message"] for entry in refusals(platform, builder) for p in entry["problems"]]
    assert problem.message in shown  # the trainer sees the trainee's failed look-up


# --- 处理详情 — 结果: the field of each row's error ------------------------------------------------


@pytest.mark.usefixtures("mocks")
def test_batch_results_name_the_field_of_each_rows_error(client: FlaskClient, demo: str) -> None:
    """I2-5: 行号, 结果, 错误字段 (the template's column) and the message of each row."""
    import io
    import re

    from plugins.items.person_collection import PersonCollection
    from simulator.workbooks import workbook_from_rows

    good = {"id_type": "居民身份证", "id_number": "320581200010190300", "name": "孙悦",
            "gender": "女", "ethnicity": "汉族", "birth_date": "2000-10-19",
            "mobile": "19951234567", "hukou_nature": "12", "hukou_region": "320581",
            "hukou_address": "苏州市常熟市示例路6号"}  # fmt: skip
    rows = [good, {**good, "id_number": "320581200010190301"}, {**good, "name": ""}]
    columns = PersonCollection.batch_columns
    content = workbook_from_rows(columns, [[row.get(c.key, "") for c in columns] for row in rows])
    log_in(client, demo)
    url = f"/s/{demo}/items/person_collection/batch"
    page = client.post(
        url,
        data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True)),
              "file": (io.BytesIO(content), "采集.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    job_id = re.search(rf"/s/{demo}/jobs/(\d+)", page).group(1)  # type: ignore[union-attr]
    result = client.get(f"/s/{demo}/jobs/{job_id}").get_data(as_text=True)
    cells = re.findall(r'<td class="field-name">([^<]*)</td>', result)
    assert cells == ["", "证件号码", "姓名"]
    assert "证件号码校验位错误" in result and "姓名不能为空" in result

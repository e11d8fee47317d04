"""The web UI through Flask's test client (issue 10): login, CSRF, the hall's forms with
the documented errors and their remedy links, batch uploads, the unit centre and the
trainer console.

The sandbox holds the ``demo`` world (docs/worlds.md): 南京鼓楼示例信息科技有限公司,
whose legal representative 周明远 logs in with the world password; 孙悦 is known to
public security only (I3-4), 赵子豪 is collected but not insured.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from python_calamine import CalamineWorkbook

from plugins.items.employment_enrolment import EmploymentEnrolment
from simulator.app import TestConfig, create_app
from simulator.platform import Platform
from simulator.workbooks import workbook_from_rows
from simulator.worlds import load_world

USCC = "91320106438957376C"
LEGAL_REP_ID = "320106197803140438"
PASSWORD = "Shebao@2021"
SUN_YUE = "320581200010190300"  # base record missing (I3-4)
ZHAO = "320113199804061558"  # collected, not insured
TRAINER_PASSWORD = "trainer-test-password"


class WebConfig(TestConfig):
    TRAINER_PASSWORD = TRAINER_PASSWORD


@pytest.fixture
def app(platform: Platform) -> Flask:
    return create_app(WebConfig, platform=platform)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], *, page: str | None = None, **kwargs: Any
) -> Any:
    """GET the page (``page``, default ``url``) for its CSRF token, then POST the form with it."""
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def log_in(client: FlaskClient, sandbox_id: str) -> None:
    reply = post_form(
        client,
        f"/s/{sandbox_id}/login",
        {"uscc": USCC, "id_number": LEGAL_REP_ID, "password": PASSWORD},
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)


def enrolment_form(id_number: str, contract_start: str = "2021-06-01") -> dict[str, str]:
    return {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_type": "41",
        "contract_start": contract_start,
        "job_type": "07",
        "base": "6000",
    }


# --- login and CSRF --------------------------------------------------------------------------


def test_unit_login_shows_the_unit_and_the_sandbox_date(client: FlaskClient, demo: str) -> None:
    """PREP-1: the legal representative logs in; every page shows the date and period state."""
    assert client.get(f"/s/{demo}/centre/").status_code == 302  # not logged in yet
    log_in(client, demo)
    page = client.get(f"/s/{demo}/").get_data(as_text=True)
    assert "南京鼓楼示例信息科技有限公司" in page
    assert "2021-08-16" in page and "申报期" in page
    info = client.get(f"/s/{demo}/centre/").get_data(as_text=True)
    assert USCC in info and "中国工商银行南京鼓楼支行" in info


def test_wrong_password_shows_the_message_and_the_remedy_link(
    client: FlaskClient, demo: str
) -> None:
    reply = post_form(
        client, f"/s/{demo}/login", {"uscc": USCC, "id_number": LEGAL_REP_ID, "password": "x"}
    )
    page = reply.get_data(as_text=True)
    assert "统一社会信用代码、证件号码或密码错误" in page
    assert f'href="/s/{demo}/password/forgot"' in page  # the remedy names 忘记密码


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient, demo: str) -> None:
    reply = client.post(
        f"/s/{demo}/login", data={"uscc": USCC, "id_number": LEGAL_REP_ID, "password": PASSWORD}
    )
    assert reply.status_code == 400
    assert "表单校验失败" in reply.get_data(as_text=True)
    log_in(client, demo)
    refused = client.post(f"/s/{demo}/items/employment_enrolment", data=enrolment_form(ZHAO))
    assert refused.status_code == 400


def test_the_json_api_needs_no_csrf_token(client: FlaskClient, demo: str) -> None:
    reply = client.post(
        f"/api/v1/sandboxes/{demo}/login",
        json={"uscc": USCC, "id_number": LEGAL_REP_ID, "password": PASSWORD},
    )
    assert reply.status_code == 200


# --- the hall ---------------------------------------------------------------------------------------


def test_the_hall_lists_the_items_and_the_form_has_the_guides_sections(
    client: FlaskClient, demo: str
) -> None:
    page = client.get(f"/s/{demo}/unit-business").get_data(as_text=True)
    names = re.findall(r'<span class="name">([^<]+)</span>', page)
    assert names[:3] == ["企业社会保险信息登记", "人员基础信息采集", "用人单位用工参保登记"]
    assert "柜台补缴" not in names  # counter items belong to the counter console
    log_in(client, demo)
    form = client.get(f"/s/{demo}/items/employment_enrolment").get_data(as_text=True)
    for section in ("人员基本信息", "用工备案信息", "人员社保信息"):
        assert f"<legend>{section}</legend>" in form
    assert "劳务派遣信息" not in form  # not an HR-service agency
    assert re.search(r'<span class="star">★</span>劳动合同开始日期', form)
    assert "增员申报" in form and "批量增员申报" in form and "确认提交" in form


def test_lookup_by_id_number_fills_the_known_facts(client: FlaskClient, demo: str) -> None:
    log_in(client, demo)
    known = client.get(f"/s/{demo}/lookup/person?id_number={ZHAO}").get_json()
    assert known["found"] is True
    assert known["records"][0]["name"] == "赵子豪"
    assert known["records"][0]["hukou_nature"]  # the label, e.g. 本地非农业
    unknown = client.get(f"/s/{demo}/lookup/person?id_number={SUN_YUE}").get_json()
    assert unknown["found"] is False
    assert unknown["message"] == "未获取到人员基本信息"
    assert unknown["links"][0]["url"] == f"/s/{demo}/items/person_collection"


@pytest.mark.usefixtures("mocks")
def test_registration_refused_then_done_after_collection(
    client: FlaskClient, demo: str, platform: Platform
) -> None:
    """I3-4 → remedy link to 人员基础信息采集 (I2) → 用工参保登记 with back pay (PER-4)."""
    log_in(client, demo)
    url = f"/s/{demo}/items/employment_enrolment"
    refused = post_form(client, url, enrolment_form(SUN_YUE)).get_data(as_text=True)
    assert "未获取到人员基本信息" in refused
    assert "处理方法" in refused and "人员基础信息采集" in refused
    assert f'class="remedy-link" href="/s/{demo}/items/person_collection"' in refused

    collected = post_form(
        client,
        f"/s/{demo}/items/person_collection",
        {
            "id_type": "居民身份证",
            "id_number": SUN_YUE,
            "name": "孙悦",
            "gender": "女",
            "ethnicity": "汉族",
            "birth_date": "2000-10-19",
            "mobile": "19951234567",
            "hukou_nature": "12",
            "hukou_region": "320581",
            "hukou_address": "苏州市常熟市示例路6号",
        },
    )
    assert collected.status_code == 302, collected.get_data(as_text=True)

    done = post_form(client, url, enrolment_form(SUN_YUE), follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "办理成功" in page
    assert "补缴明细" in page
    for month in ("202106-202108",):
        assert month in page  # back pay for 2021-06 … 2021-08 before fee month 2021-09
    assert "补退流水号" in page

    businesses = client.get(f"/s/{demo}/centre/businesses").get_data(as_text=True)
    assert "用人单位用工参保登记" in businesses and "人员基础信息采集" in businesses
    insured = client.get(f"/s/{demo}/centre/insured?id_number={SUN_YUE}").get_data(as_text=True)
    assert "孙悦" in insured and "参保缴费" in insured


def test_batch_upload_reports_each_row(client: FlaskClient, demo: str) -> None:
    """I3-12: valid rows are registered, invalid ones are reported with their row number."""
    log_in(client, demo)
    url = f"/s/{demo}/items/employment_enrolment/batch"
    template = client.get(f"/s/{demo}/items/employment_enrolment/template")
    assert template.status_code == 200 and template.data.startswith(b"PK")
    columns = EmploymentEnrolment.batch_columns
    row = {c.key: "" for c in columns}
    rows = [
        [{**row, **enrolment_form(ZHAO)}[c.key] for c in columns],
        [{**row, **enrolment_form(SUN_YUE)}[c.key] for c in columns],
    ]
    content = workbook_from_rows(columns, rows)
    token = csrf_token(client.get(url).get_data(as_text=True))
    reply = client.post(
        url,
        data={"csrf_token": token, "file": (_bytes_io(content), "增员.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = reply.get_data(as_text=True)
    assert "增员.xlsx" in page and "处理完成" in page
    job_id = re.search(rf"/s/{demo}/jobs/(\d+)", page).group(1)  # type: ignore[union-attr]
    result = client.get(f"/s/{demo}/jobs/{job_id}").get_data(as_text=True)
    assert "第2行" in result and "成功" in result
    assert "第3行" in result and "未获取到人员基本信息" in result
    assert f'href="/s/{demo}/items/person_collection"' in result
    progress = client.get(f"/s/{demo}/jobs/{job_id}.json").get_json()
    assert progress["数据总数"] == 2 and progress["错误数量"] == 1
    # 结果下载: the rows as uploaded, each followed by its result
    assert f'href="/s/{demo}/jobs/{job_id}/result.xlsx"' in result
    download = client.get(f"/s/{demo}/jobs/{job_id}/result.xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    assert "%E5%A4%84%E7%90%86%E7%BB%93%E6%9E%9C.xlsx" in download.headers["Content-Disposition"]
    sheet = CalamineWorkbook.from_filelike(_bytes_io(download.data)).get_sheet_by_index(0)
    header, first, second = sheet.to_python()
    assert header[-5:] == ["处理结果", "业务编号", "错误字段", "错误信息", "处理方法"]
    assert header[0] == "★证件号码"
    assert (first[0], first[-5], first[-3]) == (ZHAO, "成功", "")
    assert first[-4].startswith("2021")  # 业务编号
    assert (second[0], second[-5], second[-3]) == (SUN_YUE, "失败", "证件号码")
    assert second[-2] == "未获取到人员基本信息"


def test_a_wrong_file_is_refused_with_the_accepted_format(client: FlaskClient, demo: str) -> None:
    """PREP-2"""
    log_in(client, demo)
    url = f"/s/{demo}/items/person_collection/batch"
    token = csrf_token(client.get(url).get_data(as_text=True))
    reply = client.post(
        url,
        data={"csrf_token": token, "file": (_bytes_io(b"a,b\n"), "people.csv")},
        content_type="multipart/form-data",
    )
    assert "仅支持Office 2007及以上版本或WPS保存的.xlsx文件" in reply.get_data(as_text=True)


def test_flexible_employment_error_links_to_the_personal_side(
    client: FlaskClient, platform: Platform, sandbox_id: str
) -> None:
    """I3-9 → 灵活就业人员停保登记 (P-1) on the personal side, then the unit retries."""
    load_world(platform, sandbox_id, "every-error")
    with platform.db.transaction() as db:
        from sqlalchemy import select

        from simulator.db.models import Account, InsuredRelation, Person, Unit

        _relation, person = db.execute(
            select(InsuredRelation, Person)
            .join(Person, Person.id == InsuredRelation.person_id)
            .where(InsuredRelation.sandbox_id == sandbox_id, InsuredRelation.kind == "flexible")
        ).first()  # type: ignore[misc]
        unit, account = db.execute(
            select(Unit, Account)
            .join(Account, Account.unit_id == Unit.id)
            .where(Unit.sandbox_id == sandbox_id, Unit.is_hr_agency.is_(False),
                   Unit.status == "参保")
        ).first()  # type: ignore[misc]  # fmt: skip
        flexible_id, flexible_name = person.id_number, person.name
        uscc, id_number = unit.uscc, account.id_number
    reply = post_form(
        client,
        f"/s/{sandbox_id}/login",
        {"uscc": uscc, "id_number": id_number, "password": PASSWORD},
    )
    assert reply.status_code == 302
    page = post_form(
        client,
        f"/s/{sandbox_id}/items/employment_enrolment",
        enrolment_form(flexible_id, "2021-08-01"),
    ).get_data(as_text=True)
    assert "该人员为灵活就业参保人员" in page
    assert f'href="/s/{sandbox_id}/personal/flexible-stop"' in page
    stopped = post_form(
        client,
        f"/s/{sandbox_id}/personal/flexible-stop",
        {"id_number": flexible_id, "name": flexible_name},
    ).get_data(as_text=True)
    assert "灵活就业人员停保登记成功" in stopped


# --- the trainer console ---------------------------------------------------------------------------


def test_the_trainer_console_is_guarded(client: FlaskClient, demo: str) -> None:
    assert client.get("/trainer/").headers["Location"].startswith("/trainer/login")
    log_in(client, demo)  # a trainee's unit login does not open it
    assert client.get(f"/trainer/sandboxes/{demo}").status_code == 302
    wrong = post_form(client, "/trainer/login", {"password": "guess"})
    assert "教师密码不正确" in wrong.get_data(as_text=True)
    assert client.get("/trainer/").status_code == 302
    right = post_form(client, "/trainer/login", {"password": TRAINER_PASSWORD})
    assert right.status_code == 302
    listing = client.get("/trainer/").get_data(as_text=True)
    assert demo in listing and f"/s/{demo}/" in listing


def test_trainer_moves_the_clock_and_sees_the_trainees_errors(
    client: FlaskClient, demo: str
) -> None:
    log_in(client, demo)
    post_form(client, f"/s/{demo}/items/employment_enrolment", enrolment_form(SUN_YUE))
    post_form(client, "/trainer/login", {"password": TRAINER_PASSWORD})
    console = client.get(f"/trainer/sandboxes/{demo}").get_data(as_text=True)
    assert "未获取到人员基本信息" in console  # the trainee's error
    token = csrf_token(console)
    moved = client.post(
        f"/trainer/sandboxes/{demo}/clock",
        data={"csrf_token": token, "action": "set", "date": "2021-09-07"},
        follow_redirects=True,
    )
    assert "暂停申报期" in moved.get_data(as_text=True)
    hall = client.get(f"/s/{demo}/").get_data(as_text=True)
    assert "2021-09-07" in hall and "暂停申报期" in hall
    refused = post_form(
        client, f"/s/{demo}/items/employment_enrolment", enrolment_form(ZHAO)
    ).get_data(as_text=True)
    assert "当前为暂停申报期" in refused
    assert f'href="/s/{demo}/items/pre_registration"' in refused  # the remedy names 预登记


def test_trainer_creates_a_class_and_sets_a_fault(client: FlaskClient, demo: str) -> None:
    post_form(client, "/trainer/login", {"password": TRAINER_PASSWORD})
    prefix = f"{demo}-c"
    created = post_form(
        client,
        "/trainer/sandboxes",
        {"prefix": prefix, "count": "2", "world": "demo", "clock": ""},
        page="/trainer/",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"{prefix}-01" in created and f"{prefix}-02" in created
    faulted = post_form(
        client,
        f"/trainer/sandboxes/{prefix}-01/faults",
        {"service": "identity", "mode": "outage", "until": ""},
        page=f"/trainer/sandboxes/{prefix}-01",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "服务不可用 (503)" in faulted
    counter = client.get(f"/trainer/sandboxes/{prefix}-01/counter").get_data(as_text=True)
    assert "柜台人员基础信息采集" in counter
    for number in ("01", "02"):
        token = csrf_token(client.get("/trainer/").get_data(as_text=True))
        client.post(f"/trainer/sandboxes/{prefix}-{number}/delete", data={"csrf_token": token})


# --- 忘记密码 (A-4) -----------------------------------------------------------------------------------


def forgotten_password_account_step(client: FlaskClient, demo: str) -> tuple[str, str]:
    """忘记密码's first step for the demo unit's legal representative: the page's URL and the
    slider page it answers with."""
    url = f"/s/{demo}/password/forgot"
    step = post_form(
        client,
        url,
        {"action": "account", "uscc": USCC, "id_type": "居民身份证",
         "id_number": LEGAL_REP_ID, "name": "周明远"},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    return url, step


@pytest.mark.usefixtures("mocks")
def test_forgotten_password_with_slider_and_face(client: FlaskClient, demo: str) -> None:
    url, step = forgotten_password_account_step(client, demo)
    target = re.search(r'data-target="(\d+)"', step).group(1)  # type: ignore[union-attr]
    verify = client.post(
        url, data={"csrf_token": csrf_token(step), "action": "slider", "offset": target},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "人脸识别认证" in verify
    password_page = client.post(
        url, data={"csrf_token": csrf_token(verify), "action": "face"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "设置新密码" in password_page
    done = client.post(
        url,
        data={"csrf_token": csrf_token(password_page), "action": "password",
              "password": "NewPass2021", "password_again": "NewPass2021"},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "密码设置完成" in done
    reply = post_form(
        client,
        f"/s/{demo}/login",
        {"uscc": USCC, "id_number": LEGAL_REP_ID, "password": "NewPass2021"},
    )
    assert reply.status_code == 302


@pytest.mark.usefixtures("mocks")
def test_the_slider_works_without_javascript(client: FlaskClient, demo: str) -> None:
    """A-4: the hidden field the slider fills is sent only when JavaScript enables it; without
    JavaScript the <noscript> field is the only ``offset``, and the page passes."""
    url, step = forgotten_password_account_step(client, demo)
    hidden = re.search(r'<input type="hidden" name="offset"[^>]*>', step)
    assert hidden and "disabled" in hidden.group(0)
    assert step.index(hidden.group(0)) < step.index("<noscript>")
    target = re.search(r'data-target="(\d+)"', step).group(1)  # type: ignore[union-attr]
    # a page served before the fix, or a browser sending both: the last value counts
    verify = client.post(
        url,
        data={"csrf_token": csrf_token(step), "action": "slider", "offset": ["0", target]},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "人脸识别认证" in verify


def test_slider_offset_reading() -> None:
    from simulator.web.auth import _slider_offset

    assert _slider_offset(["0", "137"]) == 137
    assert _slider_offset(["137", ""]) == 137
    assert _slider_offset(["42.6"]) == 42
    assert _slider_offset([]) == _slider_offset(["x"]) == _slider_offset(["inf"]) == -1


def _bytes_io(content: bytes) -> Any:
    import io

    return io.BytesIO(content)


# --- 单位中心: 经办人管理, exports, 打印证明 -----------------------------------------------------------------

GRANTEE_ID = "320106198205170631"  # 王建国, known to public security in the demo world


@pytest.mark.usefixtures("mocks")
def test_granting_an_agent_who_then_may_do_only_the_granted_items(
    client: FlaskClient, demo: str
) -> None:
    """A-2, A-3: 同意开通 → 开通授权 → the grantee activates → an agent without the item."""
    log_in(client, demo)
    url = f"/s/{demo}/centre/agents"
    page = client.get(url).get_data(as_text=True)
    assert "授权注意事项" in page and "同意开通" in page
    post_form(client, url, {"action": "agree"})
    granted = post_form(
        client,
        url,
        {"action": "grant", "level": "agent", "name": "王建国", "id_number": GRANTEE_ID,
         "mobile": "13951700001", "scopes": ["person_collection"]},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "授权成功" in granted and "王建国" in granted and "人员基础信息采集" in granted
    token = csrf_token(client.get(f"/s/{demo}/").get_data(as_text=True))
    client.post(f"/s/{demo}/logout", data={"csrf_token": token})

    activated = post_form(
        client,
        f"/s/{demo}/activate",
        {"uscc": USCC, "id_number": GRANTEE_ID, "name": "王建国",
         "password": "Agent2021x", "password_again": "Agent2021x"},
    )  # fmt: skip
    assert activated.status_code == 302, activated.get_data(as_text=True)
    reply = post_form(
        client,
        f"/s/{demo}/login",
        {"uscc": USCC, "id_number": GRANTEE_ID, "password": "Agent2021x"},
    )
    assert reply.status_code == 302
    refused = post_form(
        client, f"/s/{demo}/items/employment_enrolment", enrolment_form(ZHAO)
    ).get_data(as_text=True)
    assert "您没有办理“用人单位用工参保登记”的权限" in refused
    assert f'href="/s/{demo}/centre/agents"' in refused  # the remedy names 经办人管理


@pytest.mark.usefixtures("mocks")
def test_export_needs_the_real_person_check_and_hints_the_password(
    client: FlaskClient, demo: str
) -> None:
    """Q-2: 实人扫码认证, then a zip whose password is the login's mobile number."""
    log_in(client, demo)
    url = f"/s/{demo}/centre/export/insured"
    page = client.get(url).get_data(as_text=True)
    assert "实人扫码认证" in page and "压缩包密码为登录人注册的手机号码" in page
    reply = post_form(client, url, {})
    assert reply.status_code == 200
    assert reply.mimetype == "application/zip"
    assert reply.data.startswith(b"PK")


def test_certificate_pdf_and_its_public_verification_page(client: FlaskClient, demo: str) -> None:
    """Q-3 … Q-5: 打印证明 → PDF; the QR code's page verifies it without a login."""
    log_in(client, demo)
    url = f"/s/{demo}/centre/certificate"
    listing = post_form(
        client, url, {"start_month": "2021-01", "end_month": "2021-08"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "权益单已出具" in listing
    record_no = re.search(r"(QY\d{16})", listing).group(1)  # type: ignore[union-attr]
    pdf = client.get(f"/s/{demo}/centre/certificate/{record_no}.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    verify_url = re.search(rb"/verify/[A-Za-z0-9_.\-]+", pdf.data)
    assert verify_url, "the PDF names its verification URL"
    anonymous = create_app(WebConfig, platform=client.application.extensions["shebao_sim"])
    page = anonymous.test_client().get(verify_url.group(0).decode()).get_data(as_text=True)
    assert "验证通过" in page and record_no in page
    altered = anonymous.test_client().get("/verify/not-a-token").get_data(as_text=True)
    assert "验证不通过" in altered


# --- 单位中心 lists: filters refused on the page, the actor's level in Chinese ---------------------


@pytest.mark.parametrize("code", ["310", "510"])
def test_medical_insurance_filter_is_answered_on_the_page(
    client: FlaskClient, demo: str, code: str
) -> None:
    """F-2: the 参保信息 page shows the message (HTML), as the export page does."""
    log_in(client, demo)
    reply = client.get(f"/s/{demo}/centre/insured?insurance_code={code}")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    assert "医疗、生育保险在医保信息平台办理" in page and "E_MEDICAL_PLATFORM" in page
    assert "参保信息 — 人员缴费基数" in page and "共 0 条" in page
    console = client.application.test_client()
    post_form(console, "/trainer/login", {"password": TRAINER_PASSWORD})
    errors = console.get(f"/trainer/sandboxes/{demo}").get_data(as_text=True)
    assert "参保信息查询" in errors and "周明远(法定代表人)" in errors


def test_monthly_details_page_filters_like_its_export(client: FlaskClient, demo: str) -> None:
    """Q-7: 起始年月 … 截止年月 and 险种 on the page; a reversed range is refused there."""
    log_in(client, demo)
    url = f"/s/{demo}/centre/payments"
    page = client.get(
        url, query_string={"view": "details", "start_month": "2021-07", "end_month": "2021-08",
                           "insurance_code": "210", "per_page": 100},
    ).get_data(as_text=True)  # fmt: skip
    assert "共 10 条" in page  # five people, two months, 失业 only
    assert 'name="start_month"' in page and 'name="insurance_code"' in page
    export_link = re.search(r'id="export-link" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert "start_month=2021-07" in export_link and "insurance_code=210" in export_link
    reversed_range = client.get(
        url, query_string={"view": "details", "start_month": "2021-08", "end_month": "2021-05"}
    )
    assert reversed_range.status_code == 200
    assert "查询时间的开始年月不能晚于结束年月" in reversed_range.get_data(as_text=True)
    notices = client.get(url).get_data(as_text=True)  # the world's settled months
    assert "ZJ202108320100000001" in notices and "ZJ202102320100000001" in notices


def test_businesses_page_names_the_level_in_chinese(client: FlaskClient, demo: str) -> None:
    """Q-8: 经办人 周明远(法定代表人), not 周明远(legal_rep)."""
    log_in(client, demo)
    post_form(client, f"/s/{demo}/items/employment_enrolment", enrolment_form(ZHAO))
    page = client.get(f"/s/{demo}/centre/businesses").get_data(as_text=True)
    assert "周明远(法定代表人)" in page and "legal_rep" not in page

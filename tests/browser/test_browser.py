"""The web UI in a real browser (issue 10 point 6): Playwright for Python driving Debian's
Chromium (``/usr/bin/chromium``, installed by ``scripts/install-system-deps.sh``; no
browser download) against the simulator served on a real socket.

The main flows: the trainer creates a trainee's sandbox with the ``demo`` world; the
trainee logs in, meets 未获取到人员基本信息 on 用工参保登记, follows the remedy link to
人员基础信息采集, collects the person, registers her with back pay; uploads a
缴费基数调整（上调） file and watches 处理详情 progress live; reads the unit centre;
resets a forgotten password with the slider and face verification; the tablet width.
Then: the page header on one line at 1280 px (申报期 and 暂停申报期); the granting flow
(经办人管理 → 被授权人激活 → a refused item, A-3); 忘记密码 by 短信验证码 (the code read
in the trainer console, A-4); a batch file with row errors (行号, 错误字段, message);
人员变更回退; the trainer's identity outage seen on 人员基础信息采集 (I2-3); the look-up
by 工程编码 (I9-2); 单位实名注册 (PREP-1).

Screenshots of the key pages are saved to ``reports/screenshots/`` (test artefacts).
Without ``/usr/bin/chromium`` (or the ``playwright`` package) the tests are skipped,
except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "reports" / "screenshots"
TRAINER_PASSWORD = "browser-trainer"
USCC = "91320106438957376C"
LEGAL_REP_ID = "320106197803140438"
LEGAL_REP_NAME = "周明远"
PASSWORD = "Shebao@2021"
SUN_YUE = "320581200010190300"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI: run scripts/install-system-deps.sh)")
    pytest.skip(f"{reason}: install it with scripts/install-system-deps.sh")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The simulator on a real socket, with a file database and background batch jobs."""
    from werkzeug.serving import make_server

    from simulator.app import TestConfig, create_app
    from simulator.jobs import runner_for
    from simulator.platform import Platform

    database = tmp_path_factory.mktemp("browser") / "sim.db"
    platform = Platform(
        f"sqlite:///{database}",
        settings={"jobs.mode": "thread", "jobs.chunk_size": 1, "jobs.chunk_pause_seconds": 0.4},
    )
    platform.create_schema()

    class BrowserConfig(TestConfig):
        TRAINER_PASSWORD = TRAINER_PASSWORD
        DATABASE_URL = f"sqlite:///{database}"

    app = create_app(BrowserConfig, platform=platform)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{httpd.server_port}"
    platform.settings["mocks_base_url"] = f"{base_url}/mocks"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base_url, platform
    httpd.shutdown()
    runner_for(platform).stop()
    platform.db.dispose()


@pytest.fixture(scope="module")
def server(served: tuple[str, Any]) -> str:
    return served[0]


def world_sandbox(served: tuple[str, Any], world: str) -> str:
    """A new trainee sandbox holding ``world``."""
    from simulator.worlds import load_world

    sandbox_id = f"browser-{uuid.uuid4().hex[:8]}"
    served[1].create_sandbox(sandbox_id, name="学员 张三")
    load_world(served[1], sandbox_id, world)
    return sandbox_id


@pytest.fixture
def trainee(served: tuple[str, Any]) -> str:
    """A trainee's own sandbox with the demo world (each test its own: they may run apart)."""
    return world_sandbox(served, "demo")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is missing (pip install -e '.[test]')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def trainer_login(page: Any) -> None:
    page.goto("/trainer/")
    page.fill("#trainer-password", TRAINER_PASSWORD)
    page.click("#trainer-login button[type=submit]")
    page.wait_for_url("**/trainer/")


def unit_login(
    page: Any,
    sandbox: str,
    password: str = PASSWORD,
    *,
    uscc: str = USCC,
    id_number: str = LEGAL_REP_ID,
) -> None:
    page.goto(f"/s/{sandbox}/login")
    page.fill("#uscc", uscc)
    page.fill("#id_number", id_number)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(f"**/s/{sandbox}/")


def fill_enrolment(page: Any, id_number: str) -> None:
    page.fill("#f-id_number", id_number)
    page.select_option("#f-contract_reason", "1")
    page.select_option("#f-contract_type", "41")
    page.fill("#f-contract_start", "2021-06-01")
    page.select_option("#f-job_type", "07")
    page.fill("#f-base", "6000")


def start_password_reset(page: Any, sandbox: str) -> None:
    """忘记密码, step 1: 填写账号信息 (the demo unit's legal representative)."""
    page.goto(f"/s/{sandbox}/login")
    page.click("text=忘记密码？")
    page.fill("#reset-account input[name=uscc]", USCC)
    page.fill("#reset-account input[name=id_number]", LEGAL_REP_ID)
    page.fill("#reset-account input[name=name]", LEGAL_REP_NAME)
    page.click("#reset-account button[type=submit]")
    page.wait_for_selector(".slider-track")


def drag_slider(page: Any) -> None:
    """拖动滑块完成拼图: drag the piece onto the gap with the mouse."""
    gap = page.locator(".slider-gap").bounding_box()
    piece = page.locator("#slider-piece").bounding_box()
    page.mouse.move(piece["x"] + piece["width"] / 2, piece["y"] + piece["height"] / 2)
    page.mouse.down()
    page.mouse.move(gap["x"] + piece["width"] / 2 + 2, piece["y"] + piece["height"] / 2, steps=8)
    page.mouse.up()


def test_1_trainer_creates_the_trainees_sandbox(page: Any) -> None:
    sandbox = f"browser-t-{uuid.uuid4().hex[:6]}"
    trainer_login(page)
    page.fill("#create-one input[name=sandbox_id]", sandbox)
    page.fill("#create-one input[name=name]", "学员 张三")
    page.select_option("#create-one select[name=world]", "demo")
    page.click("#create-one button[type=submit]")
    page.wait_for_selector(f"tr[data-sandbox='{sandbox}']")
    shot(page, "01-trainer-sandboxes")
    page.click(f"tr[data-sandbox='{sandbox}'] >> text=管理")
    page.wait_for_selector("#trainer-clock")
    assert "2021-08-16" in page.inner_text("#trainer-clock")
    shot(page, "02-trainer-sandbox")


def test_2_trainees_cannot_reach_the_console(page: Any, trainee: str) -> None:
    unit_login(page, trainee)
    page.goto(f"/trainer/sandboxes/{trainee}")
    assert "/trainer/login" in page.url


def test_3_registration_remedy_collection_and_back_pay(page: Any, trainee: str) -> None:
    unit_login(page, trainee)
    assert page.inner_text("#sandbox-date") == "2021-08-16"
    assert page.inner_text("#period-state") == "申报期"
    shot(page, "03-hall-home")
    page.click("nav.main-nav >> text=单位办事")
    page.wait_for_selector("#items")
    shot(page, "04-unit-business")
    page.click("[data-item=employment_enrolment]")
    fill_enrolment(page, SUN_YUE)
    page.click(".lookup-button")
    page.wait_for_selector(".lookup-status .fail")
    assert "未获取到人员基本信息" in page.inner_text(".lookup-status")
    page.click("#submit")
    page.wait_for_selector("#problems")
    assert "未获取到人员基本信息" in page.inner_text("#problems")
    shot(page, "05-error-with-remedy")

    page.click("#problems a.remedy-link >> text=人员基础信息采集")
    page.wait_for_url("**/items/person_collection")
    page.select_option("#f-id_type", "居民身份证")
    page.fill("#f-id_number", SUN_YUE)
    page.fill("#f-name", "孙悦")
    page.select_option("#f-gender", "女")
    page.fill("#f-ethnicity", "汉族")
    page.fill("#f-birth_date", "2000-10-19")
    page.fill("#f-mobile", "19951234567")
    page.select_option("#f-hukou_nature", "12")
    page.fill("#f-hukou_region", "320581")
    page.fill("#f-hukou_address", "苏州市常熟市示例路6号")
    shot(page, "06-person-collection-form")
    page.click("#submit")
    page.wait_for_selector("#business")

    page.goto(f"/s/{trainee}/items/employment_enrolment")
    fill_enrolment(page, SUN_YUE)
    page.click(".lookup-button")
    page.wait_for_selector(".lookup-status .ok")
    assert page.input_value("[data-fact=gender]") == "女"
    shot(page, "07-enrolment-form-filled")
    page.click("#submit")
    page.wait_for_selector("#business")
    text = page.inner_text("#business")
    assert "办理成功" in text and "补缴明细" in text and "202106-202108" in text
    shot(page, "08-enrolment-result-backpay")


def test_4_base_adjustment_progress_is_live(page: Any, trainee: str, tmp_path: Path) -> None:
    from plugins.items.base_adjustment import BaseAdjustment
    from simulator.workbooks import workbook_from_rows

    columns = BaseAdjustment.batch_columns
    people = [("320106198205170631", "9500"), ("320102199009030243", "7000"),
              ("320106199307291287", "13000"), ("320115198812081776", "100"),
              ("320106198205170631", "9800"), ("320102199009030243", "7200")]  # fmt: skip
    rows = [
        [{"id_number": number, "base": base}.get(c.key, "") for c in columns]
        for number, base in people
    ]
    workbook = tmp_path / "基数上调.xlsx"
    workbook.write_bytes(workbook_from_rows(columns, rows))
    unit_login(page, trainee)
    page.goto(f"/s/{trainee}/unit-business")
    page.click("[data-item=base_adjustment]")
    page.set_input_files("#upload-file", str(workbook))
    page.click("#submit")
    page.wait_for_selector("#jobs tr[data-job]")
    shot(page, "09-base-adjustment-processing")
    page.wait_for_function(
        "document.querySelector('#jobs tr[data-job] .state').textContent === '处理完成'",
        timeout=30_000,
    )
    assert page.inner_text("#jobs tr[data-job] .processed") == "6"
    shot(page, "10-base-adjustment-done")
    page.click("#jobs >> text=结果")
    page.wait_for_selector("#job-rows")
    assert "失败" in page.inner_text("#job-rows")
    shot(page, "11-batch-row-results")


def test_5_unit_centre(page: Any, trainee: str) -> None:
    unit_login(page, trainee)
    page.click(".account >> text=南京鼓楼示例信息科技有限公司")
    page.wait_for_selector("#unit-info")
    shot(page, "12-centre-unit-info")
    page.click("#centre-menu >> text=参保信息")
    assert "王建国" in page.inner_text("table.data")
    shot(page, "13-centre-insured")
    page.click("#centre-menu >> text=单位办件")
    shot(page, "14-centre-businesses")


def test_6_tablet_width(browser: Any, server: str, trainee: str) -> None:
    context = browser.new_context(
        base_url=server, viewport={"width": 768, "height": 1024}, locale="zh-CN"
    )
    tablet = context.new_page()
    unit_login(tablet, trainee)
    tablet.goto(f"/s/{trainee}/items/employment_enrolment")
    width = tablet.evaluate("document.documentElement.scrollWidth")
    assert width <= 768, f"the form overflows the tablet width: {width}px"
    shot(tablet, "15-tablet-enrolment-form")
    context.close()


def test_7_forgotten_password_with_slider_and_face(page: Any, trainee: str) -> None:
    start_password_reset(page, trainee)
    shot(page, "16-forgot-password-slider")
    drag_slider(page)
    page.wait_for_selector("#reset-face")
    page.click("#reset-face button")
    page.wait_for_selector("#reset-password")
    page.fill("#reset-password input[name=password]", "Browser2021")
    page.fill("#reset-password input[name=password_again]", "Browser2021")
    page.click("#reset-password button")
    page.wait_for_selector("#reset-done")
    unit_login(page, trainee, "Browser2021")


def test_8_trainer_moves_the_clock_into_the_paused_days(page: Any, trainee: str) -> None:
    trainer_login(page)
    page.goto(f"/trainer/sandboxes/{trainee}")
    page.fill("#clock-set input[name=date]", "2021-09-08")
    page.click("#clock-set button")
    page.wait_for_selector("text=暂停申报期")
    shot(page, "17-trainer-paused")
    page.goto(f"/s/{trainee}/")
    assert page.inner_text("#period-state") == "暂停申报期"


def test_9_certificate_and_its_verification_page(page: Any, trainee: str) -> None:
    unit_login(page, trainee)
    page.goto(f"/s/{trainee}/centre/certificate")
    page.fill("#certificate-form input[name=start_month]", "2021-01")
    page.fill("#certificate-form input[name=end_month]", "2021-08")
    page.click("#certificate-form button")
    page.wait_for_selector("#certificates")
    shot(page, "18-centre-certificate")
    href = page.get_attribute("#certificates a >> nth=0", "href")
    pdf = page.request.get(href).body()  # the QR code's URL is in the PDF's metadata
    token = re.search(rb"/verify/([A-Za-z0-9_.\-]+)", pdf).group(1).decode()  # type: ignore[union-attr]
    page.context.clear_cookies()
    page.goto(f"/verify/{token}")
    page.wait_for_selector("text=验证通过")  # the public page of simulator/api/records.py
    shot(page, "19-public-verification")


# --- the page header at 1280 px -------------------------------------------------------------------

HEADER_PARTS = (".site-title", "#sandbox-clock", "#sandbox-date", "#period-state",
                ".account .unit-name", "#header-user")  # fmt: skip


def assert_header_on_one_line(page: Any) -> None:
    """Title, clock (date, period state), unit and user side by side, nothing wrapped or cut off."""
    boxes = page.evaluate(
        """(selectors) => selectors.map((s) => {
             const r = document.querySelector(s).getBoundingClientRect();
             return {selector: s, top: r.top, bottom: r.bottom, right: r.right};
           })""",
        list(HEADER_PARTS),
    )
    lowest_top = max(box["top"] for box in boxes)
    highest_bottom = min(box["bottom"] for box in boxes)
    assert lowest_top < highest_bottom, f"the header wraps: {boxes}"
    for box in boxes:
        assert box["bottom"] - box["top"] < 48, f"{box['selector']} wraps inside: {box}"
        assert box["right"] <= 1280, f"{box['selector']} is cut off: {box}"
    bar = page.evaluate(
        "(() => { const b = document.querySelector('.site-header .bar');"
        " return [b.scrollWidth, b.clientWidth]; })()"
    )
    assert bar[0] <= bar[1], f"the header overflows: {bar}"


def test_10_header_stays_on_one_line_at_1280(page: Any, trainee: str, served: Any) -> None:
    """Issue 10 point 5: date, 申报期 / 暂停申报期, unit and user on one line at 1280×800."""
    unit_login(page, trainee)
    assert_header_on_one_line(page)
    page.screenshot(path=str(SCREENSHOTS / "20-header-1280-open.png"),
                    clip={"x": 0, "y": 0, "width": 1280, "height": 120})  # fmt: skip
    served[1].set_clock(trainee, "2021-09-08 09:00")  # the paused days: the longer label
    page.goto(f"/s/{trainee}/items/employment_enrolment")
    assert page.inner_text("#period-state") == "暂停申报期"
    assert_header_on_one_line(page)
    shot(page, "21-header-1280-paused", full_page=False)


# --- 经办人管理 → 被授权人激活 → only the granted items ------------------------------------------

GRANTEE_ID = "320106198205170631"  # 王建国, known to public security in the demo world
GRANTEE_PASSWORD = "Agent2021x"
ZHAO = "320113199804061558"  # collected, not insured


def test_11_granting_flow_and_a_refused_item(page: Any, trainee: str) -> None:
    unit_login(page, trainee)
    page.goto(f"/s/{trainee}/centre/")
    page.click("#centre-menu >> text=经办人管理")
    page.wait_for_selector("#grant-notice")
    assert "授权注意事项" in page.inner_text("#agents")
    page.click("#agree-form button")
    page.wait_for_selector("#grant-form")
    page.select_option("#grant-form select[name=level]", "agent")
    page.fill("#grant-form input[name=name]", "王建国")
    page.fill("#grant-form input[name=id_number]", GRANTEE_ID)
    page.fill("#grant-form input[name=mobile]", "13951700001")
    page.check("#grant-form input[name=scopes][value=person_collection]")
    page.click("#grant-form button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "授权成功" in page.inner_text(".flash.success")
    row = page.locator("#agents tr", has_text=GRANTEE_ID)
    assert "王建国" in row.inner_text()
    shot(page, "22-centre-agents-granted")
    page.click(".account button:has-text('退出')")
    page.wait_for_selector("text=已退出登录")

    page.goto(f"/s/{trainee}/login")
    page.click("text=被授权人激活账号")
    page.fill("#activate-form input[name=uscc]", USCC)
    page.fill("#activate-form input[name=id_number]", GRANTEE_ID)
    page.fill("#activate-form input[name=name]", "王建国")
    page.fill("#activate-form input[name=password]", GRANTEE_PASSWORD)
    page.fill("#activate-form input[name=password_again]", GRANTEE_PASSWORD)
    shot(page, "23-grantee-activation")
    page.click("#activate-form button[type=submit]")
    page.wait_for_url(f"**/s/{trainee}/login")
    unit_login(page, trainee, GRANTEE_PASSWORD, id_number=GRANTEE_ID)
    assert "单位经办人：王建国" in page.inner_text("#header-user")

    page.goto(f"/s/{trainee}/items/employment_enrolment")
    fill_enrolment(page, ZHAO)
    page.click("#submit")
    page.wait_for_selector("#problems")
    problems = page.inner_text("#problems")
    assert "您没有办理“用人单位用工参保登记”的权限" in problems
    assert "处理方法" in problems
    link = page.locator("#problems a.remedy-link", has_text="经办人管理")
    assert link.get_attribute("href") == f"/s/{trainee}/centre/agents"
    shot(page, "24-grantee-refused-item")


# --- 忘记密码 by 短信验证码 ---------------------------------------------------------------------


def test_12_forgotten_password_by_sms(browser: Any, page: Any, server: str, trainee: str) -> None:
    start_password_reset(page, trainee)
    drag_slider(page)
    page.wait_for_selector("#reset-send-sms")
    page.click("#reset-send-sms button")
    page.wait_for_selector("#reset-check-sms")
    assert "验证码已发送至" in page.inner_text(".flash.success")
    shot(page, "25-forgot-password-sms")

    # The sandbox has no phone: the trainer reads the code in the console.
    console = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    trainer = console.new_page()
    trainer_login(trainer)
    trainer.goto(f"/trainer/sandboxes/{trainee}")
    code = trainer.inner_text("#sms-codes tbody tr >> nth=0 >> td >> nth=1").strip()
    console.close()
    assert re.fullmatch(r"\d{6}", code), code

    page.fill("#reset-check-sms input[name=code]", "000000" if code != "000000" else "111111")
    page.click("#reset-check-sms button")
    page.wait_for_selector("#problems")
    assert "验证码" in page.inner_text("#problems")  # a wrong code is refused with its message
    page.fill("#reset-check-sms input[name=code]", code)
    page.click("#reset-check-sms button")
    page.wait_for_selector("#reset-password")
    page.fill("#reset-password input[name=password]", "BySms2021")
    page.fill("#reset-password input[name=password_again]", "BySms2021")
    page.click("#reset-password button")
    page.wait_for_selector("#reset-done")
    unit_login(page, trainee, "BySms2021")


# --- a batch file with row errors (I2-5): 行号, 错误字段, message --------------------------------------


def test_13_batch_upload_with_row_errors(page: Any, trainee: str, tmp_path: Path) -> None:
    from plugins.items.person_collection import PersonCollection
    from simulator.workbooks import workbook_from_rows

    good = {"id_type": "居民身份证", "id_number": SUN_YUE, "name": "孙悦", "gender": "女",
            "ethnicity": "汉族", "birth_date": "2000-10-19", "mobile": "19951234567",
            "hukou_nature": "12", "hukou_region": "320581",
            "hukou_address": "苏州市常熟市示例路6号"}  # fmt: skip
    bad_check_digit = {**good, "id_number": SUN_YUE[:-1] + "1"}
    no_name = {**good, "name": ""}
    columns = PersonCollection.batch_columns
    rows = [[row.get(c.key, "") for c in columns] for row in (good, bad_check_digit, no_name)]
    workbook = tmp_path / "批量采集.xlsx"
    workbook.write_bytes(workbook_from_rows(columns, rows))

    unit_login(page, trainee)
    page.goto(f"/s/{trainee}/items/person_collection/batch")
    page.set_input_files("#upload-file", str(workbook))
    page.click("#submit")
    page.wait_for_selector("#jobs tr[data-job]")
    page.wait_for_function(
        "document.querySelector('#jobs tr[data-job] .state').textContent === '处理完成'",
        timeout=30_000,
    )
    assert page.inner_text("#jobs tr[data-job] .errors") == "2"
    page.click("#jobs >> text=结果")
    page.wait_for_selector("#job-rows")
    first, second, third = (page.locator(f"#job-rows tr[data-row='{n}']") for n in (2, 3, 4))
    assert "第2行" in first.inner_text() and "成功" in first.inner_text()
    assert "第3行" in second.inner_text() and "失败" in second.inner_text()
    assert second.locator(".field-name").inner_text() == "证件号码"
    assert "校验位" in second.inner_text()
    assert "第4行" in third.inner_text() and "失败" in third.inner_text()
    assert third.locator(".field-name").inner_text() == "姓名"
    assert "姓名不能为空" in third.inner_text()
    shot(page, "26-batch-row-errors")


# --- 人员变更回退 -------------------------------------------------------------------------------------


def test_14_rollback_in_the_browser(page: Any, trainee: str) -> None:
    unit_login(page, trainee)
    page.goto(f"/s/{trainee}/items/employment_enrolment")
    fill_enrolment(page, ZHAO)
    page.click("#submit")
    page.wait_for_selector("#business")
    business_no = page.inner_text("#business dl.facts div:has(dt:text-is('业务编号')) dd")

    page.goto(f"/s/{trainee}/unit-business")
    page.click("[data-item=rollback]")
    page.fill("#f-id_number", ZHAO)
    page.click(".lookup-button")
    page.wait_for_selector(f"#pending-rollback td:text-is('{business_no}')")
    page.select_option("#f-business_no", business_no)
    shot(page, "27-rollback-form")
    page.click("#submit")
    page.wait_for_selector("#business")
    assert "回退成功" in page.inner_text("#business h2")
    rolled_back = page.locator("#business table.data", has_text=business_no)
    assert "已回退" in rolled_back.inner_text()  # 已回退的业务
    shot(page, "28-rollback-result")

    page.goto(f"/s/{trainee}/centre/businesses")
    row = page.locator("table.data tr", has_text=business_no)
    assert "已回退" in row.inner_text()
    page.goto(f"/s/{trainee}/items/rollback")
    page.fill("#f-id_number", ZHAO)
    page.click(".lookup-button")
    page.wait_for_selector(".lookup-status .ok")
    assert page.locator("#pending-rollback tbody tr").count() == 0  # nothing left to roll back


# --- I2-3: the trainer puts the identity service into outage -------------------------------------


def test_15_identity_outage_seen_by_the_trainee(browser: Any, server: str, trainee: str) -> None:
    contexts = [
        browser.new_context(base_url=server, viewport={"width": 1280, "height": 800},
                            locale="zh-CN")
        for _ in range(2)
    ]  # fmt: skip
    trainer, student = (context.new_page() for context in contexts)
    try:
        trainer_login(trainer)
        trainer.goto(f"/trainer/sandboxes/{trainee}")
        fault = trainer.locator("#mocks tr[data-service=identity]")
        fault.locator("select[name=mode]").select_option("outage")
        fault.locator("button[type=submit]").click()
        trainer.wait_for_selector("#mocks tr[data-service=identity] td.fail")
        assert "服务不可用" in trainer.inner_text("#mocks tr[data-service=identity]")
        shot(trainer, "29-trainer-identity-outage")

        unit_login(student, trainee)
        student.goto(f"/s/{trainee}/items/person_collection")
        student.select_option("#f-id_type", "居民身份证")
        student.fill("#f-id_number", SUN_YUE)
        student.fill("#f-name", "孙悦")
        student.select_option("#f-gender", "女")
        student.fill("#f-ethnicity", "汉族")
        student.fill("#f-birth_date", "2000-10-19")
        student.fill("#f-mobile", "19951234567")
        student.select_option("#f-hukou_nature", "12")
        student.fill("#f-hukou_region", "320581")
        student.fill("#f-hukou_address", "苏州市常熟市示例路6号")
        student.click("#submit")
        student.wait_for_selector("#problems")
        assert "调用公安部人员基准信息查询接口出错。请稍后或第二天再试" in student.inner_text(
            "#problems"
        )
        shot(student, "30-trainee-identity-outage")

        trainer.reload()
        assert "调用公安部人员基准信息查询接口出错" in trainer.inner_text("#errors")
    finally:
        for context in contexts:
            context.close()


# --- I9-2: the look-up by 工程编码 ------------------------------------------------------------------

BUILDER_USCC = "913203111766123770"  # the construction world's 徐州示例建设工程有限公司
BUILDER_LEGAL_REP = "320311196904040118"
PROJECT = "GC320312202199999"
WANG = "320321197803121039"  # 王大军, collected
WU = "320312199104192631"  # 吴九成, collected


def register_worker(page: Any, id_number: str, entry_date: str) -> None:
    """建筑施工人员参保登记 with the 工程编码 the look-up filled in, then back to the look-up."""
    assert page.input_value("#f-project_code") == PROJECT  # the look-up fills the form
    page.fill("#f-id_number", id_number)
    page.fill("#f-entry_date", entry_date)
    page.click("#submit")
    page.wait_for_selector("#business")
    assert "建筑施工人员参保登记成功" in page.inner_text("#business h2")
    page.click("#project-people-link")
    page.wait_for_selector("#project-people")


def test_16_project_lookup_by_code(page: Any, served: Any) -> None:
    sandbox = world_sandbox(served, "construction")
    unit_login(page, sandbox, uscc=BUILDER_USCC, id_number=BUILDER_LEGAL_REP)
    page.goto(f"/s/{sandbox}/items/project_registration")  # the project itself (I9-1)
    page.fill("#f-code", PROJECT)
    page.fill("#f-name", "徐州示例安置房三期工程")
    page.fill("#f-region_code", "320312")
    page.fill("#f-cost", "38600000")
    page.fill("#f-start_date", "2021-03-01")
    page.fill("#f-end_date", "2022-06-30")
    page.click("#submit")
    page.wait_for_selector("#business")

    page.goto(f"/s/{sandbox}/unit-business")
    page.click("[data-item=project_workers]")
    page.fill("#project-query-code", PROJECT)
    page.click("#project-query-submit")
    page.wait_for_selector("#project-people")
    assert page.input_value("[data-project=工程名称]") == "徐州示例安置房三期工程"
    assert "总行数：0" in page.inner_text("#project-total")
    register_worker(page, WANG, "2021-03-01")
    register_worker(page, WU, "2021-08-16")
    assert page.locator("#project-people tbody tr").count() == 2
    assert "总行数：2" in page.inner_text("#project-total")

    page.locator("#project-people tr", has_text="王大军").locator("text=离场维护").click()
    assert page.input_value("#f-action") == "exit" and page.input_value("#f-id_number") == WANG
    page.fill("#f-exit_date", "2021-08-10")
    page.click("#submit")
    page.wait_for_selector("#business")
    page.click("#project-people-link")
    page.wait_for_selector("#project-people")
    wang = page.locator("#project-people tr", has_text="王大军")
    assert wang.locator(".exit-date").inner_text() == "2021-08-10"
    assert "在场人数：1" in page.inner_text("#project-total")
    shot(page, "31-project-lookup")

    page.fill("#project-query-code", "GC000")
    page.click("#project-query-submit")
    page.wait_for_selector("#project-problems")
    problems = page.inner_text("#project-problems")
    assert "未查询到工程编码为GC000的工程建设项目" in problems
    assert "请核对工程编码；本单位尚未登记的工程，请先办理工程建设项目登记。" in problems
    link = page.locator("#project-problems a.remedy-link", has_text="工程建设项目登记")
    assert link.get_attribute("href") == f"/s/{sandbox}/items/project_registration"
    assert page.locator("#project-people").count() == 0
    shot(page, "32-project-lookup-unknown")


# --- PREP-1: 单位实名注册 ---------------------------------------------------------------------------

NEW_USCC = "91320106921676283A"  # 南京鼓楼示例新材料有限公司: market regulation only
NEW_LEGAL_REP = ("韩雪", "320104198511020807")


def test_17_unit_signup(page: Any, trainee: str) -> None:
    page.goto(f"/s/{trainee}/login")
    page.click("#signup-link")
    page.wait_for_selector("#signup-form")
    page.fill("#s-uscc", USCC)  # already signed up
    page.fill("#s-legal_rep_name", LEGAL_REP_NAME)
    page.fill("#s-legal_rep_id_number", LEGAL_REP_ID)
    page.fill("#s-mobile", "13951700002")
    page.fill("#s-password", "Newco2021")
    page.fill("#s-password_again", "Newco2021")
    page.click("#signup-submit")
    page.wait_for_selector("#problems")
    problems = page.inner_text("#problems")
    assert "该单位已完成实名注册" in problems
    assert "请法定代表人使用统一社会信用代码、证件号码和密码登录" in problems
    assert page.locator("#problems a.remedy-link", has_text="忘记密码").count() == 1
    shot(page, "33-signup-refused")

    page.fill("#s-uscc", NEW_USCC)
    page.fill("#s-legal_rep_name", NEW_LEGAL_REP[0])
    page.fill("#s-legal_rep_id_number", NEW_LEGAL_REP[1])
    page.fill("#s-password", "Newco2021")
    page.fill("#s-password_again", "Newco2021")
    page.click("#signup-submit")
    page.wait_for_selector("#signup-done")
    assert "南京鼓楼示例新材料有限公司" in page.inner_text("#signup-done")
    assert page.inner_text("#signup-unit-status") == "未参保"
    shot(page, "34-signup-done")

    page.click("#signup-login")
    assert page.input_value("#uscc") == NEW_USCC
    page.fill("#id_number", NEW_LEGAL_REP[1])
    page.fill("#password", "Newco2021")
    page.click("#login-submit")
    page.wait_for_url(f"**/s/{trainee}/")
    assert "法定代表人：韩雪" in page.inner_text("#header-user")

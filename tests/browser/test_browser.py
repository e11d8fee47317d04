"""The web UI in a real browser (issue 10 point 6): Playwright for Python driving Debian's
Chromium (``/usr/bin/chromium``, installed by ``scripts/install-system-deps.sh``; no
browser download) against the simulator served on a real socket.

The main flows: the trainer creates a trainee's sandbox with the ``demo`` world; the
trainee logs in, meets 未获取到人员基本信息 on 用工参保登记, follows the remedy link to
人员基础信息采集, collects the person, registers her with back pay; uploads a
缴费基数调整（上调） file and watches 处理详情 progress live; reads the unit centre;
resets a forgotten password with the slider and face verification; the tablet width.

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


@pytest.fixture
def trainee(served: tuple[str, Any]) -> str:
    """A trainee's own sandbox with the demo world (each test its own: they may run apart)."""
    from simulator.worlds import load_world

    sandbox_id = f"browser-{uuid.uuid4().hex[:8]}"
    served[1].create_sandbox(sandbox_id, name="学员 张三")
    load_world(served[1], sandbox_id, "demo")
    return sandbox_id


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


def unit_login(page: Any, sandbox: str, password: str = PASSWORD) -> None:
    page.goto(f"/s/{sandbox}/login")
    page.fill("#uscc", USCC)
    page.fill("#id_number", LEGAL_REP_ID)
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
    page.goto(f"/s/{trainee}/login")
    page.click("text=忘记密码？")
    page.fill("#reset-account input[name=uscc]", USCC)
    page.fill("#reset-account input[name=id_number]", LEGAL_REP_ID)
    page.fill("#reset-account input[name=name]", LEGAL_REP_NAME)
    page.click("#reset-account button[type=submit]")
    page.wait_for_selector(".slider-track")
    shot(page, "16-forgot-password-slider")
    gap = page.locator(".slider-gap").bounding_box()
    piece = page.locator("#slider-piece").bounding_box()
    page.mouse.move(piece["x"] + piece["width"] / 2, piece["y"] + piece["height"] / 2)
    page.mouse.down()
    page.mouse.move(gap["x"] + piece["width"] / 2 + 2, piece["y"] + piece["height"] / 2, steps=8)
    page.mouse.up()
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

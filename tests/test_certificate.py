"""江苏省社会保险权益记录单（参保单位）: data, layout, font, verification (Q-3, Q-4, Q-5).

The suqian-80 world is the guide's sample: 宿迁市市本级, 80 people insured for
养老/工伤/失业 with every month of 2020, and one former employee (stopped 2020-06)
who is neither counted nor listed.  The PDF's text is read back with pypdf; page 1
is rendered with pdftoppm (poppler-utils, scripts/install-system-deps.sh) to check
that it shows Chinese text, not an empty page.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import delete, select, update

from simulator import certificate
from simulator.certificate import NOTES, TITLE, plan_pages, plus_months
from simulator.db.models import Account, ContributionLine, InsuredRelation, Person, Unit
from simulator.db.records import IssuedRecord
from simulator.errors import Refused
from simulator.worlds import DEFAULT_PASSWORD, load_world

SUQIAN_USCC = "9132130262059337XB"
SUQIAN_LEGAL_REP = "321302197105180076"
FORMER_EMPLOYEE = "321302196902260656"  # the 81st person: stopped in 2020-06


@pytest.fixture
def suqian(platform, sandbox_id):  # type: ignore[no-untyped-def]
    load_world(platform, sandbox_id, "suqian-80")
    return sandbox_id


@pytest.fixture
def headers(client, suqian):  # type: ignore[no-untyped-def]
    reply = client.post(
        f"/api/v1/sandboxes/{suqian}/login",
        json={"uscc": SUQIAN_USCC, "id_number": SUQIAN_LEGAL_REP, "password": DEFAULT_PASSWORD},
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def issue(client, sandbox_id, headers, start="202001", end="202012"):  # type: ignore[no-untyped-def]
    reply = client.post(
        f"/api/v1/sandboxes/{sandbox_id}/unit/rights-records",
        json={"start_month": start, "end_month": end},
        headers=headers,
    )
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def pdf_of(client, record, headers) -> bytes:  # type: ignore[no-untyped-def]
    reply = client.get(record["pdf_url"], headers=headers)
    assert reply.status_code == 200
    assert reply.mimetype == "application/pdf"
    return reply.data


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def former_employee_name(platform, sandbox_id) -> str:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return session.scalars(
            select(Person.name).where(
                Person.sandbox_id == sandbox_id, Person.id_number == FORMER_EMPLOYEE
            )
        ).one()


# --- the suqian-80 record reads like the guide's sample ------------------------------------


@pytest.mark.db
def test_suqian_80_record_reads_like_the_guide(client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-3 Q-4"""
    record = issue(client, suqian, headers)
    assert record["缴费总人数"] == {"养老保险": 80, "工伤保险": 80, "失业保险": 80}
    assert record["人员数"] == 80 and record["页数"] == 3
    assert record["现参保地"] == "宿迁市市本级"
    pages = page_texts(pdf_of(client, record, headers))
    assert len(pages) == 3
    first = pages[0].splitlines()
    assert first[:5] == [
        TITLE,
        "参保单位全称：宿迁市示例纺织服饰有限公司",
        "现参保地：宿迁市市本级",
        f"统一社会信用代码：{SUQIAN_USCC}",
        "查询时间：202001-202012 共3页，第1页",
    ]
    assert "单位参保险种 养老保险 工伤保险 失业保险" in first
    assert "缴费总人数 80 80 80" in first
    assert "序号 姓名 公民身份号码（社会保障号） 缴费起止年月 缴费月数" in first
    # the guide's first two rows: 臧…, 林… with 12 months of 2020
    assert "1 臧健 321302197810077170 202001 - 202012 12" in first
    assert "2 林磊 321302197504198126 202001 - 202012 12" in first
    for number, text in enumerate(pages, start=1):
        assert f"共3页，第{number}页" in text
        assert text.startswith(TITLE)
    rows = [line for text in pages for line in text.splitlines() if "202001 - 202012 12" in line]
    assert [int(line.split()[0]) for line in rows] == list(range(1, 81))
    last = pages[-1]
    assert "说明：" in last
    for note in NOTES:
        assert note in last.replace("\n", "")
    assert f"权益单编号：{record['权益单编号']}" in last
    assert "出具时间：2021-08-16 09:00:00" in last
    # Q-4 / F Q6: the former employee (interrupted in 2020-06) is not listed
    assert former_employee_name(platform, suqian) not in "".join(pages)


def test_the_pdf_carries_the_verification_url_and_an_embedded_cjk_font(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-3 Q-5"""
    record = issue(client, suqian, headers)
    reader = PdfReader(io.BytesIO(pdf_of(client, record, headers)))
    assert reader.metadata["/Keywords"] == record["verify_url"]
    assert record["verify_url"].endswith("/verify/" + record["token"])
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("WenQuanYiMicroHei" in name for name in fonts), fonts
    assert not any("STSong" in name or "Helvetica" in name for name in fonts)


def test_the_font_has_every_character_of_the_record(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-3: no character of the record would print as a box (.notdef)."""
    record = issue(client, suqian, headers)
    details = client.get(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records/{record['权益单编号']}", headers=headers
    ).get_json()
    text = "".join(str(value) for value in details["record"].values())
    text += "".join(cell for row in details["record"]["人员名单"] for cell in row)
    text += (
        "".join(NOTES) + TITLE + certificate.SIMULATION_NOTICE + "".join(certificate.LIST_HEADERS)
    )
    assert certificate.uncovered_characters(text) == set()


def _pdftoppm() -> str | None:
    found = shutil.which("pdftoppm")
    if found is None and os.environ.get("CI") == "true":
        pytest.fail("pdftoppm missing under CI: run scripts/install-system-deps.sh")
    return found


def test_page_one_renders_chinese_text(client, suqian, headers, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Q-3: pdftoppm -r 60 draws page 1 — a page with text, title and table, not blank."""
    pdftoppm = _pdftoppm()
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: scripts/install-system-deps.sh")
    record = issue(client, suqian, headers)
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(pdf_of(client, record, headers))
    subprocess.run(
        [pdftoppm, "-r", "60", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = image.size
    assert abs(width - 496) <= 1 and abs(height - 702) <= 1  # A4 at 60 dpi
    scale = 60 / 72  # pixels per point
    pixels = image.load()

    def ink(box: tuple[int, int, int, int]) -> float:
        left, top, right, bottom = box
        dark = sum(1 for x in range(left, right) for y in range(top, bottom) if pixels[x, y] < 128)
        return dark / ((right - left) * (bottom - top))

    # the title: 16 pt, its baseline 58 pt below the top edge, centred
    title_band = (int(width * 0.2), int(38 * scale), int(width * 0.8), int(62 * scale))
    assert 0.05 < ink(title_band) < 0.6, ink(title_band)  # the title's glyphs, not nothing
    assert 0.02 < ink((0, 0, width, height)) < 0.4  # text and grid, not blank, not black
    # a column of a name cell in the list holds ink (a name is printed there)
    assert ink((int(width * 0.16), 200, int(width * 0.30), 400)) > 0.02
    # glyph boxes (tofu) would make every character of the title the same shape: the
    # title's first two characters (江, 苏) must differ
    left = title_band[0]
    cells = []
    for start in range(left, title_band[2]):
        column = [pixels[start, y] < 128 for y in range(title_band[1], title_band[3])]
        cells.append(any(column))
    runs: list[tuple[int, int]] = []
    begin = None
    for index, inked in enumerate(cells):
        if inked and begin is None:
            begin = index
        if not inked and begin is not None:
            runs.append((begin, index))
            begin = None
    assert len(runs) >= 6, runs  # separate glyphs, not one black bar
    first, second = runs[0], runs[1]

    def glyph(run: tuple[int, int]) -> list[bool]:
        return [
            pixels[left + x, y] < 128
            for x in range(run[0], run[0] + 8)
            for y in range(title_band[1], title_band[3])
        ]

    assert glyph(first) != glyph(second)


def test_pdftotext_reads_the_same_layout(client, suqian, headers, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Q-3: poppler's text extraction agrees (the glyphs map back to the characters)."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftotext missing under CI: run scripts/install-system-deps.sh")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    record = issue(client, suqian, headers)
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(pdf_of(client, record, headers))
    text = subprocess.run(
        [pdftotext, "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert TITLE in text
    assert "宿迁市市本级" in text
    assert "臧健" in text and "321302197810077170" in text


def test_the_qr_code_reads_back_as_the_verification_url(client, suqian, headers, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Q-5: what a phone scanning the top-right QR code opens (zbarimg, when installed)."""
    pdftoppm, zbarimg = shutil.which("pdftoppm"), shutil.which("zbarimg")
    if pdftoppm is None or zbarimg is None:
        pytest.skip("pdftoppm and zbarimg (poppler-utils, zbar-tools) are needed")
    record = issue(client, suqian, headers)
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(pdf_of(client, record, headers))
    subprocess.run(
        [pdftoppm, "-r", "200", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    decoded = subprocess.run(
        [zbarimg, "-q", "--raw", str(next(tmp_path.glob("page*.png")))],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert decoded == record["verify_url"]


# --- who is counted and who is listed ------------------------------------------------------


def _person_id(platform, sandbox_id, name: str) -> int:  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return session.scalars(
            select(Person.id).where(Person.sandbox_id == sandbox_id, Person.name == name)
        ).one()


@pytest.mark.db
def test_counted_at_query_time_listed_with_contributions_in_range(  # type: ignore[no-untyped-def]
    client, platform, suqian, headers
):
    """Q-4 (F Q6)"""
    gone = _person_id(platform, suqian, "臧健")  # stopped now: interrupted
    partly = _person_id(platform, suqian, "林磊")  # pension stopped, 工伤/失业 go on
    gap = _person_id(platform, suqian, "刘红")  # no contribution line in 2020-07
    with platform.db.transaction() as session:
        session.execute(
            update(InsuredRelation)
            .where(InsuredRelation.sandbox_id == suqian, InsuredRelation.person_id == gone)
            .values(status="3", stop_month="2021-07")
        )
        session.execute(
            update(InsuredRelation)
            .where(
                InsuredRelation.sandbox_id == suqian,
                InsuredRelation.person_id == partly,
                InsuredRelation.insurance_code == "110",
            )
            .values(status="3", stop_month="2021-07")
        )
        session.execute(
            delete(ContributionLine).where(
                ContributionLine.sandbox_id == suqian,
                ContributionLine.person_id == gap,
                ContributionLine.fee_month == "2020-07",
            )
        )
    record = issue(client, suqian, headers, "2020-06", "2020-08")
    assert record["查询时间"] == "202006-202008"
    assert record["缴费总人数"] == {"养老保险": 78, "工伤保险": 79, "失业保险": 79}
    details = client.get(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records/{record['权益单编号']}", headers=headers
    ).get_json()
    listed = {row[1]: row for row in details["record"]["人员名单"]}
    assert len(listed) == 79
    assert "臧健" not in listed  # interrupted: not listed although it paid in the range
    assert listed["林磊"][3:] == ["202006 - 202008", "3"]  # still insured for 工伤/失业
    assert listed["刘红"][3:] == ["202006 - 202008", "2"]  # a gap: 2 months over a 3-month span
    assert [row[0] for row in details["record"]["人员名单"]] == [str(n) for n in range(1, 80)]


def test_a_range_without_contributions_lists_nobody(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-4: 缴费总人数 is about now, the list about the range."""
    record = issue(client, suqian, headers, "201901", "201912")
    assert record["人员数"] == 0 and record["页数"] == 1
    assert record["缴费总人数"]["养老保险"] == 80
    text = page_texts(pdf_of(client, record, headers))[0]
    assert "缴费总人数 80 80 80" in text and "说明：" in text


def test_a_reversed_range_is_refused(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-3"""
    reply = client.post(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records",
        json={"start_month": "202012", "end_month": "202001"},
        headers=headers,
    )
    assert reply.status_code == 400
    assert reply.get_json()["code"] == "E_RECORD_RANGE"
    bad = client.post(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records",
        json={"start_month": "202013", "end_month": "202101"},
        headers=headers,
    )
    assert bad.status_code == 400


def test_printing_needs_a_login(client, suqian):  # type: ignore[no-untyped-def]
    """PREP-1 Q-3"""
    reply = client.post(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records",
        json={"start_month": "202001", "end_month": "202012"},
    )
    assert reply.status_code == 401


def test_issued_records_are_listed_and_kept_as_issued(client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-3 Q-5: the PDF downloads again byte for byte; another unit cannot see it."""
    record = issue(client, suqian, headers)
    listed = client.get(f"/api/v1/sandboxes/{suqian}/unit/rights-records", headers=headers)
    assert listed.get_json()["total"] == 1
    assert listed.get_json()["rows"][0]["权益单编号"] == record["权益单编号"]
    assert listed.get_json()["rows"][0]["有效期至"] == "2022-02-16 09:00:00"
    first = pdf_of(client, record, headers)
    assert pdf_of(client, record, headers) == first
    details = client.get(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records/{record['权益单编号']}", headers=headers
    ).get_json()
    assert details["token"] == record["token"]
    missing = client.get(f"/api/v1/sandboxes/{suqian}/unit/rights-records/QY0000", headers=headers)
    assert missing.status_code == 404


# --- verification ------------------------------------------------------------------------


def verify(client, token: str):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/records/verify", query_string={"token": token})


@pytest.mark.db
def test_verification_any_number_of_times_then_expired(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-5: valid while the sandbox clock is less than six months after issue."""
    record = issue(client, suqian, headers)
    for _ in range(3):
        reply = verify(client, record["token"])
        assert reply.status_code == 200, reply.get_json()
        assert reply.get_json()["valid"] is True
    body = reply.get_json()
    assert body["record"]["权益单编号"] == record["权益单编号"]
    assert body["有效期至"] == "2022-02-16 09:00:00"
    client.put(f"/api/v1/sandboxes/{suqian}/clock", json={"at": "2022-02-16 08:59"})
    assert verify(client, record["token"]).status_code == 200
    client.put(f"/api/v1/sandboxes/{suqian}/clock", json={"at": "2022-02-16 09:00"})
    expired = verify(client, record["token"])
    assert expired.status_code == 422
    assert expired.get_json()["code"] == "E_RECORD_EXPIRED"
    assert expired.get_json()["message"] == "该权益单已超过有效期（出具后6个月），验证不通过"
    assert expired.get_json()["behaviour_id"] == "Q-5"


def test_an_altered_token_fails(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-5"""
    token = issue(client, suqian, headers)["token"]
    body, _, signature = token.rpartition(".")
    changed = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for altered in (f"{body}.{changed}", token[:20] + token[21:], "not-a-token"):
        reply = verify(client, altered)
        assert reply.status_code == 400
        assert reply.get_json()["code"] == "E_RECORD_TOKEN_INVALID"


def test_a_token_signed_with_another_key_fails(client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-5: the claims of a real record, signed by someone else."""
    record = issue(client, suqian, headers)
    claims = certificate.read_token("test", record["token"])
    forged = certificate.sign_record(
        "someone-else",
        sandbox_id=claims["s"],
        record_no=claims["n"],
        uscc=claims["u"],
        range_label=claims["r"],
        issued_at=datetime.strptime(claims["t"], "%Y%m%d%H%M%S"),
        digest=claims["d"],
    )
    assert verify(client, forged).get_json()["code"] == "E_RECORD_TOKEN_INVALID"


def test_an_altered_document_fails(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-5: the PDF as issued passes; any other bytes fail."""
    record = issue(client, suqian, headers)
    pdf = pdf_of(client, record, headers)

    def check(document: bytes):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/records/verify",
            data={"token": record["token"], "document": (io.BytesIO(document), "权益单.pdf")},
        )

    good = check(pdf)
    assert good.status_code == 200 and good.get_json()["document_checked"] is True
    altered = pdf.replace(b"/Author (ShebaoSim)", b"/Author (Shebaosim)")
    assert altered != pdf
    reply = check(altered)
    assert reply.status_code == 422
    assert reply.get_json()["code"] == "E_RECORD_ALTERED"


@pytest.mark.db
def test_an_altered_stored_record_fails(client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-5: the token's digest no longer matches the record's data."""
    record = issue(client, suqian, headers)
    with platform.db.transaction() as session:
        issued = session.scalars(
            select(IssuedRecord).where(IssuedRecord.record_no == record["权益单编号"])
        ).one()
        data = dict(issued.data)
        data["缴费总人数"] = {**data["缴费总人数"], "养老保险": 81}
        issued.data = data
    assert verify(client, record["token"]).get_json()["code"] == "E_RECORD_ALTERED"


@pytest.mark.db
def test_a_reset_sandbox_knows_no_record(client, platform, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-5"""
    record = issue(client, suqian, headers)
    platform.reset_sandbox(suqian)
    reply = verify(client, record["token"])
    assert reply.status_code == 404
    assert reply.get_json()["code"] == "E_RECORD_NOT_FOUND"


def test_the_verification_page(client, suqian, headers):  # type: ignore[no-untyped-def]
    """Q-5: the page the QR code opens, in Chinese, with no login."""
    record = issue(client, suqian, headers)
    path = "/verify/" + record["token"]
    page = client.get(path)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "验证通过" in html and "宿迁市示例纺织服饰有限公司" in html and "臧健" in html
    checked = client.post(
        path,
        data={"document": (io.BytesIO(pdf_of(client, record, headers)), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert "已比对上传的权益单文件" in checked.get_data(as_text=True)
    client.put(f"/api/v1/sandboxes/{suqian}/clock", json={"at": "2022-03-01"})
    late = client.get(path)
    assert late.status_code == 422
    assert "已超过有效期" in late.get_data(as_text=True)
    assert client.get("/verify/forged").status_code == 400


# --- pieces -------------------------------------------------------------------------------------


def test_six_months_later_keeps_the_day_or_takes_the_month_end() -> None:
    """Q-5"""
    assert plus_months(datetime(2021, 8, 16, 9), 6) == datetime(2022, 2, 16, 9)
    assert plus_months(datetime(2021, 8, 31, 15, 30), 6) == datetime(2022, 2, 28, 15, 30)
    assert plus_months(datetime(2023, 8, 31), 6) == datetime(2024, 2, 29)


def test_a_few_hundred_pages_for_ten_thousand_people() -> None:
    """Q-3: every row on exactly one page, in order; the notes after the last row."""
    plan = plan_pages(10_000)
    assert 200 <= len(plan) <= 400
    assert plan[0].first_row == 0 and plan[-1].last_row == 10_000
    assert all(a.last_row == b.first_row for a, b in pairwise(plan))
    assert [page.notes for page in plan].count(True) == 1 and plan[-1].notes
    assert plan_pages(0)[0].notes and len(plan_pages(0)) == 1


def test_a_missing_font_is_a_clear_error(monkeypatch, client, suqian, headers) -> None:  # type: ignore[no-untyped-def]
    """Q-3: no silent fallback to a font without Chinese glyphs."""
    monkeypatch.delenv(certificate.FONT_ENV, raising=False)
    monkeypatch.setattr(certificate, "FONT_PACKAGE", ("no_such_font_package", "x.ttc"))
    monkeypatch.setattr(certificate, "FONT_SYSTEM_PATHS", (Path("/nonexistent/wqy.ttc"),))
    with pytest.raises(certificate.FontMissing) as missing:
        certificate.cjk_font_path()
    assert "scripts/install-system-deps.sh" in str(missing.value)
    assert certificate.FONT_ENV in str(missing.value)
    reply = client.post(
        f"/api/v1/sandboxes/{suqian}/unit/rights-records",
        json={"start_month": "202001", "end_month": "202012"},
        headers=headers,
    )
    assert reply.status_code == 503
    assert reply.get_json()["code"] == "E_RECORD_FONT_MISSING"


def test_the_font_can_be_named_by_the_environment(monkeypatch) -> None:
    """Q-3"""
    found = certificate.cjk_font_path()
    monkeypatch.setenv(certificate.FONT_ENV, str(found))
    monkeypatch.setattr(certificate, "FONT_PACKAGE", ("no_such_font_package", "x.ttc"))
    assert certificate.cjk_font_path() == found


def test_the_unit_of_the_record_is_the_login_s(client, platform, suqian, headers) -> None:  # type: ignore[no-untyped-def]
    """Q-3: another unit's login prints its own record (nothing of suqian's)."""
    from builders import PASSWORD, add_unit

    other_unit, _ = add_unit(platform, suqian)
    with platform.db.transaction() as session:
        unit = session.get(Unit, other_unit)
        account = session.scalars(select(Account).where(Account.unit_id == other_unit)).one()
        uscc, id_number = unit.uscc, account.id_number
    login = client.post(
        f"/api/v1/sandboxes/{suqian}/login",
        json={"uscc": uscc, "id_number": id_number, "password": PASSWORD},
    )
    other = {"Authorization": f"Bearer {login.get_json()['token']}"}
    record = issue(client, suqian, other)
    assert record["人员数"] == 0 and record["统一社会信用代码"] == uscc
    mine = issue(client, suqian, headers)
    assert (
        client.get(mine["pdf_url"], headers=other).status_code == 404
    )  # not the other unit's record


def test_every_single_character_change_of_a_token_fails() -> None:
    """Q-5: base64's unused low bits must not let an altered QR code through."""
    token = certificate.sign_record(
        "test",
        sandbox_id="s1",
        record_no="QY2021081640044080",
        uscc="9132130262059337XB",
        range_label="202001-202012",
        issued_at=datetime(2021, 8, 16, 9, 0),
        digest="0123456789abcdef" * 4,
    )
    assert certificate.read_token("test", token)["n"] == "QY2021081640044080"
    for position, original in enumerate(token):
        for replacement in {"A", "B", "f", "-"} - {original}:
            altered = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(Refused) as refusal:
                certificate.read_token("test", altered)
            assert refusal.value.problem.code == "E_RECORD_TOKEN_INVALID", (position, replacement)

"""The three mocked agencies, each through both transports (issue 3, points 1–4).

``gateways`` is parametrized: ``in-process`` routes the gateways' requests into
the simulator's own application with ``responses``; ``http`` serves the
standalone mocks application on a real socket.  Same mock code, same answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from mocks.app import create_mocks_app
from mocks.identity import magic_id_number
from mocks.market import magic_uscc
from mocks.transport import in_process_mocks, serving_mocks
from simulator.gateways import GatewayError, Gateways
from simulator.identifiers import generate_credit_code, generate_resident_id
from simulator.platform import Platform

ZHANG_SAN = generate_resident_id("320102", date(1990, 1, 1), 5, "男")
LEGAL_REP = generate_resident_id("320105", date(1975, 6, 30), 12, "女")
UNIT_CODE = generate_credit_code("320105", 42)


@pytest.fixture(scope="module")
def mocks_server(shared_platform: Platform) -> Iterator[str]:
    app = create_mocks_app(database=shared_platform.db, max_sleep_seconds=1.0)
    with serving_mocks(app) as base_url:
        yield base_url


@pytest.fixture(params=["in-process", "http"])
def gateways(request: pytest.FixtureRequest, app: Any) -> Iterator[Gateways]:
    if request.param == "in-process":
        with in_process_mocks(app):
            yield Gateways()
    else:
        yield Gateways(request.getfixturevalue("mocks_server"), timeout=2.0)


def register_person(client: Any, sandbox_id: str, **facts: Any) -> dict[str, Any]:
    body = {
        "id_number": ZHANG_SAN,
        "name": "张三",
        "hukou_address": "南京市玄武区中山路1号",
        **facts,
    }
    response = client.post(f"/api/v1/sandboxes/{sandbox_id}/mocks/identity/records", json=body)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def register_unit(client: Any, sandbox_id: str, **facts: Any) -> dict[str, Any]:
    body = {
        "uscc": UNIT_CODE,
        "name": "南京示例人力资源有限公司",
        "legal_rep": {"name": "王芳", "id_number": LEGAL_REP},
        "nature": "企业",
        "is_hr_agency": True,
        "address": "南京市秦淮区中华路1号",
        "registered_on": "2015-03-02",
        **facts,
    }
    response = client.post(f"/api/v1/sandboxes/{sandbox_id}/mocks/market/records", json=body)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


# --- 公安部人员基准信息 ------------------------------------------------------------------


def test_identity_match_returns_the_registered_facts(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    register_person(client, sandbox_id, ethnicity="回族")
    answer = gateways.identity.verify(sandbox_id, ZHANG_SAN, "张三")
    assert answer.result == "match" and answer.facts is not None
    facts = answer.facts
    assert (facts.gender, facts.birth_date, facts.ethnicity) == ("男", date(1990, 1, 1), "回族")
    assert (facts.hukou_region, facts.hukou_address) == ("320102", "南京市玄武区中山路1号")


def test_identity_mismatch_and_not_found(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    register_person(client, sandbox_id)
    assert gateways.identity.verify(sandbox_id, ZHANG_SAN, "李四").result == "mismatch"
    unknown = generate_resident_id("320102", date(1990, 1, 1), 6, "男")
    assert gateways.identity.verify(sandbox_id, unknown, "张三").result == "not_found"
    assert gateways.identity.verify(sandbox_id, "320102199001010000", "张三").result == "not_found"


def test_identity_records_are_per_sandbox(gateways, client, sandbox_id, platform) -> None:  # type: ignore[no-untyped-def]
    register_person(client, sandbox_id)
    platform.create_sandbox("other-identity", clock="2021-08-16")
    try:
        assert gateways.identity.verify("other-identity", ZHANG_SAN, "张三").result == "not_found"
    finally:
        platform.delete_sandbox("other-identity")


def test_identity_names_compare_their_middle_dots(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    register_person(client, sandbox_id, name="阿依古丽·买买提")
    assert gateways.identity.verify(sandbox_id, ZHANG_SAN, "阿依古丽•买买提").matched


def test_magic_name_always_mismatches(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    register_person(client, sandbox_id)
    assert gateways.identity.verify(sandbox_id, ZHANG_SAN, "张错配").result == "mismatch"
    unregistered = generate_resident_id("320102", date(1990, 1, 1), 7, "男")
    assert gateways.identity.verify(sandbox_id, unregistered, "错配").result == "mismatch"


def test_magic_numbers_mismatch_or_fail_unless_registered(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    mismatching = magic_id_number("mismatch", gender="女")
    failing = magic_id_number("failure")
    assert mismatching[14:16] == "98" and failing[14:16] == "99"
    assert gateways.identity.verify(sandbox_id, mismatching, "张三").result == "mismatch"
    with pytest.raises(GatewayError) as raised:
        gateways.identity.verify(sandbox_id, failing, "张三")
    assert (raised.value.service, raised.value.kind) == ("identity", "outage")
    # a registered record wins over the number's pattern
    register_person(client, sandbox_id, id_number=failing, name="赵六")
    assert gateways.identity.verify(sandbox_id, failing, "赵六").matched


# --- 市场监管 -----------------------------------------------------------------------------


def test_market_lookup_returns_the_registration(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    register_unit(client, sandbox_id)
    unit = gateways.market.lookup(sandbox_id, UNIT_CODE)
    assert unit is not None
    assert unit.name == "南京示例人力资源有限公司"
    assert (unit.legal_rep_name, unit.legal_rep_id_type, unit.legal_rep_id_number) == (
        "王芳",
        "居民身份证",
        LEGAL_REP,
    )
    assert (unit.nature, unit.is_hr_agency, unit.region_code) == ("企业", True, "320105")
    assert (unit.registered_on, unit.status, unit.active) == (date(2015, 3, 2), "存续", True)


def test_market_status_comes_from_the_record(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    register_unit(client, sandbox_id, status="吊销", nature="个体工商户")
    unit = gateways.market.lookup(sandbox_id, UNIT_CODE)
    assert unit is not None and (unit.status, unit.nature, unit.active) == (
        "吊销",
        "个体工商户",
        False,
    )


def test_market_unknown_or_invalid_code_is_not_found(gateways, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    assert gateways.market.lookup(sandbox_id, generate_credit_code("320105", 43)) is None
    assert gateways.market.lookup(sandbox_id, "91320105000000000Y") is None
    assert gateways.market.lookup(sandbox_id, "not a code") is None


@pytest.mark.parametrize("status", ["注销", "吊销"])
def test_magic_codes_are_units_that_no_longer_exist(gateways, sandbox_id, status) -> None:  # type: ignore[no-untyped-def]
    code = magic_uscc(status, "320500", authority="5", category="2")  # type: ignore[arg-type]
    unit = gateways.market.lookup(sandbox_id, code)
    assert unit is not None
    assert (unit.status, unit.active, unit.region_code, unit.nature) == (
        status,
        False,
        "320500",
        "民办非企业",
    )


def test_magic_failing_code_fails_unless_registered(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    code = magic_uscc("failure")
    with pytest.raises(GatewayError) as raised:
        gateways.market.lookup(sandbox_id, code)
    assert (raised.value.service, raised.value.kind) == ("market", "outage")
    register_unit(client, sandbox_id, uscc=code)
    unit = gateways.market.lookup(sandbox_id, code)
    assert unit is not None and unit.status == "存续"


# --- 身份核验 -----------------------------------------------------------------------------


def test_face_verification(gateways, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    assert gateways.verification.face(sandbox_id, ZHANG_SAN, "张三") is True
    assert gateways.verification.face(sandbox_id, ZHANG_SAN, "张三不通过") is False


def sms_code(client: Any, sandbox_id: str, request_id: str) -> dict[str, Any]:
    codes = client.get(f"/api/v1/sandboxes/{sandbox_id}/mocks/verification/sms").get_json()["codes"]
    return next(code for code in codes if code["request_id"] == request_id)  # type: ignore[no-any-return]


@pytest.mark.db
def test_sms_code_is_good_once(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    verification = gateways.verification
    request_id = verification.send_sms(sandbox_id, "13800000001")
    sent = sms_code(client, sandbox_id, request_id)
    assert len(sent["code"]) == 6 and sent["code"].isdigit() and sent["code"] != "000000"
    assert (sent["sent_at"], sent["expires_at"]) == ("2021-08-16 09:00:00", "2021-08-16 09:05:00")
    wrong = "111111" if sent["code"] != "111111" else "222222"
    assert verification.check_sms(sandbox_id, request_id, wrong) == "wrong"
    assert verification.check_sms(sandbox_id, request_id, "000000") == "wrong"
    assert verification.check_sms(sandbox_id, request_id, sent["code"]) == "ok"
    assert verification.check_sms(sandbox_id, request_id, sent["code"]) == "expired"  # used
    assert sms_code(client, sandbox_id, request_id)["state"] == "used"
    assert verification.check_sms(sandbox_id, "no-such-request", "123456") == "unknown"


def test_sms_code_allows_five_attempts(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    verification = gateways.verification
    request_id = verification.send_sms(sandbox_id, "13800000002")
    code = sms_code(client, sandbox_id, request_id)["code"]
    for _ in range(5):
        assert verification.check_sms(sandbox_id, request_id, "000000") == "wrong"
    assert verification.check_sms(sandbox_id, request_id, code) == "too_many_attempts"
    assert sms_code(client, sandbox_id, request_id)["state"] == "locked"


def test_sms_code_expires_on_the_sandbox_clock(gateways, client, sandbox_id, platform) -> None:  # type: ignore[no-untyped-def]
    verification = gateways.verification
    request_id = verification.send_sms(sandbox_id, "13800000003")
    code = sms_code(client, sandbox_id, request_id)["code"]
    platform.advance_clock(sandbox_id, minutes=5)
    platform.advance_clock(sandbox_id, minutes=1)
    assert sms_code(client, sandbox_id, request_id)["state"] == "expired"
    assert verification.check_sms(sandbox_id, request_id, code) == "expired"


def test_sms_code_within_five_minutes_is_accepted(gateways, client, sandbox_id, platform) -> None:  # type: ignore[no-untyped-def]
    request_id = gateways.verification.send_sms(sandbox_id, "13800000004")
    code = sms_code(client, sandbox_id, request_id)["code"]
    platform.advance_clock(sandbox_id, minutes=5)
    assert gateways.verification.check_sms(sandbox_id, request_id, code) == "ok"


def test_slider_passes_within_five_pixels_once(gateways, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    verification = gateways.verification
    challenge = verification.slider_challenge(sandbox_id)
    assert challenge["tolerance"] == 5
    assert challenge["piece_width"] <= challenge["target"] <= challenge["width"]
    assert verification.slider_check(sandbox_id, challenge["challenge_id"], challenge["target"] + 5)
    # one answer per challenge
    assert not verification.slider_check(sandbox_id, challenge["challenge_id"], challenge["target"])
    missed = verification.slider_challenge(sandbox_id)
    assert not verification.slider_check(sandbox_id, missed["challenge_id"], missed["target"] - 6)
    assert not verification.slider_check(sandbox_id, "no-such-challenge", 100)


def test_slider_challenge_expires(gateways, sandbox_id, platform) -> None:  # type: ignore[no-untyped-def]
    challenge = gateways.verification.slider_challenge(sandbox_id)
    platform.advance_clock(sandbox_id, minutes=3)
    assert not gateways.verification.slider_check(
        sandbox_id, challenge["challenge_id"], challenge["target"]
    )


def test_a_slider_challenge_is_not_an_sms_code(gateways, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    challenge = gateways.verification.slider_challenge(sandbox_id)
    code = f"{challenge['target']:06d}"
    assert gateways.verification.check_sms(sandbox_id, challenge["challenge_id"], code) == "unknown"
    assert client.get(f"/api/v1/sandboxes/{sandbox_id}/mocks/verification/sms").get_json() == {
        "codes": []
    }

"""The gateways to the other agencies: HTTP answers → results or GatewayError kinds.

These tests speak to ``responses`` directly (no mock implementation behind it),
to pin down how every kind of bad answer is classified; the mocks themselves
are tested through both transports in ``test_mocks_*.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import requests
import responses

from simulator.errors import Refused
from simulator.gateways import (
    DEFAULT_MOCKS_BASE_URL,
    FAULT_HEADER,
    SANDBOX_HEADER,
    GatewayError,
    Gateways,
    IdentityAnswer,
    MarketUnit,
    gateways_for,
)
from simulator.platform import Platform

BASE = "http://agencies.test/mocks"
VERIFY = f"{BASE}/identity/verify"
FACTS = {
    "id_number": "320102199001010117",
    "name": "张三",
    "gender": "男",
    "birth_date": "1990-01-01",
    "ethnicity": "汉族",
    "hukou_region": "320102",
    "hukou_address": "南京市玄武区",
}
UNIT = {
    "uscc": "91320100MA1XXXXX0X",
    "name": "南京示例科技有限公司",
    "legal_rep": {"name": "李四", "id_type": "居民身份证", "id_number": "320102199001010117"},
    "nature": "企业",
    "is_hr_agency": True,
    "address": "南京市玄武区中山路1号",
    "region_code": "320102",
    "registered_on": "2015-03-02",
    "status": "存续",
}


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def gateways() -> Gateways:
    return Gateways(BASE, timeout=2.5)


def failure(call) -> GatewayError:  # type: ignore[no-untyped-def]
    with pytest.raises(GatewayError) as raised:
        call()
    return raised.value


def test_identity_match_carries_the_registered_facts(http, gateways) -> None:  # type: ignore[no-untyped-def]
    http.post(VERIFY, json={"result": "match", "facts": FACTS})
    answer = gateways.identity.verify("sb-1", "320102199001010117", "张三")
    assert answer.matched and answer.facts is not None
    assert answer.facts.birth_date == date(1990, 1, 1)
    assert answer.facts.hukou_address == "南京市玄武区"
    sent = http.calls[0].request
    assert sent.headers[SANDBOX_HEADER] == "sb-1"
    assert sent.req_kwargs["timeout"] == 2.5  # bounded, from the Gateways
    assert sent.body and b"320102199001010117" in sent.body


@pytest.mark.parametrize("result", ["mismatch", "not_found"])
def test_identity_mismatch_and_not_found_have_no_facts(http, gateways, result) -> None:  # type: ignore[no-untyped-def]
    http.post(VERIFY, json={"result": result, "facts": None})
    assert gateways.identity.verify("sb-1", "x", "y") == IdentityAnswer(result=result)


def test_market_lookup_found_and_not_found(http, gateways) -> None:  # type: ignore[no-untyped-def]
    http.get(f"{BASE}/market/units/{UNIT['uscc']}", json={"result": "found", "unit": UNIT})
    http.get(f"{BASE}/market/units/91320100000000000X", json={"result": "not_found", "unit": None})
    unit = gateways.market.lookup("sb-1", UNIT["uscc"])
    assert isinstance(unit, MarketUnit)
    assert (unit.legal_rep_name, unit.is_hr_agency, unit.active) == ("李四", True, True)
    assert unit.registered_on == date(2015, 3, 2)
    assert gateways.market.lookup("sb-1", "91320100000000000X") is None


def test_verification_calls(http, gateways) -> None:  # type: ignore[no-untyped-def]
    http.post(f"{BASE}/verification/face", json={"passed": True, "score": 0.97})
    http.post(
        f"{BASE}/verification/sms", json={"request_id": "r1", "sent_at": "", "expires_at": ""}
    )
    http.post(
        f"{BASE}/verification/sms/check", json={"result": "too_many_attempts", "attempts_left": 0}
    )
    http.post(
        f"{BASE}/verification/slider",
        json={
            "challenge_id": "c1",
            "width": 300,
            "piece_width": 40,
            "target": 120,
            "tolerance": 5,
            "expires_at": "2021-08-16 09:02:00",
        },
    )
    http.post(f"{BASE}/verification/slider/check", json={"passed": False, "reason": "off_target"})
    verification = gateways.verification
    assert verification.face("sb-1", "320102199001010117", "张三") is True
    assert verification.send_sms("sb-1", "13800000000") == "r1"
    assert verification.check_sms("sb-1", "r1", "123456") == "too_many_attempts"
    assert verification.slider_challenge("sb-1")["target"] == 120
    assert verification.slider_check("sb-1", "c1", 200) is False


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (requests.ConnectionError("refused"), "refused"),
        (requests.ReadTimeout("slow"), "timeout"),
        # ConnectTimeout is also a ConnectionError: it is still a timeout.
        (requests.ConnectTimeout("slow to connect"), "timeout"),
    ],
)
def test_transport_errors(http, gateways, error, kind) -> None:  # type: ignore[no-untyped-def]
    http.post(VERIFY, body=error)
    raised = failure(lambda: gateways.identity.verify("sb-1", "x", "y"))
    assert (raised.service, raised.kind) == ("identity", kind)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_an_outage(http, gateways, status) -> None:  # type: ignore[no-untyped-def]
    http.get(f"{BASE}/market/units/X", status=status, json={"code": "SERVICE_UNAVAILABLE"})
    assert failure(lambda: gateways.market.lookup("sb-1", "X")).kind == "outage"


def test_a_refused_marker_is_a_refused_connection(http, gateways) -> None:  # type: ignore[no-untyped-def]
    http.post(VERIFY, status=503, json={}, headers={FAULT_HEADER: "refused"})
    assert failure(lambda: gateways.identity.verify("sb-1", "x", "y")).kind == "refused"


@pytest.mark.parametrize(
    "answer",
    [
        {"body": '{"result": "mat'},  # cut short
        {"body": "<html>gateway error page</html>", "status": 200},
        {"json": ["match"]},  # not an object
        {"json": {"facts": FACTS}},  # no result
        {"json": {"result": "maybe"}},  # a result the contract does not know
        {"json": {"result": "match"}},  # a match without facts
        {"json": {"result": "match", "facts": {**FACTS, "birth_date": "1990-13-01"}}},
        {"json": {"result": "match", "facts": {**FACTS, "gender": "M"}}},
        {"json": {"result": "match", "facts": {**FACTS, "name": None}}},
        {"json": {"code": "E_INVALID_INPUT"}, "status": 400},  # the contract says 200
        {"json": {"code": "E_HTTP_404"}, "status": 404},  # wrong base URL
    ],
)
def test_anything_off_contract_is_malformed(http, gateways, answer) -> None:  # type: ignore[no-untyped-def]
    http.post(VERIFY, **answer)
    assert failure(lambda: gateways.identity.verify("sb-1", "x", "y")).kind == "malformed"


def test_market_unit_fields_are_checked(http, gateways) -> None:  # type: ignore[no-untyped-def]
    broken = {**UNIT, "is_hr_agency": "yes", "status": "存续"}
    http.get(f"{BASE}/market/units/A", json={"result": "found", "unit": broken})
    http.get(f"{BASE}/market/units/B", json={"result": "found", "unit": {**UNIT, "status": "歇业"}})
    http.get(
        f"{BASE}/market/units/C", json={"result": "found", "unit": {**UNIT, "legal_rep": "李四"}}
    )
    for code in "ABC":
        assert failure(lambda code=code: gateways.market.lookup("sb-1", code)).kind == "malformed"


def test_slider_target_must_be_an_integer(http, gateways) -> None:  # type: ignore[no-untyped-def]
    http.post(
        f"{BASE}/verification/slider",
        json={"challenge_id": "c", "width": 300, "target": True, "tolerance": 5, "expires_at": ""},
    )
    assert failure(lambda: gateways.verification.slider_challenge("sb-1")).kind == "malformed"


def test_failures_become_the_documented_errors() -> None:
    identity = GatewayError("identity", "timeout").refusal()
    assert isinstance(identity, Refused)
    assert identity.problem.message == "调用公安部人员基准信息查询接口出错。请稍后或第二天再试"
    assert identity.problem.behaviour_id == "I2-3"
    assert identity.problem.details == {"service": "identity", "failure": "timeout"}
    market = GatewayError("market", "outage").refusal()
    assert (market.problem.message, market.problem.behaviour_id) == ("需至当地社保大厅处理", "I1-4")
    assert (
        GatewayError("verification", "refused").refusal().problem.code == "E_VERIFICATION_SERVICE"
    )


def test_gateways_for_reads_the_platform_settings_and_caches() -> None:
    platform = Platform()
    default = gateways_for(platform)
    assert (default.base_url, default.timeout) == (DEFAULT_MOCKS_BASE_URL, 3.0)
    assert gateways_for(platform) is default
    platform.settings.update(mocks_base_url="http://127.0.0.1:8001/mocks/", gateway_timeout=1.5)
    moved = gateways_for(platform)
    assert moved is not default
    assert (moved.base_url, moved.timeout) == ("http://127.0.0.1:8001/mocks", 1.5)
    assert gateways_for(platform) is moved

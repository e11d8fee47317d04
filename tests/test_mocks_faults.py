"""Faults, schedules and the request journal of the mocks; their admin API and CLI
(issue 3, points 4–6), through both transports where a transport is involved."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import click
import pytest
import requests
from click.testing import CliRunner

from mocks.app import create_mocks_app
from mocks.plugin import register_commands
from mocks.transport import in_process_mocks, serving_mocks
from simulator.cli import State
from simulator.gateways import GatewayError, Gateways
from simulator.identifiers import generate_credit_code, generate_resident_id
from simulator.platform import Platform

PERSON = generate_resident_id("320102", date(1990, 1, 1), 5, "男")
UNIT_CODE = generate_credit_code("320105", 42)

Connect = Callable[..., Gateways]


@pytest.fixture(scope="module")
def mocks_server(shared_platform: Platform) -> Iterator[str]:
    # Real sleeps are bounded to 1 s: the one real-HTTP slow call never waits longer.
    app = create_mocks_app(database=shared_platform.db, max_sleep_seconds=1.0)
    with serving_mocks(app) as base_url:
        yield base_url


@pytest.fixture(params=["in-process", "http"])
def connect(request: pytest.FixtureRequest, app: Any) -> Iterator[Connect]:
    """Gateways to the mocks over one transport; ``connect(timeout=…)``."""
    if request.param == "in-process":
        with in_process_mocks(app):
            yield lambda timeout=3.0: Gateways(timeout=timeout)
    else:
        base_url = request.getfixturevalue("mocks_server")
        yield lambda timeout=2.0: Gateways(base_url, timeout=timeout)


def put_fault(client: Any, sandbox_id: str, service: str, **setting: Any) -> dict[str, Any]:
    response = client.put(f"/api/v1/sandboxes/{sandbox_id}/mocks/{service}/fault", json=setting)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def journal(client: Any, sandbox_id: str, service: str | None = None) -> list[dict[str, Any]]:
    path = f"/mocks/{service}/journal" if service else "/mocks/journal"
    response = client.get(f"/api/v1/sandboxes/{sandbox_id}{path}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["entries"]  # type: ignore[no-any-return]


def failure_kind(call: Callable[[], Any]) -> str:
    with pytest.raises(GatewayError) as raised:
        call()
    return raised.value.kind


# --- fault modes --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["outage", "refused", "malformed"])
def test_each_fault_is_its_gateway_error(connect, client, sandbox_id, mode) -> None:  # type: ignore[no-untyped-def]
    gateways = connect()
    put_fault(client, sandbox_id, "identity", mode=mode)
    assert failure_kind(lambda: gateways.identity.verify(sandbox_id, PERSON, "张三")) == mode
    put_fault(client, sandbox_id, "market", mode=mode)
    assert failure_kind(lambda: gateways.market.lookup(sandbox_id, UNIT_CODE)) == mode
    put_fault(client, sandbox_id, "verification", mode=mode)
    assert failure_kind(lambda: gateways.verification.send_sms(sandbox_id, "13800000000")) == mode
    for service in ("identity", "market", "verification"):
        put_fault(client, sandbox_id, service, mode="normal")
    assert gateways.identity.verify(sandbox_id, PERSON, "张三").result == "not_found"


def test_refused_over_http_drops_the_connection(mocks_server, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    put_fault(client, sandbox_id, "identity", mode="refused")
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{mocks_server}/identity/verify",
            json={"id_number": PERSON, "name": "张三"},
            headers={"X-Sandbox-Id": sandbox_id},
            timeout=2.0,
        )


def test_slow_beyond_the_timeout_is_a_timeout(connect, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    # In-process nothing sleeps (10 s declared > 3 s timeout); over HTTP the server
    # really sleeps, bounded to 1 s, against a 0.3 s timeout.
    gateways = connect(timeout=0.3)
    setting = put_fault(client, sandbox_id, "market", mode="slow")
    assert setting["latency_seconds"] == 10.0
    assert failure_kind(lambda: gateways.market.lookup(sandbox_id, UNIT_CODE)) == "timeout"
    [entry] = journal(client, sandbox_id, "market")
    assert (entry["fault"], entry["status"]) == ("slow", 200)


def test_slow_within_the_timeout_answers(app, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    put_fault(client, sandbox_id, "identity", mode="slow", latency_seconds=2.5)
    with in_process_mocks(app):
        assert (
            Gateways(timeout=3.0).identity.verify(sandbox_id, PERSON, "张三").result == "not_found"
        )
        short = Gateways(timeout=2.0)
        assert failure_kind(lambda: short.identity.verify(sandbox_id, PERSON, "张三")) == "timeout"


def test_faults_are_per_sandbox_and_per_service(connect, client, sandbox_id, platform) -> None:  # type: ignore[no-untyped-def]
    gateways = connect()
    put_fault(client, sandbox_id, "identity", mode="outage")
    assert gateways.market.lookup(sandbox_id, UNIT_CODE) is None
    platform.create_sandbox("other-faults", clock="2021-08-16")
    try:
        assert gateways.identity.verify("other-faults", PERSON, "张三").result == "not_found"
    finally:
        platform.delete_sandbox("other-faults")


def test_a_scheduled_fault_ends_on_the_sandbox_clock(connect, client, sandbox_id, platform) -> None:  # type: ignore[no-untyped-def]
    gateways = connect()
    setting = put_fault(client, sandbox_id, "identity", mode="outage", until="2021-08-16 10:00")
    assert (setting["until"], setting["effective_mode"]) == ("2021-08-16 10:00:00", "outage")
    assert failure_kind(lambda: gateways.identity.verify(sandbox_id, PERSON, "张三")) == "outage"
    platform.advance_clock(sandbox_id, minutes=59)
    assert failure_kind(lambda: gateways.identity.verify(sandbox_id, PERSON, "张三")) == "outage"
    platform.advance_clock(sandbox_id, minutes=1)
    assert gateways.identity.verify(sandbox_id, PERSON, "张三").result == "not_found"
    state = client.get(f"/api/v1/sandboxes/{sandbox_id}/mocks/identity/fault").get_json()
    assert (state["mode"], state["effective_mode"]) == ("outage", "normal")
    assert [e["fault"] for e in journal(client, sandbox_id)] == ["outage", "outage", "normal"]


# --- the journal --------------------------------------------------------------------------


@pytest.mark.db
def test_the_journal_records_every_call(connect, client, sandbox_id, platform) -> None:  # type: ignore[no-untyped-def]
    gateways = connect()
    gateways.identity.verify(sandbox_id, PERSON, "张三")
    platform.advance_clock(sandbox_id, hours=2)
    gateways.market.lookup(sandbox_id, UNIT_CODE)
    put_fault(client, sandbox_id, "market", mode="refused")
    failure_kind(lambda: gateways.market.lookup(sandbox_id, UNIT_CODE))
    put_fault(client, sandbox_id, "market", mode="malformed")
    failure_kind(lambda: gateways.market.lookup(sandbox_id, UNIT_CODE))

    identity, normal, refused, malformed = journal(client, sandbox_id)
    assert identity["sandbox_id"] == sandbox_id
    assert (identity["service"], identity["method"], identity["path"]) == (
        "identity",
        "POST",
        "/mocks/identity/verify",
    )
    assert identity["at"] == "2021-08-16 09:00:00"  # the sandbox clock
    assert identity["request"] == {"id_number": PERSON, "name": "张三"}
    assert identity["response"] == {"result": "not_found", "facts": None}
    assert (identity["status"], identity["fault"]) == (200, "normal")
    assert normal["at"] == "2021-08-16 11:00:00"
    assert normal["request"] == {"uscc": UNIT_CODE}
    assert (refused["fault"], refused["status"], refused["response"]) == ("refused", 0, None)
    assert malformed["fault"] == "malformed"
    assert set(malformed["response"]) == {"raw"}
    assert [e["service"] for e in journal(client, sandbox_id, "market")] == ["market"] * 3


def test_the_journal_is_cleared_per_service_or_whole(connect, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    gateways = connect()
    gateways.identity.verify(sandbox_id, PERSON, "张三")
    gateways.verification.face(sandbox_id, PERSON, "张三")
    gateways.verification.face(sandbox_id, PERSON, "张三")
    base = f"/api/v1/sandboxes/{sandbox_id}/mocks"
    assert client.delete(f"{base}/verification/journal").get_json() == {"deleted": 2}
    assert [e["service"] for e in journal(client, sandbox_id)] == ["identity"]
    assert client.delete(f"{base}/journal").get_json() == {"deleted": 1}
    assert journal(client, sandbox_id) == []


def test_the_journal_lists_the_last_calls(connect, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    gateways = connect()
    for name in ("甲", "乙", "丙"):
        gateways.verification.face(sandbox_id, PERSON, name)
    response = client.get(f"/api/v1/sandboxes/{sandbox_id}/mocks/journal?limit=2")
    assert [e["request"]["name"] for e in response.get_json()["entries"]] == ["乙", "丙"]


# --- the admin API ------------------------------------------------------------------------


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert {"code", "message", "remedy", "errors"} <= body.keys(), body
    assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("service", "setting"),
    [
        ("identity", {"mode": "broken"}),
        ("identity", {}),
        ("identity", {"mode": "outage", "until": "next tuesday"}),
        ("identity", {"mode": "slow", "latency_seconds": -1}),
        ("identity", {"mode": "slow", "latency_seconds": 7200}),
        ("police", {"mode": "outage"}),
    ],
)
def test_bad_fault_settings_are_refused(client, sandbox_id, service, setting) -> None:  # type: ignore[no-untyped-def]
    response = client.put(f"/api/v1/sandboxes/{sandbox_id}/mocks/{service}/fault", json=setting)
    assert_problem(response, 400, "E_INVALID_INPUT")


def test_unknown_sandbox_is_a_404(client) -> None:  # type: ignore[no-untyped-def]
    for response in (
        client.get("/api/v1/sandboxes/nowhere/mocks/identity/fault"),
        client.put("/api/v1/sandboxes/nowhere/mocks/identity/fault", json={"mode": "outage"}),
        client.get("/api/v1/sandboxes/nowhere/mocks/journal"),
        client.delete("/api/v1/sandboxes/nowhere/mocks/market/journal"),
    ):
        assert_problem(response, 404, "E_UNKNOWN_SANDBOX")


def test_fault_listing_and_reset(client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    put_fault(
        client, sandbox_id, "verification", mode="slow", latency_seconds=4, until="2021-08-20"
    )
    listed = client.get(f"/api/v1/sandboxes/{sandbox_id}/mocks/faults").get_json()["faults"]
    assert {f["service"]: f["effective_mode"] for f in listed} == {
        "identity": "normal",
        "market": "normal",
        "verification": "slow",
    }
    assert listed[2]["until"] == "2021-08-20 09:00:00"  # a bare date means 09:00
    reset = put_fault(client, sandbox_id, "verification", mode="normal", until="2021-08-20")
    assert (reset["until"], reset["latency_seconds"]) == (None, 0.0)


def test_identity_records_are_checked_against_the_number(client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/sandboxes/{sandbox_id}/mocks/identity/records"
    bad = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    assert_problem(
        client.post(url, json={"id_number": bad, "name": "张三"}), 400, "E_INVALID_INPUT"
    )
    wrong_gender = {"id_number": PERSON, "name": "张三", "gender": "女"}
    assert_problem(client.post(url, json=wrong_gender), 400, "E_INVALID_INPUT")
    wrong_birth = {"id_number": PERSON, "name": "张三", "birth_date": "1990-01-02"}
    assert_problem(client.post(url, json=wrong_birth), 400, "E_INVALID_INPUT")
    created = client.post(url, json={"id_number": PERSON, "name": "张三"})
    assert created.status_code == 201
    assert created.get_json()["gender"] == "男" and created.get_json()["hukou_region"] == "320102"
    replaced = client.post(url, json={"id_number": PERSON, "name": "张叁"})
    assert replaced.status_code == 200
    assert [r["name"] for r in client.get(url).get_json()["records"]] == ["张叁"]


def test_market_records_are_checked(client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/sandboxes/{sandbox_id}/mocks/market/records"
    unit = {
        "uscc": UNIT_CODE,
        "name": "示例公司",
        "legal_rep": {"name": "王芳", "id_number": PERSON},
    }
    for broken in (
        {**unit, "uscc": UNIT_CODE[:-1] + ("0" if UNIT_CODE[-1] != "0" else "1")},
        {**unit, "legal_rep": {"name": "王芳", "id_number": "123"}},
        {**unit, "status": "歇业"},
        {**unit, "nature": "公司"},
    ):
        assert_problem(client.post(url, json=broken), 400, "E_INVALID_INPUT")
    created = client.post(url, json=unit)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["region_code"], body["registered_on"], body["status"]) == (
        "320105",
        "2021-08-16",  # the sandbox's today
        "存续",
    )
    assert client.post(url, json={**unit, "status": "注销"}).status_code == 200
    assert [r["status"] for r in client.get(url).get_json()["records"]] == ["注销"]


def test_records_need_an_existing_sandbox(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/sandboxes/nowhere/mocks/identity/records",
        json={"id_number": PERSON, "name": "张三"},
    )
    assert_problem(response, 404, "E_UNKNOWN_SANDBOX")


def test_the_contract_is_in_the_openapi_documents(client, platform) -> None:  # type: ignore[no-untyped-def]
    assert platform.pm.get_plugin("mocks") is not None
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/mocks/identity/verify",
        "/mocks/market/units/{uscc}",
        "/mocks/verification/sms/check",
        "/mocks/verification/slider/check",
        "/api/v1/sandboxes/{sandbox_id}/mocks/{service}/fault",
        "/api/v1/sandboxes/{sandbox_id}/mocks/{service}/journal",
        "/api/v1/sandboxes/{sandbox_id}/mocks/journal",
        "/api/v1/sandboxes/{sandbox_id}/mocks/identity/records",
        "/api/v1/sandboxes/{sandbox_id}/mocks/market/records",
        "/api/v1/sandboxes/{sandbox_id}/mocks/verification/sms",
    ):
        assert path in paths, path
    parameters = paths["/mocks/identity/verify"]["post"]["parameters"]
    assert any(p["name"] == "X-Sandbox-Id" and p["in"] == "header" for p in parameters)


def test_the_standalone_app_serves_its_contract_and_needs_a_sandbox(platform) -> None:  # type: ignore[no-untyped-def]
    client = create_mocks_app(database=platform.db).test_client()
    assert "/mocks/identity/verify" in client.get("/mocks/openapi.json").get_json()["paths"]
    response = client.post("/mocks/identity/verify", json={"id_number": PERSON, "name": "张三"})
    assert_problem(response, 400, "E_INVALID_INPUT")
    assert "X-Sandbox-Id" in response.get_json()["message"]


def test_a_standalone_mock_serves_a_sandbox_it_does_not_hold(platform) -> None:  # type: ignore[no-untyped-def]
    client = create_mocks_app(database=platform.db).test_client()
    response = client.post(
        "/mocks/identity/verify",
        json={"id_number": PERSON, "name": "张三"},
        headers={"X-Sandbox-Id": "held-elsewhere"},
    )
    assert response.get_json() == {"result": "not_found", "facts": None}


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def mocks_cli(platform: Platform) -> Callable[..., Any]:
    group = click.Group("shebao-sim")
    register_commands(cli=group)
    state = State(None)
    state._platform = platform  # the test platform: no migration, same database

    def run(*args: str) -> Any:
        return CliRunner().invoke(group, ["mocks", *args], obj=state, catch_exceptions=False)

    return run


def test_cli_sets_and_shows_a_fault(mocks_cli, client, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    import json

    result = mocks_cli(
        "fault", "identity", "outage", "--until", "2026-09-08 09:00", "--sandbox", sandbox_id
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["until"] == "2026-09-08 09:00:00"
    state = client.get(f"/api/v1/sandboxes/{sandbox_id}/mocks/identity/fault").get_json()
    assert (state["mode"], state["effective_mode"]) == ("outage", "outage")
    shown = mocks_cli("fault", "identity", "--sandbox", sandbox_id)
    assert json.loads(shown.output)["mode"] == "outage"
    slow = mocks_cli("fault", "market", "slow", "--latency", "5", "--sandbox", sandbox_id)
    assert json.loads(slow.output)["latency_seconds"] == 5.0
    assert mocks_cli("fault", "identity", "sleepy", "--sandbox", sandbox_id).exit_code == 2
    assert (
        mocks_cli(
            "fault", "identity", "outage", "--until", "soon", "--sandbox", sandbox_id
        ).exit_code
        == 2
    )


def test_cli_lists_and_clears_the_journal(mocks_cli, app, sandbox_id) -> None:  # type: ignore[no-untyped-def]
    import json

    with in_process_mocks(app):
        Gateways().verification.face(sandbox_id, PERSON, "张三")
        Gateways().identity.verify(sandbox_id, PERSON, "张三")
    listed = json.loads(mocks_cli("journal", "--sandbox", sandbox_id).output)["entries"]
    assert [e["service"] for e in listed] == ["verification", "identity"]
    only = json.loads(mocks_cli("journal", "--service", "identity", "--sandbox", sandbox_id).output)
    assert len(only["entries"]) == 1
    cleared = mocks_cli("journal", "--clear", "--sandbox", sandbox_id)
    assert json.loads(cleared.output) == {"deleted": 2}


def test_cli_refuses_an_unknown_sandbox(mocks_cli) -> None:  # type: ignore[no-untyped-def]
    from simulator.errors import Refused

    with pytest.raises(Refused):
        mocks_cli("journal", "--sandbox", "nowhere")

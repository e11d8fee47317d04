"""The API skeleton: sandboxes, the clock, periods, the OpenAPI document, errors."""

from __future__ import annotations

import uuid

import pytest


def test_openapi_document_and_docs_page(client):  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/sandboxes/{sandbox_id}/clock" in spec["paths"]
    assert client.get("/api/v1/swagger").status_code in (200, 308)


def test_the_openapi_document_says_which_routes_need_a_login(client):  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    public = {
        ("/api/v1/sandboxes/{sandbox_id}/login", "post"),
        ("/api/v1/records/verify", "get"),  # whoever scans the QR code
        ("/api/v1/records/verify", "post"),
    }
    for path, method in public:
        assert not paths[path][method].get("security"), (path, method)
    secured = paths["/api/v1/sandboxes/{sandbox_id}/unit/rights-records"]["post"]
    assert secured["security"] == [{"bearer": []}]


def test_sandbox_lifecycle_and_clock(client):  # type: ignore[no-untyped-def]
    created = client.post("/api/v1/sandboxes", json={"id": "api-1", "clock": "2021-09-06"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["clock"]["period"]["fee_month"] == "2021-09"
    moved = client.post("/api/v1/sandboxes/api-1/clock/advance", json={"days": 1})
    assert moved.get_json()["period"] == {
        "date": "2021-09-07",
        "period_start": "2021-08-11",
        "period_end": "2021-09-06",
        "fee_month": "2021-09",
        "paused": True,
    }
    set_ = client.put("/api/v1/sandboxes/api-1/clock", json={"at": "2021-12-11"})
    assert set_.get_json()["period"]["fee_month"] == "2022-01"
    period = client.get("/api/v1/sandboxes/api-1/period").get_json()
    assert period["period_start"] == "2021-12-11"
    assert client.post("/api/v1/sandboxes/api-1/reset").status_code == 200
    assert client.delete("/api/v1/sandboxes/api-1").status_code == 204
    missing = client.get("/api/v1/sandboxes/api-1/clock")
    assert missing.status_code == 404
    assert missing.get_json()["code"] == "E_UNKNOWN_SANDBOX"


def test_stateless_period(client):  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/period?date=2021-08-11").get_json()
    assert body["fee_month"] == "2021-09"
    assert body["variant"] == "provincial-platform"


def test_bad_input_is_a_4xx_in_the_error_format(client):  # type: ignore[no-untyped-def]
    for response in (
        client.post("/api/v1/sandboxes", json={"id": "bad id!"}),
        client.put("/api/v1/sandboxes/x/clock", json={}),
        client.post("/api/v1/sandboxes", data="not json", content_type="application/json"),
        client.get("/api/v1/period?date=2021-13-40"),
        client.get("/api/v1/no-such-route"),
    ):
        assert 400 <= response.status_code < 500, response.data
        body = response.get_json()
        assert {"code", "message", "remedy"} <= body.keys(), body


@pytest.mark.parametrize("at", ["2021-02-30", "notadate", "2021-08-16T25:00", "2021-13-01"])
def test_an_invalid_clock_date_is_refused_naming_the_field(client, at):  # type: ignore[no-untyped-def]
    sid = f"clock-{uuid.uuid4().hex[:8]}"
    assert (
        client.post("/api/v1/sandboxes", json={"id": sid, "clock": "2021-08-16"}).status_code == 201
    )
    refused = client.put(f"/api/v1/sandboxes/{sid}/clock", json={"at": at})
    assert refused.status_code == 400, refused.get_json()
    body = refused.get_json()
    assert (body["code"], body["field"]) == ("E_INVALID_INPUT", "at")
    assert body["message"].startswith(f"at: 不是有效的日期或时间：{at}（")
    assert client.get(f"/api/v1/sandboxes/{sid}/clock").get_json()["now"] == "2021-08-16 09:00:00"
    assert client.delete(f"/api/v1/sandboxes/{sid}").status_code == 204
    # creating a sandbox with such a clock is refused the same way, and creates nothing
    created = client.post("/api/v1/sandboxes", json={"id": sid, "clock": at})
    assert created.status_code == 400, created.get_json()
    assert (created.get_json()["code"], created.get_json()["field"]) == ("E_INVALID_INPUT", "clock")
    assert client.get(f"/api/v1/sandboxes/{sid}").status_code == 404


def test_duplicate_sandbox_is_a_conflict(client):  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/sandboxes", json={"id": "dup"}).status_code == 201
    again = client.post("/api/v1/sandboxes", json={"id": "dup"})
    assert again.status_code == 409
    client.delete("/api/v1/sandboxes/dup")


def test_meta(client):  # type: ignore[no-untyped-def]
    plugins = client.get("/api/v1/plugins").get_json()["plugins"]
    assert any(p["name"] == "city-jiangsu" for p in plugins)
    cities = client.get("/api/v1/cities").get_json()["cities"]
    assert {"code": "321300", "name": "宿迁市"}.items() <= next(
        c for c in cities if c["code"] == "321300"
    ).items()


ADMIN_BLUEPRINTS = ("sandboxes", "worlds", "mocks_admin", "counter")


def test_with_an_admin_key_the_sandbox_administration_needs_it(platform):  # type: ignore[no-untyped-def]
    """A classroom sets SHEBAO_SIM_ADMIN_KEY: trainees, who reach only the hall, cannot move
    their clock, load a world, put a mock into a fault, read the SMS codes or use the counter."""
    from simulator.app import TestConfig, create_app

    class ClassroomConfig(TestConfig):
        ADMIN_KEY = "classroom-key"

    app = create_app(ClassroomConfig, platform=platform)
    client = app.test_client()
    rules = [
        rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in ADMIN_BLUEPRINTS
    ]
    assert {rule.endpoint.split(".")[0] for rule in rules} == set(ADMIN_BLUEPRINTS)
    for rule in rules:
        path = rule.rule.replace("<", "").replace(">", "").replace("int:", "")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, {"X-Admin-Key": "wrong"}):
                answer = client.open(path, method=method, headers=headers, json={})
                assert answer.status_code == 401, (method, rule.rule, answer.get_json())
                assert answer.get_json()["code"] == "E_ADMIN_KEY_REQUIRED"
                assert answer.get_json()["message"] == "该操作仅限培训管理员"
    key = {"X-Admin-Key": "classroom-key"}
    created = client.post("/api/v1/sandboxes", json={"id": "class-1"}, headers=key)
    assert created.status_code == 201, created.get_json()
    assert client.get("/api/v1/sandboxes/class-1/clock", headers=key).status_code == 200
    assert client.get("/api/v1/sandboxes/class-1/mocks/journal", headers=key).status_code == 200
    # what a unit does needs no admin key (and a login, as always)
    assert client.get("/api/v1/items/employment_enrolment/template").status_code == 200
    assert client.delete("/api/v1/sandboxes/class-1", headers=key).status_code == 204


def test_without_an_admin_key_the_administration_is_open_for_testers(client):  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/sandboxes", json={"id": "open-1"}).status_code == 201
    assert client.delete("/api/v1/sandboxes/open-1").status_code == 204


def test_trial_refuses_what_it_cannot_price_with_a_clear_error(client):  # type: ignore[no-untyped-def]
    """No 500s: a base below the fen, a floating tier the class lacks, a month before the
    parameters begin."""
    assert client.post("/api/v1/sandboxes", json={"id": "trial-errors"}).status_code == 201
    url = "/api/v1/sandboxes/trial-errors/contributions/trial"
    fen = client.post(url, json={"base": "4253.005"})
    assert fen.status_code == 400 and fen.get_json()["code"] == "E_INVALID_INPUT"
    tier = client.post(url, json={"base": "10000", "industry_class": 1, "floating_tier": 4})
    assert tier.status_code == 400, tier.get_json()
    assert tier.get_json()["field"] == "floating_tier"
    early = client.post(url, json={"base": "3000", "fee_month": "1999-12"})
    assert early.status_code == 422, early.get_json()
    assert early.get_json()["code"] == "E_NO_PARAMETERS"
    assert "1999-12" in early.get_json()["message"]
    assert client.post(url, json={"base": "3000.00"}).status_code == 200
    client.delete("/api/v1/sandboxes/trial-errors")


def test_an_upload_beyond_the_request_limit_gets_the_upload_rules_answer(client):  # type: ignore[no-untyped-def]
    """Beyond Flask's MAX_CONTENT_LENGTH (32 MB) as below it: E_FILE_TOO_LARGE (I7-1)."""
    assert client.post("/api/v1/sandboxes", json={"id": "huge-upload"}).status_code == 201
    body = b"x" * (33 * 1024 * 1024)
    answer = client.post(
        "/api/v1/sandboxes/huge-upload/batches/employment_enrolment",
        data=body,
        content_type="multipart/form-data; boundary=zzz",
    )
    assert answer.status_code == 413
    problem = answer.get_json()
    assert problem["code"] == "E_FILE_TOO_LARGE"
    assert problem["message"] == "文件大小不能超过10M，请使用office上传"
    client.delete("/api/v1/sandboxes/huge-upload")

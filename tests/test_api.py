"""The API skeleton: sandboxes, the clock, periods, the OpenAPI document, errors."""

from __future__ import annotations


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

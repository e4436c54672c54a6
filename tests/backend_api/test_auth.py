"""Who may call the Backend API, and the shape of its answers."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from tests.backend_api.conftest import Api
from tests.support import LiveServer, run_live_server, sql


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["message"] and body["errors"][0]["long_message"]


def test_secret_key_opens_and_nothing_else_does(server: LiveServer, api: Api) -> None:
    url = f"{server.url}/v1/users"
    assert isinstance(api.ok("GET", "/users"), list)
    _error(httpx.get(url), 401, "authentication_invalid")
    pk = server.publishable_key
    _error(httpx.get(url, headers={"Authorization": f"Bearer {pk}"}), 401, "authentication_invalid")
    _error(
        httpx.get(url, headers={"Authorization": "Bearer sk_test_wrong"}),
        401,
        "authentication_invalid",
    )
    basic = {"Authorization": f"Basic {server.secret_key}"}
    _error(httpx.get(url, headers=basic), 401, "authentication_invalid")
    for name in ("secret_key", "api_key", "token"):
        _error(httpx.get(url, params={name: server.secret_key}), 401, "authentication_invalid")
    # Bearer is case-insensitive, as HTTP auth schemes are.
    lower = {"Authorization": f"bearer {server.secret_key}"}
    assert httpx.get(url, headers=lower).status_code == 200


def test_refused_keys_are_audit_events_without_the_key(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="threshold.audit")
    url = f"{server.url}/v1/users"
    wrong = "sk_test_CANARYc0ffee"
    refused = httpx.get(url, headers={"Authorization": f"Bearer {wrong}", "User-Agent": "ops/1"})
    _error(refused, 401, "authentication_invalid")
    _error(httpx.get(url), 401, "authentication_invalid")
    events = [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name == "threshold.audit" and "backend_api.auth_failed" in r.getMessage()
    ]
    assert [(e["presented"], e["path"]) for e in events] == [
        ("unknown key", "/v1/users"),
        ("none", "/v1/users"),
    ]
    assert events[0]["ip"] == "127.0.0.1" and events[0]["user_agent"] == "ops/1"
    assert events[0]["request_id"] == refused.json()["clerk_trace_id"]
    assert not any("CANARYc0ffee" in r.getMessage() for r in caplog.records)


def test_revoked_key_is_refused(server: LiveServer, api: Api) -> None:
    sql(server, "UPDATE api_keys SET revoked_at = 1")
    try:
        _error(api.http.get("/users/count"), 401, "authentication_invalid")
    finally:
        sql(server, "UPDATE api_keys SET revoked_at = NULL")
    assert api.ok("GET", "/users/count")["object"] == "total_count"


def test_frontend_api_and_unknown_paths_are_untouched(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/v1/environment").status_code == 200
    assert httpx.get(f"{server.url}/v1/client").status_code == 200
    assert httpx.get(f"{server.url}/.well-known/jwks.json").status_code == 200
    assert httpx.get(f"{server.url}/v1/no_such_thing").status_code == 404


def test_method_not_allowed_is_clerk_shaped(api: Api) -> None:
    error = api.error("PUT", "/users", 405)
    assert error["code"] == "method_not_allowed"


def test_openapi_and_docs_are_served_in_development(server: LiveServer) -> None:
    doc = httpx.get(f"{server.url}/v1/openapi.json").json()
    assert doc["servers"] == [{"url": "/v1"}]
    assert "/users/{user_id}" in doc["paths"] and "/jwks" in doc["paths"]
    assert "SecretKey" in doc["components"]["securitySchemes"]
    page = httpx.get(f"{server.url}/v1/docs")
    assert page.status_code == 200 and "openapi.json" in page.text


def test_bodies_over_the_limit_and_nul_characters_are_refused(server: LiveServer, api: Api) -> None:
    big = b'{"first_name": "' + b"x" * (server.settings.max_body_bytes + 10) + b'"}'
    error = api.error(
        "POST", "/users", 413, content=big, headers={"content-type": "application/json"}
    )
    assert error["code"] == "request_body_too_large"
    error = api.error("POST", "/users", 422, json={"email_address": ["a\u0000@example.com"]})
    assert error["code"] == "malformed_request_body"
    assert api.error("GET", "/users", 422, params={"query": "a\x00b"})["code"] == (
        "malformed_request_body"
    )
    lone_surrogate = b'{"email_address": ["s@example.com"], "first_name": "\\ud800"}'
    json_headers = {"content-type": "application/json"}
    error = api.error("POST", "/users", 422, content=lone_surrogate, headers=json_headers)
    assert error["code"] == "malformed_request_body"
    assert api.error("GET", "/users?query=%ED%A0%80", 422)["code"] == "malformed_request_body"
    pair = b'{"email_address": ["p@example.com"], "first_name": "\\ud83d\\ude00"}'
    assert (
        api.ok("POST", "/users", content=pair, headers=json_headers)["first_name"] == "\U0001f600"
    )


def test_validation_errors_name_the_parameter(api: Api) -> None:
    error = api.error("GET", "/users", 422, params={"limit": 501})
    assert error["meta"]["param_name"] == "limit"
    assert error["code"] == "form_param_format_invalid"
    assert api.error("GET", "/users", 422, params={"limit": 0})["meta"]["param_name"] == "limit"
    assert api.error("GET", "/users", 422, params={"offset": -1})["meta"]["param_name"] == "offset"
    error = api.error("POST", "/email_addresses", 422, json={"email_address": "x@example.com"})
    assert error == {**error, "code": "form_param_missing", "meta": {"param_name": "user_id"}}
    error = api.error(
        "POST", "/users", 422, content=b"{", headers={"content-type": "application/json"}
    )
    assert error["code"] == "malformed_request_body"


def test_unknown_paths_under_a_resource_are_clerk_404s(api: Api) -> None:
    paths = ("/users/user_x/nothing", "/sessions/a/b/c", "/jwks/extra", "/users/a%0Ab")
    for path in (*paths, "/organizations", "/sessions/sess_x/refresh"):
        assert api.error("GET", path, 404)["code"] == "resource_not_found"


def test_docs_are_off_when_disabled(tmp_path: Path) -> None:
    with run_live_server(tmp_path, api_docs=False) as live:
        assert httpx.get(f"{live.url}/v1/openapi.json").status_code == 404
        assert httpx.get(f"{live.url}/v1/docs").status_code == 404
        headers = {"Authorization": f"Bearer {live.secret_key}"}
        assert httpx.get(f"{live.url}/v1/users", headers=headers).status_code == 200

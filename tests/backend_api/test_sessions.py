"""``/sessions`` and ``/clients``: listing, revoking, tokens, handshake payloads."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.backend_api.conftest import PASSWORD, Api, unique_email
from tests.browser import FapiBrowser
from tests.support import LiveServer

APP = "http://localhost:3000"


def decode(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def part(text: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return data

    head, body, _ = jwt.split(".")
    return part(head), part(body)


def test_session_lifecycle_and_tokens(server: LiveServer, api: Api) -> None:
    user = api.user()
    session = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    assert session["object"] == "session" and session["status"] == "active"
    assert session["user_id"] == user["id"] and session["client_id"].startswith("client_")
    assert api.ok("GET", f"/sessions/{session['id']}") == session

    token = api.ok("POST", f"/sessions/{session['id']}/tokens", headers={"Origin": APP})
    assert token["object"] == "token"
    header, claims = decode(token["jwt"])
    assert header["cat"] == "cl_B7d4PD111AAA" and header["alg"] == "RS256"
    assert claims["sid"] == session["id"] and claims["sub"] == user["id"]
    assert claims["azp"] == APP and claims["exp"] - claims["iat"] == 60
    longer = api.ok("POST", f"/sessions/{session['id']}/tokens", json={"expires_in_seconds": 3600})
    header, claims = decode(longer["jwt"])
    assert claims["exp"] - claims["iat"] == 3600 and "azp" not in claims
    error = api.error(
        "POST", f"/sessions/{session['id']}/tokens", 422, json={"expires_in_seconds": 5}
    )
    assert error["meta"]["param_name"] == "expires_in_seconds"

    revoked = api.ok("POST", f"/sessions/{session['id']}/revoke")
    assert revoked["status"] == "revoked"
    assert api.error("POST", f"/sessions/{session['id']}/tokens", 401)["code"] == "signed_out"
    for path in ("/sessions/sess_nope", "/sessions/sess_nope/revoke", "/sessions/sess_nope/tokens"):
        api.error("GET" if path.count("/") == 2 else "POST", path, 404)


def test_list_sessions(api: Api) -> None:
    user = api.user()
    one = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    two = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    api.ok("POST", f"/sessions/{one['id']}/revoke")
    listed = api.ok("GET", "/sessions", params={"user_id": user["id"]})
    assert [s["id"] for s in listed] == [two["id"], one["id"]]
    active = api.ok("GET", "/sessions", params={"user_id": user["id"], "status": "active"})
    assert [s["id"] for s in active] == [two["id"]]
    by_client = api.ok("GET", "/sessions", params={"client_id": one["client_id"]})
    assert [s["id"] for s in by_client] == [one["id"]]
    page = api.ok("GET", "/sessions", params={"user_id": user["id"], "paginated": True, "limit": 1})
    assert page["total_count"] == 2 and [s["id"] for s in page["data"]] == [two["id"]]
    error = api.error("GET", "/sessions", 422)
    assert error["code"] == "form_param_missing" and error["meta"]["param_name"] == "user_id"
    error = api.error("GET", "/sessions", 422, params={"user_id": user["id"], "status": "odd"})
    assert error["meta"]["param_name"] == "status"
    api.error("POST", "/sessions", 404, json={"user_id": "user_2aaaaaaaaaaaaaaaaaaaaaaaaaa"})


def test_clients_and_verify(server: LiveServer, api: Api) -> None:
    email = unique_email("cli")
    api.user(email_address=[email])
    browser = FapiBrowser(server, origin=APP)
    browser.ok("POST", "/v1/client/sign_ins", identifier=email, password=PASSWORD)
    cookie = browser.cookies.get("__client")
    assert cookie
    client = api.ok("POST", "/clients/verify", json={"token": cookie})
    assert client["object"] == "client" and len(client["sessions"]) == 1
    assert client["session_ids"] == [client["sessions"][0]["id"]]
    assert client["last_active_session_id"] == client["session_ids"][0]
    assert {"sign_in_id", "sign_up_id", "last_authentication_strategy"} <= set(client)
    assert api.ok("GET", f"/clients/{client['id']}") == client
    listed = api.ok("GET", "/clients", params={"limit": 500})
    assert client["id"] in [c["id"] for c in listed]
    envelope = api.ok("GET", "/clients", params={"paginated": "true"})
    assert envelope["total_count"] >= 1
    assert api.error("POST", "/clients/verify", 404, json={"token": "nope"})["meta"] == {
        "param_name": "token"
    }
    api.error("GET", "/clients/client_nope", 404)


def test_handshake_payload_is_single_use(server: LiveServer, api: Api) -> None:
    email = unique_email("hs")
    api.user(email_address=[email])
    browser = FapiBrowser(server)
    browser.ok("POST", "/v1/client/sign_ins", identifier=email, password=PASSWORD)
    params = {"redirect_url": f"{APP}/dashboard", "format": "nonce"}
    bounce = browser.http.get("/v1/client/handshake", params=params)
    assert bounce.status_code == 307
    nonce = parse_qs(urlsplit(bounce.headers["location"]).query)["__clerk_handshake_nonce"][0]
    payload = api.ok("GET", "/clients/handshake_payload", params={"nonce": nonce})
    assert [d.split("=")[0] for d in payload["directives"]] == ["__session", "__client_uat"]
    error = api.error("GET", "/clients/handshake_payload", 404, params={"nonce": nonce})
    assert error["meta"]["param_name"] == "nonce"
    api.error("GET", "/clients/handshake_payload", 422)
    anonymous = httpx.get(f"{server.url}/v1/clients/handshake_payload", params={"nonce": "x"})
    assert anonymous.status_code == 401

"""The Frontend API over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.browser import PASSWORD, FapiBrowser, sign_up_user
from tests.support import LiveServer, sql

APP_ORIGIN = "http://localhost:3000"


def claims_of(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = jwt.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        json.loads(base64.urlsafe_b64decode(pad(body))),
    )


def _count(server: LiveServer, table: str) -> int:
    return int(sql(server, f"SELECT count(*) FROM {table}")[0][0])


def test_sign_up_verify_and_mint_token(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server, origin=APP_ORIGIN)
    done = sign_up_user(browser, "ann@example.com", first_name="Ann", last_name="Lee")
    client = done["client"]
    sid = client["last_active_session_id"]
    session = client["sessions"][0]
    assert session["id"] == sid and session["status"] == "active"
    assert session["user"]["first_name"] == "Ann"
    assert session["user"]["email_addresses"][0]["verification"]["status"] == "verified"
    assert "private_metadata" not in session["user"]

    token = browser.ok("POST", f"/v1/client/sessions/{sid}/tokens")
    assert token["object"] == "token"
    header, claims = claims_of(token["jwt"])
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and header["kid"].startswith("ins_")
    assert set(claims) == {
        "azp",
        "exp",
        "fva",
        "iat",
        "iss",
        "jti",
        "nbf",
        "sid",
        "sts",
        "sub",
        "v",
    }
    assert claims["sub"] == session["user"]["id"] and claims["sid"] == sid
    assert claims["azp"] == APP_ORIGIN and claims["iss"] == live_server.url
    assert claims["exp"] - claims["iat"] == 60 and claims["v"] == 2
    kids = {k["kid"] for k in httpx.get(f"{live_server.url}/.well-known/jwks.json").json()["keys"]}
    assert header["kid"] in kids


def test_cookies_flags_and_client_rotation(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    first = browser.post("/v1/client")
    before = first.cookies.get("__client")
    assert before
    set_cookie = [v for k, v in first.headers.multi_items() if k == "set-cookie"]
    client_cookie = next(c for c in set_cookie if c.startswith("__client="))
    assert "HttpOnly" in client_cookie and "SameSite=lax" in client_cookie.replace("Lax", "lax")
    assert "Path=/" in client_cookie and "Domain" not in client_cookie
    sign_up_user(browser, "rot@example.com")
    after = browser.cookies.get("__client")
    assert after and after != before
    # The pre-sign-in client secret can no longer act for the client.
    stale = httpx.Client(base_url=live_server.url, cookies={"__client": before})
    assert stale.get("/v1/client").json()["client"] is None
    assert int(browser.cookies.get("__client_uat") or 0) > 0
    assert browser.cookies.get("__session")


def test_sign_in_with_password_and_enumeration_safety(live_server: LiveServer) -> None:
    sign_up_user(FapiBrowser(live_server), "bob@example.com")
    browser = FapiBrowser(live_server)
    wrong = browser.post(
        "/v1/client/sign_ins", identifier="bob@example.com", password="not the password at all"
    )
    unknown = browser.post(
        "/v1/client/sign_ins", identifier="nobody@example.com", password="not the password at all"
    )
    assert wrong.status_code == unknown.status_code == 422
    strip = lambda r: {k: v for k, v in r.json().items() if k != "clerk_trace_id"}
    assert strip(wrong) == strip(unknown)
    assert wrong.json()["errors"][0]["code"] == "form_password_incorrect"
    ok = browser.ok("POST", "/v1/client/sign_ins", identifier="BOB@example.com", password=PASSWORD)
    assert ok["response"]["status"] == "complete"
    assert ok["client"]["last_active_session_id"] == ok["response"]["created_session_id"]


def test_sign_in_identifier_first_then_password(live_server: LiveServer) -> None:
    sign_up_user(FapiBrowser(live_server), "cy@example.com")
    browser = FapiBrowser(live_server)
    started = browser.ok("POST", "/v1/client/sign_ins", identifier="cy@example.com")["response"]
    assert started["status"] == "needs_first_factor"
    assert {f["strategy"] for f in started["supported_first_factors"]} >= {"password", "email_code"}
    done = browser.ok(
        "POST",
        f"/v1/client/sign_ins/{started['id']}/attempt_first_factor",
        strategy="password",
        password=PASSWORD,
    )
    assert done["response"]["status"] == "complete"


def test_sign_in_by_email_code(live_server: LiveServer) -> None:
    sign_up_user(FapiBrowser(live_server), "dee@example.com")
    browser = FapiBrowser(live_server)
    sia = browser.ok("POST", "/v1/client/sign_ins", identifier="dee@example.com")["response"]
    email_id = next(
        f["email_address_id"]
        for f in sia["supported_first_factors"]
        if f["strategy"] == "email_code"
    )
    browser.ok(
        "POST",
        f"/v1/client/sign_ins/{sia['id']}/prepare_first_factor",
        strategy="email_code",
        email_address_id=email_id,
    )
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("dee@example.com", count=2)
    done = browser.ok(
        "POST",
        f"/v1/client/sign_ins/{sia['id']}/attempt_first_factor",
        strategy="email_code",
        code=code,
    )
    assert done["response"]["status"] == "complete"


def test_wrong_and_replayed_codes(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    sua = browser.ok(
        "POST", "/v1/client/sign_ups", email_address="eve@example.com", password=PASSWORD
    )["response"]["id"]
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("eve@example.com")
    wrong = "000000" if code != "000000" else "111111"
    bad = browser.post(f"/v1/client/sign_ups/{sua}/attempt_verification", code=wrong)
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "form_code_incorrect"
    assert bad.json()["errors"][0]["meta"]["param_name"] == "code"
    assert (_count(live_server, "users")) == 0
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/attempt_verification", code=code)
    again = browser.post(f"/v1/client/sign_ups/{sua}/attempt_verification", code=code)
    assert again.status_code == 422
    assert (_count(live_server, "users")) == 1


def test_five_wrong_codes_void_the_code(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    sua = browser.ok(
        "POST", "/v1/client/sign_ups", email_address="fay@example.com", password=PASSWORD
    )["response"]["id"]
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("fay@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        browser.post(f"/v1/client/sign_ups/{sua}/attempt_verification", code=wrong)
    final = browser.post(f"/v1/client/sign_ups/{sua}/attempt_verification", code=code)
    assert final.status_code == 422
    assert final.json()["errors"][0]["code"] == "verification_failed"


def test_test_mode_address_takes_424242_and_sends_nothing(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    address = "tess+clerk_test@example.com"
    sua = browser.ok("POST", "/v1/client/sign_ups", email_address=address, password=PASSWORD)[
        "response"
    ]["id"]
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    done = browser.ok("POST", f"/v1/client/sign_ups/{sua}/attempt_verification", code="424242")
    assert done["response"]["status"] == "complete"
    assert live_server.mailbox is not None and live_server.mailbox.to(address) == []


def test_duplicate_email_is_a_clear_error(live_server: LiveServer) -> None:
    sign_up_user(FapiBrowser(live_server), "gus@example.com")
    again = FapiBrowser(live_server).post(
        "/v1/client/sign_ups", email_address="GUS@example.com", password=PASSWORD
    )
    assert again.status_code == 422
    error = again.json()["errors"][0]
    assert error["code"] == "form_identifier_exists"
    assert error["meta"]["param_name"] == "email_address"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "form_password_length_too_short"),
        ("password1234", "form_password_pwned"),
        ("x" * 300, "form_password_length_too_long"),
    ],
)
def test_weak_passwords_refused_with_reason(
    live_server: LiveServer, password: str, code: str
) -> None:
    response = FapiBrowser(live_server).post(
        "/v1/client/sign_ups", email_address="hal@example.com", password=password
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["code"] == code and error["message"]


def test_sign_out_ends_sessions_on_the_server(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    done = sign_up_user(browser, "ida@example.com")
    sid = done["client"]["last_active_session_id"]
    old_client = browser.cookies.get("__client")
    out = browser.http.delete("/v1/client/sessions")
    assert out.status_code == 200 and out.json()["client"]["sessions"] == []
    assert browser.cookies.get("__client_uat") == "0"
    assert browser.post(f"/v1/client/sessions/{sid}/tokens").status_code == 401
    replay = httpx.Client(base_url=live_server.url, cookies={"__client": old_client or ""})
    assert replay.post(f"/v1/client/sessions/{sid}/tokens").status_code == 401


def test_multi_session_switch_and_remove(live_server: LiveServer) -> None:
    sign_up_user(FapiBrowser(live_server), "jo@example.com")
    browser = FapiBrowser(live_server)
    sign_up_user(browser, "kim@example.com")
    second = browser.ok(
        "POST", "/v1/client/sign_ins", identifier="jo@example.com", password=PASSWORD
    )
    client = second["client"]
    assert len(client["sessions"]) == 2
    kim = next(s["id"] for s in client["sessions"] if s["id"] != client["last_active_session_id"])
    switched = browser.ok("POST", f"/v1/client/sessions/{kim}/touch")
    assert switched["client"]["last_active_session_id"] == kim
    _, claims = claims_of(browser.cookies.get("__session") or "")
    assert claims["sid"] == kim
    browser.ok("POST", f"/v1/client/sessions/{kim}/remove")
    left = browser.client()
    assert left is not None and len(left["sessions"]) == 1 and left["last_active_session_id"] != kim


def test_password_reset_by_code_signs_out_other_sessions(live_server: LiveServer) -> None:
    other = FapiBrowser(live_server)
    sid_other = sign_up_user(other, "lu@example.com")["client"]["last_active_session_id"]
    browser = FapiBrowser(live_server)
    sia = browser.ok("POST", "/v1/client/sign_ins", identifier="lu@example.com")["response"]
    browser.ok(
        "POST",
        f"/v1/client/sign_ins/{sia['id']}/prepare_first_factor",
        strategy="reset_password_email_code",
    )
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("lu@example.com", count=2)
    step = browser.ok(
        "POST",
        f"/v1/client/sign_ins/{sia['id']}/attempt_first_factor",
        strategy="reset_password_email_code",
        code=code,
    )
    assert step["response"]["status"] == "needs_new_password"
    done = browser.ok(
        "POST", f"/v1/client/sign_ins/{sia['id']}/reset_password", password="a brand new passphrase"
    )
    assert done["response"]["status"] == "complete"
    assert other.post(f"/v1/client/sessions/{sid_other}/tokens").status_code == 401
    notice = live_server.mailbox.wait_for("lu@example.com", count=3)
    text = notice.get_payload(decode=True)
    assert isinstance(text, bytes) and b"a brand new passphrase" not in text
    assert code.encode() not in text
    fresh = FapiBrowser(live_server)
    assert (
        fresh.post(
            "/v1/client/sign_ins", identifier="lu@example.com", password=PASSWORD
        ).status_code
        == 422
    )
    fresh.ok(
        "POST",
        "/v1/client/sign_ins",
        identifier="lu@example.com",
        password="a brand new passphrase",
    )


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"{bad json", "application/json"),
        (b"[1,2]", "application/json"),
        (b"\xff\xfe", "application/x-www-form-urlencoded"),
        (b"<xml/>", "application/xml"),
    ],
)
def test_malformed_bodies_get_clerk_errors(
    live_server: LiveServer, body: bytes, ctype: str
) -> None:
    response = httpx.post(
        f"{live_server.url}/v1/client/sign_ins", content=body, headers={"content-type": ctype}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["errors"][0]["code"]


def test_huge_body_is_413(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/v1/client/sign_ups",
        content=b"a=" + b"x" * 200_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_body_too_large"


def test_unknown_ids_are_404(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    browser.post("/v1/client")
    for path in ("/v1/client/sign_ins/sia_nope", "/v1/client/sign_ups/sua_nope"):
        response = browser.http.get(path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "resource_not_found"


def test_json_bodies_are_accepted(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/v1/client/sign_ups",
        json={"email_address": "json@example.com", "password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.json()["response"]["status"] == "missing_requirements"


def test_foreign_origin_cannot_post(live_server: LiveServer) -> None:
    evil = FapiBrowser(live_server, origin="https://evil.test")
    response = evil.post("/v1/client/sign_ins", identifier="x@example.com", password="whatever")
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    good = FapiBrowser(live_server, origin=APP_ORIGIN).http.get("/v1/client")
    assert good.headers["access-control-allow-origin"] == APP_ORIGIN
    assert good.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize(
    "payload",
    [
        {"email_address": "nul\u0000@example.com", "password": PASSWORD},
        {"email_address": "ok@example.com", "password": PASSWORD, "first_name": "\ud800"},
        {
            "email_address": "ok@example.com",
            "password": PASSWORD,
            "unsafe_metadata": {"k": "\ud83d"},
        },
    ],
)
def test_text_the_database_cannot_store_is_refused(
    live_server: LiveServer, payload: dict[str, Any]
) -> None:
    body = json.dumps(payload).encode()
    response = httpx.post(
        f"{live_server.url}/v1/client/sign_ups",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "form_param_format_invalid"
    form = httpx.post(
        f"{live_server.url}/v1/client/sign_ups",
        content=b"email_address=a%00b%40example.com&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 422

"""Security headers on every page, error pages in words, and the development mailbox."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from tests.pages.helpers import Browsers, PageClient
from tests.support import LiveServer, Mailbox, run_live_server, sql

PAGES = ["/sign-in", "/sign-up", "/sign-in/code", "/forgot-password", "/user", "/sign-out"]
CODE_PAGES = ["/sign-in/code/verify", "/forgot-password/verify", "/dev/mailbox"]


def _check(headers: object, *, no_referrer: bool) -> str:
    import httpx

    assert isinstance(headers, httpx.Headers)
    csp = headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp, directive
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", csp)
    assert nonce
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == ("no-referrer" if no_referrer else "same-origin")
    return nonce.group(1)


def test_every_page_has_the_security_headers(ada: PageClient) -> None:
    ada.submit("/forgot-password", identifier="ada@example.com")
    nonces = set()
    for path in PAGES:
        response = ada.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        nonces.add(_check(response.headers, no_referrer=False))
    for path in CODE_PAGES:
        response = ada.get(path)
        if response.status_code == 303:
            continue
        nonces.add(_check(response.headers, no_referrer=True))
    assert len(nonces) >= len(PAGES)  # a fresh nonce per response
    assert "<script" not in ada.get("/user").text
    assert "style=" not in ada.get("/user").text


def test_redirects_and_error_pages_carry_them_too(
    live_server: LiveServer, browsers: Browsers
) -> None:
    client = browsers(live_server)
    _check(client.get("/user").headers, no_referrer=False)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.text
    _check(missing.headers, no_referrer=False)
    wrong_method = client.http.delete("/sign-in")
    assert wrong_method.status_code == 405
    assert "<!doctype html>" in wrong_method.text
    blocked = client.http.post("/sign-in", data={})
    assert blocked.status_code == 403
    _check(blocked.headers, no_referrer=False)


def test_unexpected_errors_show_a_reference_not_a_trace(
    sqlite_server: LiveServer, browsers: Browsers, caplog: pytest.LogCaptureFixture
) -> None:
    client = browsers(sqlite_server)
    client.sign_up("ann@example.com")
    sql(sqlite_server, "DROP TABLE images")
    sql(sqlite_server, "ALTER TABLE sessions RENAME TO sessions_gone")
    response = client.get("/user")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    reference = re.search(r"<code>([0-9a-f]{16})</code>", response.text)
    assert reference
    for leak in ("Traceback", "sqlite", "sessions", 'File "'):
        assert leak not in response.text
    assert any(reference.group(1) in r.getMessage() for r in caplog.records)


def test_dev_mailbox_lists_sent_mail(ada: PageClient) -> None:
    page = ada.get("/dev/mailbox")
    assert page.status_code == 200
    assert "Your Threshold verification code" in page.text and "ada@example.com" in page.text


def test_dev_mailbox_is_404_in_production(
    tmp_path: Path, mailbox: Mailbox, browsers: Browsers
) -> None:
    with run_live_server(
        tmp_path,
        mailbox=mailbox,
        environment="production",
        secret_key="sk_live_" + secrets.token_hex(24),
    ) as server:
        client = browsers(server)
        response = client.get("/dev/mailbox")
        assert response.status_code == 404 and "Page not found" in response.text
        assert "Dev mailbox" not in client.get("/sign-in").text
        csp = client.get("/sign-in").headers["content-security-policy"]
        assert "localhost" not in csp

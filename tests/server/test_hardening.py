"""Items of the checklist in docs/security.md: code expiry, trusted proxies, mail never
built from Host, production secrets and TLS, HSTS, no debug surface."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from tests.browser import PASSWORD, FapiBrowser
from tests.support import LiveServer, Mailbox, free_port, run_live_server, sql
from threshold.core.errors import ConfigurationError
from threshold.server.middleware import SecurityMiddleware
from threshold.services.instance.bootstrap import check_secret_strength
from threshold.services.instance.settings import Settings


def test_code_expires_after_ten_minutes(sqlite_server: LiveServer) -> None:
    browser = FapiBrowser(sqlite_server)
    sua = browser.ok(
        "POST", "/v1/client/sign_ups", email_address="late@example.com", password=PASSWORD
    )["response"]["id"]
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert sqlite_server.mailbox is not None
    code = sqlite_server.mailbox.code_for("late@example.com")
    issued = sql(sqlite_server, "SELECT created_at, expire_at FROM verifications")[0]
    assert issued[1] - issued[0] == 600_000
    # Ten minutes and one second later (the stored expiry moved into the past):
    sql(sqlite_server, "UPDATE verifications SET expire_at = expire_at - 601000")
    late = browser.post(f"/v1/client/sign_ups/{sua}/attempt_verification", code=code)
    assert late.status_code == 422
    assert late.json()["errors"][0]["code"] == "verification_expired"


def test_forwarded_for_only_from_trusted_proxies(tmp_path: Path, mailbox: Mailbox) -> None:
    with run_live_server(
        tmp_path, mailbox=mailbox, ip_attempts_per_minute=2, identifier_attempts_per_minute=100
    ) as server:
        browser = FapiBrowser(server)
        codes = []
        for i in range(3):  # a spoofed header from an untrusted peer changes nothing
            response = browser.http.post(
                "/v1/client/sign_ins",
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                data={"identifier": f"p{i}@example.com", "password": "guess guess guess"},
            )
            codes.append(response.status_code)
        assert codes == [422, 422, 429]
    with run_live_server(
        tmp_path / "trusted",
        mailbox=mailbox,
        ip_attempts_per_minute=2,
        identifier_attempts_per_minute=100,
        trusted_proxies=["127.0.0.1"],
    ) as server:
        browser = FapiBrowser(server)
        codes = [
            browser.http.post(
                "/v1/client/sign_ins",
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                data={"identifier": f"p{i}@example.com", "password": "guess guess guess"},
            ).status_code
            for i in range(3)
        ]
        assert codes == [422, 422, 422]  # each forwarded client has its own budget


def test_mail_never_names_the_request_host(sqlite_server: LiveServer) -> None:
    browser = FapiBrowser(sqlite_server)
    browser.http.headers["Host"] = "evil.test"
    sua = browser.ok(
        "POST", "/v1/client/sign_ups", email_address="host@example.com", password=PASSWORD
    )["response"]["id"]
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert sqlite_server.mailbox is not None
    message = sqlite_server.mailbox.wait_for("host@example.com")
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert b"evil.test" not in body and "evil.test" not in str(message)


@pytest.mark.parametrize(
    "key",
    [
        "sk_live_changeme",
        "sk_live_" + "a" * 40,
        "sk_live_short",
        "sk_live_ThisIsMySecretKeyForProductionUse1",
    ],
)
def test_placeholder_production_secrets_refused(key: str) -> None:
    with pytest.raises(ConfigurationError):
        check_secret_strength(key)
    check_secret_strength("sk_live_Xq7Lm2Rt9Vb4Nc8Hj3Kd6Pw1Zy5Fg0Sa")


@pytest.mark.parametrize(
    ("public_url", "secret_key", "says"),
    [
        ("https://accounts.example.com", "sk_live_changeme", "placeholder"),
        ("http://accounts.example.com", None, "https://"),
    ],
)
def test_production_serve_refuses_unsafe_settings(
    tmp_path: Path, public_url: str, secret_key: str | None, says: str
) -> None:
    db = tmp_path / "p.db"
    threshold = str(Path(sys.executable).with_name("threshold"))
    env = {
        "PATH": "/usr/bin:/bin",
        "THRESHOLD_ENVIRONMENT": "production",
        "THRESHOLD_DATABASE_URL": f"sqlite:///{db}",
        "THRESHOLD_DATA_DIR": str(tmp_path),
        "THRESHOLD_PUBLIC_URL": public_url,
        "COLUMNS": "200",
    }
    if secret_key is not None:
        env["THRESHOLD_SECRET_KEY"] = secret_key
    subprocess.run([threshold, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    result = subprocess.run(
        [threshold, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert says in result.stdout + result.stderr


# -- production refuses plain HTTP (checklist 66) ---------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"public_url": "http://accounts.example.com"}, "THRESHOLD_PUBLIC_URL"),
        (
            {"smtp_host": "smtp.example.com", "smtp_tls": "none"},
            "THRESHOLD_SMTP_TLS",
        ),
    ],
)
def test_production_refuses_cleartext(changes: dict[str, str], problem: str) -> None:
    base = {"environment": "production", "public_url": "https://accounts.example.com"}
    assert Settings(**base).production_problems() == []
    problems = Settings(**{**base, **changes}).production_problems()
    assert len(problems) == 1 and problems[0].startswith(problem)
    # development, a loopback URL and a relay on this machine are fine
    assert Settings(**{**base, **changes, "environment": "development"}).production_problems() == []
    loopback = {"public_url": "http://127.0.0.1:8787", "smtp_host": "localhost"}
    assert Settings(**{**base, **changes, **loopback}).production_problems() == []


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


def _through_security(
    settings: Settings, method: str, url: str, client: tuple[str, int], **headers: str
) -> httpx.Response:
    """One request through SecurityMiddleware around a plain "ok" app, from ``client``."""
    transport = httpx.ASGITransport(app=SecurityMiddleware(_hello, settings), client=client)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport) as http:
            return await http.request(method, url, data={"password": "x"}, headers=headers)

    return asyncio.run(go())


STRANGER, PROXY = ("203.0.113.9", 5000), ("127.0.0.1", 5000)


def test_hsts_over_https_only() -> None:
    def headers(public_url: str) -> httpx.Headers:
        settings = Settings(public_url=public_url)
        return _through_security(settings, "GET", public_url, STRANGER).headers

    secure = headers("https://accounts.example.com")
    assert secure["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "strict-transport-security" not in headers("http://127.0.0.1:8787")


def test_production_refuses_plain_http_requests() -> None:
    settings = Settings(
        environment="production",
        public_url="https://accounts.example.com",
        trusted_proxies="127.0.0.1",
    )

    def post(url: str, client: tuple[str, int], **headers: str) -> httpx.Response:
        return _through_security(settings, "POST", url + "/v1/client/sign_ins", client, **headers)

    plain = post("http://accounts.example.com", STRANGER)
    assert plain.status_code == 403 and "location" not in plain.headers
    assert plain.json()["errors"][0]["code"] == "https_required"
    # only a trusted proxy may say the browser used https
    assert post("http://x", STRANGER, **{"X-Forwarded-Proto": "https"}).status_code == 403
    proxied = post("http://x", PROXY, **{"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200 and proxied.text == "ok"
    assert post("https://x", PROXY, **{"X-Forwarded-Proto": "http"}).status_code == 403
    assert post("https://accounts.example.com", STRANGER).status_code == 200


# -- no debug surface (checklist 64, 68) ------------------------------------------------


def test_trace_refused(sqlite_server: LiveServer) -> None:
    # The missing Server header is checked on real `threshold serve` processes
    # (tests/reliability/test_multiprocess.py).
    with httpx.Client(base_url=sqlite_server.url) as http:
        trace = http.request("TRACE", "/sign-in")
        assert trace.status_code == 405
        assert trace.json()["errors"][0]["code"] == "method_not_allowed"


def test_api_docs_off_by_default_in_production() -> None:
    assert Settings(environment="production").api_docs_enabled is False
    assert Settings(environment="development").api_docs_enabled is True


def test_unexpected_api_error_is_clerks_body_without_a_trace(
    sqlite_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    browser = FapiBrowser(sqlite_server)
    sql(sqlite_server, "ALTER TABLE sign_ins RENAME TO sign_ins_gone")
    response = browser.post("/v1/client/sign_ins", identifier="ann@example.com")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    error = response.json()["errors"][0]
    assert error["code"] == "internal_clerk_error" and error["message"] and error["long_message"]
    for leak in ("Traceback", "sqlite", "sign_ins", 'File "'):
        assert leak not in response.text
    trace_id = response.json().get("clerk_trace_id")
    assert trace_id and any(trace_id in r.getMessage() for r in caplog.records)
    browser.close()

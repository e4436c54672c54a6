"""Checklist items: code expiry, trusted proxies, mail never built from Host, prod secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import PASSWORD, FapiBrowser
from tests.support import LiveServer, Mailbox, free_port, run_live_server, sql
from threshold.core.errors import ConfigurationError
from threshold.services.instance import check_secret_strength


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


def test_production_serve_with_placeholder_key_exits_nonzero(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    threshold = str(Path(sys.executable).with_name("threshold"))
    env = {
        "PATH": "/usr/bin:/bin",
        "THRESHOLD_ENVIRONMENT": "production",
        "THRESHOLD_DATABASE_URL": f"sqlite:///{db}",
        "THRESHOLD_DATA_DIR": str(tmp_path),
        "THRESHOLD_PUBLIC_URL": "https://accounts.example.com",
        "THRESHOLD_SECRET_KEY": "sk_live_changeme",
        "COLUMNS": "200",
    }
    subprocess.run([threshold, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    result = subprocess.run(
        [threshold, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "placeholder" in result.stdout + result.stderr

"""A sign-in past its ``abandon_at`` over real HTTP, on SQLite and PostgreSQL.

It reads ``abandoned`` (Clerk's status for an expired sign-in), refuses every step with
``client_state_invalid`` (Clerk documents no ``sign_in_cannot_be_updated``), sends no
email, creates no session and leaves the lockout count alone.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.browser import PASSWORD, FapiBrowser, sign_up_user
from tests.support import LiveServer, clerk_error, sql

GONE = "client_state_invalid"
ADA = "ada@example.com"


def _expire(server: LiveServer, sia: str) -> None:
    sql(server, "UPDATE sign_ins SET abandon_at = 1 WHERE id = :id", id=sia)


def _stored_status(server: LiveServer, sia: str) -> str:
    return str(sql(server, "SELECT status FROM sign_ins WHERE id = :id", id=sia)[0][0])


def _user(server: LiveServer) -> tuple[str, int]:
    """Ada's id and failed-check count; she signs up the first time."""
    rows = sql(server, "SELECT id, failed_attempts FROM users")
    if not rows:
        sign_up_user(FapiBrowser(server), ADA)
        rows = sql(server, "SELECT id, failed_attempts FROM users")
    return str(rows[0][0]), int(rows[0][1])


def _sessions(server: LiveServer) -> int:
    return int(sql(server, "SELECT count(*) FROM sessions")[0][0])


def _start(server: LiveServer) -> tuple[FapiBrowser, str]:
    browser = FapiBrowser(server)
    sia = browser.ok("POST", "/v1/client/sign_ins", identifier=ADA)["response"]
    assert sia["status"] == "needs_first_factor"
    return browser, str(sia["id"])


def test_an_expired_sign_in_reads_abandoned(live_server: LiveServer) -> None:
    _user(live_server)
    browser, sia = _start(live_server)
    _expire(live_server, sia)
    assert browser.client()["sign_in"]["status"] == "abandoned"  # type: ignore[index]
    got = browser.ok("GET", f"/v1/client/sign_ins/{sia}")
    assert got["response"]["status"] == "abandoned"
    assert got["client"]["sign_in"]["status"] == "abandoned"
    assert _stored_status(live_server, sia) == "abandoned"


def test_an_expired_sign_in_sends_no_code(live_server: LiveServer) -> None:
    user_id, _ = _user(live_server)
    assert live_server.mailbox is not None
    before = len(live_server.mailbox.to(ADA))
    browser, sia = _start(live_server)
    _expire(live_server, sia)
    for strategy in ("email_code", "reset_password_email_code"):
        refused = browser.post(f"/v1/client/sign_ins/{sia}/prepare_first_factor", strategy=strategy)
        assert clerk_error(refused)["code"] == GONE
    assert _stored_status(live_server, sia) == "abandoned"
    assert sql(live_server, "SELECT id FROM verifications WHERE subject_id = :s", s=user_id) == []
    # A code asked for afterwards on a fresh attempt arrives; the expired one sent none.
    other, fresh = _start(live_server)
    other.ok("POST", f"/v1/client/sign_ins/{fresh}/prepare_first_factor", strategy="email_code")
    live_server.mailbox.wait_for(ADA, count=before + 1)
    assert len(live_server.mailbox.to(ADA)) == before + 1


def test_a_correct_password_on_an_expired_sign_in_signs_nobody_in(
    live_server: LiveServer,
) -> None:
    user_id, _ = _user(live_server)
    sessions = _sessions(live_server)
    browser, sia = _start(live_server)
    _expire(live_server, sia)
    path = f"/v1/client/sign_ins/{sia}/attempt_first_factor"
    for password in (PASSWORD, "wrong " + PASSWORD):
        refused = browser.post(path, strategy="password", password=password)
        assert clerk_error(refused)["code"] == GONE
    assert _sessions(live_server) == sessions
    assert browser.client()["sessions"] == []  # type: ignore[index]
    # Neither attempt was counted toward the lockout.
    assert _user(live_server) == (user_id, 0)
    assert _stored_status(live_server, sia) == "abandoned"


def test_an_expired_sign_in_refuses_its_code(live_server: LiveServer) -> None:
    _user(live_server)
    assert live_server.mailbox is not None
    count = len(live_server.mailbox.to(ADA)) + 1
    browser, sia = _start(live_server)
    browser.ok("POST", f"/v1/client/sign_ins/{sia}/prepare_first_factor", strategy="email_code")
    code = live_server.mailbox.code_for(ADA, count=count)
    sessions = _sessions(live_server)
    _expire(live_server, sia)
    attempted = browser.post(
        f"/v1/client/sign_ins/{sia}/attempt_first_factor", strategy="email_code", code=code
    )
    assert clerk_error(attempted)["code"] == GONE
    assert _sessions(live_server) == sessions
    assert _stored_status(live_server, sia) == "abandoned"


def test_an_expired_password_reset_keeps_the_old_password(live_server: LiveServer) -> None:
    _user(live_server)
    assert live_server.mailbox is not None
    count = len(live_server.mailbox.to(ADA)) + 1
    browser, sia = _start(live_server)
    path = f"/v1/client/sign_ins/{sia}"
    browser.ok("POST", f"{path}/prepare_first_factor", strategy="reset_password_email_code")
    code = live_server.mailbox.code_for(ADA, count=count)
    browser.ok(
        "POST", f"{path}/attempt_first_factor", strategy="reset_password_email_code", code=code
    )
    _expire(live_server, sia)
    refused = browser.post(f"{path}/reset_password", password="a brand new passphrase for ada")
    assert clerk_error(refused)["code"] == GONE
    assert browser.client()["sign_in"]["status"] == "abandoned"  # type: ignore[index]
    done = FapiBrowser(live_server).ok(
        "POST", "/v1/client/sign_ins", identifier=ADA, password=PASSWORD
    )
    assert done["response"]["status"] == "complete"


def test_a_sign_in_that_lapses_during_the_password_check_signs_nobody_in(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attempt expires while argon2 runs: refused, no session, the check given back."""
    user_id, _ = _user(live_server)
    sessions = _sessions(live_server)
    browser, sia = _start(live_server)
    hasher = live_server.ctx.hasher
    verify = hasher.verify

    async def verify_then_lapse(digest: str, password: str) -> bool:
        verified: bool = await verify(digest, password)
        await asyncio.to_thread(_expire, live_server, sia)
        return verified

    monkeypatch.setattr(hasher, "verify", verify_then_lapse)
    refused = browser.post(
        f"/v1/client/sign_ins/{sia}/attempt_first_factor", strategy="password", password=PASSWORD
    )
    assert clerk_error(refused)["code"] == GONE
    assert _sessions(live_server) == sessions
    assert _user(live_server) == (user_id, 0)
    assert _stored_status(live_server, sia) == "abandoned"

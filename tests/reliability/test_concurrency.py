"""Races: many browsers signing up with one address at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support import Mailbox, run_live_server, sql

ADDRESS = "race+clerk_test@example.com"
PASSWORD = "correct horse battery staple"


async def _one_sign_up(base: str) -> tuple[int, str]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        created = await http.post(
            "/v1/client/sign_ups", data={"email_address": ADDRESS, "password": PASSWORD}
        )
        if created.status_code != 200:
            return created.status_code, created.json()["errors"][0]["code"]
        sua = created.json()["response"]["id"]
        await http.post(
            f"/v1/client/sign_ups/{sua}/prepare_verification", data={"strategy": "email_code"}
        )
        done = await http.post(
            f"/v1/client/sign_ups/{sua}/attempt_verification", data={"code": "424242"}
        )
        if done.status_code != 200:
            return done.status_code, done.json()["errors"][0]["code"]
        return 200, done.json()["response"]["status"]


async def _storm(base: str, count: int) -> list[tuple[int, str]]:
    return list(await asyncio.gather(*(_one_sign_up(base) for _ in range(count))))


def test_200_concurrent_sign_ups_with_one_email_make_one_user(
    tmp_path: Path, mailbox: Mailbox, database_url: str | None
) -> None:
    with run_live_server(
        tmp_path, database_url=database_url, mailbox=mailbox, ip_attempts_per_minute=100_000
    ) as server:
        outcomes = asyncio.run(_storm(server.url, 200))
        assert sql(server, "SELECT count(*) FROM users")[0][0] == 1
        assert sql(server, "SELECT count(*) FROM email_addresses")[0][0] == 1
        assert outcomes.count((200, "complete")) == 1, outcomes
        others = [o for o in outcomes if o != (200, "complete")]
        assert all(o == (422, "form_identifier_exists") for o in others), set(others)
        # Nothing half-written: the one user has its email as primary and one session.
        row = sql(
            server,
            "SELECT u.primary_email_address_id, e.id FROM users u "
            "JOIN email_addresses e ON e.user_id = u.id",
        )[0]
        assert row[0] == row[1]
        assert sql(server, "SELECT count(*) FROM sessions")[0][0] == 1


LOCKOUT = 10


async def _wrong_password_storm(base: str, count: int) -> list[tuple[int, str]]:
    async def one() -> tuple[int, str]:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            reply = await http.post(
                "/v1/client/sign_ins", data={"identifier": ADDRESS, "password": "wrong " + PASSWORD}
            )
            return reply.status_code, reply.json()["errors"][0]["code"]

    return list(await asyncio.gather(*(one() for _ in range(count))))


def _password_sign_in(base: str) -> tuple[int, str]:
    reply = httpx.post(
        f"{base}/v1/client/sign_ins", data={"identifier": ADDRESS, "password": PASSWORD}
    )
    body = reply.json()
    return reply.status_code, body["errors"][0]["code"] if "errors" in body else "ok"


def test_300_concurrent_wrong_passwords_get_no_more_checks_than_the_threshold(
    tmp_path: Path, mailbox: Mailbox, database_url: str | None
) -> None:
    """Checklist item 13 of docs/security.md: parallel guesses cannot outrun the lockout,
    and the lock survives a restart."""
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'threshold.db'}"
    limits = {"ip_attempts_per_minute": 100_000, "identifier_attempts_per_minute": 100_000}
    with run_live_server(
        tmp_path, database_url=url, mailbox=mailbox, lockout_attempts=LOCKOUT, **limits
    ) as server:
        assert asyncio.run(_storm(server.url, 1)) == [(200, "complete")]
        hasher = server.ctx.hasher
        checked: list[str] = []
        verify = hasher.verify

        async def counting(digest: str, password: str) -> bool:
            checked.append(password)
            return await verify(digest, password)

        hasher.verify = counting  # type: ignore[method-assign]
        outcomes = asyncio.run(_wrong_password_storm(server.url, 300))
        assert len(checked) == LOCKOUT, len(checked)
        # The checked ones say "incorrect", or "locked" when the lock came first.
        assert set(outcomes) <= {(422, "form_password_incorrect"), (403, "user_locked")}
        assert outcomes.count((403, "user_locked")) >= 300 - LOCKOUT
        assert _password_sign_in(server.url) == (403, "user_locked")
        assert len(checked) == LOCKOUT  # the right password was not even checked
        secret_key = server.settings.secret_key.get_secret_value()
    with run_live_server(
        tmp_path / "restarted", database_url=url, mailbox=mailbox, secret_key=secret_key, **limits
    ) as again:
        assert _password_sign_in(again.url) == (403, "user_locked")

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

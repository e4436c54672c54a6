"""Database faults: fail fast with 503 while PostgreSQL is down, recover when it is back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.browser import FapiBrowser, sign_up_user
from tests.reliability.private_postgres import private_postgres
from tests.support import Mailbox, run_live_server, sql


def test_postgres_down_gives_503_then_recovers(tmp_path: Path, mailbox: Mailbox) -> None:
    with (
        private_postgres() as pg,
        run_live_server(tmp_path, database_url=pg.url, mailbox=mailbox) as server,
    ):
        browser = FapiBrowser(server)
        sid = sign_up_user(browser, "fault@example.com")["client"]["last_active_session_id"]
        assert browser.post(f"/v1/client/sessions/{sid}/tokens").status_code == 200
        pg.stop()
        started = time.monotonic()
        statuses = []
        for path in (f"/v1/client/sessions/{sid}/tokens", "/v1/client/sign_ups"):
            down = browser.post(
                path, email_address="new@example.com", password="correct horse battery staple"
            )
            statuses.append(down.status_code)
            assert down.status_code == 503, down.text
            assert down.json()["errors"][0]["code"] == "service_unavailable"
            assert int(down.headers["retry-after"]) >= 1
            assert "Traceback" not in down.text
        assert time.monotonic() - started < 20
        pg.start()
        deadline = time.monotonic() + 30
        while True:
            back = browser.post(f"/v1/client/sessions/{sid}/tokens")
            if back.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert back.status_code == 200, back.text
        # Nothing from the failed sign-up was written.
        assert (
            sql(server, "SELECT count(*) FROM sign_ups WHERE email_address = 'new@example.com'")[0][
                0
            ]
            == 0
        )
        assert httpx.get(f"{server.url}/.well-known/jwks.json").status_code == 200

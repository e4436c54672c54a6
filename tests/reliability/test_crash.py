"""Kill -9 the server in the middle of sign-ups: after restart nothing is half-created."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port
from threshold.store.migrate import upgrade

THRESHOLD = str(Path(sys.executable).with_name("threshold"))


def _start(tmp_path: Path, port: int, db: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRESHOLD_")}
    env.update(
        THRESHOLD_DATABASE_URL=f"sqlite:///{db}",
        THRESHOLD_DATA_DIR=str(tmp_path),
        THRESHOLD_PUBLIC_URL=f"http://127.0.0.1:{port}",
        THRESHOLD_ARGON2_MEMORY_KIB="8192",
        THRESHOLD_ARGON2_TIME_COST="1",
        THRESHOLD_IP_ATTEMPTS_PER_MINUTE="100000",
    )
    proc = subprocess.Popen(
        [THRESHOLD, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/.well-known/jwks.json").status_code == 200:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def _sign_up(base: str, i: int) -> None:
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            r = await http.post(
                "/v1/client/sign_ups",
                data={
                    "email_address": f"crash{i}+clerk_test@example.com",
                    "password": "correct horse battery staple",
                },
            )
            sua = r.json()["response"]["id"]
            await http.post(
                f"/v1/client/sign_ups/{sua}/prepare_verification", data={"strategy": "email_code"}
            )
            await http.post(
                f"/v1/client/sign_ups/{sua}/attempt_verification", data={"code": "424242"}
            )


async def _storm_then_kill(base: str, proc: subprocess.Popen[bytes]) -> None:
    tasks = [asyncio.create_task(_sign_up(base, i)) for i in range(120)]
    await asyncio.sleep(0.8)
    proc.send_signal(signal.SIGKILL)
    await asyncio.gather(*tasks)


def test_kill_during_sign_ups_leaves_no_half_created_user(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    port = free_port()
    proc = _start(tmp_path, port, db)
    asyncio.run(_storm_then_kill(f"http://127.0.0.1:{port}", proc))
    proc.wait(timeout=10)
    proc = _start(tmp_path, port, db)  # restart on the same file
    try:
        import sqlite3

        conn = sqlite3.connect(db)
        users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM users u LEFT JOIN email_addresses e "
            "ON e.id = u.primary_email_address_id WHERE e.id IS NULL"
        ).fetchone()[0]
        sessionless = conn.execute(
            "SELECT count(*) FROM users u WHERE NOT EXISTS "
            "(SELECT 1 FROM sessions s WHERE s.user_id = u.id)"
        ).fetchone()[0]
        dangling = conn.execute(
            "SELECT count(*) FROM sign_ups WHERE status = 'complete' AND created_user_id "
            "NOT IN (SELECT id FROM users)"
        ).fetchone()[0]
        conn.close()
        assert orphans == 0 and sessionless == 0 and dangling == 0
        assert users < 120  # the kill really interrupted the run
        # The restarted server works on the same data.
        asyncio.run(_sign_up(f"http://127.0.0.1:{port}", 999))
        conn = sqlite3.connect(db)
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == users + 1
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

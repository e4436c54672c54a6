"""The threshold command, run for real: dev, migrate, serve's refusal, keys."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port
from threshold.core.clock import SystemClock
from threshold.core.codes import token_digest
from threshold.services.instance.bootstrap import ensure_instance
from threshold.services.instance.keyring import Keyring
from threshold.store.db import Database
from threshold.store.migrate import upgrade

THRESHOLD = str(Path(sys.executable).with_name("threshold"))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THRESHOLD_", "CLERK_"))}
    env.update(THRESHOLD_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def _dev_banner(tmp_path: Path, port: int | None = None) -> str:
    port = port or free_port()
    proc = subprocess.Popen(
        [THRESHOLD, "dev", "--no-demo", "--port", str(port)],
        cwd=tmp_path,
        env=_env(tmp_path, COLUMNS="200"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl+C" in line:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return "".join(lines)


def test_dev_creates_keys_once_and_reuses_them(tmp_path: Path) -> None:
    """The same keys on the same address (the publishable key names the address: another
    port gives another key, tests/server/test_cli_keys.py)."""
    port = free_port()
    first = _dev_banner(tmp_path, port)
    assert "created instance" in first, first
    pk = re.search(r"pk_test_\S+", first)
    sk = re.search(r"sk_test_\S+", first)
    assert pk and sk and "/sign-in" in first and "/.well-known/jwks.json" in first
    assert (tmp_path / "data" / "threshold.db").exists()
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == "0o600"
    second = _dev_banner(tmp_path, port)
    assert "reusing instance" in second
    assert pk.group(0) in second and sk.group(0) in second


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    result = subprocess.run(
        [THRESHOLD, "serve", "--port", str(free_port())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path, THRESHOLD_DATABASE_URL=f"sqlite:///{db}", COLUMNS="200"),
    )
    assert result.returncode == 1
    assert "threshold migrate" in result.stdout + result.stderr
    migrated = subprocess.run(
        [THRESHOLD, "migrate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path, THRESHOLD_DATABASE_URL=f"sqlite:///{db}"),
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated" in migrated.stdout


def test_secret_key_setting_becomes_the_instance_key(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    upgrade(url)

    async def go() -> None:
        db = Database(url)
        info = await ensure_instance(
            db,
            SystemClock(),
            public_url="http://127.0.0.1:1",
            environment="development",
            secret_key="sk_test_chosen",
        )
        assert info.created and info.secret_key == "sk_test_chosen"
        assert info.publishable_key.startswith("pk_test_")
        async with db.transaction(readonly=True) as conn:
            from threshold.store.repositories import InstanceRepository

            assert await InstanceRepository(conn).active_api_key(token_digest("sk_test_chosen"))
            keys = await InstanceRepository(conn).api_keys()
            assert all("chosen" not in str(row) for row in keys)
        await db.dispose()

    asyncio.run(go())


def test_keys_rotate_keeps_old_keys_published(tmp_path: Path) -> None:
    db_path = tmp_path / "k.db"
    url = f"sqlite+aiosqlite:///{db_path}"
    upgrade(url)
    env = _env(tmp_path, THRESHOLD_DATABASE_URL=f"sqlite:///{db_path}", COLUMNS="200")

    async def state() -> tuple[str, set[str]]:
        db = Database(url)
        await ensure_instance(
            db, SystemClock(), public_url="http://127.0.0.1:1", environment="development"
        )
        ring = Keyring(db, SystemClock())
        await ring.load()
        await db.dispose()
        return ring.active.kid, set(ring.public_keys)

    old, published = asyncio.run(state())
    assert published == {old}
    shown = subprocess.run(
        [THRESHOLD, "keys", "show"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "BEGIN PUBLIC KEY" in shown.stdout and "pk_test_" in shown.stdout
    rotated = subprocess.run(
        [THRESHOLD, "keys", "rotate"], env=env, check=True, capture_output=True, timeout=60
    )
    new, published = asyncio.run(state())
    assert new != old and published == {old, new}
    events = [json.loads(line) for line in rotated.stderr.decode().splitlines() if "{" in line]
    assert [(e["event"], e["kid"], e["ended"], e["old_keys"]) for e in events] == [
        ("signing_key.rotated", new, [old], "retired")
    ]
    subprocess.run(
        [THRESHOLD, "keys", "rotate", "--drop-old"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    newest, published = asyncio.run(state())
    assert published == {newest} and newest not in (old, new)


def test_serve_logs_requests_and_audit_events_in_its_workers(tmp_path: Path) -> None:
    """Every worker of ``serve --workers 2`` logs: audit events as JSON on standard
    error, one access line per request on standard output, no query string in either."""
    port = free_port()
    env = _env(
        tmp_path,
        THRESHOLD_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        THRESHOLD_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    subprocess.run([THRESHOLD, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    proc = subprocess.Popen(
        [THRESHOLD, "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    canary = "CANARYd41d8cd9"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/.well-known/jwks.json", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        for n in range(4):  # separate connections, so both workers may take some
            refused = httpx.post(
                f"http://127.0.0.1:{port}/v1/client/sign_ins?__clerk_ticket={canary}",
                data={"identifier": f"nobody{n}@example.com", "password": "not the password"},
            )
            assert refused.status_code == 422, refused.text
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    refusals = '"POST /v1/client/sign_ins HTTP/1.1" 422'
    assert len([line for line in out.splitlines() if refusals in line]) == 4, out
    failures = [
        json.loads(line)
        for line in err.splitlines()
        if line.startswith("{") and json.loads(line)["event"] == "sign_in.failed"
    ]
    assert sorted(str(f["identifier"]) for f in failures) == [
        f"nobody{n}@example.com" for n in range(4)
    ], err
    assert canary not in out + err

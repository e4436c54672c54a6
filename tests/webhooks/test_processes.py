"""Real ``threshold serve`` processes: a kill -9 between the commit and the delivery loses
nothing, and two processes on one PostgreSQL database deliver each event once (the lease).

Events are committed by the test through the services (nothing in the product emits them
yet), into the database the servers use; the servers' dispatchers find them by polling.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.reliability.test_multiprocess import _wait_until_ready, two_servers
from tests.support import free_port, postgres_database, require_postgres
from tests.webhooks.conftest import settings_for
from tests.webhooks.helpers import emit_one
from tests.webhooks.receiver import Answer, Receiver
from threshold.services.runtime.build import build_context
from threshold.services.webhooks.endpoints import create_endpoint
from threshold.store.migrate import upgrade

THRESHOLD = str(Path(sys.executable).with_name("threshold"))
FAST = {"webhook_lease_seconds": "2", "webhook_timeout": "2"}


def _emit(tmp_path: Path, url: str, count: int, endpoint_for: str | None = None) -> list[str]:
    """Commit ``count`` events (one transaction each) from this process; with
    ``endpoint_for``, first add an endpoint with that URL."""

    async def run() -> list[str]:
        ctx = await build_context(settings_for(tmp_path, url, secret_key=None))
        try:
            if endpoint_for is not None:
                await create_endpoint(ctx, endpoint_for)
            return [
                await emit_one(ctx, "user.updated", {"object": "user", "id": f"user_{i}"})
                for i in range(count)
            ]
        finally:
            await ctx.db.dispose()

    return asyncio.run(run())


def _serve(tmp_path: Path, url: str, name: str, secret: str) -> subprocess.Popen[bytes]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRESHOLD_")}
    env.update(
        THRESHOLD_ENVIRONMENT="development",
        THRESHOLD_DATABASE_URL=url,
        THRESHOLD_DATA_DIR=str(tmp_path),
        THRESHOLD_PUBLIC_URL=f"http://127.0.0.1:{port}",
        THRESHOLD_SECRET_KEY=secret,
        **{f"THRESHOLD_{k.upper()}": v for k, v in FAST.items()},
    )
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [THRESHOLD, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    _wait_until_ready(proc, port, log)
    return proc


def _ids_until(hook: Receiver, expected: set[str], timeout: float) -> collections.Counter[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = collections.Counter(r.headers["svix-id"] for r in hook.received())
        if expected <= set(seen):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"{len(expected - set(seen))} of {len(expected)} events never came")


def test_kill_9_between_commit_and_delivery_loses_nothing(tmp_path: Path, hook: Receiver) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'threshold.db'}"
    upgrade(url)
    secret = "sk_test_" + uuid.uuid4().hex
    first = _serve(tmp_path, url, "first", secret)
    try:
        hook.default = Answer(delay=4.0)  # deliveries are in flight when the server dies
        in_flight = _emit(tmp_path, url, 20, endpoint_for=hook.url)
        hook.wait_for(1)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
    hook.default = Answer()
    while_down = _emit(tmp_path, url, 5)  # committed while no server runs
    second = _serve(tmp_path, url, "second", secret)
    try:
        seen = _ids_until(hook, set(in_flight + while_down), timeout=60)
    finally:
        second.terminate()
        second.wait(timeout=20)
    assert set(seen) == set(in_flight + while_down)  # every event, and no other id
    # A repeat is an attempt the killed server made without recording it: the same id.
    assert all(n <= 2 for n in seen.values())


@pytest.mark.postgres
def test_two_processes_on_postgres_deliver_each_event_once(
    request: pytest.FixtureRequest, tmp_path: Path, hook: Receiver
) -> None:
    require_postgres(request.config)
    with postgres_database() as url:
        upgrade(url)
        with two_servers(tmp_path, url, **FAST):
            ids = _emit(tmp_path, url, 60, endpoint_for=hook.url)
            seen = _ids_until(hook, set(ids), timeout=60)
            time.sleep(3)  # time for a second delivery, were there to be one
            seen = collections.Counter(r.headers["svix-id"] for r in hook.received())
    assert set(seen) == set(ids) and set(seen.values()) == {1}

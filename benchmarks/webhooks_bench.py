"""Webhooks: what the outbox adds to one transaction, and deliveries per second.

- **emit**: a transaction that updates one row, alone and with one ``emit`` in it, taken
  in turns (batches of 200, each variant's median over the batches); the difference is
  the outbox's cost to a service call.
- **delivery**: 2,000 events (one user each) committed for one endpoint, then the
  dispatcher delivers them (signing, HTTP over loopback, recording each attempt) to a
  receiver that answers 204 at once: uvicorn with a bare ASGI app, in a process of its own.

Both on an SQLite file and on PostgreSQL (when the local server answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from benchmarks._pg import scratch_database
from benchmarks.http_servers import _free_port
from threshold.services.instance.settings import Settings
from threshold.services.runtime.build import build_context
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.webhooks.dispatcher import Dispatcher
from threshold.services.webhooks.endpoints import create_endpoint
from threshold.services.webhooks.events import emit
from threshold.store.migrate import upgrade
from threshold.store.repositories import InstanceRepository

EVENTS = 2000
BATCH = 200
ROUNDS = 10
_USER = {"object": "user", "id": "user_2bench", "first_name": "Ada", "public_metadata": {}}

_RECEIVER = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""


def _settings(url: str, tmp: Path) -> Settings:
    return Settings(
        environment="development",
        database_url=url,
        data_dir=tmp,
        secret_key="sk_test_" + uuid.uuid4().hex,
        webhook_timeout=10.0,
    )


async def _emit_cost(ctx: ServerContext) -> dict[str, float]:
    instance_id = ctx.instance.id

    async def plain(tx: Tx) -> None:
        await InstanceRepository(tx.conn).update(instance_id, updated_at=ctx.now_ms())

    async def with_event(tx: Tx) -> None:
        await plain(tx)
        await emit(tx, "user.updated", _USER)

    medians: dict[str, list[float]] = {"plain": [], "emit": []}
    for _ in range(ROUNDS):
        for name, work in (("plain", plain), ("emit", with_event)):
            started = time.perf_counter()
            for _ in range(BATCH):
                await run_transaction(ctx, work)
            medians[name].append((time.perf_counter() - started) / BATCH * 1e6)
    plain_us, emit_us = statistics.median(medians["plain"]), statistics.median(medians["emit"])
    return {"plain_us": plain_us, "emit_us": emit_us, "added_us": emit_us - plain_us}


async def _throughput(ctx: ServerContext, receiver: str) -> dict[str, float]:
    dispatcher = Dispatcher(ctx)
    await dispatcher.deliver_pending()  # the events above go to no endpoint
    await create_endpoint(ctx, receiver)
    for n in range(EVENTS):  # one user each: no event waits for another

        async def one(tx: Tx, n: int = n) -> None:
            await emit(tx, "user.updated", {**_USER, "id": f"user_{n}"})

        await run_transaction(ctx, one)
    started = time.perf_counter()
    await dispatcher.deliver_pending()
    elapsed = time.perf_counter() - started
    await dispatcher.stop()
    return {"events": EVENTS, "seconds": elapsed, "per_second": EVENTS / elapsed}


async def _measure(url: str, tmp: Path, receiver: str) -> dict[str, Any]:
    ctx = await build_context(_settings(url, tmp))
    try:
        return {**await _emit_cost(ctx), **await _throughput(ctx, receiver)}
    finally:
        await ctx.db.dispose()


@contextlib.contextmanager
def _receiver(tmp: Path) -> Any:
    app = tmp / "receiver_app.py"
    app.write_text(_RECEIVER)
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "receiver_app:app", "--port", str(port)),
            *("--log-level", "warning", "--no-access-log"),
        ],
        cwd=tmp,
    )
    url = f"http://127.0.0.1:{port}/hook"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(url)
                break
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with _receiver(tmp) as receiver:
            sqlite = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
            upgrade(sqlite)
            results["sqlite"] = asyncio.run(_measure(sqlite, tmp, receiver))
            try:
                with scratch_database() as plain:
                    pg = plain.replace("postgresql://", "postgresql+asyncpg://", 1)
                    upgrade(pg)
                    results["postgres"] = asyncio.run(_measure(pg, tmp, receiver))
            except OSError:
                pass  # no PostgreSQL here: SQLite only
    return results


def markdown(figures: dict[str, Any]) -> str:
    rows = [
        "| database | transaction alone | with one emit | added by emit | deliveries/s |",
        "|---|---|---|---|---|",
    ]
    for name, f in figures.items():
        rows.append(
            f"| {name} | {f['plain_us']:.0f} us | {f['emit_us']:.0f} us | "
            f"{f['added_us']:.0f} us | {f['per_second']:.0f} |"
        )
    return "## 6. Webhooks\n\n" + (__doc__ or "").split("\n\n", 1)[1] + "\n" + "\n".join(rows)

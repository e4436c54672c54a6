"""The server part: token minting and sign-in on ``threshold serve``; and the helpers
that start server processes for the other parts."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from argon2 import PasswordHasher as Argon2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from benchmarks._pg import scratch_database
from benchmarks._timing import cpu_seconds, http_rps, per_call_us
from threshold.core.keys import generate_signing_key

__all__ = ["BenchServer", "run_server", "serve", "threshold_server"]

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(
    args: list[str], port: int, env: dict[str, str], probe: str = "/"
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until it answers ``probe``; stop it on exit."""
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}{probe}")
                break
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _form(path: str, body: str, cookie: str = "") -> bytes:
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


BENCH_EMAIL = "bench+clerk_test@example.com"
BENCH_PASSWORD = "correct horse battery staple"
SIGN_IN_FORM = "identifier=bench%2Bclerk_test%40example.com&password=correct+horse+battery+staple"
"""``POST /v1/client/sign_ins`` as a form, for the user :func:`threshold_server` signs up."""


@dataclass(frozen=True)
class BenchServer:
    """A running ``threshold serve`` with one signed-up user."""

    port: int
    session_id: str
    client_cookie: str
    """``__client=...``: the user's browser."""
    pid: int


@contextlib.contextmanager
def threshold_server(
    tmp: str, *options: str, database_url: str | None = None
) -> Iterator[BenchServer]:
    """``threshold serve`` (one worker, SQLite in ``tmp`` unless ``database_url``
    says otherwise, limits out of the way, and any further command-line ``options``)
    with :data:`BENCH_EMAIL` signed up through the Frontend API (test mode, code 424242)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRESHOLD_")}
    env.update(
        THRESHOLD_DATABASE_URL=database_url or f"sqlite:///{Path(tmp) / 'threshold.db'}",
        THRESHOLD_DATA_DIR=tmp,
        THRESHOLD_PUBLIC_URL=f"http://127.0.0.1:{port}",
        THRESHOLD_IP_ATTEMPTS_PER_MINUTE="1000000",
        THRESHOLD_IDENTIFIER_ATTEMPTS_PER_MINUTE="1000000",
    )
    threshold = str(Path(sys.executable).with_name("threshold"))
    subprocess.run([threshold, "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    args = [threshold, "serve", "--port", str(port), *options]
    with (
        serve(args, port, env, probe="/.well-known/jwks.json") as proc,
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        body = {"email_address": BENCH_EMAIL, "password": BENCH_PASSWORD}
        sign_up = http.post("/v1/client/sign_ups", data=body).json()["response"]["id"]
        http.post(
            f"/v1/client/sign_ups/{sign_up}/prepare_verification", data={"strategy": "email_code"}
        )
        done = http.post(
            f"/v1/client/sign_ups/{sign_up}/attempt_verification", data={"code": "424242"}
        ).json()
        assert done["response"]["status"] == "complete", done
        sid = done["client"]["last_active_session_id"]
        yield BenchServer(port, sid, f"__client={http.cookies['__client']}", proc.pid)


def _per_request_ms(pid: int, cpu_before: float, rps: float, seconds: float) -> float:
    """The server's CPU time (all its threads) per request over a run, in ms."""
    return (cpu_seconds(pid) - cpu_before) / (rps * seconds) * 1e3


def _mint(server: BenchServer, seconds: float, results: dict[str, float], name: str) -> None:
    """Token refreshes/s over 8 connections (``<name>_rps``) and the server's CPU time
    per refresh (``<name>_cpu_ms``)."""
    mint = _form(f"/v1/client/sessions/{server.session_id}/tokens", "", server.client_cookie)
    http_rps(server.port, mint, seconds=0.5)
    before = cpu_seconds(server.pid)
    results[f"{name}_rps"] = http_rps(server.port, mint, seconds=seconds, connections=8)
    results[f"{name}_cpu_ms"] = _per_request_ms(server.pid, before, results[f"{name}_rps"], seconds)


def run_server(seconds: float = 3.0) -> dict[str, float]:
    """Token minting and sign-in rates of one server worker on SQLite, and the server's
    CPU time per request (``mint_cpu_ms``, ``sign_in_cpu_ms``)."""
    results: dict[str, float] = {}
    key = generate_signing_key()
    results["raw_sign_per_s"] = 1e6 / per_call_us(
        lambda i: key.private_key.sign(
            b"x" * 300 + bytes([i % 256]), padding.PKCS1v15(), hashes.SHA256()
        ),
        300,
    )
    argon = Argon2(time_cost=2, memory_cost=19456, parallelism=1)
    digest = argon.hash("correct horse battery staple")
    results["raw_argon2_per_s"] = 1e6 / per_call_us(
        lambda i: argon.verify(digest, "correct horse battery staple"), 20, rounds=3
    )

    with tempfile.TemporaryDirectory() as tmp, threshold_server(tmp) as server:
        port = server.port
        _mint(server, seconds, results, "mint")
        sign_in = _form("/v1/client/sign_ins", SIGN_IN_FORM)
        before = cpu_seconds(server.pid)
        results["sign_in_rps"] = http_rps(port, sign_in, seconds=seconds, connections=4)
        results["sign_in_cpu_ms"] = _per_request_ms(
            server.pid, before, results["sign_in_rps"], seconds
        )
    # The access log is on by default; what it costs a refresh, measured the same way.
    with tempfile.TemporaryDirectory() as tmp, threshold_server(tmp, "--no-access-log") as server:
        _mint(server, seconds, results, "mint_quiet")
    # Production's database: the local PostgreSQL server, over loopback.
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database() as url,
        threshold_server(tmp, database_url=url) as server,
    ):
        _mint(server, seconds, results, "mint_pg")
    for name in ("mint", "mint_quiet", "mint_pg"):
        results[f"{name}_ratio"] = results[f"{name}_rps"] / results["raw_sign_per_s"]
    results["sign_in_ratio"] = results["sign_in_rps"] / results["raw_argon2_per_s"]
    return results

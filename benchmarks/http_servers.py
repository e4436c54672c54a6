"""Targets 2 and 3: middleware overhead under uvicorn, token minting, sign-in."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from argon2 import PasswordHasher as Argon2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from benchmarks._timing import http_rps, per_call_us
from threshold.core.keys import generate_signing_key

__all__ = ["run_server"]

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _process(args: list[str], port: int, env: dict[str, str], probe: str = "/") -> Iterator[None]:
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
        yield
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


def run_server(seconds: float = 3.0) -> dict[str, float]:
    """Token minting and sign-in rates of one server worker on SQLite."""
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

    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        db = Path(tmp) / "bench.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("THRESHOLD_")}
        env.update(
            THRESHOLD_DATABASE_URL=f"sqlite:///{db}",
            THRESHOLD_DATA_DIR=tmp,
            THRESHOLD_PUBLIC_URL=f"http://127.0.0.1:{port}",
            THRESHOLD_IP_ATTEMPTS_PER_MINUTE="1000000",
            THRESHOLD_IDENTIFIER_ATTEMPTS_PER_MINUTE="1000000",
        )
        threshold = str(Path(sys.executable).with_name("threshold"))
        subprocess.run([threshold, "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
        with _process(
            [threshold, "serve", "--port", str(port)], port, env, probe="/.well-known/jwks.json"
        ):
            base = f"http://127.0.0.1:{port}"
            email, password = "bench+clerk_test@example.com", "correct horse battery staple"
            with httpx.Client(base_url=base) as http:
                sua = http.post(
                    "/v1/client/sign_ups", data={"email_address": email, "password": password}
                ).json()
                sua_id = sua["response"]["id"]
                http.post(
                    f"/v1/client/sign_ups/{sua_id}/prepare_verification",
                    data={"strategy": "email_code"},
                )
                done = http.post(
                    f"/v1/client/sign_ups/{sua_id}/attempt_verification", data={"code": "424242"}
                ).json()
                sid = done["client"]["last_active_session_id"]
                cookie = f"__client={http.cookies['__client']}"
            mint = _form(f"/v1/client/sessions/{sid}/tokens", "", cookie)
            http_rps(port, mint, seconds=0.5)
            results["mint_rps"] = http_rps(port, mint, seconds=seconds, connections=8)
            sign_in = _form(
                "/v1/client/sign_ins",
                f"identifier=bench%2Bclerk_test%40example.com&password="
                f"{password.replace(' ', '+')}",
            )
            results["sign_in_rps"] = http_rps(port, sign_in, seconds=seconds, connections=4)
    results["mint_ratio"] = results["mint_rps"] / results["raw_sign_per_s"]
    results["sign_in_ratio"] = results["sign_in_rps"] / results["raw_argon2_per_s"]
    return results

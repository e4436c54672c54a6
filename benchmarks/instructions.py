"""ASGI middleware overhead, counted rather than timed: CPU instructions per request.

Requests per second move with whatever else the machine does; instructions do not.
Each app of :mod:`benchmarks.apps` (Starlette's "hello", alone, behind
:class:`~benchmarks.apps.Floor` and behind Threshold) is called directly with the scope
uvicorn builds, ``FEW`` and then ``MANY`` times, each run in a fresh interpreter under
valgrind's callgrind (which counts the instructions the CPU would retire); the
difference between the two runs divided by ``MANY - FEW`` is the cost of one request,
start-up and imports cancelling out. The interpreter's hash seed is fixed and the key
and token are made once by this process, so a rerun gives the same counts.

``python -m benchmarks.instructions MODE N`` is the child: it serves ``N`` requests in
process and exits.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.types import Message

from threshold.asgi import AuthMiddleware

__all__ = ["MODES", "run_instructions"]

ROOT = Path(__file__).resolve().parents[1]
MODES = ("plain", "floor", "protected")
FEW, MANY = 500, 2500


def run_instructions() -> dict[str, float]:
    """``{mode}_instructions`` per request for each of :data:`MODES`; empty when
    valgrind is not installed."""
    if shutil.which("valgrind") is None:
        print("valgrind not found: instructions not counted", file=sys.stderr)
        return {}
    from benchmarks.wsgi_bench import session_token
    from threshold.core.keys import generate_signing_key

    key = generate_signing_key()
    env = {
        **os.environ,
        "BENCH_JWT_KEY": key.public_pem(),
        "BENCH_TOKEN": session_token(key, lifetime=3600),
        "PYTHONHASHSEED": "0",
    }
    runs = [(mode, n) for mode in MODES for n in (FEW, MANY)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(
            zip(runs, pool.map(lambda run: _count(run[0], run[1], env), runs), strict=True)
        )
    return {
        f"{mode}_instructions": (counts[mode, MANY] - counts[mode, FEW]) / (MANY - FEW)
        for mode in MODES
    }


def _count(mode: str, requests: int, env: dict[str, str]) -> int:
    """Instructions a child serving ``requests`` requests executed, start-up included."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={scratch}/out",
                sys.executable,
                "-m",
                "benchmarks.instructions",
                mode,
                str(requests),
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind: {done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def _serve(mode: str, requests: int) -> None:
    """Call the app ``requests`` times with a uvicorn-shaped scope (after two warm-up
    requests: the first verifies the token, the second files it as known)."""
    from benchmarks.apps import build

    app = build("starlette", mode)
    authorization = f"Bearer {os.environ['BENCH_TOKEN']}".encode()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"status {message['status']}")

    def scope() -> dict[str, object]:
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": "GET",
            "root_path": "",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "state": {},
            "headers": [
                (b"host", b"127.0.0.1"),
                # A new bytes object per request, as the server's parser makes.
                (b"authorization", bytes(bytearray(authorization))),
                (b"accept", b"application/json"),
            ],
        }

    async def main() -> None:
        for _ in range(2):
            await app(scope(), receive, send)
        if isinstance(app, AuthMiddleware):  # the requests counted take the usual path
            known = app.sdk.authenticate_known("GET", b"", authorization, None)
            if known is None or known.claims is None:
                raise RuntimeError("the token was not accepted")
        for _ in range(requests):
            await app(scope(), receive, send)

    asyncio.run(main())


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))

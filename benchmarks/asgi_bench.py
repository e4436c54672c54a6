"""Middleware overhead, ASGI: Starlette and FastAPI under uvicorn, with and without Threshold.

As for WSGI (:mod:`benchmarks.wsgi_bench`), the unprotected and the protected app run at
once and take turns under the load generator; the ratio is the median of the rounds'
ratios. Each pair runs on both of uvicorn's stacks: ``h11`` + ``asyncio`` (what a bare
``pip install uvicorn`` gives) and ``httptools`` + ``uvloop`` (``uvicorn[standard]``,
and what the server extra installs). The C stack serves a "hello" several times faster,
so the same few microseconds of middleware weigh more there.
"""

from __future__ import annotations

import os
import sys

from benchmarks.wsgi_bench import bearer_request, measure_pair, session_token
from threshold.core.keys import generate_signing_key

__all__ = ["STACKS", "run_asgi_middleware"]

STACKS = ("h11", "httptools")
"""uvicorn's pure-Python stack and its C one (see benchmarks/apps.py)."""


def run_asgi_middleware(seconds: float = 3.0) -> dict[str, float]:
    """``{kind}_{stack}_{plain|protected}_rps``, ``..._cpu_us`` and ``{kind}_{stack}_ratio``.

    ``{kind}_{stack}_overhead_us`` is the difference in the server's CPU time per request,
    the middleware's own cost whatever else the machine is doing. ``{kind}_{stack}_floor_*``
    are the same figures for :class:`benchmarks.apps.Floor` in place of Threshold.
    """
    key = generate_signing_key()
    request = bearer_request(session_token(key))
    env = {**os.environ, "BENCH_JWT_KEY": key.public_pem()}
    results: dict[str, float] = {}
    for kind in ("starlette", "fastapi"):
        for stack in STACKS:
            for wrapper in ("protected", "floor"):

                def command(
                    mode: str,
                    port: int,
                    kind: str = kind,
                    stack: str = stack,
                    wrapper: str = wrapper,
                ) -> list[str]:
                    mode = wrapper if mode == "protected" else mode
                    return [sys.executable, "-m", "benchmarks.apps", kind, mode, str(port), stack]

                name = f"{kind}_{stack}" + ("_floor" if wrapper == "floor" else "")
                results.update(measure_pair(name, command, request, env, seconds))
                results[f"{name}_overhead_us"] = (
                    results[f"{name}_protected_cpu_us"] - results[f"{name}_plain_cpu_us"]
                )
    return results

"""Middleware overhead, WSGI: Flask and Django under gunicorn, with and without Threshold.

Each app runs twice at once, unprotected and protected, and the two take turns under the
load generator in short rounds (:func:`paired_rps`), so a change in the machine's load
falls on both. Beside requests per second, the server's own CPU time per request is
read from ``/proc``: on a machine shared with other work that figure moves less than
requests per second do, and its ratio is the middleware's cost on its own.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._timing import cpu_seconds, http_rps
from benchmarks.http_servers import _free_port, serve
from benchmarks.report import figures_of
from threshold.core.jwt import encode_rs256
from threshold.core.keys import SigningKey, generate_signing_key
from threshold.core.tokens import CAT_SESSION, session_claims

__all__ = [
    "TARGET",
    "bearer_request",
    "markdown_wsgi",
    "measure_pair",
    "paired_rps",
    "run_wsgi_middleware",
    "serve",
    "session_token",
]

TARGET = 0.90
"""Protected requests/s over unprotected requests/s, at least."""
ROOT = Path(__file__).resolve().parents[1]


def session_token(key: SigningKey, lifetime: int = 600) -> str:
    """A session token as the server mints it, valid for ``lifetime`` seconds."""
    claims = session_claims(
        user_id="user_1",
        session_id="sess_1",
        issuer="x",
        now=int(time.time()),
        lifetime=lifetime,
        azp=None,
        first_factor_age_minutes=0,
    )
    return encode_rs256(claims, key.private_key, key.kid, headers={"cat": CAT_SESSION})


def bearer_request(token: str, path: str = "/") -> bytes:
    """A keep-alive ``GET`` carrying ``token`` as a Bearer token."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()


def paired_rps(
    servers: dict[str, tuple[int, int]], request: bytes, seconds: float, rounds: int = 10
) -> dict[str, list[tuple[float, float]]]:
    """Per round, ``(requests/s, server CPU seconds used)`` of each ``(port, pid)``.

    The servers take turns in ``rounds`` rounds, ``seconds`` in all for each.
    """
    for port, _ in servers.values():
        http_rps(port, request, seconds=0.5)  # warm-up
    measured: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, (port, pid) in servers.items():
            before = cpu_seconds(pid)
            rate = http_rps(port, request, seconds=seconds / rounds)
            measured[name].append((rate, cpu_seconds(pid) - before))
    return measured


def measure_pair(
    name: str,
    command: Callable[[str, int], list[str]],
    request: bytes,
    env: dict[str, str],
    seconds: float,
) -> dict[str, float]:
    """Serve ``command(mode, port)`` for ``plain`` and ``protected`` at once and measure
    them in turns: ``{name}_{mode}_rps`` (mean), ``{name}_{mode}_cpu_us`` (server CPU per
    request over the run) and ``{name}_ratio`` (the median of the rounds' ratios)."""
    servers: dict[str, tuple[int, int]] = {}
    with contextlib.ExitStack() as stack:
        for mode in ("plain", "protected"):
            port = _free_port()
            proc = stack.enter_context(serve(command(mode, port), port, env))
            servers[mode] = (port, proc.pid)
        measured = paired_rps(servers, request, seconds)
    share = seconds / len(measured["plain"])
    results: dict[str, float] = {}
    for mode, runs in measured.items():
        results[f"{name}_{mode}_rps"] = statistics.fmean(rps for rps, _ in runs)
        served = sum(rps * share for rps, _ in runs)
        results[f"{name}_{mode}_cpu_us"] = sum(cpu for _, cpu in runs) / served * 1e6
    pairs = zip(measured["plain"], measured["protected"], strict=True)
    results[f"{name}_ratio"] = statistics.median(p[0] / u[0] for u, p in pairs)
    return results


def _app_cpu_us(kind: str, mode: str, env: dict[str, str]) -> float:
    """``benchmarks.wsgi_apps.cpu_per_call`` in a fresh process (Django configures once)."""
    timed = subprocess.run(
        [sys.executable, "-m", "benchmarks.wsgi_apps", kind, mode, "time"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(timed.stdout.split()[-1])


def run_wsgi_middleware(seconds: float = 3.0) -> dict[str, float]:
    """Requests/s of a plain-text endpoint, unprotected and protected, and their ratio.

    Rates are means over the rounds; the ratio is the median of the rounds' ratios (each
    round's two runs are back to back, so a burst of other load spoils one round, not the
    result). Also ``{kind}_{mode}_cpu_us``, the server's CPU time per request over the
    whole run (``/proc`` counts in 10 ms ticks, too coarse for one round), and
    ``{kind}_cpu_ratio``: unprotected CPU per request over protected, the throughput
    ratio of a server with a core to itself. And, steadier still on a busy machine,
    ``{kind}_{mode}_app_us``: CPU per call of the app alone, called in-process;
    ``{kind}_middleware_us`` is their difference and ``{kind}_estimated_ratio`` the
    ratio that cost would give added to the unprotected server's CPU per request.
    """
    key = generate_signing_key()
    token = session_token(key)
    request = bearer_request(token)
    env = {**os.environ, "BENCH_JWT_KEY": key.public_pem(), "BENCH_TOKEN": token}
    results: dict[str, float] = {}
    for kind in ("flask", "django"):
        for mode in ("plain", "protected"):
            results[f"{kind}_{mode}_app_us"] = _app_cpu_us(kind, mode, env)

        def command(mode: str, port: int, kind: str = kind) -> list[str]:
            return [sys.executable, "-m", "benchmarks.wsgi_apps", kind, mode, str(port)]

        results.update(measure_pair(kind, command, request, env, seconds))
        results[f"{kind}_cpu_ratio"] = (
            results[f"{kind}_plain_cpu_us"] / results[f"{kind}_protected_cpu_us"]
        )
        cost = results[f"{kind}_protected_app_us"] - results[f"{kind}_plain_app_us"]
        results[f"{kind}_middleware_us"] = cost
        results[f"{kind}_estimated_ratio"] = results[f"{kind}_plain_cpu_us"] / (
            results[f"{kind}_plain_cpu_us"] + cost
        )
    return results


_HEADER = (
    "| app | Threshold wired in with | unprotected req/s | protected req/s | ratio "
    "| unprotected CPU/req | protected CPU/req | CPU ratio |\n|---|---|---|---|---|---|---|---|"
)


def _verdict(good: bool) -> str:
    return "met" if good else "**not met**"


def markdown_wsgi(results: dict[str, float]) -> str:
    """The Markdown section for :func:`run_wsgi_middleware`'s results."""
    rows = []
    for kind, label, wiring in (
        ("flask", "Flask", "`threshold.flask.Threshold(app)`"),
        ("django", "Django", "`threshold.django.middleware.AuthMiddleware`"),
    ):
        r = figures_of(results, f"{kind}_")
        rows.append(
            f"| {label} | {wiring} | {r['plain_rps']:.0f} | {r['protected_rps']:.0f} | "
            f"{r['ratio']:.2f} ({_verdict(r['ratio'] >= TARGET)}) | "
            f"{r['plain_cpu_us']:.0f} us | {r['protected_cpu_us']:.0f} us | {r['cpu_ratio']:.2f} |"
        )
    table = "\n".join(rows)
    cost_rows = []
    for kind, label in (("flask", "Flask"), ("django", "Django")):
        r = figures_of(results, f"{kind}_")
        cost_rows.append(
            f"| {label} | {r['plain_app_us']:.1f} us | {r['protected_app_us']:.1f} us | "
            f"{r['middleware_us']:.1f} us | {r['estimated_ratio']:.2f} "
            f"({_verdict(r['estimated_ratio'] >= TARGET)}) |"
        )
    costs = "\n".join(cost_rows)
    return f"""## 2b. WSGI middleware (goal: protected >= {TARGET:.2f} of unprotected requests/s)

gunicorn (one `gthread` worker with gunicorn's default of one thread, separate process,
HTTP/1.1 keep-alive) serving a plain-text endpoint; 16 keep-alive connections from a
load generator in this process; every request carries a valid session token as
`Authorization: Bearer`. The unprotected app has no middleware at all; the protected
one is wired as docs/sdk.md says (the Flask extension wraps `app.wsgi_app` in
`threshold.wsgi.AuthMiddleware`). The two servers run side by side and take turns in ten
rounds; req/s are means, the ratio the median of the rounds' ratios. "CPU/req" is the
server's own CPU time per request over the run (from `/proc`), which other load on the
machine disturbs less than requests/s; its ratio is the throughput ratio the middleware
alone would cause on a core of its own.

{_HEADER}
{table}

The same apps called in-process with the environ gunicorn builds (no server, no
sockets; this process's CPU time, best of seven rounds; each app in its own process, so
on a busy machine the difference still moves by several microseconds between runs);
"estimated ratio" adds the middleware's cost to the unprotected server's CPU per request
above.

| app | app alone, per call | with Threshold | middleware's cost | estimated ratio |
|---|---|---|---|---|
{costs}
"""

"""A peer side by side: fastapi-users and Threshold on the same machine.

Two things are compared, each side in its own uvicorn process with one worker:

- **sign-in with a password.** fastapi-users: ``POST /auth/jwt/login`` (form), JWT
  strategy, users in SQLite. Threshold: ``POST /v1/client/sign_ins`` on ``threshold
  serve`` with SQLite, as ``benchmarks/http_servers.py`` measures it. A sign-in is
  dominated by the password hash, and the two use different argon2id parameters, so
  each side's raw hash-verify rate is measured in this process too, between the rounds
  (under the same load), and the sign-in rates are also shown as a share of it.
- **an authenticated route** with a valid bearer token: fastapi-users' ``current_user``
  dependency against a FastAPI route behind ``threshold.asgi.AuthMiddleware``
  (``benchmarks/apps.py``). Both answer a plain-text ``hello``.

The two servers of a pair run at once and take turns in short rounds, so a change in the
machine's load falls on both. Needs the ``bench`` extra for fastapi-users.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from benchmarks._timing import http_rps
from benchmarks.http_servers import (
    BENCH_EMAIL,
    BENCH_PASSWORD,
    SIGN_IN_FORM,
    _form,
    _free_port,
    serve,
    threshold_server,
)
from benchmarks.wsgi_bench import bearer_request, session_token
from threshold.core.keys import generate_signing_key
from threshold.core.passwords import PasswordHasher

__all__ = ["PASSWORD", "markdown_peer", "run_peer"]

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = BENCH_PASSWORD
_EMAIL = BENCH_EMAIL
_SIGN_IN_CONNECTIONS = 4
_ROUTE_CONNECTIONS = 16


def _verifiers() -> dict[str, Callable[[], object]]:
    """Each side's own password helper verifying a correct password once."""
    from fastapi_users.password import PasswordHelper

    ours = PasswordHasher()  # the server's defaults: THRESHOLD_ARGON2_* unset
    digest = ours.hash(PASSWORD)
    peer = PasswordHelper()
    peer_digest = peer.hash(PASSWORD)
    return {
        "threshold": lambda: ours.verify(digest, PASSWORD),
        "peer": lambda: peer.verify_and_update(PASSWORD, peer_digest),
    }


def _verify_rate(verify: Callable[[], object], seconds: float) -> float:
    """Verifies per second, one after another, for about ``seconds`` (at least two)."""
    done, start = 0, time.perf_counter()
    while done < 2 or time.perf_counter() - start < seconds:
        verify()
        done += 1
    return done / (time.perf_counter() - start)


def _hash_parameters() -> dict[str, float]:
    """Each side's argon2id parameters, read from the digests they produce."""
    from fastapi_users.password import PasswordHelper

    found: dict[str, float] = {}
    for side, digest in (
        ("threshold", PasswordHasher().hash(PASSWORD)),
        ("peer", PasswordHelper().hash(PASSWORD)),
    ):
        variant, _, costs = digest.split("$")[1:4]
        assert variant == "argon2id", digest
        for item in costs.split(","):
            name, _, value = item.partition("=")
            found[f"{side}_argon2_{name}"] = float(value)
    return found


def _params(results: dict[str, float], side: str) -> str:
    m, t, p = (int(results[f"{side}_argon2_{name}"]) for name in "mtp")
    return f"argon2id m={m} KiB, t={t}, p={p}"


@contextlib.contextmanager
def _peer_server(tmp: str) -> Iterator[tuple[int, bytes, bytes]]:
    """fastapi-users with one registered user: port, login request, route request."""
    port = _free_port()
    args = [sys.executable, "-m", "benchmarks.peer_app", str(port), str(Path(tmp) / "peer.db")]
    with serve(args, port, dict(os.environ)):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base) as http:
            http.post(
                "/auth/register", json={"email": _EMAIL, "password": PASSWORD}
            ).raise_for_status()
            login = {"username": _EMAIL, "password": PASSWORD}
            reply = http.post("/auth/jwt/login", data=login)
            reply.raise_for_status()
            token = reply.json()["access_token"]
            http.get(
                "/authenticated-route", headers={"Authorization": f"Bearer {token}"}
            ).raise_for_status()
        form = f"username={_EMAIL.replace('+', '%2B').replace('@', '%40')}&password=" + (
            PASSWORD.replace(" ", "+")
        )
        yield port, _form("/auth/jwt/login", form), bearer_request(token, "/authenticated-route")


@contextlib.contextmanager
def _threshold_server(tmp: str) -> Iterator[tuple[int, bytes]]:
    """``threshold serve`` on SQLite with one signed-up user: port, sign-in request."""
    with threshold_server(tmp) as server:
        yield server.port, _form("/v1/client/sign_ins", SIGN_IN_FORM)


def _take_turns(
    sides: dict[str, tuple[int, bytes]],
    seconds: float,
    connections: int,
    rounds: int,
    verifiers: dict[str, Callable[[], object]] | None = None,
) -> dict[str, float]:
    """Mean requests/s of each ``(port, request)``, the sides alternating in ``rounds``.

    With ``verifiers``, each round also times each side's raw password verify (as
    ``<side>_verify``), so the hash rate is taken under the same load as the sign-ins.
    """
    for port, request in sides.values():
        http_rps(port, request, seconds=0.5, connections=connections)  # warm-up
    rates: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, (port, request) in sides.items():
            rates.setdefault(name, []).append(
                http_rps(port, request, seconds=seconds / rounds, connections=connections)
            )
        for name, verify in (verifiers or {}).items():
            rates.setdefault(f"{name}_verify", []).append(
                _verify_rate(verify, seconds / rounds / 2)
            )
    return {name: statistics.fmean(values) for name, values in rates.items()}


def run_peer(seconds: float = 3.0) -> dict[str, float]:
    """Sign-in and authenticated-route rates of fastapi-users and Threshold, and ratios."""
    results = _hash_parameters()
    key = generate_signing_key()
    env = {**os.environ, "BENCH_JWT_KEY": key.public_pem()}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        peer_port, peer_login, peer_route = stack.enter_context(_peer_server(tmp))
        ours_port, ours_sign_in = stack.enter_context(_threshold_server(tmp))
        sign_in = _take_turns(
            {"peer": (peer_port, peer_login), "threshold": (ours_port, ours_sign_in)},
            seconds,
            _SIGN_IN_CONNECTIONS,
            rounds=3,
            verifiers=_verifiers(),
        )
        route_port = _free_port()
        args = [sys.executable, "-m", "benchmarks.apps", "fastapi", "protected", str(route_port)]
        stack.enter_context(serve(args, route_port, env))
        route = _take_turns(
            {
                "peer": (peer_port, peer_route),
                "threshold": (route_port, bearer_request(session_token(key))),
            },
            seconds,
            _ROUTE_CONNECTIONS,
            rounds=6,
        )
    for side in ("peer", "threshold"):
        results[f"{side}_verify_per_s"] = sign_in[f"{side}_verify"]
        results[f"{side}_sign_in_rps"] = sign_in[side]
        results[f"{side}_sign_in_share"] = sign_in[side] / sign_in[f"{side}_verify"]
        results[f"{side}_route_rps"] = route[side]
    results["sign_in_ratio"] = results["threshold_sign_in_rps"] / results["peer_sign_in_rps"]
    results["sign_in_share_ratio"] = (
        results["threshold_sign_in_share"] / results["peer_sign_in_share"]
    )
    results["route_ratio"] = results["threshold_route_rps"] / results["peer_route_rps"]
    return results


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown_peer(results: dict[str, float]) -> str:
    """The Markdown section for :func:`run_peer`'s results."""
    r = results
    sign_in = "\n".join(
        [
            _row(
                "",
                "fastapi-users `POST /auth/jwt/login`",
                "Threshold `POST /v1/client/sign_ins`",
                "Threshold / fastapi-users",
            ),
            "|---|---|---|---|",
            _row(
                "password hash",
                f"{_params(r, 'peer')} (pwdlib `Argon2Hasher()`: argon2-cffi's defaults)",
                f"{_params(r, 'threshold')} (`THRESHOLD_ARGON2_*` defaults: OWASP's minimum)",
                "",
            ),
            _row(
                "raw hash verify, one caller, in this process between the rounds",
                f"{r['peer_verify_per_s']:.1f}/s",
                f"{r['threshold_verify_per_s']:.1f}/s",
                f"{r['threshold_verify_per_s'] / r['peer_verify_per_s']:.2f}",
            ),
            _row(
                f"sign-ins/s, {_SIGN_IN_CONNECTIONS} connections",
                f"{r['peer_sign_in_rps']:.1f}/s",
                f"{r['threshold_sign_in_rps']:.1f}/s",
                f"{r['sign_in_ratio']:.2f}",
            ),
            _row(
                "sign-ins/s over the side's raw verify rate",
                f"{r['peer_sign_in_share']:.2f}",
                f"{r['threshold_sign_in_share']:.2f}",
                f"{r['sign_in_share_ratio']:.2f}",
            ),
        ]
    )
    route = "\n".join(
        [
            "| | requests/s |",
            "|---|---|",
            _row(
                "fastapi-users `Depends(current_user(active=True))`", f"{r['peer_route_rps']:.0f}"
            ),
            _row(
                "FastAPI behind `threshold.asgi.AuthMiddleware`", f"{r['threshold_route_rps']:.0f}"
            ),
            _row("Threshold / fastapi-users", f"{r['route_ratio']:.2f}"),
        ]
    )
    return f"""## 5. A peer side by side: fastapi-users (both measured on the same machine)

fastapi-users {_version("fastapi-users")} (JWT strategy, bearer transport, SQLAlchemy +
aiosqlite, set up as its documentation does; `benchmarks/peer_app.py`) and Threshold,
each under uvicorn with one worker in its own process; the two servers of each pair run
at once and take turns in short rounds. Ratios are Threshold over fastapi-users (above
1: Threshold is faster). This part sets no bar: it shows where Threshold stands beside a
widely used alternative, both measured under the same load.

### Sign-in with a password

{sign_in}

The hash dominates a sign-in, and the two sides' parameters differ, so the last row
divides each side's sign-in rate by its own raw verify rate: the share of the hash
budget left after everything else a sign-in does. And what a sign-in does differs:
fastapi-users' JWT login reads the user, verifies the password on the event loop and
signs an HS256 JWT, writing nothing; Threshold's creates a sign-in attempt, a Client and
a session (several SQLite writes, rate-limit counters) around an argon2 verify run in a
worker thread, and answers with Clerk's full Client object.

### An authenticated route (valid bearer token, {_ROUTE_CONNECTIONS} keep-alive connections)

{route}

Both routes answer a plain-text `hello`. fastapi-users decodes its HS256 JWT and loads
the user from SQLite on every request (with 16 requests at once, SQLAlchemy's default
pool of 5 + 10 overflow connections also keeps opening and closing aiosqlite
connections, each with its own thread); Threshold verifies the RS256 session token with
no storage and no network, and a token it has verified before (the same token comes back
for its 60-second life) is a cache hit.
"""


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "(not installed)"

"""docs/benchmarks.md, rendered from the saved figures of every part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ok", "render"]

HEADER = """# Benchmarks

Measured by `make benchmarks` (`python -m benchmarks [part ...]`). Every figure is a ratio
against a reference measured in the same run, because these machines are noisy; absolute
medians stand beside it. Loopback only, each run bounded in time. Each part names the day
and machine it was measured on (`benchmarks/results.json` keeps the raw figures); parts are
measured one at a time on an otherwise idle machine.
"""


def ok(good: bool) -> str:
    """The verdict cell of a target row."""
    return "met" if good else "**not met**"


def _measured(part: dict[str, Any]) -> str:
    return f"_Measured {part['measured']} on {part['machine']}._\n"


def _verify(v: dict[str, Any]) -> str:
    return f"""## 1. Token verification (target: fresh <= 1.5x one raw RS256 verify; repeat < 2 us)

| what | median per call | vs raw RS256 verify |
|---|---|---|
| raw `cryptography` RS256 verify (reference) | {v["raw_rsa_us"]:.1f} us | 1.00x |
| Threshold `Verifier`, fresh token (all checks) | {v["threshold_fresh_us"]:.1f} us | {v["fresh_ratio"]:.2f}x ({ok(v["fresh_ratio"] <= 1.5)}) |
| Threshold, repeat of a verified token | {v["threshold_repeat_us"]:.2f} us | ({ok(v["threshold_repeat_us"] < 2)}) |
| `verify_token(...)` public function, repeat | {v["verify_token_repeat_us"]:.2f} us | |
| PyJWT `jwt.decode` | {v["pyjwt_us"]:.1f} us | {v["pyjwt_us"] / v["raw_rsa_us"]:.2f}x |
| `clerk-backend-api` `authenticate_request(jwt_key=...)` | {v["clerk_sdk_us"]:.1f} us | {v["clerk_sdk_us"] / v["raw_rsa_us"]:.2f}x |
"""


def _middleware(m: dict[str, Any]) -> str:
    return f"""## 2a. ASGI middleware (target: protected >= 0.90 of unprotected requests/s)

uvicorn (one worker, separate process) serving a plain-text endpoint; 16 keep-alive
connections from a load generator in this process; every request carries a valid
session token.

| app | unprotected req/s | with `threshold.asgi.AuthMiddleware` | ratio |
|---|---|---|---|
| Starlette | {m["starlette_plain_rps"]:.0f} | {m["starlette_protected_rps"]:.0f} | {m["starlette_ratio"]:.2f} ({ok(m["starlette_ratio"] >= 0.9)}) |
| FastAPI | {m["fastapi_plain_rps"]:.0f} | {m["fastapi_protected_rps"]:.0f} | {m["fastapi_ratio"]:.2f} ({ok(m["fastapi_ratio"] >= 0.9)}) |
"""


def _server(s: dict[str, Any]) -> str:
    return f"""## 3. Server (targets: minting >= 0.6 of raw RS256 signing; sign-in >= 0.85 of raw argon2id)

`threshold serve` (one worker, SQLite file).

| what | rate | reference | ratio |
|---|---|---|---|
| `POST /v1/client/sessions/{{id}}/tokens` | {s["mint_rps"]:.0f}/s | raw RS256 sign {s["raw_sign_per_s"]:.0f}/s | {s["mint_ratio"]:.2f} ({ok(s["mint_ratio"] >= 0.6)}) |
| sign-in with password (new Client and session each) | {s["sign_in_rps"]:.1f}/s | raw argon2id verify (m=19456, t=2) {s["raw_argon2_per_s"]:.1f}/s | {s["sign_in_ratio"]:.2f} ({ok(s["sign_in_ratio"] >= 0.85)}) |
"""


def _wsgi(w: dict[str, Any]) -> str:
    from benchmarks import wsgi_bench

    return wsgi_bench.markdown_wsgi(w)


def _bapi(b: dict[str, Any]) -> str:
    from benchmarks import bapi_scale

    return bapi_scale.markdown(b)


def _peer(p: dict[str, Any]) -> str:
    from benchmarks import peer

    return peer.markdown_peer(p)


SECTIONS: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
    ("verify", "## 1. Token verification", _verify),
    ("middleware", "## 2a. ASGI middleware", _middleware),
    ("wsgi", "## 2b. WSGI middleware (Flask, Django)", _wsgi),
    ("server", "## 3. Server: token minting and sign-in", _server),
    ("bapi", "## 4. Backend API at 10k, 100k and 1M users", _bapi),
    ("peer", "## 5. Side by side with fastapi-users", _peer),
]


def render(saved: dict[str, Any]) -> str:
    """The whole page: every part that has figures, and a line for those that have none."""
    out = [HEADER]
    for name, title, section in SECTIONS:
        part = saved.get(name)
        if part is None:
            out.append(f"{title}\n\nNot measured yet (`python -m benchmarks {name}`).\n")
            continue
        out.append(section(part["figures"]).rstrip("\n") + "\n\n" + _measured(part))
    out.append(NOTES)
    return "\n".join(out)


NOTES = """## Where we stand

Written by hand after each measurement; see the sections above for the figures.
"""

"""Run every benchmark and write docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import http_servers, verify

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def _machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {sys.platform}"


def main() -> None:
    print("verify ...", flush=True)
    v = verify.run()
    print(v, flush=True)
    print("middleware ...", flush=True)
    m = http_servers.run_middleware()
    print(m, flush=True)
    print("server ...", flush=True)
    s = http_servers.run_server()
    print(s, flush=True)
    ok = lambda good: "met" if good else "**not met**"  # noqa: E731
    text = f"""# Benchmarks

Measured by `make benchmarks` (`python -m benchmarks`) on {datetime.now(UTC):%Y-%m-%d}:
{_machine()}. Every figure is a ratio against a reference measured in the same run;
absolute medians beside it. Loopback only, each run bounded to a few seconds.

## 1. Token verification (target: fresh <= 1.5x one raw RS256 verify; repeat < 2 us)

| what | median per call | vs raw RS256 verify |
|---|---|---|
| raw `cryptography` RS256 verify (reference) | {v["raw_rsa_us"]:.1f} us | 1.00x |
| Threshold `Verifier`, fresh token (all checks) | {v["threshold_fresh_us"]:.1f} us | {v["fresh_ratio"]:.2f}x ({ok(v["fresh_ratio"] <= 1.5)}) |
| Threshold, repeat of a verified token | {v["threshold_repeat_us"]:.2f} us | ({ok(v["threshold_repeat_us"] < 2)}) |
| `verify_token(...)` public function, repeat | {v["verify_token_repeat_us"]:.2f} us | |
| PyJWT `jwt.decode` | {v["pyjwt_us"]:.1f} us | {v["pyjwt_us"] / v["raw_rsa_us"]:.2f}x |
| `clerk-backend-api` `authenticate_request(jwt_key=...)` | {v["clerk_sdk_us"]:.1f} us | {v["clerk_sdk_us"] / v["raw_rsa_us"]:.2f}x |

## 2. Middleware (target: protected >= 0.90 of unprotected requests/s)

uvicorn (one worker, separate process) serving a plain-text endpoint; 16 keep-alive
connections from a load generator in this process; every request carries a valid
session token.

| app | unprotected req/s | with `threshold.asgi.AuthMiddleware` | ratio |
|---|---|---|---|
| Starlette | {m["starlette_plain_rps"]:.0f} | {m["starlette_protected_rps"]:.0f} | {m["starlette_ratio"]:.2f} ({ok(m["starlette_ratio"] >= 0.9)}) |
| FastAPI | {m["fastapi_plain_rps"]:.0f} | {m["fastapi_protected_rps"]:.0f} | {m["fastapi_ratio"]:.2f} ({ok(m["fastapi_ratio"] >= 0.9)}) |

Flask and Django under a WSGI server are not measured yet.

## 3. Server (targets: minting >= 0.6 of raw RS256 signing; sign-in >= 0.85 of raw argon2id)

`threshold serve` (one worker, SQLite file).

| what | rate | reference | ratio |
|---|---|---|---|
| `POST /v1/client/sessions/{{id}}/tokens` | {s["mint_rps"]:.0f}/s | raw RS256 sign {s["raw_sign_per_s"]:.0f}/s | {s["mint_ratio"]:.2f} ({ok(s["mint_ratio"] >= 0.6)}) |
| sign-in with password (new Client and session each) | {s["sign_in_rps"]:.1f}/s | raw argon2id verify (m=19456, t=2) {s["raw_argon2_per_s"]:.1f}/s | {s["sign_in_ratio"]:.2f} ({ok(s["sign_in_ratio"] >= 0.85)}) |

## Not measured yet

- Backend API get/list at 10k, 100k and 1M users on SQLite and PostgreSQL (target 4).
- fastapi-users side by side (target 5).
- Flask and Django behind a WSGI server (target 2, WSGI half).
"""
    DOC.write_text(text)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()

"""Two ``threshold serve`` processes on one PostgreSQL database (and one Redis).

A load balancer may send each request of a browser or an attacker to any process, so:

- the sign-in rate limits (per identifier, per client IP) count across processes, with
  the counters in Redis when ``THRESHOLD_REDIS_URL`` is set and in the ``rate_limits``
  table otherwise;
- a storm of token refreshes and touches spread over both processes fails no request,
  mints only valid tokens and leaves exactly one consistent session row.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.support import free_port, postgres_database, require_postgres, sql
from threshold.core.errors import RateLimitedError
from threshold.core.jwt import check_time_claims, verify_rs256
from threshold.core.tokens import check_session_shape
from threshold.sdk.jwks import parse_jwks
from threshold.store.migrate import upgrade

pytestmark = pytest.mark.postgres

THRESHOLD = str(Path(sys.executable).with_name("threshold"))
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery staple"
IDENTIFIER_LIMIT = 5
IP_LIMIT = 10
Json = dict[str, Any]


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated database on the local PostgreSQL server (dropped afterwards)."""
    require_postgres(request.config)
    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["redis", "database"])
def counters(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Where the rate-limit counters live: Redis (its URL), or the database (None).

    Redis is a required service like PostgreSQL: when it cannot be reached the test
    fails, it is never skipped.
    """
    if request.param == "database":
        yield None
        return
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis on 127.0.0.1:6379 is required: {exc}")
    finally:
        client.close()
    yield REDIS_URL


# ----------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def two_servers(tmp_path: Path, database_url: str, **settings: object) -> Iterator[list[str]]:
    """Two ``threshold serve`` processes on ``database_url``; yields their base URLs.

    Both share one public URL (as behind one load balancer), one secret key and one set
    of settings. They start one after the other; both are stopped on the way out.
    """
    ports = [free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRESHOLD_")}
    env.update(
        THRESHOLD_ENVIRONMENT="development",
        THRESHOLD_DATABASE_URL=database_url,
        THRESHOLD_PUBLIC_URL=f"http://127.0.0.1:{ports[0]}",
        THRESHOLD_SECRET_KEY="sk_test_" + uuid.uuid4().hex,
        THRESHOLD_DATA_DIR=str(tmp_path),
        THRESHOLD_ARGON2_MEMORY_KIB="8192",
        THRESHOLD_ARGON2_TIME_COST="1",
    )
    env.update({f"THRESHOLD_{k.upper()}": str(v) for k, v in settings.items() if v is not None})
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, port in enumerate(ports):
            log = tmp_path / f"server-{i}.log"
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [THRESHOLD, "serve", "--port", str(port)],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            _wait_until_ready(procs[-1], port, log)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait_until_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            ready = httpx.get(f"http://127.0.0.1:{port}/.well-known/jwks.json")
            if ready.status_code == 200:
                assert "server" not in ready.headers  # `threshold serve` names no software
                return
        time.sleep(0.1)
    raise AssertionError(f"threshold serve did not start:\n{log.read_text()[-3000:]}")


def private_network() -> str:
    """A random /80 of the IPv6 documentation range, as the prefix of its addresses.

    The servers trust ``X-Forwarded-For`` from 127.0.0.1, so each test's clients get
    addresses no other run uses: per-IP counters (and Redis keys) never collide.
    """
    groups = ":".join(f"{secrets.randbelow(0xF000) + 0x1000:x}" for _ in range(3))
    return f"2001:db8:{groups}::"


def wait_for_fresh_window(needed: float) -> None:
    """Limits use fixed one-minute windows: start a sequence where it fits in one."""
    into = time.time() % 60
    if into > 60 - needed:
        time.sleep(60 - into + 0.5)


async def sign_up(base: str, email: str, ip: str) -> tuple[Json, str]:
    """A verified test-mode sign-up (code 424242); returns (final body, ``__client``)."""
    headers = {"X-Forwarded-For": ip}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        created = await http.post(
            "/v1/client/sign_ups", data={"email_address": email, "password": PASSWORD}
        )
        assert created.status_code == 200, created.text
        sua = created.json()["response"]["id"]
        prepared = await http.post(
            f"/v1/client/sign_ups/{sua}/prepare_verification", data={"strategy": "email_code"}
        )
        assert prepared.status_code == 200, prepared.text
        done = await http.post(
            f"/v1/client/sign_ups/{sua}/attempt_verification",
            data={"strategy": "email_code", "code": "424242"},
        )
        assert done.status_code == 200, done.text
        body: Json = done.json()
        assert body["response"]["status"] == "complete", body
        cookie = http.cookies.get("__client")
        assert cookie
        return body, cookie


def assert_rate_limited(response: httpx.Response) -> None:
    """429 with Clerk's error body and a Retry-After within the one-minute window."""
    assert response.status_code == 429, response.text
    body = response.json()
    expected = RateLimitedError()
    assert body == {
        "errors": [
            {
                "message": expected.message,
                "long_message": expected.long_message,
                "code": "too_many_requests",
            }
        ],
        "clerk_trace_id": body["clerk_trace_id"],
    }
    assert len(body["clerk_trace_id"]) == 32
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["cache-control"] == "no-store"


def redis_cleanup(markers: list[str]) -> None:
    """Delete this test's counters only: every key it made contains one of ``markers``."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        for marker in markers:
            keys = list(client.scan_iter(match=f"threshold:rl:*{marker}*"))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


def redis_count(key: str) -> int:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        values = [int(client.get(k) or 0) for k in client.scan_iter(match=f"threshold:rl:{key}:*")]
    finally:
        client.close()
    return sum(values)


# ------------------------------------------------------------------- shared rate limits


async def _sign_in(http: httpx.AsyncClient, identifier: str, password: str) -> httpx.Response:
    return await http.post(
        "/v1/client/sign_ins", data={"identifier": identifier, "password": password}
    )


async def _guesses_for_one_identifier(urls: list[str], email: str, ip: str) -> None:
    """Wrong passwords for one address, alternating processes: the 6th is refused."""
    wait_for_fresh_window(10)
    headers = {"X-Forwarded-For": ip}
    outcomes = []
    for i in range(IDENTIFIER_LIMIT + 2):
        async with httpx.AsyncClient(base_url=urls[i % 2], headers=headers, timeout=30) as http:
            outcomes.append(await _sign_in(http, email, f"wrong guess number {i}"))
    for response in outcomes[:IDENTIFIER_LIMIT]:
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == "form_password_incorrect"
    # Attempt 6 lands on the second process and attempt 7 on the first: both refused.
    for response in outcomes[IDENTIFIER_LIMIT:]:
        assert_rate_limited(response)
    # Even the right password waits for the window: the limit comes before the check.
    async with httpx.AsyncClient(base_url=urls[0], headers=headers, timeout=30) as http:
        assert_rate_limited(await _sign_in(http, email, PASSWORD))


async def _spray_from_one_ip(urls: list[str], marker: str, ip: str) -> None:
    """One password over many addresses from one IP, alternating processes."""
    wait_for_fresh_window(10)
    headers = {"X-Forwarded-For": ip}
    outcomes = []
    for i in range(IP_LIMIT + 2):
        async with httpx.AsyncClient(base_url=urls[i % 2], headers=headers, timeout=30) as http:
            outcomes.append(await _sign_in(http, f"spray{i}-{marker}@example.com", "guess guess"))
    for response in outcomes[:IP_LIMIT]:
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == "form_password_incorrect"
    for response in outcomes[IP_LIMIT:]:
        assert_rate_limited(response)


def test_sign_in_limits_hold_across_two_processes(
    tmp_path: Path, pg_url: str, counters: str | None
) -> None:
    marker = uuid.uuid4().hex[:16]
    email = f"limit-{marker}+clerk_test@example.com"
    net = private_network()
    markers = [marker, net]  # every Redis key this test makes contains one of them
    try:
        with two_servers(
            tmp_path,
            pg_url,
            redis_url=counters,
            identifier_attempts_per_minute=IDENTIFIER_LIMIT,
            ip_attempts_per_minute=IP_LIMIT,
            trusted_proxies="127.0.0.1",
        ) as urls:
            body, _ = asyncio.run(sign_up(urls[0], email, net + "1"))
            markers.append(body["response"]["id"])  # code:sua:<id>
            asyncio.run(_guesses_for_one_identifier(urls, email, net + "2"))
            asyncio.run(_spray_from_one_ip(urls, marker, net + "3"))
            # Only the attempts within the limit reached the password check.
            user_id = body["response"]["created_user_id"]
            failed = sql(pg_url, "SELECT failed_attempts FROM users WHERE id = :u", u=user_id)
            assert failed == [(IDENTIFIER_LIMIT,)]
        # The counters lived where the settings said, and every hit was counted once.
        hits = IDENTIFIER_LIMIT + 3
        rows = sql(pg_url, "SELECT count FROM rate_limits WHERE key = :k", k=f"signin:id:{email}")
        if counters is None:
            assert rows == [(hits,)]
        else:
            assert rows == []
            assert redis_count(f"signin:id:{email}") == hits
            assert redis_count(f"signin:ip:{net}3") == IP_LIMIT + 2
    finally:
        if counters is not None:
            redis_cleanup(markers)


# ------------------------------------------------------------------ token refresh storm

REFRESHES = 1000
TOUCH_EVERY = 10  # one touch after every tenth refresh: 100 touches
IN_FLIGHT = 100


Outcome = tuple[str, int, httpx.Response, float]
"""(action, which process, response, when it arrived)"""


async def _storm(urls: list[str], sid: str, cookie: str) -> list[Outcome]:
    """1,000 refreshes and 100 touches, alternating processes, 100 in flight."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    headers = {"Cookie": f"__client={cookie}"}
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    clients = [
        httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) for url in urls
    ]

    async def one(kind: str, server: int) -> Outcome:
        async with gate:
            response = await clients[server].post(f"/v1/client/sessions/{sid}/{kind}")
        return kind, server, response, time.time()

    jobs = []
    for i in range(REFRESHES):
        jobs.append(one("tokens", i % 2))
        if i % TOUCH_EVERY == TOUCH_EVERY - 1:
            jobs.append(one("touch", (i // TOUCH_EVERY) % 2))
    try:
        return await asyncio.gather(*jobs)
    finally:
        for http in clients:
            await http.aclose()


def _check_token(jwt: str, keys: Any, at: float, *, iss: str, sub: str, sid: str) -> str:
    """Verify a session token as an app would at ``at``; return its ``jti``."""
    header, claims = verify_rs256(jwt, keys)
    check_session_shape(header, claims)
    check_time_claims(claims, at)
    assert (claims["iss"], claims["sub"], claims["sid"], claims["sts"]) == (
        iss,
        sub,
        sid,
        "active",
    )
    assert claims["exp"] - claims["iat"] == 60
    return str(claims["jti"])


def test_1000_concurrent_refreshes_over_two_processes(tmp_path: Path, pg_url: str) -> None:
    email = f"storm-{uuid.uuid4().hex[:12]}+clerk_test@example.com"
    with two_servers(tmp_path, pg_url, trusted_proxies="127.0.0.1") as urls:
        body, cookie = asyncio.run(sign_up(urls[0], email, private_network() + "1"))
        sid = body["client"]["last_active_session_id"]
        user_id = body["response"]["created_user_id"]
        # Activity ten minutes old: the storm's refreshes must record new activity.
        sql(pg_url, "UPDATE sessions SET last_active_at = last_active_at - 600000")
        (before,) = sql(pg_url, "SELECT last_active_at FROM sessions")[0]
        jwks = [httpx.get(f"{url}/.well-known/jwks.json").json() for url in urls]
        assert jwks[0] == jwks[1]
        keys = parse_jwks(jwks[0])

        started_ms = int(time.time() * 1000)
        outcomes = asyncio.run(_storm(urls, sid, cookie))
        ended_ms = int(time.time() * 1000)

        refreshes = [(s, r, at) for kind, s, r, at in outcomes if kind == "tokens"]
        touches = [r for kind, _, r, _ in outcomes if kind == "touch"]
        assert len(refreshes) == REFRESHES and len(touches) == REFRESHES // TOUCH_EVERY
        assert [s for s, _, _ in refreshes].count(1) == REFRESHES // 2
        failed = [r for _, r, _ in refreshes if r.status_code != 200]
        failed += [r for r in touches if r.status_code != 200]
        assert not failed, [(r.status_code, r.text[:200]) for r in failed[:5]]
        jtis = set()
        for _, response, at in refreshes:
            token = response.json()
            assert token["object"] == "token"
            jtis.add(_check_token(token["jwt"], keys, at, iss=urls[0], sub=user_id, sid=sid))
        assert len(jtis) == REFRESHES  # every refresh minted its own token
        for response in touches:
            session = response.json()["response"]
            assert (session["id"], session["status"]) == (sid, "active")

        # One session, still active, its activity moved forward to within the storm.
        rows = sql(pg_url, "SELECT id, status, last_active_at, updated_at FROM sessions")
        assert len(rows) == 1
        row_id, status, last_active_at, updated_at = rows[0]
        assert (row_id, status) == (sid, "active")
        assert before < started_ms <= last_active_at <= ended_ms
        assert started_ms <= updated_at <= ended_ms
        clients = sql(pg_url, "SELECT last_active_session_id, ended FROM clients")
        assert clients == [(sid, False)]
        assert sql(pg_url, "SELECT count(*) FROM users") == [(1,)]
        # The browser's cookie still works on both processes afterwards.
        for url in urls:
            after = httpx.post(
                f"{url}/v1/client/sessions/{sid}/tokens", headers={"Cookie": f"__client={cookie}"}
            )
            assert after.status_code == 200, after.text
            _check_token(after.json()["jwt"], keys, time.time(), iss=urls[0], sub=user_id, sid=sid)

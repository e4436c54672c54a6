"""The Backend API at scale: get, list and search at 10k, 100k and 1M users (SQLite, PostgreSQL).

One database per engine grows 10k -> 100k -> 1M users, loaded straight into the tables
(one email each, a fixed seed) and copied at each size. Then one real server per size
(``threshold serve``, one worker) answers sequential requests over loopback, the sizes
asked in turn call by call, so that the other work of a shared machine weighs on every
size alike; the median latency of each call is taken. The plan of the search statement
(built by the project's own code) is read with EXPLAIN.

PostgreSQL gets ``VACUUM ANALYZE`` after each load (what autovacuum does soon after a bulk
load); SQLite is left as an application leaves it, without ANALYZE.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks._pg import PG_ADMIN, admin
from benchmarks.http_servers import ROOT, _free_port, serve
from threshold.core.records.listing import Page, UserFilters
from threshold.services.users.directory import USER_ORDER_FIELDS
from threshold.store.db import Database
from threshold.store.repositories.listing import page_statement
from threshold.store.repositories.user_search import FTS_MOST, user_where
from threshold.store.tables import users

__all__ = ["SIZES", "markdown", "run"]

SIZES = (10_000, 100_000, 1_000_000)
SEED = 4
FIRST = ("ann", "bob", "chloe", "dmitri", "eve", "farah", "gus", "hana", "ivo", "jun", "kai")
LAST = ("lee", "moss", "nakamura", "okafor", "petrov", "quinn", "rossi", "silva", "tran")
DOMAINS = ("example.com", "mail.test", "corp.example", "uni.example.org")
COMMON = "mail.test"  # in a quarter of the addresses
USER_COLUMNS = (
    "id", "first_name", "last_name", "primary_email_address_id", "public_metadata",
    "private_metadata", "unsafe_metadata", "banned", "failed_attempts", "search_text",
    "created_at", "updated_at",
)  # fmt: skip
TEXT = USER_COLUMNS.index("search_text")
EMAIL_COLUMNS = (
    "id", "user_id", "email_address", "verified", "verification_strategy", "created_at",
    "updated_at",
)  # fmt: skip


@dataclass
class People:
    """Deterministic users: the i-th user is the same in every run."""

    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    def _ident(self, prefix: str) -> str:
        return f"{prefix}_{base64.b64encode(self.rng.randbytes(21), b'xy').decode()[:27]}"

    def grow(self, total: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Rows of users and emails taking the count to ``total``."""
        user_rows, email_rows = [], []
        for i in range(len(self.ids), total):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            email = f"{first}.{last}{i}@{self.rng.choice(DOMAINS)}"
            user_id, email_id = self._ident("user"), self._ident("idn")
            at = 1_700_000_000_000 + i * 1000
            text = f"{first} {last} {user_id.lower()} {email}"
            profile = (user_id, first.title(), last.title(), email_id)
            user_rows.append((*profile, "{}", "{}", "{}", False, 0, text, at, at))
            email_rows.append((email_id, user_id, email, True, "admin", at, at))
            self.ids.append(user_id)
            self.emails.append(email)
        return user_rows, email_rows


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _load_sqlite(path: Path, user_rows: list[Any], email_rows: list[Any]) -> None:
    """One transaction. The search triggers are set aside and the search index filled in
    one pass (as migration 0002 fills it): the same rows, sooner than the triggers would
    fill it row by row."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout=10000")
        con.execute("PRAGMA cache_size=-1000000")
        con.execute("BEGIN IMMEDIATE")
        triggers = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'users'"
        ).fetchall()
        for name, _ in triggers:
            con.execute(f'DROP TRIGGER "{name}"')
        con.executemany(_insert("users", USER_COLUMNS), user_rows)
        first = con.execute("SELECT coalesce(max(id), 0) + 1 FROM users_search_keys").fetchone()
        keys = [(first[0] + n, row[0], row[TEXT]) for n, row in enumerate(user_rows)]
        con.executemany(_insert("users_search_keys", ("id", "user_id")), (k[:2] for k in keys))
        con.executemany(_insert("users_search", ("rowid", "search_text")), (k[::2] for k in keys))
        for _, sql in triggers:
            con.execute(sql)
        con.executemany(_insert("email_addresses", EMAIL_COLUMNS), email_rows)
        con.execute("COMMIT")
    finally:
        con.close()


async def _load_postgres(dsn: str, user_rows: list[Any], email_rows: list[Any]) -> None:
    """COPY with the secondary indexes set aside and built again afterwards, then
    ``VACUUM ANALYZE``."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[]) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            ["users", "email_addresses"],
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        await conn.copy_records_to_table("users", records=user_rows, columns=USER_COLUMNS)
        await conn.copy_records_to_table(
            "email_addresses", records=email_rows, columns=EMAIL_COLUMNS
        )
        for index in indexes:
            await conn.execute(index["indexdef"])
        await conn.execute("VACUUM ANALYZE users")
        await conn.execute("VACUUM ANALYZE email_addresses")
    finally:
        await conn.close()


async def _search_plan(url: str, query: str) -> list[str]:
    """EXPLAIN (QUERY PLAN) of the statement ``GET /v1/users?query=...&limit=10`` runs."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            where = await user_where(conn, UserFilters(query=query), by_created_at=True)
            stmt = page_statement(users, where, Page(), USER_ORDER_FIELDS)
            sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            if conn.dialect.name == "sqlite":
                rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
                return [str(r[3]) for r in rows]
            return [str(r[0]).strip() for r in await conn.exec_driver_sql("EXPLAIN " + sql)]
    finally:
        await db.dispose()


def plan_line(plan: list[str]) -> str:
    """The line of a plan that says how users are found (costs dropped)."""
    for key in ("VIRTUAL TABLE", "Index Scan", "SCAN users", "Seq Scan"):
        for line in plan:
            if key in line:
                return re.sub(r"\s*\(cost=[^)]*\)", "", line).lstrip("-> ").strip()
    return plan[0] if plan else ""


Call = tuple[str, dict[str, str], str]
KINDS = ("get", "list", "search", "email", "count", "common")
SECONDS = 15.0  # interleaved sampling per engine
MAX_ROUNDS, MIN_ROUNDS, WARMUP_ROUNDS = 200, 10, 2


def _needle(email: str) -> str:
    """A substring from the middle of an address: ``lee123@ma`` of ``ann.lee123@mail.test``."""
    at = email.index("@")
    return email[email.index(".") + 1 : at + 3]


def _call(kind: str, user_id: str, email: str) -> Call:
    """Path, parameters, and a text the answer must contain."""
    calls: dict[str, Call] = {
        "get": (f"/users/{user_id}", {}, user_id),
        "list": ("/users", {"limit": "10"}, "user_"),
        "search": ("/users", {"query": _needle(email), "limit": "10"}, user_id),
        "email": ("/users", {"email_address": email}, user_id),
        "count": ("/users/count", {"query": _needle(email)}, "total_count"),
        # a word a quarter of the users share: the worst case of a trigram index
        "common": ("/users", {"query": COMMON, "limit": "10"}, COMMON),
    }
    return calls[kind]


def _measure(bases: dict[int, str], secret: str, people: People) -> dict[int, dict[str, float]]:
    """Median latency per size and call. The sizes' servers are asked in turn, call by
    call, so a busy moment of the machine falls on every size alike."""
    rng = random.Random(SEED + 1)
    auth = {"Authorization": f"Bearer {secret}"}
    clients = {
        n: httpx.Client(base_url=f"{b}/v1", headers=auth, timeout=120) for n, b in bases.items()
    }
    samples: dict[tuple[int, str], list[float]] = {(n, k): [] for n in bases for k in KINDS}
    stop = time.perf_counter() + SECONDS
    try:
        for rounds in range(MAX_ROUNDS):
            if rounds >= MIN_ROUNDS and time.perf_counter() > stop:
                break
            for kind in KINDS:
                for size, http in clients.items():
                    j = rng.randrange(size)  # a user this database holds
                    path, params, expect = _call(kind, people.ids[j], people.emails[j])
                    start = time.perf_counter()
                    response = http.get(path, params=params)
                    elapsed = time.perf_counter() - start
                    if response.status_code != 200 or expect not in response.text:
                        text = response.text[:300]
                        raise RuntimeError(f"{path} {params}: {response.status_code} {text}")
                    if rounds >= WARMUP_ROUNDS:
                        samples[size, kind].append(elapsed)
    finally:
        for http in clients.values():
            http.close()
    return {
        n: {f"{k}_ms": statistics.median(samples[n, k]) * 1000 for k in KINDS} | {"rounds": rounds}
        for n in bases
    }


@dataclass
class Store:
    """One engine: a database that grows, and a copy of it kept at each smaller size."""

    name: str
    url: str  # THRESHOLD_DATABASE_URL of the growing database
    load: Callable[[list[Any], list[Any]], None]
    copy: Callable[[int], str]  # a copy named for the size; returns its URL


def _async_url(url: str) -> str:
    return url.replace("sqlite:///", "sqlite+aiosqlite:///").replace(
        "postgresql://", "postgresql+asyncpg://"
    )


def _sqlite_store(tmp: Path) -> Store:
    main = tmp / "scale.db"

    def copy(size: int) -> str:
        target = tmp / f"scale_{size}.db"
        with (
            contextlib.closing(sqlite3.connect(main)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
        return f"sqlite:///{target}"

    return Store("sqlite", f"sqlite:///{main}", lambda u, e: _load_sqlite(main, u, e), copy)


def _postgres_store(names: list[str]) -> Store:
    """Databases on the local server; ``names`` collects them to be dropped."""
    root = PG_ADMIN.rsplit("/", 1)[0]
    main = "th_bench_" + uuid.uuid4().hex[:10]
    asyncio.run(admin(f'CREATE DATABASE "{main}"'))
    names.append(main)

    def copy(size: int) -> str:
        names.append(f"{main}_{size}")
        asyncio.run(admin(f'CREATE DATABASE "{main}_{size}" TEMPLATE "{main}"'))
        return f"{root}/{main}_{size}"

    dsn = f"{root}/{main}"
    return Store("postgres", dsn, lambda u, e: asyncio.run(_load_postgres(dsn, u, e)), copy)


def _grow_and_measure(store: Store, sizes: tuple[int, ...], tmp: Path) -> dict[int, dict[str, Any]]:
    """Load ``store`` size by size (copying it at each), then serve every size at once."""
    people = People()
    threshold = str(Path(sys.executable).with_name("threshold"))
    env = _env(store.url, str(tmp))
    subprocess.run([threshold, "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    urls, loads = {}, {}
    for size in sizes:
        start = time.perf_counter()
        store.load(*people.grow(size))
        loads[size] = time.perf_counter() - start
        urls[size] = store.url if size == sizes[-1] else store.copy(size)
        print(f"  {store.name} {size:>9,} users loaded in {loads[size]:.1f} s", flush=True)
    with contextlib.ExitStack() as stack:
        bases = {}
        for size, url in urls.items():
            port = _free_port()
            served = {**env, "THRESHOLD_DATABASE_URL": url}
            served["THRESHOLD_PUBLIC_URL"] = bases[size] = f"http://127.0.0.1:{port}"
            args = [threshold, "serve", "--port", str(port)]
            stack.enter_context(serve(args, port, served, probe="/.well-known/jwks.json"))
        out: dict[int, dict[str, Any]] = dict(_measure(bases, env["THRESHOLD_SECRET_KEY"], people))
    for size, url in urls.items():
        plan = asyncio.run(_search_plan(_async_url(url), _needle(people.emails[size // 2])))
        common = asyncio.run(_search_plan(_async_url(url), COMMON))
        out[size].update(load_s=loads[size], plan=plan_line(plan), plan_full=plan)
        out[size].update(common_plan=plan_line(common), common_plan_full=common)
        print(f"  {store.name} {size:>9,}: {_brief(out[size])}", flush=True)
    return out


def _brief(f: dict[str, Any]) -> str:
    ms = ", ".join(f"{k[:-3]} {f[k]:.2f}" for k in f if k.endswith("_ms"))
    return f"{ms} ms ({f['rounds']} rounds); {f['plan']} | common: {f['common_plan']}"


def _env(url: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRESHOLD_")}
    env.update(
        THRESHOLD_DATABASE_URL=url,
        THRESHOLD_DATA_DIR=data_dir,
        THRESHOLD_SECRET_KEY="sk_test_" + uuid.uuid4().hex,
    )
    return env


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Median latencies per engine and size, the search plans, and the growth ratios."""
    began = time.perf_counter()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = _grow_and_measure(_sqlite_store(Path(tmp)), sizes, Path(tmp))
    names: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results["postgres"] = _grow_and_measure(_postgres_store(names), sizes, Path(tmp))
    finally:
        terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"
        for name in names:
            asyncio.run(admin(terminate, name))
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}"'))
    for engine in ("sqlite", "postgres"):
        by_size = results[engine]
        small, large = by_size[min(by_size)], by_size[max(by_size)]
        for key in ("get", "list", "search", "email"):
            results[f"{engine}_{key}_ratio"] = large[f"{key}_ms"] / small[f"{key}_ms"]
    results["seconds"] = time.perf_counter() - began
    return results


def markdown(results: dict[str, Any]) -> str:
    """The section of docs/benchmarks.md for these results."""
    main, extra = [], []
    for engine, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        # sizes are ints when fresh and strings after a round trip through results.json
        by_size = {int(size): f for size, f in results[engine].items()}
        base = by_size[min(by_size)]
        for size, f in sorted(by_size.items()):
            main.append(
                f"| {name} | {size:,} | {f['get_ms']:.2f} | {f['list_ms']:.2f} | "
                f"{f['search_ms']:.2f} | {f['email_ms']:.2f} | "
                f"{f['get_ms'] / base['get_ms']:.2f}x | "
                f"{f['search_ms'] / base['search_ms']:.2f}x | `{f['plan']}` |"
            )
            extra.append(
                f"| {name} | {size:,} | {f['count_ms']:.2f} | {f['common_ms']:.2f} | "
                f"`{f['common_plan']}` | {f['load_s']:.1f} s |"
            )
    smallest = f"{min(int(size) for size in results['sqlite']):,}"
    columns = ("database", "users", "get p50", "list p50", "search p50", "email filter p50")
    header = f"| {' | '.join(columns)} | get / {smallest} | search / {smallest} | search plan |"
    return f"""## 4. Backend API at 10k, 100k and 1M users

Median (p50) latency in ms of sequential requests over loopback to `threshold serve` (one
worker). Users are bulk-loaded into one database per engine, growing 10k -> 100k -> 1M
(one email each, fixed seed), and the database is copied at each size; one server per
size then answers, the sizes asked in turn call by call so that the machine's other work
weighs on each alike. PostgreSQL is `VACUUM ANALYZE`d after each load. *get* is
`GET /v1/users/{{id}}` (random ids); *list* is `GET /v1/users?limit=10` (newest first);
*search* is `?query=<the middle of one user's address>&limit=10`; *email filter* is
`?email_address=<exact>`. The ratio columns divide by the figure at {smallest} users: get
must stay flat, and search must not grow like a scan. The plan column is the line of the
search's EXPLAIN that says how users are found.

{header}
|---|---|---|---|---|---|---|---|---|
{chr(10).join(main)}

Also measured: `GET /v1/users/count?query=<middle of an address>`; a search for a word in
a quarter of the addresses (`?query={COMMON}&limit=10`), where a trigram index would hand
over every match to be sorted, so PostgreSQL's planner (from its statistics) and Threshold
on SQLite (after finding more than {FTS_MOST} matches in the FTS5 index) walk the
created_at index instead; and the bulk load that took the database to that size.

| database | users | count p50 | common-word search p50 | its plan | load |
|---|---|---|---|---|---|
{chr(10).join(extra)}

Search words shorter than three characters cannot use a trigram index: on SQLite they are
matched with `LIKE` over the rows the longer words found, or over every row when the query
has only short words; PostgreSQL's planner makes the same choice. Whole run:
{results["seconds"]:.0f} s.
"""


if __name__ == "__main__":
    found = run()
    print()
    print(markdown(found))

"""One live server per test module (SQLite and PostgreSQL) and a secret-key client.

Starting a server (and a PostgreSQL database) costs about a second, so the Backend API
tests share one per module and keep their data apart with unique addresses.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import (
    LiveServer,
    clerk_error,
    postgres_database,
    require_postgres,
    run_live_server,
    smtp_server,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Threshold on SQLite and on PostgreSQL, with a real SMTP server behind it."""
    tmp = tmp_path_factory.mktemp("bapi")
    with smtp_server() as box:
        if request.param == "sqlite":
            with run_live_server(tmp, mailbox=box) as live:
                yield live
            return
        require_postgres(request.config)
        with (
            postgres_database() as url,
            run_live_server(tmp, database_url=url, mailbox=box) as live,
        ):
            yield live


class Api:
    """The Backend API with the instance's secret key; answers are checked to be JSON."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.http = httpx.Client(
            base_url=f"{server.url}/v1",
            headers={"Authorization": f"Bearer {server.secret_key}"},
            timeout=30,
        )

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        response = self.http.request(method, path, **kw)
        assert response.headers["content-type"] == "application/json", response.text
        return response

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        response = self.call(method, path, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    def error(self, method: str, path: str, status: int, **kw: Any) -> dict[str, Any]:
        """The single (first) Clerk error of a failed call with this status."""
        return clerk_error(self.call(method, path, **kw), status)

    def user(self, **fields: Any) -> dict[str, Any]:
        """A new user with a unique address (and the standard password unless given)."""
        fields.setdefault("email_address", [unique_email()])
        fields.setdefault("password", PASSWORD)
        user: dict[str, Any] = self.ok("POST", "/users", json=fields)
        return user


def unique_email(name: str = "user") -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def api(server: LiveServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.http.close()

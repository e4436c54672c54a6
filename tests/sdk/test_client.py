"""The Backend API client against a real HTTP server: paths, bodies, models, errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from tests.sdk.fake_api import FakeApi, user_json
from tests.sdk.unasync import ASYNC_PATH, SYNC_PATH, unasync
from tests.support import python_output
from threshold import ApiError, AsyncClient, Client, SdkConfig, TransportError
from threshold.core.errors import ConfigurationError
from threshold.sdk.client import BrowserClient, Invitation, Session, User

SESSION = {
    "object": "session",
    "id": "sess_1",
    "user_id": "user_1",
    "client_id": "client_1",
    "status": "active",
    "last_active_at": 1,
    "expire_at": 2,
    "abandon_at": 3,
    "created_at": 4,
    "updated_at": 5,
}


def test_sync_client_is_the_async_one_unasynced() -> None:
    dump = "import ast, sys; print(ast.dump(ast.parse(sys.stdin.read())))"
    expected = python_output(dump, unasync(ASYNC_PATH.read_text()))
    assert "FunctionDef" in expected
    assert python_output(dump, SYNC_PATH.read_text()) == expected, (
        "regenerate: python tests/sdk/unasync.py && ruff format src/threshold/sdk/client"
    )


@pytest.fixture
def client(fake_api: FakeApi) -> Client:
    return Client(fake_api.secret_key, fake_api.url)


def test_users(client: Client, fake_api: FakeApi) -> None:
    user = client.users.get("user_1")
    assert isinstance(user, User)
    assert (user.id, user.full_name, user.primary_email_address) == (
        "user_1",
        "Ada Lovelace",
        "ada@example.com",
    )
    assert user.profile_image_url == "https://img.example/user_1.png"
    assert user.email_addresses[0].verified is True
    fake_api.replies[("GET", "/v1/users")] = (200, [user_json("user_1"), user_json("user_2")])
    users = client.users.list(email_address=["a@b.co", "c@d.e"], limit=5, order_by="-created_at")
    assert [u.id for u in users] == ["user_1", "user_2"]
    assert fake_api.queries[-1] == (
        "email_address=a%40b.co&email_address=c%40d.e&limit=5&order_by=-created_at"
    )
    fake_api.replies[("GET", "/v1/users/count")] = (
        200,
        {"object": "total_count", "total_count": 7},
    )
    assert client.users.count(query="ada") == 7


@pytest.mark.parametrize(
    ("call", "method", "path", "body"),
    [
        (
            lambda c: c.users.create(email_address=["a@b.co"], password="pw", first_name=None),
            "POST",
            "/v1/users",
            {"email_address": ["a@b.co"], "password": "pw"},
        ),
        (
            lambda c: c.users.update("user_1", first_name="B"),
            "PATCH",
            "/v1/users/user_1",
            {"first_name": "B"},
        ),
        (
            lambda c: c.users.update_metadata("user_1", public_metadata={"a": 1}),
            "PATCH",
            "/v1/users/user_1/metadata",
            {"public_metadata": {"a": 1}},
        ),
        (lambda c: c.users.delete("user_1"), "DELETE", "/v1/users/user_1", None),
        (lambda c: c.users.ban("user_1"), "POST", "/v1/users/user_1/ban", None),
        (lambda c: c.users.unban("user_1"), "POST", "/v1/users/user_1/unban", None),
        (lambda c: c.sessions.get("sess_1"), "GET", "/v1/sessions/sess_1", None),
        (lambda c: c.sessions.revoke("sess_1"), "POST", "/v1/sessions/sess_1/revoke", None),
        (lambda c: c.clients.get("client_1"), "GET", "/v1/clients/client_1", None),
        (lambda c: c.clients.verify("tok"), "POST", "/v1/clients/verify", {"token": "tok"}),
        (lambda c: c.jwks.get(), "GET", "/v1/jwks", None),
        (
            lambda c: c.invitations.create("x@y.z", notify=False),
            "POST",
            "/v1/invitations",
            {"email_address": "x@y.z", "notify": False},
        ),
        (lambda c: c.invitations.revoke("inv_1"), "POST", "/v1/invitations/inv_1/revoke", None),
    ],
)
def test_requests(
    client: Client, fake_api: FakeApi, call: object, method: str, path: str, body: object
) -> None:
    assert callable(call)
    call(client)
    assert fake_api.calls[-1] == (method, path)
    sent = fake_api.bodies[-1]
    assert (json.loads(sent) if sent else None) == (
        body if body is not None else ({} if method in ("POST", "PATCH") and sent else None)
    )


@pytest.mark.anyio
async def test_async_requests_match_the_sync_ones(fake_api: FakeApi) -> None:
    fake_api.replies[("GET", "/v1/users/count")] = (200, {"total_count": 2})
    async with AsyncClient(fake_api.secret_key, fake_api.url) as client:
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: client.users.create(email_address=["a@b.co"]),
            lambda: client.users.update("user_1", first_name="B"),
            lambda: client.users.update_metadata("user_1", private_metadata={"b": 2}),
            lambda: client.users.delete("user_1"),
            lambda: client.users.ban("user_1"),
            lambda: client.users.unban("user_1"),
            lambda: client.users.list(query="ada"),
            lambda: client.users.count(),
            lambda: client.sessions.create("user_1"),
            lambda: client.sessions.list(client_id="client_1"),
            lambda: client.sessions.get("sess_1"),
            lambda: client.sessions.revoke("sess_1"),
            lambda: client.clients.get("client_1"),
            lambda: client.clients.verify("tok"),
            lambda: client.invitations.create("x@y.z"),
            lambda: client.invitations.list(status="pending"),
            lambda: client.invitations.revoke("inv_1"),
        ]
        for call in calls:
            await call()
    assert fake_api.calls == [
        ("POST", "/v1/users"),
        ("PATCH", "/v1/users/user_1"),
        ("PATCH", "/v1/users/user_1/metadata"),
        ("DELETE", "/v1/users/user_1"),
        ("POST", "/v1/users/user_1/ban"),
        ("POST", "/v1/users/user_1/unban"),
        ("GET", "/v1/users"),
        ("GET", "/v1/users/count"),
        ("POST", "/v1/sessions"),
        ("GET", "/v1/sessions"),
        ("GET", "/v1/sessions/sess_1"),
        ("POST", "/v1/sessions/sess_1/revoke"),
        ("GET", "/v1/clients/client_1"),
        ("POST", "/v1/clients/verify"),
        ("POST", "/v1/invitations"),
        ("GET", "/v1/invitations"),
        ("POST", "/v1/invitations/inv_1/revoke"),
    ]


def test_models(client: Client, fake_api: FakeApi) -> None:
    fake_api.replies[("GET", "/v1/sessions")] = (200, [SESSION])
    sessions = client.sessions.list(user_id="user_1", status="active")
    assert sessions == [Session.from_dict(SESSION)]
    assert fake_api.queries[-1] == "user_id=user_1&status=active"
    fake_api.replies[("GET", "/v1/clients/client_1")] = (
        200,
        {"object": "client", "id": "client_1", "session_ids": ["sess_1"], "sessions": [SESSION]},
    )
    browser = client.clients.get("client_1")
    assert isinstance(browser, BrowserClient)
    assert browser.sessions[0].status == "active"
    invitation = {
        "object": "invitation",
        "id": "inv_1",
        "email_address": "x@y.z",
        "status": "pending",
    }
    fake_api.replies[("GET", "/v1/invitations")] = (200, {"data": [invitation], "total_count": 1})
    assert client.invitations.list() == [Invitation.from_dict(invitation)]
    assert client.jwks.get().keys[0].kid == fake_api.key.kid
    deleted = {"object": "user", "id": "user_1", "deleted": True}
    fake_api.replies[("DELETE", "/v1/users/user_1")] = (200, deleted)
    assert client.users.delete("user_1").deleted is True


def test_create_token_sends_origin(client: Client, fake_api: FakeApi) -> None:
    token = client.sessions.create_token("sess_1", origin="http://app.test")
    assert token.object == "token" and token.jwt.count(".") == 2
    assert fake_api.origins[-1] == "http://app.test"
    client.sessions.create_token("sess_1", "supabase", expires_in_seconds=30)
    assert fake_api.calls[-1] == ("POST", "/v1/sessions/sess_1/tokens/supabase")
    assert json.loads(fake_api.bodies[-1] or "{}") == {"expires_in_seconds": 30}


def test_api_errors(client: Client, fake_api: FakeApi) -> None:
    with pytest.raises(ApiError) as caught:
        client.users.get("user_missing")
    error = caught.value
    assert (error.status, error.code, error.message) == (
        404,
        "resource_not_found",
        "User not found",
    )
    assert error.errors[0]["long_message"] == "User not found"
    assert str(error) == "404 resource_not_found: User not found"
    fake_api.replies[("GET", "/v1/sessions/sess_x")] = (500, "oops")
    with pytest.raises(ApiError) as caught:
        client.sessions.get("sess_x")
    assert (caught.value.status, caught.value.code) == (500, "http_error")
    with pytest.raises(ApiError) as caught:
        Client("sk_wrong", fake_api.url).users.get("user_1")
    assert caught.value.code == "authentication_invalid"


@pytest.mark.parametrize("bad", ["", "..", ".", "../jwks", "a/b", "a%2Fb", "a b", "x" * 201])
def test_ids_cannot_change_the_path(client: Client, fake_api: FakeApi, bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid id"):
        client.users.get(bad)
    assert fake_api.calls == []


def test_transport_error() -> None:
    with (
        Client("sk_test_x", "http://127.0.0.1:9", timeout=2) as offline,
        pytest.raises(TransportError),
    ):
        offline.users.get("user_1")


def test_configuration(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLERK_SECRET_KEY", fake_api.secret_key)
    monkeypatch.setenv("CLERK_API_URL", fake_api.url + "/v1")
    assert Client().users.get("user_1").id == "user_1"
    config = SdkConfig(secret_key=fake_api.secret_key, api_url=fake_api.url)
    assert Client(config=config).base_url == fake_api.url + "/v1"
    monkeypatch.delenv("CLERK_SECRET_KEY")
    with pytest.raises(ConfigurationError):
        Client(api_url=fake_api.url)
    monkeypatch.delenv("CLERK_API_URL")
    with pytest.raises(ConfigurationError):
        Client(secret_key="sk")


@pytest.mark.anyio
async def test_async_client(fake_api: FakeApi) -> None:
    async with AsyncClient(fake_api.secret_key, fake_api.url) as client:
        user = await client.users.get("user_1")
        assert user.first_name == "Ada"
        token = await client.sessions.create_token("sess_1")
        assert token.jwt
        with pytest.raises(ApiError) as caught:
            await client.users.get("nobody")
        assert caught.value.status == 404
    async with AsyncClient("sk", "http://127.0.0.1:9", timeout=2) as offline:
        with pytest.raises(TransportError):
            await offline.jwks.get()

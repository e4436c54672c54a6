"""/v1/webhook_endpoints and /v1/webhook_events on a live server: the secret key is
required, wrong input gets Clerk's error body, and changes reach the running dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, clerk_error, run_live_server
from tests.webhooks.helpers import emit_one_sync, svix_verify
from tests.webhooks.receiver import Receiver


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with run_live_server(tmp_path, api_docs=True) as live:
        yield live


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.secret_key}"}
    with httpx.Client(base_url=f"{server.url}/v1", headers=headers, timeout=30) as client:
        yield client


def test_every_route_needs_the_secret_key(server: LiveServer) -> None:
    anonymous = httpx.Client(base_url=f"{server.url}/v1")
    wrong = {"Authorization": "Bearer sk_test_wrong"}
    for method, path in [
        ("GET", "/webhook_endpoints"),
        ("POST", "/webhook_endpoints"),
        ("GET", "/webhook_endpoints/ep_x"),
        ("PATCH", "/webhook_endpoints/ep_x"),
        ("DELETE", "/webhook_endpoints/ep_x"),
        ("POST", "/webhook_endpoints/ep_x/rotate_secret"),
        ("GET", "/webhook_endpoints/ep_x/attempts"),
        ("GET", "/webhook_events/msg_x"),
        ("POST", "/webhook_events/msg_x/replay"),
    ]:
        for headers in ({}, wrong):
            response = anonymous.request(method, path, headers=headers, json={"url": "x"})
            assert clerk_error(response, 401)["code"] == "authentication_invalid"


def test_create_list_update_rotate_delete(
    server: LiveServer, api: httpx.Client, hook: Receiver
) -> None:
    created = api.post(
        "/webhook_endpoints",
        json={"url": hook.url, "events": ["user.created"], "description": "crm"},
    ).json()
    secret = created.pop("secret")
    assert secret.startswith("whsec_")
    assert created["object"] == "webhook_endpoint" and created["status"] == "active"
    assert created["events"] == ["user.created"] and created["description"] == "crm"
    endpoint_id = created["id"]

    listed = api.get("/webhook_endpoints", params={"paginated": "true"}).json()
    assert listed["total_count"] == 1 and "secret" not in listed["data"][0]
    assert api.get(f"/webhook_endpoints/{endpoint_id}").json() == created

    # A change reaches the running server's dispatcher without a restart.
    event_id = emit_one_sync(server, "user.created")
    (first,) = hook.wait_for(1)
    svix_verify(secret, first)
    assert first.headers["svix-id"] == event_id

    updated = api.patch(f"/webhook_endpoints/{endpoint_id}", json={"disabled": True}).json()
    assert updated["status"] == "disabled" and updated["disabled_reason"] == "Disabled by hand."
    enabled = api.patch(f"/webhook_endpoints/{endpoint_id}", json={"disabled": False}).json()
    assert enabled["status"] == "active" and enabled["disabled_reason"] is None

    rotated = api.post(f"/webhook_endpoints/{endpoint_id}/rotate_secret").json()
    assert rotated["secret"] != secret

    replayed = api.post(f"/webhook_events/{event_id}/replay", json={}).json()
    assert replayed == {
        "object": "webhook_replay",
        "event_id": event_id,
        "endpoint_ids": [endpoint_id],
    }
    _, again = hook.wait_for(2)
    assert again.headers["svix-id"] == event_id
    svix_verify(secret, again)  # both secrets sign during the rotation's grace period
    svix_verify(rotated["secret"], again)

    log = api.get(f"/webhook_endpoints/{endpoint_id}/attempts").json()
    assert [a["status_code"] for a in log] == [204, 204]
    assert {a["event_id"] for a in log} == {event_id}
    event = api.get(f"/webhook_events/{event_id}").json()
    assert event["type"] == "user.created" and len(event["attempts"]) == 2

    deleted = api.delete(f"/webhook_endpoints/{endpoint_id}").json()
    assert deleted == {"object": "webhook_endpoint", "id": endpoint_id, "deleted": True}
    assert clerk_error(api.get(f"/webhook_endpoints/{endpoint_id}"), 404)["code"] == (
        "resource_not_found"
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://user:pw@example.com/"}, "url"),
        ({"url": "http://169.254.169.254/latest"}, "url"),
        ({"url": "http://10.0.0.5/hook"}, "url"),
        ({"url": "https://example.com/", "events": ["user.exploded"]}, "events"),
        ({"url": "https://example.com/", "events": "user.created"}, "events"),
        ({"url": "https://example.com/", "description": "a\\nb"}, "description"),
        ({"url": ["https://example.com/"]}, "url"),
    ],
)
def test_wrong_input_is_a_clerk_error_naming_the_field(
    api: httpx.Client, body: dict[str, object], param: str
) -> None:
    if body.get("description") == "a\\nb":
        body = {**body, "description": "a\nb"}
    error = clerk_error(api.post("/webhook_endpoints", json=body), 422)
    assert error["meta"]["param_name"] == param


def test_unknown_ids_and_bad_bodies_are_clerk_errors(api: httpx.Client) -> None:
    assert clerk_error(api.get("/webhook_endpoints/ep_nope"), 404)["code"] == "resource_not_found"
    assert clerk_error(api.post("/webhook_events/msg_nope/replay"), 404)["code"] == (
        "resource_not_found"
    )
    assert clerk_error(api.get("/webhook_events/" + "x" * 300), 404)
    response = api.post(
        "/webhook_endpoints", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert clerk_error(response, 422)
    assert clerk_error(api.patch("/webhook_endpoints/ep_x", json={"disabled": "maybe"}), 422)


def test_the_routes_are_in_the_openapi_document(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {
        "/webhook_endpoints",
        "/webhook_endpoints/{endpoint_id}",
        "/webhook_endpoints/{endpoint_id}/rotate_secret",
        "/webhook_endpoints/{endpoint_id}/attempts",
        "/webhook_events/{event_id}",
        "/webhook_events/{event_id}/replay",
    } <= set(paths)

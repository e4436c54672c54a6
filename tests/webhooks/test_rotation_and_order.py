"""Secret rotation (both signatures for 24 hours, then only the new one) and the order of
deliveries about one user."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.exceptions import WebhookVerificationError as SvixRefused

from tests.webhooks.helpers import emit_one, svix_at, svix_verify
from tests.webhooks.receiver import Answer, Received, Receiver
from threshold.core.clock import FrozenClock
from threshold.services.runtime.context import ServerContext
from threshold.services.webhooks.dispatcher import Dispatcher
from threshold.services.webhooks.endpoints import create_endpoint, rotate_secret

pytestmark = pytest.mark.anyio


async def test_rotation_signs_with_both_secrets_for_24_hours_then_the_new_one(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver, clock: FrozenClock
) -> None:
    endpoint, old = await create_endpoint(ctx, hook.url)
    _, new = await rotate_secret(ctx, endpoint.id)
    await emit_one(ctx)
    await dispatcher.deliver_pending()
    clock.advance(24 * 3600 - 1)
    await emit_one(ctx, "user.updated")
    await dispatcher.deliver_pending()
    clock.advance(2)
    await emit_one(ctx, "user.deleted", {"object": "user", "id": "user_2a", "deleted": True})
    await dispatcher.deliver_pending()

    at_once, last_second, after = hook.wait_for(3)
    for got in (at_once, last_second):
        assert len(got.headers["svix-signature"].split(" ")) == 2
    assert len(after.headers["svix-signature"].split(" ")) == 1
    with svix_at(clock):
        svix_verify(new, after)
        with pytest.raises(SvixRefused):
            svix_verify(old, after)
        clock.advance(-2)
        svix_verify(old, last_second)
        svix_verify(new, last_second)


async def test_one_users_events_arrive_in_order_even_across_retries(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver, clock: FrozenClock
) -> None:
    await create_endpoint(ctx, hook.url)
    ada = {"object": "user", "id": "user_ada"}
    bob = {"object": "user", "id": "user_bob"}
    failed: list[bool] = []

    def fail_ada_created_once(request: Received) -> Answer | None:
        body = json.loads(request.body)
        if body["type"] == "user.created" and body["data"]["id"] == "user_ada" and not failed:
            failed.append(True)
            return Answer(status=500)
        return None

    hook.decide = fail_ada_created_once
    await emit_one(ctx, "user.created", ada)
    await emit_one(ctx, "user.updated", ada)
    await emit_one(ctx, "user.created", bob)
    await emit_one(
        ctx, "session.created", {"object": "session", "id": "sess_1", "user_id": "user_ada"}
    )
    await emit_one(ctx, "user.deleted", {**ada, "deleted": True})
    await dispatcher.deliver_pending()
    first_round = sorted(
        (json.loads(r.body)["type"], json.loads(r.body)["data"]["id"]) for r in hook.received()
    )
    assert first_round == [("user.created", "user_ada"), ("user.created", "user_bob")]

    clock.advance(5)
    await dispatcher.deliver_pending()
    ada_events = [
        json.loads(r.body)["type"]
        for r in hook.received()
        if "user_ada"
        in (json.loads(r.body)["data"]["id"], json.loads(r.body)["data"].get("user_id"))
    ]
    assert ada_events == [
        "user.created",
        "user.created",  # the retry
        "user.updated",
        "session.created",
        "user.deleted",
    ]

"""Events emitted in a transaction reach a real receiver, signed as Svix signs."""

from __future__ import annotations

import json

import pytest

from tests.webhooks.helpers import USER, emit_one, svix_verify
from tests.webhooks.receiver import Receiver
from threshold.core.clock import FrozenClock
from threshold.core.errors import ValidationError
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.webhooks.dispatcher import Dispatcher
from threshold.services.webhooks.endpoints import create_endpoint, delivery_log
from threshold.services.webhooks.events import emit
from threshold.webhooks import verify

pytestmark = pytest.mark.anyio


async def test_an_event_is_delivered_in_clerks_envelope_and_verifies(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver, clock: FrozenClock
) -> None:
    endpoint, secret = await create_endpoint(ctx, hook.url)
    event_id = await emit_one(ctx)
    await dispatcher.deliver_pending()

    (got,) = hook.wait_for(1)
    svix_verify(secret, got)
    event = verify(got.body, got.headers, secret, now=clock.now())
    assert event.id == event_id == got.headers["svix-id"]
    assert (event.type, event.data, event.instance_id) == ("user.created", USER, ctx.instance.id)
    assert event.timestamp == int(clock.now() * 1000)
    assert json.loads(got.body) == {
        "data": USER,
        "event_attributes": {"http_request": {"client_ip": "", "user_agent": ""}},
        "instance_id": ctx.instance.id,
        "object": "event",
        "timestamp": event.timestamp,
        "type": "user.created",
    }
    assert got.headers["content-type"] == "application/json"
    log, total = await delivery_log(ctx, endpoint.id)
    assert total == 1 and log[0].succeeded and log[0].status_code == 204


async def test_a_rolled_back_transaction_emits_nothing(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver
) -> None:
    await create_endpoint(ctx, hook.url)

    async def refused(tx: Tx) -> None:
        await emit(tx, "user.created", USER)
        raise ValidationError("refused")

    with pytest.raises(ValidationError):
        await run_transaction(ctx, refused)
    await dispatcher.deliver_pending()
    kept = await emit_one(ctx, "user.updated")
    await dispatcher.deliver_pending()
    assert [r.headers["svix-id"] for r in hook.wait_for(1)] == [kept]


async def test_endpoints_get_only_the_types_they_ask_for(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver
) -> None:
    await create_endpoint(ctx, hook.url + "/users", events=["user.created", "user.deleted"])
    await create_endpoint(ctx, hook.url + "/all")
    await emit_one(ctx, "user.created")
    await emit_one(ctx, "session.created", {"object": "session", "id": "sess_1", "user_id": "u"})
    await dispatcher.deliver_pending()
    got = hook.wait_for(3)
    paths = sorted((r.path, json.loads(r.body)["type"]) for r in got)
    assert paths == [
        ("/hook/all", "session.created"),
        ("/hook/all", "user.created"),
        ("/hook/users", "user.created"),
    ]


async def test_secrets_appear_only_in_the_answer_that_made_them(
    ctx: ServerContext,
    dispatcher: Dispatcher,
    hook: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from threshold.services.webhooks.endpoints import list_endpoints, rotate_secret
    from threshold.wire.webhooks import attempt_json, endpoint_json

    caplog.set_level(logging.INFO)  # the server's level (SQL drivers print parameters below)
    caplog.set_level(logging.DEBUG, logger="threshold")
    endpoint, first = await create_endpoint(ctx, hook.url)
    _, second = await rotate_secret(ctx, endpoint.id)
    await emit_one(ctx)
    await dispatcher.deliver_pending()
    hook.wait_for(1)
    listed, _ = await list_endpoints(ctx)
    log, _ = await delivery_log(ctx, endpoint.id)
    shown = [endpoint_json(e) for e in listed] + [attempt_json(a) for a in log]
    text = json.dumps(shown) + "\n".join(r.getMessage() for r in caplog.records)
    text += repr(listed) + repr(log)
    for secret in (first, second):
        assert secret not in text and secret.removeprefix("whsec_") not in text
        assert secret not in json.dumps(hook.received()[0].headers)

"""Failed deliveries are retried on Svix's schedule (time moved by the test clock), a
success ends the retries, and five days of failures disable the endpoint."""

from __future__ import annotations

import json

import pytest

from tests.webhooks.helpers import emit_one
from tests.webhooks.receiver import Answer, Receiver
from threshold.core.clock import FrozenClock
from threshold.core.records.webhooks import EndpointStatus
from threshold.services.runtime.context import ServerContext
from threshold.services.webhooks.dispatcher import Dispatcher
from threshold.services.webhooks.endpoints import (
    create_endpoint,
    delivery_log,
    event_log,
    get_endpoint,
)
from threshold.services.webhooks.schedule import RETRY_DELAYS

pytestmark = pytest.mark.anyio

FAILURES = {
    "500": Answer(status=500, body=b"upstream broke"),
    "timeout": Answer(delay=3.0),  # the test settings give receivers 2 s
    "closed": Answer(drop=True),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
async def test_failures_are_retried_on_schedule_until_one_succeeds(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver, clock: FrozenClock, failure: str
) -> None:
    endpoint, _ = await create_endpoint(ctx, hook.url)
    hook.script = [FAILURES[failure]] * 3
    event_id = await emit_one(ctx)
    await dispatcher.deliver_pending()
    assert len(hook.received()) == 1  # the first attempt is immediate
    for n, delay in enumerate(RETRY_DELAYS[:3], start=2):
        clock.advance(delay - 1)
        await dispatcher.deliver_pending()
        assert len(hook.received()) == n - 1, "retried before its time"
        clock.advance(1)
        await dispatcher.deliver_pending()
        assert len(hook.wait_for(n)) == n
    clock.advance(RETRY_DELAYS[3] * 10)
    await dispatcher.deliver_pending()
    got = hook.received()
    assert len(got) == 4 and {r.headers["svix-id"] for r in got} == {event_id}

    _, attempts = await event_log(ctx, event_id)
    assert [a.succeeded for a in reversed(attempts)] == [False, False, False, True]
    first = attempts[-1]
    if failure == "500":
        assert (first.status_code, first.response_head, first.error) == (
            500,
            "upstream broke",
            "HTTP 500",
        )
    else:
        assert first.status_code is None and first.error
    assert (await get_endpoint(ctx, endpoint.id)).failing_since is None  # success ends the run


async def test_after_the_last_scheduled_attempt_the_delivery_is_given_up(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver, clock: FrozenClock
) -> None:
    endpoint, _ = await create_endpoint(ctx, hook.url)
    hook.default = Answer(status=503)
    await emit_one(ctx)
    await dispatcher.deliver_pending()
    for delay in RETRY_DELAYS:
        clock.advance(delay)
        await dispatcher.deliver_pending()
    clock.advance(RETRY_DELAYS[-1] * 3)
    await dispatcher.deliver_pending()
    assert len(hook.received()) == 1 + len(RETRY_DELAYS) == 8
    log, total = await delivery_log(ctx, endpoint.id)
    assert total == 8 and [a.number for a in log] == list(range(8, 0, -1))
    state = await get_endpoint(ctx, endpoint.id)
    assert state.status is EndpointStatus.ACTIVE and state.failing_since is not None


async def test_five_days_of_failures_disable_the_endpoint(
    ctx: ServerContext,
    dispatcher: Dispatcher,
    hook: Receiver,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint, _ = await create_endpoint(ctx, hook.url)
    hook.default = Answer(status=500)
    start = clock.now()
    users = iter(range(1000))
    while clock.now() - start < 5 * 86400 - 3 * 3600:  # new events keep failing
        await emit_one(ctx, "user.updated", {"object": "user", "id": f"user_{next(users)}"})
        await dispatcher.deliver_pending()
        clock.advance(3 * 3600)
        await dispatcher.deliver_pending()
    assert (await get_endpoint(ctx, endpoint.id)).status is EndpointStatus.ACTIVE
    clock.advance(3 * 3600)
    await emit_one(ctx, "user.updated", {"object": "user", "id": "user_last"})
    await dispatcher.deliver_pending()

    state = await get_endpoint(ctx, endpoint.id)
    assert state.status is EndpointStatus.DISABLED
    assert state.disabled_reason == "Every delivery attempt failed for five days."
    assert any(
        "disabled" in r.getMessage() and endpoint.id in r.getMessage() for r in caplog.records
    )
    sent = len(hook.received())
    clock.advance(86400)
    await emit_one(ctx, "user.updated")
    await dispatcher.deliver_pending()
    assert len(hook.received()) == sent  # nothing more goes to a disabled endpoint
    assert all(json.loads(r.body)["type"] == "user.updated" for r in hook.received())

"""Deliveries checked by the receivers apps use: the official ``svix`` package, Clerk's
``@clerk/backend`` ``verifyWebhook`` (Node, pinned in tests/conformance/js) and
``threshold.webhooks.verify``, which also refuses what it must."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable

import pytest

from tests.conformance.test_js_sdk import JS_DIR, _npm_ready
from tests.webhooks.helpers import emit_one, svix_verify
from tests.webhooks.receiver import Received, Receiver
from threshold.core.webhook_signing import new_secret, secret_key, signed_headers
from threshold.services.runtime.context import ServerContext
from threshold.services.webhooks.dispatcher import Dispatcher
from threshold.services.webhooks.endpoints import create_endpoint, rotate_secret
from threshold.webhooks import (
    WebhookFormatError,
    WebhookSignatureError,
    WebhookTimestampError,
    verify,
)

SECRET = new_secret()
BODY = (
    b'{"data":{"id":"user_1"},"instance_id":"ins_1","object":"event",'
    b'"timestamp":1,"type":"user.created"}'
)


def _signed(body: bytes = BODY, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    return signed_headers([secret_key(secret)], "msg_1", stamp, body)


def _js_verify(items: list[tuple[str, Received]]) -> list[dict[str, object]]:
    node = _npm_ready()
    payload = [
        {"secret": s, "body": r.body.decode(), "headers": {k: v for k, v in r.headers.items()}}
        for s, r in items
    ]
    run = subprocess.run(
        [node, "verify_webhook.mjs"],
        cwd=JS_DIR,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    results: list[dict[str, object]] = json.loads(run.stdout.strip().splitlines()[-1])
    return results


@pytest.mark.anyio
@pytest.mark.conformance
async def test_every_delivery_verifies_with_svix_and_clerk_backend(
    ctx: ServerContext, dispatcher: Dispatcher, hook: Receiver
) -> None:
    endpoint, old = await create_endpoint(ctx, hook.url)
    types = ["user.created", "user.updated", "session.created", "email.created", "user.deleted"]
    for kind in types:
        await emit_one(ctx, kind, {"object": kind.split(".")[0], "id": f"x_{kind}", "ünï": "çödé"})
    _, new = await rotate_secret(ctx, endpoint.id)
    await emit_one(ctx, "session.ended", {"object": "session", "id": "sess_9", "user_id": "u"})
    await dispatcher.deliver_pending()
    got = hook.wait_for(6)
    for request in got:
        svix_verify(new, request)
        verify(request.body, request.headers, new)
    rotated = [r for r in got if len(r.headers["svix-signature"].split(" ")) == 2]
    assert len(rotated) == len(got)  # all sent after the rotation: both secrets sign
    checks = [(new, r) for r in got] + [(old, got[0]), (new_secret(), got[0])]
    results = _js_verify(checks)
    assert all(r["ok"] for r in results[: len(got)]), results
    assert sorted(str(r["type"]) for r in results[: len(got)]) == sorted([*types, "session.ended"])
    assert {r["instanceId"] for r in results[: len(got)]} == {ctx.instance.id}
    assert results[-2]["ok"] is True  # the old secret still verifies during the grace period
    assert results[-1]["ok"] is False  # a secret of another endpoint does not


def test_verify_returns_the_typed_event() -> None:
    event = verify(BODY, _signed(), SECRET)
    assert (event.id, event.type, event.timestamp, event.instance_id) == (
        "msg_1",
        "user.created",
        1,
        "ins_1",
    )
    assert event.data == {"id": "user_1"} and event.event_attributes == {}
    headers = {k.upper(): v for k, v in _signed().items()}  # header names in any case
    assert verify(BODY.decode(), headers, SECRET.removeprefix("whsec_")).id == "msg_1"


def test_a_flipped_byte_or_another_secret_is_a_wrong_signature() -> None:
    headers = _signed()
    with pytest.raises(WebhookSignatureError):
        verify(BODY.replace(b"user_1", b"user_2"), headers, SECRET)
    with pytest.raises(WebhookSignatureError):
        verify(BODY, headers, new_secret())
    with pytest.raises(WebhookSignatureError):
        verify(BODY, {**headers, "svix-id": "msg_2"}, SECRET)
    with pytest.raises(WebhookSignatureError):
        verify(BODY, {**headers, "svix-signature": "v2," + headers["svix-signature"][3:]}, SECRET)


def test_a_stale_or_future_timestamp_is_refused() -> None:
    now = time.time()
    with pytest.raises(WebhookTimestampError):
        verify(BODY, _signed(at=int(now) - 6 * 60), SECRET)  # a six-minute-old replay
    with pytest.raises(WebhookTimestampError):
        verify(BODY, _signed(at=int(now) + 6 * 60), SECRET)
    assert verify(BODY, _signed(at=int(now) - 4 * 60), SECRET).id == "msg_1"


@pytest.mark.parametrize(
    ("body", "headers", "secret"),
    [
        (BODY, lambda: {}, SECRET),
        (
            BODY,
            lambda: {"svix-id": "msg_1", "svix-timestamp": "soon", "svix-signature": "v1,x"},
            SECRET,
        ),
        (BODY, lambda: _signed(), "whsec_not base64!"),
        (b"[1, 2]", lambda: _signed(b"[1, 2]"), SECRET),
        (b"not json", lambda: _signed(b"not json"), SECRET),
        (b'{"type": "user.created"}', lambda: _signed(b'{"type": "user.created"}'), SECRET),
    ],
)
def test_malformed_deliveries_are_refused_clearly(
    body: bytes, headers: Callable[[], dict[str, str]], secret: str
) -> None:
    # Signed when the test runs, not when it is collected: a suite longer than the
    # five-minute tolerance would otherwise turn these into stale-timestamp refusals.
    with pytest.raises(WebhookFormatError) as caught:
        verify(body, headers(), secret)
    assert caught.value.code == "webhook_malformed" and caught.value.message

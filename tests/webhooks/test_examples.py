"""The receiving examples (examples/webhooks) accept a signed delivery once, handle a
repeat of its id once, and refuse a forged one with 400."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from examples.webhooks import fastapi_receiver, flask_receiver

from threshold.core.webhook_signing import new_secret, secret_key, signed_headers

SECRET = new_secret()
BODY = (
    b'{"data":{"id":"user_1"},"event_attributes":{},"instance_id":"ins_1",'
    b'"object":"event","timestamp":1,"type":"user.created"}'
)
ROOT = Path(__file__).resolve().parents[2]


def _headers(secret: str = SECRET) -> dict[str, str]:
    return signed_headers([secret_key(secret)], "msg_1", int(time.time()), BODY)


@pytest.mark.anyio
async def test_fastapi_receiver() -> None:
    transport = httpx.ASGITransport(fastapi_receiver.create_app(SECRET))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for _ in range(2):
            sent = await client.post("/webhooks/threshold", content=BODY, headers=_headers())
            assert sent.status_code == 204
        forged = await client.post(
            "/webhooks/threshold", content=BODY, headers=_headers(new_secret())
        )
        assert forged.status_code == 400


def test_flask_receiver() -> None:
    client = flask_receiver.create_app(SECRET).test_client()
    assert client.post("/webhooks/threshold", data=BODY, headers=_headers()).status_code == 204
    forged = client.post("/webhooks/threshold", data=BODY, headers=_headers(new_secret()))
    assert forged.status_code == 400


def test_django_receiver() -> None:
    """In a process of its own: Django's settings are configured once per process."""
    script = f"""
import time
from examples.webhooks import django_receiver as r
r.configure({SECRET!r})
import django; django.setup()
from django.test import Client
from threshold.core.webhook_signing import new_secret, secret_key, signed_headers
body = {BODY!r}
def post(secret):
    h = signed_headers([secret_key(secret)], "msg_1", int(time.time()), body)
    extra = {{"HTTP_" + k.upper().replace("-", "_"): v for k, v in h.items()}}
    return Client().post("/webhooks/threshold", body, content_type="application/json", **extra)
print(post({SECRET!r}).status_code, post(new_secret()).status_code)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["204", "400"]

"""Receiving Threshold's (or Clerk's) webhooks in FastAPI.

export WEBHOOK_SECRET=whsec_...   # printed by `threshold webhooks add URL`
uvicorn examples.webhooks.fastapi_receiver:app --port 8001
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI, Request, Response

from threshold.webhooks import WebhookVerificationError, verify

log = logging.getLogger("examples")


def create_app(secret: str) -> FastAPI:
    app = FastAPI()
    handled: set[str] = set()  # use your database in a real app: ids of handled events

    @app.post("/webhooks/threshold")
    async def receive(request: Request) -> Response:
        try:
            event = verify(await request.body(), request.headers, secret)
        except WebhookVerificationError as exc:
            return Response(exc.message, status_code=400)
        if event.id not in handled:  # a retry of an event already handled
            if event.type == "user.created":
                log.info("new user %s", event.data["id"])
            handled.add(event.id)
        return Response(status_code=204)

    return app


app = create_app(os.environ.get("WEBHOOK_SECRET", ""))

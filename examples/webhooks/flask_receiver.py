"""Receiving Threshold's (or Clerk's) webhooks in Flask.

export WEBHOOK_SECRET=whsec_...   # printed by `threshold webhooks add URL`
flask --app examples.webhooks.flask_receiver run --port 8001
"""

from __future__ import annotations

import logging
import os

from flask import Flask, request

from threshold.webhooks import WebhookVerificationError, verify

log = logging.getLogger("examples")


def create_app(secret: str) -> Flask:
    app = Flask(__name__)
    handled: set[str] = set()  # use your database in a real app: ids of handled events

    @app.post("/webhooks/threshold")
    def receive() -> tuple[str, int]:
        try:
            event = verify(request.get_data(), request.headers, secret)
        except WebhookVerificationError as exc:
            return exc.message, 400
        if event.id not in handled:  # a retry of an event already handled
            if event.type == "user.created":
                log.info("new user %s", event.data["id"])
            handled.add(event.id)
        return "", 204

    return app


app = create_app(os.environ.get("WEBHOOK_SECRET", ""))

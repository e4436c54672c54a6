"""Receiving Threshold's (or Clerk's) webhooks in Django: the view, and a one-file project
to run it.

    export WEBHOOK_SECRET=whsec_...   # printed by `threshold webhooks add URL`
    python -m examples.webhooks.django_receiver runserver 8001

In a project of your own, route ``receive`` and set ``WEBHOOK_SECRET`` in settings.
"""

from __future__ import annotations

import logging
import os
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from threshold.webhooks import WebhookVerificationError, verify

log = logging.getLogger("examples")
handled: set[str] = set()  # use your database in a real app: ids of handled events


@csrf_exempt  # the signature is what authenticates this POST
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    try:
        event = verify(request.body, request.headers, settings.WEBHOOK_SECRET)
    except WebhookVerificationError as exc:
        return HttpResponse(exc.message, status=400)
    if event.id not in handled:  # a retry of an event already handled
        if event.type == "user.created":
            log.info("new user %s", event.data["id"])
        handled.add(event.id)
    return HttpResponse(status=204)


urlpatterns = [path("webhooks/threshold", receive)]


def configure(secret: str) -> None:
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
            SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret"),
            WEBHOOK_SECRET=secret,
        )


if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    configure(os.environ.get("WEBHOOK_SECRET", ""))
    execute_from_command_line(sys.argv)

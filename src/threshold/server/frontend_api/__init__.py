"""The Frontend API (``/v1/client/...``): what browsers and clerk-js talk to.

Bodies arrive form-urlencoded (JSON accepted too) and are parsed into the services'
inputs (:mod:`.bodies`); answers are ``{response, client}``, rendered by
``threshold.wire``. The browser's Client is the ``__client`` cookie (or
``Authorization`` for native apps).
"""

from __future__ import annotations

from starlette.routing import Route

from threshold.server.frontend_api import client, me, sessions, sign_ins, sign_ups

__all__ = ["routes"]

routes = [
    # Starlette tries routes in order: the busiest (token refresh, every ~50 s per
    # signed-in tab) comes first. No other route has this shape.
    Route("/v1/client/sessions/{id}/{action}", sessions.session_action, methods=["POST"]),
    Route("/v1/environment", client.environment, methods=["GET"]),
    Route("/v1/client", client.get_client, methods=["GET"]),
    Route("/v1/client", client.create_client, methods=["POST", "PUT"]),
    Route("/v1/client", client.delete_client, methods=["DELETE"]),
    Route("/v1/client/handshake", client.handshake, methods=["GET"]),
    Route("/v1/client/sign_ins", sign_ins.create_sign_in, methods=["POST"]),
    Route("/v1/client/sign_ins/{id}", sign_ins.get_sign_in, methods=["GET"]),
    Route("/v1/client/sign_ins/{id}/{step}", sign_ins.sign_in_step, methods=["POST"]),
    Route("/v1/client/sign_ups", sign_ups.create_sign_up, methods=["POST"]),
    Route("/v1/client/sign_ups/{id}", sign_ups.sign_up_step, methods=["GET", "PATCH"]),
    Route("/v1/client/sign_ups/{id}/{step}", sign_ups.sign_up_step, methods=["POST"]),
    Route("/v1/client/sessions", sessions.end_all_sessions, methods=["DELETE"]),
    Route("/v1/me", me.get_me, methods=["GET"]),
    Route("/.well-known/jwks.json", client.jwks, methods=["GET"]),
]

"""The Backend API (``/v1/...`` with ``Authorization: Bearer sk_...``), Clerk-compatible.

Routes by resource: ``users``, ``user_actions``, ``email_addresses``, ``sessions`` (and
clients), ``jwt_templates`` (and JWKS), ``tickets`` (sign-in tokens, invitations),
``identifiers`` (allowlist, blocklist). ``_app`` assembles them into one FastAPI
application mounted at ``/v1``; see ``docs/backend-api.md``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from threshold.server.backend_api._app import BackendApiMount
from threshold.services.instance.settings import Settings

__all__ = ["routes"]


def routes(settings: Settings) -> list[BaseRoute]:
    """The Backend API's routes: one mount at ``/v1`` that claims only its own paths."""
    return [BackendApiMount(settings)]

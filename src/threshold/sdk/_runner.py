"""Carrying out a decision: the rules yield the calls they need, the runner makes them.

:meth:`DecisionRunner.run_sync` makes them with httpx's blocking client (WSGI, Django
sync), :meth:`DecisionRunner.run_async` with its async client (ASGI, Django async); the
rules (``_rules.py``) are the same for both.
"""

from __future__ import annotations

from typing import Any

import httpx

from threshold.sdk._http_clients import HttpClients
from threshold.sdk.jwks import JwksCache
from threshold.sdk.outcome import AuthOutcome, Decision, HttpCall, HttpReply, NeedKeys

__all__ = ["DecisionRunner"]


class DecisionRunner:
    """Runs decisions to their outcome, refreshing ``jwks`` and calling the Backend API
    with ``clients`` when a decision asks."""

    def __init__(self, clients: HttpClients, jwks: JwksCache) -> None:
        self._clients = clients
        self._jwks = jwks

    def run_sync(self, decision: Decision) -> AuthOutcome:
        """Run ``decision`` with blocking HTTP calls."""
        try:
            step = next(decision)
            while True:
                if isinstance(step, NeedKeys):
                    self._jwks.refresh_sync(self._clients.sync_http())
                    step = decision.send(None)
                else:
                    step = decision.send(self._call_sync(step))
        except StopIteration as stop:
            outcome: AuthOutcome = stop.value
            return outcome

    async def run_async(self, decision: Decision) -> AuthOutcome:
        """Run ``decision`` with async HTTP calls."""
        try:
            step = next(decision)
            while True:
                if isinstance(step, NeedKeys):
                    await self._jwks.refresh_async(self._clients.async_http())
                    step = decision.send(None)
                else:
                    step = decision.send(await self._call_async(step))
        except StopIteration as stop:
            outcome: AuthOutcome = stop.value
            return outcome

    def _call_sync(self, call: HttpCall) -> HttpReply:
        try:
            response = self._clients.sync_http().request(
                call.method, call.url, headers=dict(call.headers), json=call.json
            )
        except httpx.HTTPError:
            return HttpReply(0)
        return HttpReply(response.status_code, _json(response))

    async def _call_async(self, call: HttpCall) -> HttpReply:
        try:
            response = await self._clients.async_http().request(
                call.method, call.url, headers=dict(call.headers), json=call.json
            )
        except httpx.HTTPError:
            return HttpReply(0)
        return HttpReply(response.status_code, _json(response))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None

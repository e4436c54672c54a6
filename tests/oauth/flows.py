"""The browser's part of a provider flow, played with HTTP: follow the authorization URL
to the provider and bring back what it sends to ``/v1/oauth_callback``."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.oauth.conftest import REDIRECT_URI
from threshold.services.oauth.completion import ProviderCallback

__all__ = ["callback_from", "callback_params", "visit_provider"]

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def callback_params(response: httpx.Response) -> dict[str, str]:
    """What the provider sends the browser back with: a redirect's query, or the fields
    of a self-posting form (``response_mode=form_post``, Apple's way)."""
    if response.is_redirect:
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI + "?"), location
        return dict(parse_qsl(urlsplit(location).query))
    assert response.status_code == 200, response.text
    assert f'action="{REDIRECT_URI}"' in response.text
    return {name: unescape(value) for name, value in _HIDDEN.findall(response.text)}


def callback_from(params: dict[str, str]) -> ProviderCallback:
    return ProviderCallback(
        state=params.get("state"),
        code=params.get("code"),
        error=params.get("error"),
        error_description=params.get("error_description"),
        issuer=params.get("iss"),
        user=params.get("user"),
    )


async def visit_provider(url: str) -> dict[str, str]:
    """A browser that the provider lets through at once (the stand-ins ask nothing)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        return callback_params(await browser.get(url))

"""The token endpoint: a code exchanged for tokens, a refresh token for new ones.

Requests are built with Authlib's RFC 6749 helpers; the client authenticates the way the
provider asks (``client_secret_post`` or ``client_secret_basic``). Answers are read as
RFC 6749, 5.1 and 5.2 say, and GitHub's way too (it reports errors with status 200).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from urllib.parse import quote

from authlib.oauth2.rfc6749.parameters import prepare_token_request

from threshold.core.clock import to_ms
from threshold.core.records.oauth import ProviderTokens
from threshold.services.oauth.catalogue import TokenAuth
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.directory import ConfiguredProvider
from threshold.services.oauth.errors import ProviderRefusedError, ProviderResponseError
from threshold.services.oauth.http import ProviderAnswer

__all__ = ["exchange_code", "refresh_tokens"]

_PRINTABLE = re.compile(r"[^\x20-\x7e]")


async def exchange_code(
    oauth: OAuthContext, provider: ConfiguredProvider, code: str, code_verifier: str
) -> ProviderTokens:
    """Trade an authorization code for tokens (RFC 6749, 4.1.3; RFC 7636, 4.5)."""
    fields = {"code": code, "code_verifier": code_verifier}
    answer = await _token_request(
        oauth, provider, "authorization_code", fields, redirect_uri=oauth.redirect_uri
    )
    return _tokens(provider.spec.name, answer, oauth.clock.now(), refresh_token=None)


async def refresh_tokens(
    oauth: OAuthContext, provider: ConfiguredProvider, refresh_token: str
) -> ProviderTokens:
    """New tokens for a refresh token (RFC 6749, 6). A provider that sends no new refresh
    token keeps the old one valid, so it is carried over."""
    answer = await _token_request(
        oauth, provider, "refresh_token", {"refresh_token": refresh_token}
    )
    return _tokens(provider.spec.name, answer, oauth.clock.now(), refresh_token=refresh_token)


async def _token_request(
    oauth: OAuthContext,
    provider: ConfiguredProvider,
    grant_type: str,
    fields: Mapping[str, str],
    *,
    redirect_uri: str | None = None,
) -> ProviderAnswer:
    secret = provider.secret(oauth.clock.now())
    headers: dict[str, str] = {}
    extra = dict(fields)
    if provider.spec.token_auth is TokenAuth.BASIC:
        # RFC 6749, 2.3.1: both parts form-encoded before they are joined and encoded.
        pair = f"{quote(provider.client_id, safe='')}:{quote(secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        extra.update(client_id=provider.client_id, client_secret=secret)
    body: str = prepare_token_request(grant_type, redirect_uri=redirect_uri, **extra)
    return await oauth.http.post_form(
        provider.spec.name, provider.spec.token_url, body, headers=headers
    )


def _tokens(
    name: str, answer: ProviderAnswer, now: float, *, refresh_token: str | None
) -> ProviderTokens:
    body = answer.body
    if not isinstance(body, dict):
        raise ProviderResponseError(
            f"{name} answered the token request with something else than JSON."
        )
    error = body.get("error")
    if error is not None or answer.status != 200:
        raise _refused(name, error)
    access_token = body.get("access_token")
    token_type = body.get("token_type", "Bearer")
    if not isinstance(access_token, str) or not access_token or not isinstance(token_type, str):
        raise ProviderResponseError(f"{name} sent no access token.")
    expires_in = body.get("expires_in")
    if isinstance(expires_in, str) and expires_in.isdigit():
        expires_in = int(expires_in)
    new_refresh = body.get("refresh_token")
    scope = body.get("scope")
    id_token = body.get("id_token")
    return ProviderTokens(
        access_token=access_token,
        token_type=token_type,
        refresh_token=new_refresh
        if isinstance(new_refresh, str) and new_refresh
        else refresh_token,
        expires_at=(
            to_ms(now + expires_in)
            if isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0
            else None
        ),
        scopes=tuple(scope.replace(",", " ").split()) if isinstance(scope, str) else (),
        id_token=id_token if isinstance(id_token, str) else None,
    )


def _refused(name: str, error: object) -> ProviderRefusedError:
    code = _PRINTABLE.sub("", error)[:64] if isinstance(error, str) else "unknown"
    if code in ("invalid_grant", "bad_verification_code"):
        message = (
            f"{name} did not accept the sign-in: it was used already or has expired. "
            "Please start again."
        )
    else:
        message = f"{name} refused the sign-in ({code}). Please start again."
    return ProviderRefusedError(message, meta={"provider_error": code})

"""Completing a provider flow: from the callback's parameters to a verified profile.

The steps, in order:

1. The ``state`` is looked up by its digest and taken (deleted) in a transaction of its
   own, committed before anything else happens: a state opens one callback, even one
   that then fails. Unknown, expired, or started by another browser (another Client id)
   is :class:`AuthorizationStateError`.
2. An ``iss`` in the callback (RFC 9207) must be the provider's issuer, and a provider
   that promises one must send it: a code from one provider is never sent to another.
3. An ``error`` from the provider ends the flow: ``access_denied`` as
   :class:`ProviderDeniedError`, anything else as :class:`ProviderRefusedError`.
4. The code is exchanged with the flow's PKCE verifier (``tokens.py``).
5. OpenID Connect: the ID token must be there and verify (``id_tokens.py``), with the
   nonce stored for this flow.
6. The profile is read (``profiles.py``).

Steps 4 to 6 talk to the provider outside any database transaction, so a slow provider
holds no lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from threshold.core.codes import token_digest
from threshold.core.records.oauth import AuthorizationState, ProviderProfile, ProviderTokens
from threshold.services.oauth.authorization import verifier_context
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.directory import ConfiguredProvider
from threshold.services.oauth.errors import (
    AuthorizationStateError,
    IdTokenInvalidError,
    ProviderDeniedError,
    ProviderRefusedError,
    ProviderResponseError,
)
from threshold.services.oauth.id_tokens import verify_id_token
from threshold.services.oauth.profiles import read_profile
from threshold.services.oauth.tokens import exchange_code
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories.oauth import AuthorizationStateRepository

__all__ = ["ProviderCallback", "ProviderGrant", "complete_authorization"]

_MAX_PARAM = 4096


@dataclass(frozen=True, slots=True)
class ProviderCallback:
    """What the provider sent back to ``/v1/oauth_callback`` (query or Apple's form)."""

    state: str | None
    code: str | None = None
    error: str | None = None
    error_description: str | None = None
    issuer: str | None = None
    """RFC 9207's ``iss`` parameter, when the provider sends it."""
    user: str | None = None
    """Apple's ``user`` field: the name, sent once, on the first authorization."""


@dataclass(frozen=True, slots=True)
class ProviderGrant:
    """A completed flow: who the provider says the user is, and the tokens it granted."""

    strategy: str
    profile: ProviderProfile
    tokens: ProviderTokens
    redirect_url: str | None
    subject_id: str | None


async def complete_authorization(
    ctx: ServerContext, oauth: OAuthContext, *, client_id: str, callback: ProviderCallback
) -> ProviderGrant:
    """Finish the flow that ``callback`` belongs to, for the browser whose Client is
    ``client_id`` (steps in the module docstring)."""
    flow = await _take_state(ctx, client_id, callback.state)
    provider = await oauth.providers.get(flow.strategy)
    spec = provider.spec
    issuer_expected = callback.issuer is not None or spec.callback_issuer
    if issuer_expected and (spec.issuer is None or callback.issuer != spec.issuer):
        raise ProviderResponseError(f"The answer did not come from {spec.name}.")
    if callback.error is not None:
        if callback.error == "access_denied":
            raise ProviderDeniedError(f"The sign-in was cancelled at {spec.name}.")
        raise ProviderRefusedError(
            f"{spec.name} could not sign you in. Please start again.",
            meta={"provider_error": callback.error[:64]},
        )
    if not callback.code or len(callback.code) > _MAX_PARAM:
        raise ProviderResponseError(f"{spec.name} sent no authorization code.")
    verifier = oauth.box.open(
        flow.code_verifier_sealed, context=verifier_context(flow.state_digest)
    )
    tokens = await exchange_code(oauth, provider, callback.code, verifier)
    claims = await _verified_claims(oauth, provider, tokens, flow)
    profile = await read_profile(oauth, provider, tokens, claims, apple_user=callback.user)
    return ProviderGrant(
        strategy=flow.strategy,
        profile=profile,
        tokens=tokens,
        redirect_url=flow.redirect_url,
        subject_id=flow.subject_id,
    )


async def _take_state(ctx: ServerContext, client_id: str, state: str | None) -> AuthorizationState:
    if not state or len(state) > _MAX_PARAM:
        raise AuthorizationStateError(meta={"reason": "missing"})
    digest = token_digest(state)

    async def work(tx: Tx) -> AuthorizationState | None:
        return await AuthorizationStateRepository(tx.conn).take(digest)

    flow = await run_transaction(ctx, work)
    if flow is None:
        raise AuthorizationStateError(meta={"reason": "unknown"})
    if flow.expire_at <= ctx.now_ms():
        raise AuthorizationStateError(meta={"reason": "expired"})
    if flow.client_id != client_id:
        raise AuthorizationStateError(meta={"reason": "other_client"})
    return flow


async def _verified_claims(
    oauth: OAuthContext,
    provider: ConfiguredProvider,
    tokens: ProviderTokens,
    flow: AuthorizationState,
) -> dict[str, object] | None:
    if not provider.spec.is_oidc:
        return None
    if tokens.id_token is None:
        raise IdTokenInvalidError(f"{provider.spec.name} sent no identity token.")
    return await verify_id_token(
        oauth.keys,
        provider.spec,
        tokens.id_token,
        client_id=provider.client_id,
        expected_nonce_digest=flow.nonce_digest,
        access_token=tokens.access_token,
        now=oauth.clock.now(),
        tenant=provider.tenant,
    )

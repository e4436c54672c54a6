"""Starting a provider flow: the URL to send the browser to, and what the callback needs.

Each flow gets three fresh random values (``core.ids.random_token``):

- ``state`` (256 bits): ties the callback to this flow and to the browser (Client) that
  started it; only its SHA-256 is stored, as the row's key, with the Client's id.
- ``nonce`` (256 bits), OpenID Connect providers only: the ID token must carry it back;
  only its SHA-256 is stored.
- the PKCE code verifier (384 bits, RFC 7636 with S256): proves at the token endpoint
  that whoever redeems the code started the flow; stored sealed, as it must be sent.

The row expires after ten minutes and is taken by the first callback that presents its
state (``completion.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from threshold.core.codes import token_digest
from threshold.core.ids import random_token
from threshold.core.records.oauth import AuthorizationState
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.id_tokens import nonce_digest
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories.oauth import AuthorizationStateRepository

__all__ = ["STATE_LIFETIME_MS", "AuthorizationRedirect", "start_authorization", "verifier_context"]

STATE_LIFETIME_MS = 10 * 60 * 1000
"""How long a started flow can be completed (the provider's pages included)."""


@dataclass(frozen=True, slots=True)
class AuthorizationRedirect:
    """Where to send the browser, and until when its flow can complete."""

    url: str
    strategy: str
    expire_at: int


def verifier_context(state_digest: str) -> str:
    """The associated data a flow's code verifier is sealed under (its row, by key)."""
    return f"oauth_states.code_verifier_sealed:{state_digest}"


async def start_authorization(
    ctx: ServerContext,
    oauth: OAuthContext,
    *,
    client_id: str,
    strategy: str,
    redirect_url: str | None = None,
    subject_id: str | None = None,
) -> AuthorizationRedirect:
    """Begin a flow with ``strategy``'s provider for the browser whose Client is
    ``client_id``. ``redirect_url`` (where the browser goes once done) and ``subject_id``
    (the sign-in or sign-up attempt) are kept for the callback, untouched."""
    provider = await oauth.providers.get(strategy)  # may fetch discovery: before the tx
    spec = provider.spec
    state, nonce, verifier = random_token(32), random_token(32), random_token(48)
    now = ctx.now_ms()
    digest = token_digest(state)
    record = AuthorizationState(
        state_digest=digest,
        client_id=client_id,
        strategy=strategy,
        nonce_digest=nonce_digest(nonce),
        code_verifier_sealed=oauth.box.seal(verifier, context=verifier_context(digest)),
        redirect_url=redirect_url,
        subject_id=subject_id,
        expire_at=now + STATE_LIFETIME_MS,
        created_at=now,
    )

    async def work(tx: Tx) -> None:
        states = AuthorizationStateRepository(tx.conn)
        await states.purge_expired(now)
        await states.add(record)

    await run_transaction(ctx, work)
    url: str = prepare_grant_uri(
        spec.authorize_url,
        client_id=provider.client_id,
        response_type="code",
        redirect_uri=oauth.redirect_uri,
        scope=list(spec.scopes),
        state=state,
        nonce=nonce if spec.is_oidc else None,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
        **spec.authorize_params,
    )
    return AuthorizationRedirect(url=url, strategy=strategy, expire_at=record.expire_at)

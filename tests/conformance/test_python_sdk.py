"""The official Python SDK (``clerk-backend-api`` 7.0.0) against a live Threshold server.

Every call goes through the SDK's own pydantic models, so a missing required key, a
wrong type or an unknown enum value fails here as ``ResponseValidationError``.
"""

from __future__ import annotations

import base64
import struct
import uuid
import zlib
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from clerk_backend_api import Clerk, models
from clerk_backend_api.security import authenticate_request
from clerk_backend_api.security.types import AuthenticateRequestOptions, AuthStatus
from clerk_backend_api.utils import RetryConfig

from tests.support import LiveServer

pytestmark = [
    pytest.mark.conformance,
    # The SDK reads its own deprecated request fields when it builds the query string.
    pytest.mark.filterwarnings("ignore:.*DEPRECATED.*:DeprecationWarning"),
]

PASSWORD = "correct horse battery staple"
APP = "http://localhost:3000"
# The strategy "none" never reads the backoff; the SDK's annotation wants one anyway.
NO_RETRIES = RetryConfig("none", None, False)  # type: ignore[arg-type]


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def clerk(live_server: LiveServer) -> Iterator[Clerk]:
    with Clerk(
        bearer_auth=live_server.secret_key,
        server_url=f"{live_server.url}/v1",
        retry_config=NO_RETRIES,
        timeout_ms=20_000,
    ) as sdk:
        yield sdk


def _id(value: str | None) -> str:
    assert value is not None
    return value


def _email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def test_users_and_email_addresses(clerk: Clerk, live_server: LiveServer) -> None:
    _wrong_secret_key_is_a_401(live_server)
    address = _email("ann")
    user = clerk.users.create(
        email_address=[address],
        password=PASSWORD,
        first_name="Ann",
        last_name="Lee",
        username="ann_" + uuid.uuid4().hex[:6],
        external_id="ext-" + uuid.uuid4().hex[:6],
        public_metadata={"role": "admin"},
        private_metadata={},
        unsafe_metadata={},
        skip_password_checks=True,
    )
    assert user.id.startswith("user_") and user.first_name == "Ann"
    assert user.email_addresses[0].email_address == address
    assert clerk.users.get(user_id=user.id).id == user.id
    listed = clerk.users.list(
        request={"email_address": [address], "user_id": [user.id], "query": "ann", "limit": 10}
    )
    assert [u.id for u in listed] == [user.id]
    assert clerk.users.count(request={"query": "ann"}).total_count >= 1

    extra = clerk.email_addresses.create(
        request={"user_id": user.id, "email_address": _email("extra"), "verified": True}
    )
    assert clerk.email_addresses.get(email_address_id=_id(extra.id)).id == extra.id
    updated_email = clerk.email_addresses.update(
        email_address_id=_id(extra.id), verified=True, primary=True
    )
    assert updated_email.id == extra.id
    updated = clerk.users.update(user_id=user.id, first_name="Bea")
    assert updated.first_name == "Bea" and updated.primary_email_address_id == extra.id
    deleted_email = clerk.email_addresses.delete(email_address_id=_id(user.email_addresses[0].id))
    assert deleted_email.deleted is True

    merged = clerk.users.update_metadata(user_id=user.id, public_metadata={"a": 1})
    assert merged.public_metadata == {"role": "admin", "a": 1}
    replaced = clerk.users.replace_metadata(user_id=user.id, public_metadata={"b": 2})
    assert replaced.public_metadata == {"b": 2}
    assert clerk.users.verify_password(user_id=user.id, password=PASSWORD).verified is True
    assert clerk.users.ban(user_id=user.id).banned is True
    assert clerk.users.unban(user_id=user.id).banned is False
    assert clerk.users.lock(user_id=user.id).locked is True
    assert clerk.users.unlock(user_id=user.id).locked is False
    image: models.FileTypedDict = {
        "file_name": "me.png",
        "content": _png(),
        "content_type": "image/png",
    }
    assert clerk.users.set_profile_image(user_id=user.id, file=image).has_image is True
    assert clerk.users.delete_profile_image(user_id=user.id).has_image is False
    gone = clerk.users.delete(user_id=user.id)
    assert (gone.object, gone.id, gone.deleted) == ("user", user.id, True)

    with pytest.raises(models.ClerkErrors) as not_found:
        clerk.users.get(user_id=user.id)
    assert not_found.value.raw_response.status_code == 404
    assert not_found.value.data.errors[0].code == "resource_not_found"
    with pytest.raises((models.ClerkErrors, models.SDKError)) as too_many:
        clerk.users.list(request={"limit": 501})
    assert too_many.value.raw_response.status_code == 422


def test_sessions_clients_and_tokens(clerk: Clerk, live_server: LiveServer) -> None:
    user = clerk.users.create(email_address=[_email("ses")], password=PASSWORD)
    session = clerk.sessions.create(request={"user_id": user.id})
    assert session.status == "active" and session.user_id == user.id
    assert [
        s.id for s in clerk.sessions.list(user_id=user.id, status=models.QueryParamStatus.ACTIVE)
    ] == [session.id]
    assert clerk.sessions.get(session_id=session.id).id == session.id
    client = clerk.clients.get(client_id=session.client_id)
    assert client.session_ids == [session.id] and client.sessions[0].id == session.id
    assert session.client_id in [c.id for c in clerk.clients.list(limit=500)]

    minted = clerk.sessions.create_token(session_id=session.id, expires_in_seconds=60)
    assert minted is not None and minted.object == "token" and minted.jwt
    request = httpx.Request("GET", APP, headers={"Authorization": f"Bearer {minted.jwt}"})
    state = authenticate_request(
        request, AuthenticateRequestOptions(jwt_key=live_server.jwt_public_pem)
    )
    assert state.status == AuthStatus.SIGNED_IN and state.is_signed_in
    assert state.payload is not None and state.payload["sid"] == session.id
    with_origin = clerk.sessions.create_token(session_id=session.id, http_headers={"Origin": APP})
    assert with_origin is not None
    party = httpx.Request("GET", APP, headers={"Authorization": f"Bearer {with_origin.jwt}"})
    options = AuthenticateRequestOptions(
        jwt_key=live_server.jwt_public_pem, authorized_parties=[APP]
    )
    assert authenticate_request(party, options).is_signed_in

    template = clerk.jwt_templates.create(
        request=cast(
            Any,
            {
                "name": "t_" + uuid.uuid4().hex[:6],
                "claims": {"email": "{{user.primary_email_address}}"},
                "lifetime": 60,
                "allowed_clock_skew": 5,
            },
        )
    )
    from_template = clerk.sessions.create_token_from_template(
        session_id=session.id, template_name=template.name, expires_in_seconds=120
    )
    assert from_template is not None and from_template.jwt

    revoked = clerk.sessions.revoke(session_id=session.id)
    assert revoked.status == "revoked"
    # Stateless: the old token stays valid until it expires, but nothing new is minted.
    assert authenticate_request(
        request, AuthenticateRequestOptions(jwt_key=live_server.jwt_public_pem)
    ).is_signed_in
    with pytest.raises((models.ClerkErrors, models.SDKError)) as refused:
        clerk.sessions.create_token(session_id=session.id)
    assert 400 <= refused.value.raw_response.status_code < 500


def test_invitations_tokens_lists_templates_and_jwks(clerk: Clerk, live_server: LiveServer) -> None:
    invitation = clerk.invitations.create(
        request={
            "email_address": _email("inv"),
            "redirect_url": f"{APP}/accept",
            "notify": False,
            "public_metadata": {},
        }
    )
    assert invitation.status == "pending" and invitation.url
    assert invitation.id in [
        i.id
        for i in clerk.invitations.list(
            status=models.ListInvitationsQueryParamStatus.PENDING, limit=500
        )
    ]
    revoked = clerk.invitations.revoke(invitation_id=invitation.id)
    assert revoked.status == "revoked"

    user = clerk.users.create(email_address=[_email("tok")], password=PASSWORD)
    token = clerk.sign_in_tokens.create(request={"user_id": user.id, "expires_in_seconds": 600})
    assert token.status == "pending" and token.url and token.token
    assert token.url.endswith(f"/sign-in?__clerk_ticket={token.token}")
    assert clerk.sign_in_tokens.revoke(sign_in_token_id=token.id).status == "revoked"

    allowed = clerk.allowlist_identifiers.create(request={"identifier": "*@example.org"})
    assert allowed.id in [a.id for a in clerk.allowlist_identifiers.list()]
    assert clerk.allowlist_identifiers.delete(identifier_id=_id(allowed.id)).deleted is True
    blocked = clerk.blocklist_identifiers.create(request={"identifier": "evil@x.io"})
    assert [b.id for b in clerk.blocklist_identifiers.list().data] == [blocked.id]
    assert clerk.blocklist_identifiers.delete(identifier_id=_id(blocked.id)).deleted is True

    name = "tpl_" + uuid.uuid4().hex[:6]
    template = clerk.jwt_templates.create(
        request=cast(Any, {"name": name, "claims": {"id": "{{user.id}}"}, "lifetime": 60})
    )
    assert template.name == name and template.signing_algorithm == "RS256"
    assert clerk.jwt_templates.get(template_id=template.id).id == template.id
    assert template.id in [t.id for t in clerk.jwt_templates.list()]
    renamed = clerk.jwt_templates.update(
        template_id=template.id, name=name + "2", claims=cast(Any, {"x": 1}), lifetime=120
    )
    assert renamed.lifetime == 120
    assert clerk.jwt_templates.delete(template_id=template.id).deleted is True

    jwks = clerk.jwks.get_jwks()
    assert jwks.keys and jwks.keys[0].kid == live_server.ctx.keyring.active.kid


def _wrong_secret_key_is_a_401(live_server: LiveServer) -> None:
    with (
        Clerk(
            bearer_auth="sk_test_" + base64.b16encode(b"nope").decode(),
            server_url=f"{live_server.url}/v1",
            retry_config=NO_RETRIES,
        ) as sdk,
        pytest.raises(models.ClerkErrors) as refused,
    ):
        sdk.users.list()
    assert refused.value.raw_response.status_code == 401
    assert refused.value.data.errors[0].code == "authentication_invalid"

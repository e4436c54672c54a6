"""Webhook signatures as Svix makes them, for the server that signs and the apps that verify.

A delivery carries three headers:

- ``svix-id``: the event's id, the same on every attempt (receivers dedupe on it);
- ``svix-timestamp``: seconds since the epoch when the attempt was signed;
- ``svix-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` entries, one per valid
  secret of the endpoint (two while a rotated secret is still honoured), each over
  ``"{id}.{timestamp}.{body}"``.

A secret is written ``whsec_<base64 of the key bytes>``; the key is what HMAC uses.

ThresholdError
 └── WebhookVerificationError        a delivery was refused by :func:`verify_signature`
      ├── WebhookFormatError         a header or the secret is missing or malformed
      ├── WebhookTimestampError      signed too long ago, or too far in the future
      └── WebhookSignatureError      no signature matches the body with this secret
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

from threshold.core.errors import ThresholdError

__all__ = [
    "SECRET_BYTES",
    "SECRET_PREFIX",
    "TOLERANCE_SECONDS",
    "WebhookFormatError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "WebhookVerificationError",
    "new_secret",
    "secret_key",
    "sign",
    "signature_header",
    "signed_headers",
    "verify_signature",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32
"""Random bytes in a new endpoint secret (Standard Webhooks asks for 24 to 64)."""
TOLERANCE_SECONDS = 5 * 60
"""How far a ``svix-timestamp`` may be from the receiver's clock, either way."""


class WebhookVerificationError(ThresholdError):
    """A webhook delivery could not be verified; do not act on its body."""

    code = "webhook_verification_failed"
    default_message = "The webhook could not be verified."


class WebhookFormatError(WebhookVerificationError):
    code = "webhook_malformed"
    default_message = "The webhook's headers, body or secret are malformed."


class WebhookTimestampError(WebhookVerificationError):
    code = "webhook_timestamp_out_of_range"
    default_message = "The webhook was signed too long ago or too far in the future."


class WebhookSignatureError(WebhookVerificationError):
    code = "webhook_signature_invalid"
    default_message = "No signature of the webhook matches its body and this secret."


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (the prefix is optional, as Svix allows)."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookFormatError("The webhook secret is not base64 after whsec_.") from exc
    if not key:
        raise WebhookFormatError("The webhook secret is empty.")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of a delivery."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(keys: Iterable[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``svix-signature`` value: one signature per key, space-separated."""
    return " ".join(sign(key, msg_id, timestamp, body) for key in keys)


def signed_headers(
    keys: Iterable[bytes], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers of a delivery."""
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(timestamp),
        "svix-signature": signature_header(keys, msg_id, timestamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() in (name, name.replace("svix-", "webhook-")):
            return value.strip()
    raise WebhookFormatError(f"The {name} header is missing.")


def verify_signature(
    body: bytes, headers: Mapping[str, str], secret: str, *, now: float
) -> tuple[str, int]:
    """Check a delivery; return its id and timestamp, or raise a
    :class:`WebhookVerificationError` saying why not.

    ``webhook-*`` headers (Standard Webhooks) are read when the ``svix-*`` ones are absent.
    Signatures are compared in constant time; versions other than ``v1`` are skipped.
    """
    msg_id = _header(headers, "svix-id")
    stamp = _header(headers, "svix-timestamp")
    listed = _header(headers, "svix-signature")
    if not msg_id or len(msg_id) > 256 or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookFormatError("The svix-id or svix-timestamp header is malformed.")
    timestamp = int(stamp)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise WebhookTimestampError()
    expected = sign(secret_key(secret), msg_id, timestamp, body).encode()
    for candidate in listed.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return msg_id, timestamp
    raise WebhookSignatureError()

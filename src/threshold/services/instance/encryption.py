"""The key that seals secrets the server must read back (``core/encryption.py``)."""

from __future__ import annotations

from threshold.core.encryption import SecretBox
from threshold.core.errors import ConfigurationError
from threshold.services.instance.settings import Settings

__all__ = ["secret_box"]


def secret_box(settings: Settings, instance_secret: bytes, *, purpose: str) -> SecretBox:
    """A :class:`SecretBox` for ``purpose``, keyed by ``THRESHOLD_ENCRYPTION_KEY``.

    Without the setting, a development server derives its key from the instance's own
    secret (``instance_secret``, kept in the database), so trying the server needs no
    extra step; a production server refuses to start, since a database dump would then
    hold both the sealed values and their key.
    """
    if settings.encryption_key is not None:
        return SecretBox(settings.encryption_key.get_secret_value(), purpose=purpose)
    if settings.is_development:
        return SecretBox(instance_secret, purpose=f"{purpose}:development")
    raise ConfigurationError(
        "THRESHOLD_ENCRYPTION_KEY must be set in production to store social sign-in "
        "tokens (at least 32 random characters; docs/social-sign-in.md)."
    )

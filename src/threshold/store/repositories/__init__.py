"""Repositories: each wraps one open connection (one transaction) and one table family,
and hands out records (``threshold.core.records``), never rows."""

from threshold.store.repositories.auth import (
    SignInRepository,
    SignUpRepository,
    VerificationRepository,
)
from threshold.store.repositories.clients import ClientRepository, SessionRepository
from threshold.store.repositories.identifier_lists import (
    AllowlistRepository,
    BlocklistRepository,
)
from threshold.store.repositories.instance import HandshakeNonceRepository, InstanceRepository
from threshold.store.repositories.jwt_templates import JwtTemplateRepository
from threshold.store.repositories.rate_limits import RateLimitRepository
from threshold.store.repositories.tickets import InvitationRepository, SignInTokenRepository
from threshold.store.repositories.users import EmailRepository, ImageRepository, UserRepository

__all__ = [
    "AllowlistRepository",
    "BlocklistRepository",
    "ClientRepository",
    "EmailRepository",
    "HandshakeNonceRepository",
    "ImageRepository",
    "InstanceRepository",
    "InvitationRepository",
    "JwtTemplateRepository",
    "RateLimitRepository",
    "SessionRepository",
    "SignInRepository",
    "SignInTokenRepository",
    "SignUpRepository",
    "UserRepository",
    "VerificationRepository",
]

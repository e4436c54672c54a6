"""Repositories: each wraps one open connection (one transaction) and one table family."""

from threshold.store.repositories.auth import (
    SignInRepository,
    SignUpRepository,
    VerificationRepository,
)
from threshold.store.repositories.clients import ClientRepository, SessionRepository
from threshold.store.repositories.instance import InstanceRepository
from threshold.store.repositories.users import EmailRepository, ImageRepository, UserRepository

__all__ = [
    "ClientRepository",
    "EmailRepository",
    "ImageRepository",
    "InstanceRepository",
    "SessionRepository",
    "SignInRepository",
    "SignUpRepository",
    "UserRepository",
    "VerificationRepository",
]

"""Building the server's context at start-up: database, schema check, instance, keys."""

from __future__ import annotations

from threshold.core.clock import Clock, SystemClock
from threshold.core.errors import ConfigurationError
from threshold.core.passwords import PasswordHasher, PasswordPolicy
from threshold.services.auth.strategies.registry import StrategyRegistry
from threshold.services.auth.strategies.shipped import default_strategies
from threshold.services.infra.mail import DevMailbox, Mailer, MultiMailer, SmtpMailer
from threshold.services.infra.ratelimit import DatabaseRateLimiter, RateLimiter, RedisRateLimiter
from threshold.services.instance.bootstrap import ensure_instance
from threshold.services.instance.keyring import Keyring
from threshold.services.instance.settings import Settings
from threshold.services.runtime.context import AsyncHasher, ServerContext
from threshold.store.db import Database
from threshold.store.migrate import head_revision

__all__ = ["build_context"]


def _mailers(settings: Settings, extra: list[Mailer]) -> MultiMailer:
    mailers: list[Mailer] = list(extra)
    if settings.is_development:
        mailers.append(DevMailbox())
    if settings.smtp_host:
        mailers.append(
            SmtpMailer(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.email_from,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value()
                if settings.smtp_password
                else None,
                tls=settings.smtp_tls,
            )
        )
    return MultiMailer(*mailers)


async def build_context(
    settings: Settings,
    *,
    clock: Clock | None = None,
    mailers: list[Mailer] | None = None,
    strategies: StrategyRegistry[ServerContext] | None = None,
) -> ServerContext:
    """Connect, check the schema, create the instance on first start, load keys.

    ``strategies``: the sign-in factors and sign-up verifications to offer (by default
    :func:`~threshold.services.auth.strategies.shipped.default_strategies`).
    """
    clock = clock or SystemClock()
    if problems := settings.production_problems():
        raise ConfigurationError(" ".join(problems))
    db = Database(settings.resolved_database_url)
    revision = await db.current_revision()
    if revision != head_revision():
        await db.dispose()
        raise ConfigurationError(
            "The database is not migrated to this version of Threshold "
            f"(at {revision or 'nothing'}, need {head_revision()}). Run `threshold migrate`."
        )
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    instance = await ensure_instance(
        db,
        clock,
        public_url=settings.public_url,
        environment=settings.environment,
        secret_key=secret,
    )
    keyring = Keyring(
        db, clock, retire_grace_seconds=max(settings.session_token_lifetime, 60) + 3600
    )
    await keyring.load()
    limiter: RateLimiter = (
        RedisRateLimiter(settings.redis_url, clock)
        if settings.redis_url
        else DatabaseRateLimiter(db, clock)
    )
    hasher = AsyncHasher(
        PasswordHasher(memory_cost=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost)
    )
    return ServerContext(
        settings=settings,
        db=db,
        keyring=keyring,
        instance=instance,
        mailer=_mailers(settings, mailers or []),
        limiter=limiter,
        hasher=hasher,
        strategies=default_strategies() if strategies is None else strategies,
        clock=clock,
        policy=PasswordPolicy(min_length=settings.password_min_length),
    )

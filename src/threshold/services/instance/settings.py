"""Server settings: one frozen object, read from ``THRESHOLD_*`` environment variables.

Settings are validated when built and passed explicitly to ``create_app(settings)``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [v.strip().rstrip("/") for v in value.split(",") if v.strip()]
    return value


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address((host or "").strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Everything the identity server can be told. Each field names its variable."""

    model_config = SettingsConfigDict(env_prefix="THRESHOLD_", frozen=True, extra="ignore")

    environment: Literal["development", "production"] = "development"
    """THRESHOLD_ENVIRONMENT: ``development`` (keys ``pk_test_``/``sk_test_``, test mode,
    dev mailbox) or ``production``."""

    data_dir: Path = Path(".threshold")
    """THRESHOLD_DATA_DIR: where the default SQLite file lives."""

    clerk_js_dir: Path | None = None
    """THRESHOLD_CLERK_JS_DIR: where clerk-js and its UI bundle are installed and served
    from (``/npm/@clerk/...``). ``threshold clerk-js install`` fills it. Default: ``npm``
    in the data directory. Set it to serve scripts installed elsewhere, such as a
    read-only directory baked into a container image."""

    database_url: str | None = None
    """THRESHOLD_DATABASE_URL: ``sqlite+aiosqlite:///path.db`` or ``postgresql://...``
    (asyncpg). Default: an SQLite file in the data directory."""

    public_url: str = "http://127.0.0.1:8787"
    """THRESHOLD_PUBLIC_URL: the server's own base URL as browsers reach it. Token ``iss``,
    image URLs and links in emails use it (never the request's Host header). In
    production it must be ``https://`` (a loopback URL excepted), and plain-HTTP requests
    are then refused with 403."""

    secret_key: SecretStr | None = None
    """THRESHOLD_SECRET_KEY: becomes the instance's secret key when it is first created."""

    session_token_lifetime: int = Field(60, ge=1, le=3600)
    """THRESHOLD_SESSION_TOKEN_LIFETIME: seconds a session JWT lives (Clerk: 60)."""

    session_max_age: int = Field(7 * 24 * 3600, ge=60)
    """THRESHOLD_SESSION_MAX_AGE: absolute session lifetime in seconds (default 7 days)."""

    session_idle_timeout: int | None = None
    """THRESHOLD_SESSION_IDLE_TIMEOUT: end sessions idle this many seconds (off by default)."""

    allowed_origins: Annotated[list[str], NoDecode] = []
    """THRESHOLD_ALLOWED_ORIGINS: comma-separated origins of your apps. ``redirect_url``
    must point at one of them (or this server), and the Frontend API answers CORS only to
    them. In development, any ``http(s)://localhost`` / ``http(s)://127.0.0.1`` origin is
    allowed."""

    cookie_domain: str | None = None
    """THRESHOLD_COOKIE_DOMAIN: domain for ``__client_uat`` and ``__session`` so apps on
    sibling hosts see them (e.g. ``example.com``). ``__client`` stays host-only."""

    after_sign_in_url: str = "/user"
    """THRESHOLD_AFTER_SIGN_IN_URL: where hosted pages go when no valid redirect_url is given."""

    protect_identifier_existence: bool = True
    """THRESHOLD_PROTECT_IDENTIFIER_EXISTENCE: sign-in failures never tell whether an email
    has an account."""

    lockout_attempts: int = Field(100, ge=1, le=100)
    """THRESHOLD_LOCKOUT_ATTEMPTS: consecutive failed sign-ins that lock an account (Clerk: 100)."""

    lockout_seconds: int = Field(3600, ge=1)
    """THRESHOLD_LOCKOUT_SECONDS: how long a lock lasts."""

    ip_attempts_per_minute: int = Field(30, ge=1)
    """THRESHOLD_IP_ATTEMPTS_PER_MINUTE: credential checks per client IP per minute."""

    identifier_attempts_per_minute: int = Field(10, ge=1)
    """THRESHOLD_IDENTIFIER_ATTEMPTS_PER_MINUTE: credential checks per email per minute."""

    code_sends_per_hour: int = Field(5, ge=1)
    """THRESHOLD_CODE_SENDS_PER_HOUR: emails with a code per address per hour."""

    trusted_proxies: Annotated[list[str], NoDecode] = []
    """THRESHOLD_TRUSTED_PROXIES: peer IPs whose X-Forwarded-For and X-Forwarded-Proto
    are believed (put your TLS-terminating proxy here)."""

    redis_url: str | None = None
    """THRESHOLD_REDIS_URL: share rate-limit counters between processes through Redis."""

    argon2_memory_kib: int = Field(19456, ge=8192)
    """THRESHOLD_ARGON2_MEMORY_KIB: argon2id memory cost (OWASP minimum 19 MiB)."""

    argon2_time_cost: int = Field(2, ge=1)
    """THRESHOLD_ARGON2_TIME_COST: argon2id iterations."""

    password_min_length: int = Field(8, ge=8, le=128)
    """THRESHOLD_PASSWORD_MIN_LENGTH: minimum password length in characters."""

    smtp_host: str | None = None
    """THRESHOLD_SMTP_HOST: SMTP server; unset in development means print + dev mailbox only."""
    smtp_port: int = 587
    """THRESHOLD_SMTP_PORT."""
    smtp_username: str | None = None
    """THRESHOLD_SMTP_USERNAME."""
    smtp_password: SecretStr | None = None
    """THRESHOLD_SMTP_PASSWORD."""
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    """THRESHOLD_SMTP_TLS: ``starttls`` (default), ``tls`` (implicit) or ``none``
    (production allows ``none`` only for a relay on this machine)."""
    email_from: str = "Threshold <no-reply@localhost>"
    """THRESHOLD_EMAIL_FROM: the From header of every email."""

    app_name: str = "Threshold"
    """THRESHOLD_APP_NAME: the product name shown on hosted pages and in emails."""

    test_mode: bool | None = None
    """THRESHOLD_TEST_MODE: ``+clerk_test`` addresses take code 424242 and get no email.
    Default: on in development, off in production."""

    api_docs: bool | None = None
    """THRESHOLD_API_DOCS: serve the Backend API's OpenAPI document and docs page.
    Default: development only."""

    max_body_bytes: int = Field(1_048_576, ge=1024)
    """THRESHOLD_MAX_BODY_BYTES: largest request body accepted (profile images included)."""

    webhook_timeout: float = Field(15.0, gt=0, le=60)
    """THRESHOLD_WEBHOOK_TIMEOUT: seconds a webhook receiver has to answer one delivery,
    connecting included; a slower answer is a failed attempt, retried on the schedule."""

    webhook_log_retention_days: int = Field(30, ge=1, le=3650)
    """THRESHOLD_WEBHOOK_LOG_RETENTION_DAYS: days the webhook delivery log (attempts,
    status codes, response times, the first bytes of each response) and the events
    delivered are kept; an event can be replayed until then."""

    webhook_allowed_networks: Annotated[list[str], NoDecode] = []
    """THRESHOLD_WEBHOOK_ALLOWED_NETWORKS: comma-separated networks (``10.20.0.0/16``) that
    webhook endpoints may resolve to although they are private, loopback or otherwise
    refused (docs/webhooks.md). Cloud metadata addresses stay refused."""

    webhook_lease_seconds: int = Field(30, ge=2, le=600)
    """THRESHOLD_WEBHOOK_LEASE_SECONDS: one server process at a time delivers webhooks,
    holding a lease in the database that it renews; if that process dies, another takes
    over within this many seconds."""
    encryption_key: SecretStr | None = Field(None, min_length=32)
    """THRESHOLD_ENCRYPTION_KEY: at least 32 random characters that key the encryption of
    secrets the server must read back, such as social providers' access and refresh
    tokens (``core/encryption.py``). Required in production once a social provider is
    configured. Unset in development: derived from the instance's secret in the database
    (a database dump then reveals those tokens). Changing it makes stored provider tokens
    unreadable (users sign in with the provider again)."""

    social_provider_timeout: float = Field(10.0, gt=0, le=60)
    """THRESHOLD_SOCIAL_PROVIDER_TIMEOUT: seconds to wait for each answer from a social
    sign-in provider (discovery, keys, token exchange, profile) before the sign-in fails
    with a clear error (docs/social-sign-in.md)."""

    @field_validator("allowed_origins", "trusted_proxies", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        value = _split_list(value)
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item), strict=False)  # ValueError: refused
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def test_mode_enabled(self) -> bool:
        return self.is_development if self.test_mode is None else self.test_mode

    @property
    def api_docs_enabled(self) -> bool:
        return self.is_development if self.api_docs is None else self.api_docs

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def production_problems(self) -> list[str]:
        """What a production server must not run with; empty in development.

        Plain HTTP would carry the ``__client`` secret and passwords in clear, so the
        public URL must be https (a loopback URL is allowed for trying production mode
        on one machine); mail goes out over TLS unless the relay is on this machine.
        """
        if self.is_development:
            return []
        problems = []
        if not self.secure_cookies and not _is_loopback(urlsplit(self.public_url).hostname):
            problems.append(
                "THRESHOLD_PUBLIC_URL must be an https:// URL in production "
                "(terminate TLS at your proxy and give the URL users see)."
            )
        if self.smtp_host and self.smtp_tls == "none" and not _is_loopback(self.smtp_host):
            problems.append(
                "THRESHOLD_SMTP_TLS=none sends codes in clear: use starttls or tls in "
                "production (none is allowed only for a relay on this machine)."
            )
        return problems

    @property
    def resolved_clerk_js_dir(self) -> Path:
        """The directory of installed clerk-js scripts."""
        return self.clerk_js_dir or self.data_dir / "npm"

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL to use."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'threshold.db'}"
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+asyncpg://" + url[len(plain) :]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        return url

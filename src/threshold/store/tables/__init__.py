"""Table definitions, one module per concept; every table shares one ``MetaData``.

Times are integer milliseconds since the epoch (Clerk's unit). Secrets (client tokens,
API keys, codes, tickets) are stored as digests.
"""

from threshold.store.tables._common import metadata
from threshold.store.tables.identity import (
    allowlist_identifiers,
    api_keys,
    blocklist_identifiers,
    clients,
    email_addresses,
    handshake_nonces,
    images,
    instance,
    invitations,
    jwt_templates,
    rate_limits,
    sessions,
    sign_in_tokens,
    sign_ins,
    sign_ups,
    signing_keys,
    users,
    users_search,
    users_search_keys,
    verifications,
)
from threshold.store.tables.oauth import external_accounts, oauth_states
from threshold.store.tables.webhooks import (
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
    webhook_leases,
    webhook_secrets,
)

__all__ = [
    "allowlist_identifiers",
    "api_keys",
    "blocklist_identifiers",
    "clients",
    "email_addresses",
    "external_accounts",
    "handshake_nonces",
    "images",
    "instance",
    "invitations",
    "jwt_templates",
    "metadata",
    "oauth_states",
    "rate_limits",
    "sessions",
    "sign_in_tokens",
    "sign_ins",
    "sign_ups",
    "signing_keys",
    "users",
    "users_search",
    "users_search_keys",
    "verifications",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_events",
    "webhook_leases",
    "webhook_secrets",
]

"""Which origins the Frontend API answers with credentialed CORS: in development, any
local origin over http or https (apps served by ``threshold dev --https``'s certificate
included); in production, only the configured ones."""

from __future__ import annotations

import pytest

from threshold.server.http import is_allowed_origin
from threshold.services.instance.settings import Settings


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "https://localhost:3000",
        "https://127.0.0.1:8443",
        "https://[::1]:3000",
    ],
)
def test_development_allows_local_origins_over_http_and_https(origin: str) -> None:
    assert is_allowed_origin(origin, Settings(environment="development"))
    production = Settings(environment="production", public_url="https://auth.example.com")
    assert not is_allowed_origin(origin, production)


@pytest.mark.parametrize(
    "origin", ["https://localhost.example.com", "ftp://localhost", "null", "https://10.0.0.1"]
)
def test_development_still_refuses_other_origins(origin: str) -> None:
    assert not is_allowed_origin(origin, Settings(environment="development"))

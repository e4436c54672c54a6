"""Fixtures for SDK tests: a real HTTP stand-in for the server and ready configs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sdk.fake_api import FakeApi, running_fake_api
from threshold import SdkConfig


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def fake_api_server() -> Iterator[FakeApi]:
    with running_fake_api() as api:
        yield api


@pytest.fixture
def fake_api(fake_api_server: FakeApi) -> FakeApi:
    """The fake server, reset, with user ``user_1`` signed in as session ``sess_1``."""
    fake_api_server.reset()
    fake_api_server.add_session()
    return fake_api_server


@pytest.fixture
def config(fake_api: FakeApi) -> SdkConfig:
    """PEM verification (no JWKS calls) plus the API for users, handshakes and renewals."""
    return SdkConfig(
        jwt_key=fake_api.key.public_pem(), secret_key=fake_api.secret_key, api_url=fake_api.url
    )


@pytest.fixture
def jwks_config(fake_api: FakeApi) -> SdkConfig:
    """Keys from the server's JWKS."""
    return SdkConfig(secret_key=fake_api.secret_key, api_url=fake_api.url)

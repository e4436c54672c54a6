"""Fixtures for the token attacks: a second, foreign instance, an event loop, a forge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from tests.sdk.attacks.tokens import Forge
from tests.sdk.fake_api import FakeApi, running_fake_api


@pytest.fixture(scope="module")
def other_api_server() -> Iterator[FakeApi]:
    """A second instance: its own key, kid and issuer (URL)."""
    with running_fake_api() as api:
        yield api


@pytest.fixture
def other_api(other_api_server: FakeApi) -> FakeApi:
    other_api_server.reset()
    return other_api_server


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    """One event loop for the ASGI calls of this module."""
    with start_blocking_portal() as running:
        yield running


@pytest.fixture
def forge(fake_api: FakeApi, other_api: FakeApi) -> Forge:
    return Forge(fake_api, other_api)

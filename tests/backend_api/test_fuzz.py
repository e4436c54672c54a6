"""Schemathesis against the Backend API's OpenAPI document: no 5xx, and every answer
(errors included) has a documented status, ``application/json`` and the documented shape.

The document is built at import time by the same code that serves ``/v1/openapi.json``
(a test below checks that the served one is identical), so the cases can be generated
before the server starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import LiveServer, run_live_server
from threshold.server.backend_api._app import build_api
from threshold.services.instance.settings import Settings

DOCUMENT: dict[str, Any] = build_api(Settings(api_docs=True)).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_live_server(tmp_path_factory.mktemp("fuzz")) as live:
        yield live


def test_served_document_is_the_fuzzed_one(fuzz_server: LiveServer) -> None:
    served = httpx.get(f"{fuzz_server.url}/v1/openapi.json").json()
    assert served.pop("servers") == [{"url": "/v1"}]
    assert served == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_backend_api_conforms(case: schemathesis.Case[Any], fuzz_server: LiveServer) -> None:
    case.call_and_validate(
        base_url=f"{fuzz_server.url}/v1",
        headers={"Authorization": f"Bearer {fuzz_server.secret_key}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )

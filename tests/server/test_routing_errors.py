"""Unknown paths and wrong methods: Clerk's JSON error body under the APIs (clerk-js reads
``errors[0].code`` from every answer), the finished HTML page everywhere else."""

from __future__ import annotations

import httpx
import pytest

from tests.support import LiveServer, clerk_error


@pytest.mark.parametrize(
    "path",
    ["/v1/no/such/thing", "/v1/client/no_such_resource", "/v1/me/anything", "/.well-known/nope"],
)
def test_unknown_api_paths_answer_clerks_404(sqlite_server: LiveServer, path: str) -> None:
    response = httpx.get(sqlite_server.url + path)
    error = clerk_error(response, 404)
    assert error["code"] == "resource_not_found"
    assert path in error["long_message"]
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"


def test_a_known_path_with_another_method_answers_clerks_405(sqlite_server: LiveServer) -> None:
    direct = httpx.get(sqlite_server.url + "/v1/client/sign_ins")
    error = clerk_error(direct, 405)
    assert error["code"] == "method_not_allowed"
    assert error["long_message"] == "GET is not allowed on /v1/client/sign_ins."
    assert direct.headers["allow"] == "POST"
    overridden = httpx.post(sqlite_server.url + "/v1/client/sign_ins?_method=PATCH")
    assert clerk_error(overridden, 405)["code"] == "method_not_allowed"


def test_pages_keep_their_html_error_pages(sqlite_server: LiveServer) -> None:
    missing = httpx.get(sqlite_server.url + "/no/such/page")
    assert missing.status_code == 404 and "<!doctype html>" in missing.text
    wrong = httpx.delete(sqlite_server.url + "/sign-in")
    assert wrong.status_code == 405 and "<!doctype html>" in wrong.text

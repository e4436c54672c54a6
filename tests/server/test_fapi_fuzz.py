"""Schemathesis against the Frontend API: no 5xx, and every answer has a documented
status, ``application/json`` and the documented shape (``tests/server/fapi_schema.py``).

Each operation is fuzzed twice against one live server on SQLite:

- signed out: no cookie, no Origin, ids as generated;
- signed in: an allowed Origin and the ``__client`` of a freshly signed-up user, with the
  generated path ids replaced by that Client's real session, sign-in and sign-up, so the
  cases get past "signed out" and "not found" into the flows. A case that signs the
  browser out (ending sessions, deleting the Client, rotating its token) is fine: the
  next case signs a new test-mode user up (``+clerk_test``, code 424242).

Rate limits are raised so the fuzzer reaches the flows instead of 429s.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
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

from tests.server.fapi_schema import APP_ORIGIN, FAPI_DOCUMENT
from tests.support import LiveServer, run_live_server

PASSWORD = "correct horse battery staple"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_dict(FAPI_DOCUMENT)

# (persona, "METHOD /path", status) of every case sent; checked at the end.
TALLY: Counter[tuple[str, str, int]] = Counter()


def _new_client_token(response: schemathesis.Response) -> str | None:
    """The Client token the answer handed out ("" when it deleted the cookie), else None.

    Browsers get it as the ``__client`` cookie, native apps (``_is_native``) in
    ``Authorization``.
    """
    if native := response.headers.get("authorization"):
        return native[0]
    for header in response.headers.get("set-cookie", []):
        name, _, rest = header.partition("=")
        if name.strip() == "__client":
            return rest.split(";", 1)[0].strip().strip('"')
    return None


@dataclass(frozen=True)
class SignedIn:
    """A browser with one active session, plus the ids that belong to its Client."""

    client_token: str
    session_id: str
    sign_in_id: str
    sign_up_id: str

    @property
    def path_ids(self) -> dict[str, str]:
        return {
            "session_id": self.session_id,
            "sign_in_id": self.sign_in_id,
            "sign_up_id": self.sign_up_id,
        }


class Browsers:
    """Hands out a signed-in browser; signs a new user up when the last was signed out.

    Each answer tells whether the browser is still signed in (the envelope's Client, a
    rotated ``__client`` cookie); only when it cannot tell is ``/v1/client`` asked. One
    HTTP client for all of it: a new ``httpx.Client`` costs more than a request.
    """

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url, headers={"Origin": APP_ORIGIN})
        self.numbers = itertools.count(1)
        self.current: SignedIn | None = None
        self.unsure = False

    def signed_in(self) -> SignedIn:
        if self.current is not None and self.unsure:
            self.unsure = False
            if not self._still_signed_in(self.current):
                self.current = None
        if self.current is None:
            self.current = self._sign_up()
        self.unsure = True  # until the answer to this case says otherwise
        return self.current

    def observe(self, response: schemathesis.Response) -> None:
        """Follow the answer of the last case: a rotated cookie, a signed-out Client."""
        browser = self.current
        if browser is None:
            return
        token = _new_client_token(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "client" in body and response.status_code == 200:
            client = body["client"]
            still = client is not None and client["last_active_session_id"] == browser.session_id
            if not still or token == "":
                self.current = None
            elif token:
                self.current = replace(browser, client_token=token)
        elif token is not None:
            return  # a new cookie without a Client to explain it: ask /v1/client
        self.unsure = False

    def _still_signed_in(self, browser: SignedIn) -> bool:
        self.http.cookies.clear()
        self.http.cookies.set("__client", browser.client_token)
        client = self.http.get("/v1/client").json()["client"]
        return client is not None and client["last_active_session_id"] == browser.session_id

    def _ok(self, path: str, **data: str) -> dict[str, Any]:
        response = self.http.post(path, data=data)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def _sign_up(self) -> SignedIn:
        self.http.cookies.clear()
        email = f"fuzz-{next(self.numbers)}+clerk_test@example.com"
        sua = self._ok("/v1/client/sign_ups", email_address=email, password=PASSWORD)["response"]
        self._ok(f"/v1/client/sign_ups/{sua['id']}/prepare_verification", strategy="email_code")
        done = self._ok(f"/v1/client/sign_ups/{sua['id']}/attempt_verification", code="424242")
        assert done["response"]["status"] == "complete", done
        # A sign-in in progress on the same Client, for the sign-in steps to act on.
        sia = self._ok("/v1/client/sign_ins", identifier=email)["response"]
        return SignedIn(
            client_token=self.http.cookies["__client"],
            session_id=done["client"]["last_active_session_id"],
            sign_in_id=sia["id"],
            sign_up_id=sua["id"],
        )


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_live_server(
        tmp_path_factory.mktemp("fapi-fuzz"),
        ip_attempts_per_minute=1_000_000,
        identifier_attempts_per_minute=1_000_000,
        code_sends_per_hour=1_000_000,
    ) as live:
        yield live


@pytest.fixture(scope="module")
def browsers(fuzz_server: LiveServer) -> Iterator[Browsers]:
    browsers = Browsers(fuzz_server)
    yield browsers
    browsers.http.close()


def _label(case: schemathesis.Case[Any]) -> str:
    return f"{case.operation.method.upper()} {case.operation.path}"


@schema.parametrize()
@FUZZ_SETTINGS
def test_fapi_signed_out(case: schemathesis.Case[Any], fuzz_server: LiveServer) -> None:
    response = case.call_and_validate(base_url=fuzz_server.url, checks=CHECKS)
    TALLY["signed_out", _label(case), response.status_code] += 1


@schema.exclude(path=["/v1/environment", "/.well-known/jwks.json"]).parametrize()
@FUZZ_SETTINGS
def test_fapi_signed_in(
    case: schemathesis.Case[Any], fuzz_server: LiveServer, browsers: Browsers
) -> None:
    browser = browsers.signed_in()
    if case.path_parameters:
        case.path_parameters = {k: browser.path_ids[k] for k in case.path_parameters}
    response = case.call_and_validate(
        base_url=fuzz_server.url,
        headers={"Origin": APP_ORIGIN, "Authorization": f"Bearer {browser.client_token}"},
        cookies={"__client": browser.client_token},
        checks=CHECKS,
    )
    browsers.observe(response)
    TALLY["signed_in", _label(case), response.status_code] += 1


class Walk:
    """One browser taking the documented flows step by step, each answer validated."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.url
        self.token: str | None = None

    def send(
        self,
        method: str,
        path: str,
        status: int = 200,
        *,
        ids: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        **form: str,
    ) -> Any:
        body: dict[str, Any] = (
            {"body": form, "media_type": "application/x-www-form-urlencoded"} if form else {}
        )
        case = schema[path][method].Case(path_parameters=ids, query=query, **body)
        response = case.call_and_validate(
            base_url=self.url,
            headers={"Origin": APP_ORIGIN},
            cookies={"__client": self.token} if self.token else None,
            checks=CHECKS,
        )
        token = _new_client_token(response)
        if token is not None:
            self.token = token or None
        assert response.status_code == status, response.text
        TALLY["walk", f"{method} {path}", status] += 1
        return response.json() if response.content else None


def test_flows_conform(fuzz_server: LiveServer) -> None:
    """Sign-up, sign-in by password, by code and by password reset, session actions,
    handshakes and sign-out: the answers in the states fuzzing rarely reaches."""
    walk = Walk(fuzz_server)
    email = "walk+clerk_test@example.com"
    sign_up = walk.send(
        "POST",
        "/v1/client/sign_ups",
        email_address=email,
        password=PASSWORD,
        first_name="W",
        unsafe_metadata='{"plan": "pro", "seats": [1, 2]}',
    )["response"]
    assert sign_up["status"] == "missing_requirements"
    assert sign_up["unsafe_metadata"] == {"plan": "pro", "seats": [1, 2]}
    sua = {"sign_up_id": sign_up["id"]}
    walk.send("POST", "/v1/client/sign_ups/{sign_up_id}/prepare_verification", ids=sua)
    done = walk.send(
        "POST", "/v1/client/sign_ups/{sign_up_id}/attempt_verification", ids=sua, code="424242"
    )
    assert done["response"]["status"] == "complete"
    sid = {"session_id": done["client"]["last_active_session_id"]}
    client = walk.send("GET", "/v1/client")["client"]
    assert client["sessions"][0]["last_active_token"]["object"] == "token"
    walk.send("POST", "/v1/client/sessions/{session_id}/tokens", ids=sid)
    walk.send("POST", "/v1/client/sessions/{session_id}/touch", ids=sid)
    for fmt in ("token", "nonce"):
        walk.send(
            "GET",
            "/v1/client/handshake",
            307,
            query={"redirect_url": APP_ORIGIN + "/", "format": fmt},
        )
    walk.send("POST", "/v1/client/sessions", query={"_method": "DELETE"})
    walk.send("POST", "/v1/client/sessions/{session_id}/tokens", 401, ids=sid)

    by_password = walk.send("POST", "/v1/client/sign_ins", identifier=email, password=PASSWORD)
    assert by_password["response"]["status"] == "complete"

    def sign_in(strategy: str) -> dict[str, str]:
        started = walk.send("POST", "/v1/client/sign_ins", identifier=email)["response"]
        sia = {"sign_in_id": started["id"]}
        prepare = "/v1/client/sign_ins/{sign_in_id}/prepare_first_factor"
        walk.send("POST", prepare, ids=sia, strategy=strategy)
        return sia

    sia = sign_in("email_code")
    wrong = walk.send(
        "POST",
        "/v1/client/sign_ins/{sign_in_id}/attempt_first_factor",
        422,
        ids=sia,
        strategy="email_code",
        code="000000",
    )
    assert wrong["errors"][0]["meta"]["param_name"] == "code"
    right = walk.send(
        "POST",
        "/v1/client/sign_ins/{sign_in_id}/attempt_first_factor",
        ids=sia,
        strategy="email_code",
        code="424242",
    )
    assert right["response"]["status"] == "complete"

    sia = sign_in("reset_password_email_code")
    verified = walk.send(
        "POST",
        "/v1/client/sign_ins/{sign_in_id}/attempt_first_factor",
        ids=sia,
        strategy="reset_password_email_code",
        code="424242",
    )
    assert verified["response"]["status"] == "needs_new_password"
    reset = walk.send(
        "POST",
        "/v1/client/sign_ins/{sign_in_id}/reset_password",
        ids=sia,
        password="a whole new passphrase",
    )
    assert reset["response"]["status"] == "complete"
    sid = {"session_id": reset["response"]["created_session_id"]}
    walk.send("GET", "/v1/client/sign_ins/{sign_in_id}", ids=sia)
    walk.send("GET", "/v1/client/sign_ups/{sign_up_id}", ids=sua)
    walk.send("POST", "/v1/client/sessions/{session_id}/end", ids=sid)
    walk.send("POST", "/v1/client/sessions/{session_id}/remove", ids=sid)
    gone = walk.send("DELETE", "/v1/client")
    assert gone == {"response": None, "client": None}


def test_signed_in_cases_reached_the_flows() -> None:
    """The signed-in run got past "signed out" into the session and sign-in flows."""
    ok = {label for (persona, label, status) in TALLY if persona == "signed_in" and status == 200}
    if not any(persona == "signed_in" for (persona, _, _) in TALLY):
        pytest.skip("the signed-in fuzz test did not run in this session")
    expected = {
        "POST /v1/client/sessions/{session_id}/touch",
        "POST /v1/client/sessions/{session_id}/tokens",
        "POST /v1/client/sessions/{session_id}/end",
        "GET /v1/client/sign_ins/{sign_in_id}",
        "POST /v1/client/sign_ins/{sign_in_id}/prepare_first_factor",
        "GET /v1/client/sign_ups/{sign_up_id}",
    }
    assert expected <= ok, sorted(expected - ok)

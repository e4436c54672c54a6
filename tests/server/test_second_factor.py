"""The second-factor seam through the Frontend API, with a made-up factor registered the
documented way: after a right password, a user who has it gets ``needs_second_factor``
and its ``supported_second_factors``; no session exists until ``attempt_second_factor``
takes the right code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import PASSWORD, FapiBrowser, sign_up_user
from tests.services.fake_factor import FakeCode, with_fake_code
from tests.support import LiveServer, Mailbox, clerk_error, run_live_server

CODE = "246810"


@pytest.fixture
def two_step(tmp_path: Path, mailbox: Mailbox) -> Iterator[tuple[LiveServer, FakeCode]]:
    """A server (SQLite) whose registry has the fake second factor."""
    registry, fake = with_fake_code()
    with run_live_server(tmp_path, mailbox=mailbox, strategies=registry) as server:
        yield server, fake


def test_a_second_factor_is_asked_for_and_checked(two_step: tuple[LiveServer, FakeCode]) -> None:
    server, fake = two_step
    signed_up = sign_up_user(FapiBrowser(server), "ada@example.com")
    fake.codes[signed_up["response"]["created_user_id"]] = CODE
    other_session = signed_up["client"]["last_active_session_id"]

    browser = FapiBrowser(server)
    body = browser.ok(
        "POST", "/v1/client/sign_ins", identifier="ada@example.com", password=PASSWORD
    )
    sign_in, client = body["response"], body["client"]
    assert sign_in["status"] == "needs_second_factor"
    assert sign_in["supported_second_factors"] == [{"strategy": "test_code"}]
    assert sign_in["created_session_id"] is None
    assert sign_in["first_factor_verification"]["status"] == "verified"
    assert sign_in["first_factor_verification"]["strategy"] == "password"
    assert sign_in["second_factor_verification"] is None
    assert client["sessions"] == [] and client["last_active_session_id"] is None
    assert client["sign_in"]["status"] == "needs_second_factor"
    assert browser.cookies.get("__client_uat") == "0"
    assert not browser.cookies.get("__session")

    # No session endpoint serves this browser yet.
    for action in ("tokens", "touch"):
        refused = browser.post(f"/v1/client/sessions/{other_session}/{action}")
        assert refused.status_code == 404, refused.text
    assert (
        browser.client() is not None and browser.ok("GET", "/v1/client")["client"]["sessions"] == []
    )

    step = f"/v1/client/sign_ins/{sign_in['id']}"
    prepared = browser.ok("POST", f"{step}/prepare_second_factor", strategy="test_code")
    assert prepared["response"]["second_factor_verification"]["strategy"] == "test_code"
    assert prepared["response"]["second_factor_verification"]["status"] == "unverified"
    assert fake.prepared == [sign_in["id"]]

    wrong = browser.post(f"{step}/attempt_second_factor", strategy="test_code", code="000000")
    assert clerk_error(wrong)["code"] == "form_code_incorrect"
    assert browser.ok("GET", step)["response"]["status"] == "needs_second_factor"
    unknown = browser.post(f"{step}/attempt_second_factor", strategy="totp", code=CODE)
    assert clerk_error(unknown)["message"] == "Unsupported strategy."
    as_first = browser.post(f"{step}/attempt_first_factor", strategy="test_code", code=CODE)
    assert clerk_error(as_first)["message"] == "Unsupported strategy."

    done = browser.ok("POST", f"{step}/attempt_second_factor", strategy="test_code", code=CODE)
    completed, client = done["response"], done["client"]
    assert completed["status"] == "complete"
    assert completed["second_factor_verification"]["status"] == "verified"
    session_id = completed["created_session_id"]
    assert session_id and client["last_active_session_id"] == session_id
    assert client["sessions"][0]["last_active_token"]["jwt"] == browser.cookies.get("__session")
    assert browser.ok("POST", f"/v1/client/sessions/{session_id}/tokens")["object"] == "token"


def test_without_the_factor_a_password_still_completes(
    two_step: tuple[LiveServer, FakeCode],
) -> None:
    server, fake = two_step
    sign_up_user(FapiBrowser(server), "grace@example.com")
    assert fake.codes == {}
    browser = FapiBrowser(server)
    body = browser.ok(
        "POST", "/v1/client/sign_ins", identifier="grace@example.com", password=PASSWORD
    )
    assert body["response"]["status"] == "complete"
    assert body["response"]["supported_second_factors"] is None
    step = f"/v1/client/sign_ins/{body['response']['id']}"
    late = browser.post(f"{step}/attempt_second_factor", strategy="test_code", code=CODE)
    assert clerk_error(late)["code"] == "client_state_invalid"

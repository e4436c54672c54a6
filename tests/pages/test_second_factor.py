"""The second-factor seam through the hosted pages, with a made-up factor registered the
documented way: a right password leads to ``/sign-in/factor-two``, which asks for the
factor's code; a wrong code is refused there, the right one signs the browser in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser import FapiBrowser, sign_up_user
from tests.pages.helpers import PageClient, set_cookie_headers
from tests.services.fake_factor import FakeCode, with_fake_code
from tests.support import LiveServer, Mailbox, run_live_server

CODE = "135790"


@pytest.fixture
def two_step(tmp_path: Path, mailbox: Mailbox) -> Iterator[tuple[LiveServer, FakeCode]]:
    """A server (SQLite) whose registry has the fake second factor."""
    registry, fake = with_fake_code()
    with run_live_server(tmp_path, mailbox=mailbox, strategies=registry) as server:
        yield server, fake


def test_the_pages_ask_for_the_second_factor(
    two_step: tuple[LiveServer, FakeCode], browsers: Callable[..., PageClient]
) -> None:
    server, fake = two_step
    signed_up = sign_up_user(FapiBrowser(server), "ada@example.com")
    fake.codes[signed_up["response"]["created_user_id"]] = CODE
    browser = browsers(server)

    first = browser.sign_in("ada@example.com")
    assert first.status_code == 303, first.text[:300]
    assert first.headers["location"] == "/sign-in/factor-two"
    assert not [c for c in set_cookie_headers(first, "__session") if "__session=;" not in c]
    assert browser.get("/user").headers.get("location", "").startswith("/sign-in")

    page = browser.get("/sign-in/factor-two")
    assert page.status_code == 200
    assert 'name="code"' in page.text and 'value="test_code"' in page.text
    assert "Two-step verification" in page.text

    wrong = browser.submit("/sign-in/factor-two", strategy="test_code", code="000000")
    assert wrong.status_code == 422 and "Incorrect code." in wrong.text
    assert browser.get("/user").headers.get("location", "").startswith("/sign-in")

    right = browser.submit("/sign-in/factor-two", strategy="test_code", code=CODE)
    assert right.status_code == 303, right.text[:300]
    assert right.headers["location"] == server.settings.after_sign_in_url
    assert browser.cookies.get("__session")
    assert browser.get("/user").status_code == 200


def test_the_step_page_needs_a_sign_in_waiting_for_it(
    two_step: tuple[LiveServer, FakeCode], browsers: Callable[..., PageClient]
) -> None:
    server, _ = two_step
    browser = browsers(server)
    away = browser.get("/sign-in/factor-two")
    assert away.status_code == 303 and away.headers["location"] == "/sign-in"
    sign_up_user(FapiBrowser(server), "grace@example.com")  # no second factor set up
    done = browser.sign_in("grace@example.com")
    assert done.status_code == 303
    assert done.headers["location"] == server.settings.after_sign_in_url

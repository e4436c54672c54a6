"""The demo's scenario (examples/README.md) in real Chromium: the FastAPI demo app beside a
real Threshold server.

Signed out, "Add to Cart" shows the action's error; sign up on the hosted page; both
actions succeed and log the right user; with a 3-second token lifetime, wait past it
(and past the 5 s verification skew) and post again: still signed in, nothing lost.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, expect

from tests.e2e.chromium import shot
from tests.pages.helpers import PASSWORD
from tests.support import HARNESS_LOOP, LiveServer, Mailbox, free_port, run_live_server
from threshold import SdkConfig


@pytest.fixture
def short_token_server(tmp_path: Path, mailbox: Mailbox) -> Iterator[LiveServer]:
    """Threshold with 3-second session tokens (started off the Playwright thread)."""
    manager: AbstractContextManager[LiveServer] = run_live_server(
        tmp_path, mailbox=mailbox, session_token_lifetime=3
    )
    started: list[LiveServer] = []
    thread = threading.Thread(target=lambda: started.append(manager.__enter__()))
    thread.start()
    thread.join()
    assert started, "the server did not start"
    try:
        yield started[0]
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture
def demo_url(short_token_server: LiveServer) -> Iterator[str]:
    """The FastAPI example under uvicorn, configured like ``threshold dev`` does."""
    from examples.fastapi_app.app import create_app

    config = SdkConfig(
        secret_key=short_token_server.secret_key,
        publishable_key=short_token_server.publishable_key,
        api_url=short_token_server.url,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            loop=HARNESS_LOOP,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _records(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if needle in r.getMessage()]


@pytest.mark.e2e
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_reference_scenario(
    chromium: Browser,
    short_token_server: LiveServer,
    demo_url: str,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
    javascript: bool,
) -> None:
    caplog.set_level(logging.INFO)
    server = short_token_server
    context = chromium.new_context(java_script_enabled=javascript)
    page = context.new_page()
    label = "js" if javascript else "nojs"

    # Signed out: the action's own sentence reaches the page, and nothing is logged.
    page.goto(f"{demo_url}/cart")
    page.get_by_role("button", name="Add to Cart").click()
    expect(page.locator("[data-th-message]")).to_have_text(
        "You must be signed in to add an item to your cart"
    )
    assert not _records(caplog, "add item server action")
    shot(page, f"demo-{label}-01-signed-out-error")

    # Sign up on the hosted page, coming back to the cart.
    email = f"demo-{label}@example.com"
    page.goto(f"{server.url}/sign-up?redirect_url={demo_url}/cart")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Verification code").fill(mailbox.code_for(email))
    page.get_by_role("button", name="Verify and create account").click()
    expect(page).to_have_url(re.compile(re.escape(f"{demo_url}/cart")))
    user_id = server_user_id(server, email)

    page.get_by_role("button", name="Add to Cart").click()
    expect(page.locator("[data-th-message]")).to_have_text("Added test to your cart")
    logged = _records(caplog, "add item server action")
    assert len(logged) == 1 and "'name': 'test'" in logged[0]
    shot(page, f"demo-{label}-02-added")

    page.goto(f"{demo_url}/hobby")
    page.get_by_role("button", name="Submit your hobby").click()
    expect(page.locator("[data-th-message]")).to_have_text("Saved your hobby: soccer")
    hobby = _records(caplog, "add Hobby completed with user details")
    assert len(hobby) == 1
    assert f'"userId": "{user_id}"' in hobby[0] and '"usersHobby": "soccer"' in hobby[0]
    assert f"/v1/images/avatar/{user_id}.svg" in hobby[0]  # profileImage
    shot(page, f"demo-{label}-03-hobby")

    # The page sits open past the token's lifetime (3 s) and the verifier's skew (5 s).
    page.goto(f"{demo_url}/cart")
    time.sleep(9)
    page.get_by_label("Item").fill("late item")
    page.get_by_role("button", name="Add to Cart").click()
    expect(page.locator("[data-th-message]")).to_have_text("Added late item to your cart")
    late = _records(caplog, "add item server action")
    assert len(late) == 2 and "'name': 'late item'" in late[1]
    shot(page, f"demo-{label}-04-after-expiry")
    context.close()


def server_user_id(server: LiveServer, email: str) -> str:
    from tests.support import sql

    rows: list[Any] = []
    # Playwright's loop owns this thread; the query runs its own loop on another one.
    worker = threading.Thread(
        target=lambda: rows.extend(
            sql(server, "SELECT user_id FROM email_addresses WHERE email_address = :e", e=email)
        )
    )
    worker.start()
    worker.join()
    return str(rows[0][0])

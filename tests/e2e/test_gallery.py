"""Every remaining page, rendered once in Chromium for a screenshot and a sanity check."""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.chromium import make_user, shot
from tests.support import LiveServer, sql

pytestmark = pytest.mark.e2e


def _sql_off_thread(server: LiveServer, statement: str) -> None:
    """``sql`` runs an event loop, which Playwright's thread already has."""
    thread = threading.Thread(target=sql, args=(server, statement))
    thread.start()
    thread.join()


def test_page_gallery(chromium: Browser, sqlite_server: LiveServer) -> None:
    base = sqlite_server.url
    make_user(sqlite_server, "ada@example.com", first_name="Ada", last_name="Lovelace")
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {sqlite_server.secret_key}"}
    ) as bapi:
        user_id = bapi.get("/v1/users").json()[0]["id"]
        token = bapi.post("/v1/sign_in_tokens", json={"user_id": user_id}).json()
        invite = bapi.post(
            "/v1/invitations", json={"email_address": "new@example.com", "notify": False}
        ).json()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(f"{base}/sign-in/code")
    shot(page, "50-sign-in-code")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    shot(page, "51-sign-in-code-verify")

    page.goto(invite["url"])
    expect(page.get_by_label("Email address")).to_have_value("new@example.com")
    shot(page, "52-sign-up-invitation")

    page.goto(token["url"])
    expect(page.get_by_role("button", name="Continue as ada@example.com")).to_be_visible()
    shot(page, "53-sign-in-ticket")
    page.get_by_role("button", name="Continue as ada@example.com").click()
    expect(page.get_by_role("heading", name="Ada Lovelace", exact=True)).to_be_visible()

    dark = chromium.new_context(color_scheme="dark", viewport={"width": 1280, "height": 900})
    dark_page = dark.new_page()
    dark_page.goto(f"{base}/sign-in")
    dark_page.get_by_role("button", name="Continue").click()  # empty form: browser checks
    shot(dark_page, "55-dark-sign-in")
    expect(dark_page.locator("#f-identifier-error")).to_contain_text("Enter an email address.")
    dark.close()
    page.goto(f"{base}/user")
    shot(page, "56-user-after-ticket")

    _sql_off_thread(sqlite_server, "ALTER TABLE sessions RENAME TO sessions_gone")
    page.goto(f"{base}/user")
    expect(page.get_by_role("heading", name="Something went wrong")).to_be_visible()
    assert re.fullmatch(r"[0-9a-f]{16}", page.locator("code").inner_text())
    shot(page, "54-unexpected-error")
    context.close()

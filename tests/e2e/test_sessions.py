"""Devices and accounts in Chromium: revoke another browser, add a second account, switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.chromium import IPHONE_UA, make_user, shot, sign_in
from tests.pages.helpers import PASSWORD
from tests.support import LiveServer

pytestmark = pytest.mark.e2e


def test_revoked_browser_is_signed_out_on_its_next_page_load(
    chromium: Browser, sqlite_server: LiveServer
) -> None:
    base = sqlite_server.url
    make_user(sqlite_server, "ada@example.com", first_name="Ada", last_name="Lovelace")
    laptop = chromium.new_context(viewport={"width": 1280, "height": 900})
    phone = chromium.new_context(user_agent=IPHONE_UA, viewport={"width": 390, "height": 844})
    a, b = laptop.new_page(), phone.new_page()
    sign_in(a, base, "ada@example.com")
    sign_in(b, base, "ada@example.com")
    a.reload()
    devices = a.locator("section", has=a.get_by_role("heading", name="Signed-in devices"))
    # The laptop, the phone, and the HTTP client that made the account.
    expect(devices.get_by_role("listitem")).to_have_count(3)
    expect(devices).to_contain_text("Safari 17 on iPhone")
    shot(a, "10-user-two-devices")
    devices.get_by_role("button", name=re.compile(r"Sign out Safari 17 on iPhone")).click()
    expect(a.get_by_role("status")).to_contain_text("That device was signed out.")
    expect(devices.get_by_role("listitem")).to_have_count(2)
    expect(devices).not_to_contain_text("iPhone")
    b.reload()
    expect(b).to_have_url(f"{base}/sign-in?redirect_url=%2Fuser")
    expect(b.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "__session" not in {c["name"] for c in phone.cookies()}
    laptop.close()
    phone.close()


def test_add_a_second_account_and_switch(chromium: Browser, sqlite_server: LiveServer) -> None:
    base = sqlite_server.url
    make_user(sqlite_server, "ada@example.com", first_name="Ada", last_name="Lovelace")
    make_user(sqlite_server, "grace@example.com", first_name="Grace", last_name="Hopper")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, "ada@example.com")
    page.get_by_role("link", name="Add another account").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed in as ada@example.com")
    shot(page, "11-sign-in-add-account")
    page.get_by_label("Email address").fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Grace Hopper", exact=True)).to_be_visible()
    accounts = page.locator(
        "section", has=page.get_by_role("heading", name="Accounts on this device")
    )
    expect(accounts.get_by_role("listitem")).to_have_count(2)
    shot(page, "12-user-two-accounts")
    accounts.get_by_role("button", name="Switch to ada@example.com").click()
    expect(page.get_by_role("heading", name="Ada Lovelace", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You switched accounts.")
    page.goto(f"{base}/sign-out")
    expect(page.get_by_role("radio")).to_have_count(2)
    shot(page, "13-sign-out-choice")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Grace Hopper", exact=True)).to_be_visible()
    context.close()

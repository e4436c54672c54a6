"""A phone-sized sign-in, whole flows with JavaScript off, and the error pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.chromium import IPHONE_UA, make_user, shot
from tests.pages.helpers import PASSWORD
from tests.support import LiveServer, Mailbox

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a fresh and rather long passphrase"


def test_sign_in_on_a_phone(chromium: Browser, sqlite_server: LiveServer) -> None:
    base = sqlite_server.url
    make_user(sqlite_server, "ada@example.com", first_name="Ada", last_name="Lovelace")
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=IPHONE_UA,
    )
    page = context.new_page()
    page.goto(f"{base}/sign-in?redirect_url=%2Fuser")
    shot(page, "20-phone-sign-in")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("Email address").tap()
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("not my password")
    page.get_by_role("button", name="Continue").tap()
    expect(page.locator("#f-password-error")).to_be_visible()
    shot(page, "21-phone-sign-in-error")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").tap()
    expect(page).to_have_url(f"{base}/user")
    expect(page.get_by_role("heading", name="Ada Lovelace", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "22-phone-user")
    page.goto(f"{base}/sign-up")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "23-phone-sign-up")
    context.close()


def test_forgot_password_and_sign_out_with_javascript_off(
    chromium: Browser, sqlite_server: LiveServer, mailbox: Mailbox
) -> None:
    base = sqlite_server.url
    make_user(sqlite_server, "ada@example.com", first_name="Ada", last_name="Lovelace")
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    shot(page, "30-nojs-forgot-password")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_role("button", name="Send code").click()
    expect(page).to_have_url(f"{base}/forgot-password/verify")
    page.get_by_role("button", name="send a new code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a new code")
    shot(page, "31-nojs-reset-code")
    page.get_by_label("Verification code").fill(mailbox.code_for("ada@example.com", count=3))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/forgot-password/new")
    shot(page, "32-nojs-new-password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Reset password and sign in").click()
    expect(page).to_have_url(f"{base}/user")
    expect(page.get_by_role("heading", name="Ada Lovelace", exact=True)).to_be_visible()
    page.get_by_role("link", name="Sign out of this device").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/user")
    context.close()


def test_sign_up_with_javascript_off(
    chromium: Browser, sqlite_server: LiveServer, mailbox: Mailbox
) -> None:
    base = sqlite_server.url
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/sign-up?redirect_url=%2Fuser%3Fwelcome%3D1")
    page.get_by_label("Email address").fill("nojs@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Verification code").fill(mailbox.code_for("nojs@example.com"))
    page.get_by_role("button", name="Verify and create account").click()
    expect(page).to_have_url(f"{base}/user?welcome=1")
    expect(page.get_by_role("heading", name="nojs@example.com")).to_be_visible()
    context.close()


def test_error_pages_and_dev_mailbox(chromium: Browser, sqlite_server: LiveServer) -> None:
    base = sqlite_server.url
    make_user(sqlite_server, "ada@example.com")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    shot(page, "40-not-found")
    page.goto(f"{base}/sign-in")
    context.clear_cookies()  # the form's token no longer matches this browser
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="This request was blocked")).to_be_visible()
    shot(page, "41-csrf-blocked")
    page.goto(f"{base}/sign-in?__clerk_ticket=not-a-real-ticket")
    expect(page.get_by_role("alert")).to_contain_text("invalid or has expired")
    shot(page, "42-bad-ticket")
    page.goto(f"{base}/dev/mailbox")
    expect(page.get_by_role("heading", name="Your Threshold verification code")).to_be_visible()
    shot(page, "43-dev-mailbox")
    context.close()

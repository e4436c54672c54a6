"""One person's whole journey in headless Chromium: sign up, profile, image, sign out, in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.chromium import shot
from tests.pages.helpers import PASSWORD, make_png
from tests.support import LiveServer, Mailbox

pytestmark = pytest.mark.e2e


def test_sign_up_profile_image_sign_out_and_in(
    chromium: Browser, sqlite_server: LiveServer, mailbox: Mailbox, tmp_path: object
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    base = sqlite_server.url

    page.goto(f"{base}/sign-up")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    shot(page, "01-sign-up")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".field-error")).to_contain_text("8 characters")
    expect(page.get_by_label("Email address")).to_have_value("ada@example.com")
    expect(page.get_by_label("Password")).to_have_value("")
    shot(page, "02-sign-up-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(f"{base}/sign-up/verify")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify and create account").click()
    expect(page.locator(".field-error")).to_be_visible()
    shot(page, "03-verify-wrong-code")
    page.get_by_label("Verification code").fill(mailbox.code_for("ada@example.com"))
    page.get_by_role("button", name="Verify and create account").click()

    expect(page).to_have_url(f"{base}/user")
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["__client"]["httpOnly"] and cookies["__session"]["value"].startswith("eyJ")
    assert not page.evaluate("document.cookie").count("__client=")
    shot(page, "04-user")

    page.get_by_label("First name").fill("Augusta Ada")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile was saved.")
    expect(page.get_by_role("heading", name="Augusta Ada Lovelace")).to_be_visible()

    png = make_png(64, 64, (220, 38, 38))
    page.get_by_label("Profile image").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": png}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("profile image was updated")
    src = page.get_by_role("img", name="Your profile image").get_attribute("src") or ""
    assert re.fullmatch(rf"{re.escape(base)}/v1/images/img_\w+", src), src
    served = page.request.get(src)
    assert served.status == 200 and served.body() == png
    assert served.headers["content-type"] == "image/png"
    shot(page, "05-user-with-image")

    page.get_by_role("link", name="Sign out of this device").click()
    expect(page.get_by_role("heading", name="Sign out")).to_be_visible()
    shot(page, "06-sign-out")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert "__session" not in {c["name"] for c in context.cookies()}

    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("wrong password entirely")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#f-password-error")).to_contain_text("Incorrect")
    expect(page.get_by_label("Email address")).to_have_value("ada@example.com")
    shot(page, "07-sign-in-wrong-password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/user")
    expect(page.get_by_role("heading", name="Augusta Ada Lovelace")).to_be_visible()
    context.close()

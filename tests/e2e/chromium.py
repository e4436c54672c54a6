"""Shared e2e constants and helpers: where Chromium is, how it starts, screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser import FapiBrowser, sign_up_user
from tests.pages.helpers import PASSWORD
from tests.support import LiveServer

__all__ = ["ARGS", "ARTIFACTS", "CHROMIUM", "IPHONE_UA", "make_user", "shot", "sign_in"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot to ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_load_state("load")
    page.wait_for_function("[...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def make_user(server: LiveServer, email: str, **names: str) -> None:
    """Create a user quickly through the Frontend API (code read from the SMTP server)."""
    api = FapiBrowser(server)
    try:
        sign_up_user(api, email, **names)
    finally:
        api.close()


def sign_in(page: Page, base: str, email: str) -> None:
    """Sign in through the hosted page and wait for /user."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/user")

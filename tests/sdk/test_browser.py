"""The action script in real headless Chromium, with JavaScript on and off.

The FastAPI example runs under uvicorn on 127.0.0.1; its session tokens come from the
fake server's key. (Playwright's sync API holds an event loop on this thread while the
module runs, so nothing here uses anyio.)
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn

from tests.sdk.fake_api import FakeApi
from tests.support import HARNESS_LOOP
from threshold import SdkConfig

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Chromium is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def app_url(fake_api_server: FakeApi) -> Iterator[str]:
    from examples.fastapi_app.app import create_app

    api = fake_api_server
    config = SdkConfig(jwt_key=api.key.public_pem(), secret_key=api.secret_key, api_url=api.url)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config), log_level="warning", lifespan="off", ws="none", loop=HARNESS_LOOP
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _page(chromium: Browser, app_url: str, token: str | None, *, js: bool = True) -> Page:
    context = chromium.new_context(java_script_enabled=js)
    if token:
        context.add_cookies([{"name": "__session", "value": token, "url": app_url}])
    return context.new_page()


def test_script_posts_in_place(chromium: Browser, app_url: str, fake_api: FakeApi) -> None:
    page = _page(chromium, app_url, fake_api.mint())
    page.goto(f"{app_url}/cart")
    page.fill("#name", "socks")
    page.get_by_role("button", name="Add to Cart").click()
    message = page.locator("[data-th-message]")
    expect(message).to_have_text("Added socks to your cart")
    expect(message).to_have_attribute("data-th-status", "ok")
    assert page.url == f"{app_url}/cart"
    page.goto(f"{app_url}/hobby")
    page.get_by_role("button", name="Submit your hobby").click()
    expect(page.locator("[data-th-message]")).to_have_text("Saved your hobby: soccer")
    page.context.close()


def test_script_shows_the_signed_out_message(chromium: Browser, app_url: str) -> None:
    page = _page(chromium, app_url, None)
    page.goto(f"{app_url}/cart")
    href = page.get_by_test_id("sign-in").get_attribute("href")
    assert href is not None and href.endswith("/sign-in?redirect_url=" + quote(page.url, safe=""))
    page.get_by_role("button", name="Add to Cart").click()
    message = page.locator("[data-th-message]")
    expect(message).to_have_text("You must be signed in to add an item to your cart")
    expect(message).to_have_attribute("data-th-status", "error")
    page.context.close()


def test_without_javascript(chromium: Browser, app_url: str, fake_api: FakeApi) -> None:
    page = _page(chromium, app_url, None, js=False)
    page.goto(f"{app_url}/cart")
    page.fill("#name", "boots")
    page.get_by_role("button", name="Add to Cart").click()
    page.wait_for_url(f"{app_url}/cart")
    expect(page.locator("[data-th-message]")).to_have_text(
        "You must be signed in to add an item to your cart"
    )
    expect(page.locator("#name")).to_have_value("boots")
    page.reload()  # the flash is shown once
    expect(page.locator("[data-th-message]")).to_have_text("")
    page.context.close()
    signed_in = _page(chromium, app_url, fake_api.mint(), js=False)
    signed_in.goto(f"{app_url}/cart")
    signed_in.get_by_role("button", name="Add to Cart").click()
    expect(signed_in.locator("[data-th-message]")).to_have_text("Added test to your cart")
    signed_in.context.close()

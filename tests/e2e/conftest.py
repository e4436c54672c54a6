"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Playwright's sync API keeps an event loop running on the main thread, where
``asyncio.run`` (database migration in ``run_live_server``) refuses to start. So the
e2e ``sqlite_server`` is the shared one, started from a helper thread, and Playwright
lives per module, so the loop is gone before other test packages run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.e2e.chromium import ARGS, CHROMIUM
from tests.support import LiveServer, Mailbox, run_live_server


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def chromium(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def sqlite_server(tmp_path: Path, mailbox: Mailbox) -> Iterator[LiveServer]:
    """Threshold on SQLite, delivering mail to ``mailbox`` (started off the main thread)."""
    manager: AbstractContextManager[LiveServer] = run_live_server(tmp_path, mailbox=mailbox)
    started: list[LiveServer] = []
    thread = threading.Thread(target=lambda: started.append(manager.__enter__()))
    thread.start()
    thread.join()
    assert started, "the server did not start"
    try:
        yield started[0]
    finally:
        manager.__exit__(None, None, None)

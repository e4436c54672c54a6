"""clerk-js, unchanged, against a real Threshold, in headless Chromium.

- ``clerk_js_library``: the pinned ``@clerk/clerk-js`` and ``@clerk/ui`` (``npm/``,
  installed with ``npm ci``, which checks each tarball against the lock file's integrity),
  laid out as ``threshold clerk-js install`` lays them out, for THRESHOLD_CLERK_JS_DIR.
- ``threshold``: Threshold on 127.0.0.1 serving those scripts at ``/npm/``.
- ``harness``: the test app (``app/``: pages that load ``ui.browser.js`` then
  ``clerk.browser.js`` from Threshold, call ``Clerk.load`` and mount one component) on
  another port, and a Chromium page that records what clerk-js asks of the Frontend API,
  console errors and failed responses (:mod:`tests.clerk_js.harness`).

Playwright's sync API keeps an event loop on the main thread, so the servers start from
helper threads (as in ``tests/e2e``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.clerk_js.harness import Harness, serve_test_app
from tests.e2e.conftest import chromium, playwright_instance
from tests.support import LiveServer, Mailbox, free_port, run_live_server

__all__ = ["chromium", "playwright_instance"]

NPM_DIR = Path(__file__).parent / "npm"
APP_NAME = "Harness Shop"


def _locked_versions() -> dict[str, str]:
    lock = json.loads((NPM_DIR / "package-lock.json").read_text())
    return {
        path.rpartition("/")[2]: entry["version"]
        for path, entry in lock["packages"].items()
        if path.startswith("node_modules/@clerk/")
    }


def _installed_version(package: str) -> str | None:
    manifest = NPM_DIR / "node_modules" / "@clerk" / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


@pytest.fixture(scope="session")
def clerk_js_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scripts directory holding exactly the locked versions."""
    locked = _locked_versions()
    if any(_installed_version(p) != v for p, v in locked.items()):
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                pytest.fail("npm is required in CI for the clerk-js tests")
            pytest.skip("npm is not installed")
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=NPM_DIR,
            check=True,
            capture_output=True,
            timeout=600,
        )
    root = tmp_path_factory.mktemp("clerk-js-library")
    for package, version in locked.items():
        assert _installed_version(package) == version
        (root / "@clerk" / package).mkdir(parents=True)
        (root / "@clerk" / package / version).symlink_to(NPM_DIR / "node_modules/@clerk" / package)
    return root


@pytest.fixture
def start_threshold(
    tmp_path: Path, mailbox: Mailbox, clerk_js_library: Path
) -> Iterator[Callable[..., LiveServer]]:
    """Start Threshold (development, SQLite, mail to ``mailbox``) with setting overrides."""
    managers: list[AbstractContextManager[LiveServer]] = []

    def start(**overrides: Any) -> LiveServer:
        settings: dict[str, Any] = {"clerk_js_dir": clerk_js_library, "app_name": APP_NAME}
        manager = run_live_server(
            tmp_path / f"server{len(managers)}", mailbox=mailbox, **(settings | overrides)
        )
        started: list[LiveServer] = []
        thread = threading.Thread(target=lambda: started.append(manager.__enter__()))
        thread.start()
        thread.join()
        assert started, "the server did not start"
        managers.append(manager)
        return started[0]

    try:
        yield start
    finally:
        for manager in reversed(managers):
            manager.__exit__(None, None, None)


@pytest.fixture
def threshold(start_threshold: Callable[..., LiveServer]) -> LiveServer:
    return start_threshold()


@pytest.fixture
def harness_for(chromium: Browser) -> Iterator[Callable[..., Harness]]:
    """Serve the test app for a Threshold server and open a fresh browser on it; options go
    to :func:`serve_test_app` (``proxy_url`` defaults to the server's own URL)."""
    with ExitStack() as stack:

        def start(threshold: LiveServer, **options: Any) -> Harness:
            prefix = options.get("proxy_prefix")
            options.setdefault("proxy_url", prefix or threshold.url)
            app_url = stack.enter_context(serve_test_app(threshold, **options))
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            stack.callback(context.close)
            fapi_base = app_url + prefix if prefix else threshold.url
            return Harness(threshold, app_url, context.new_page(), fapi_base)

        yield start


@pytest.fixture
def harness(harness_for: Callable[..., Harness], threshold: LiveServer) -> Harness:
    """The test app using ``threshold`` through ``proxyUrl``, and a fresh browser."""
    return harness_for(threshold)


@pytest.fixture
def open_app(
    start_threshold: Callable[..., LiveServer], harness_for: Callable[..., Harness]
) -> Callable[..., Harness]:
    """Start a Threshold instance (``environment`` and setting overrides) and the test app
    using it, through its own proxy at ``proxy_prefix`` when given. A production instance
    gets a strong secret key and the app's origin as its allowed origin (a development
    instance allows any local origin)."""

    def open_(
        environment: str = "development", *, proxy_prefix: str | None = None, **overrides: Any
    ) -> Harness:
        app_port = free_port()
        if environment == "production":
            overrides.setdefault("secret_key", "sk_live_" + secrets.token_hex(24))
            overrides.setdefault("allowed_origins", [f"http://127.0.0.1:{app_port}"])
        server = start_threshold(environment=environment, **overrides)
        return harness_for(server, port=app_port, proxy_prefix=proxy_prefix)

    return open_

"""The test app that runs clerk-js, and what a Chromium page saw while it ran.

The app (``app/page.html`` and ``app/harness.js``) is what a site using clerk-js without a
framework SDK serves: pages that load ``ui.browser.js`` then ``clerk.browser.js`` from the
Frontend API host's ``/npm/`` paths, call ``Clerk.load`` and mount one component, with
``signInUrl``/``signUpUrl`` pointing at its own pages.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn
from playwright.sync_api import ConsoleMessage, Page, Request, Response
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import FileResponse, HTMLResponse
from starlette.responses import Response as HttpResponse
from starlette.routing import Route

from tests.clerk_js.proxy import clerk_proxy
from tests.support import HARNESS_LOOP, LiveServer, free_port

__all__ = ["PAGES", "BrowserLog", "FapiCall", "Harness", "serve_test_app"]

APP_DIR = Path(__file__).parent / "app"

PAGES = {
    "/sign-in": ("Sign in", "sign-in"),
    "/sign-up": ("Sign up", "sign-up"),
    "/": ("Home", "user-button"),
    "/user": ("Your account", "user-profile"),
}
"""The test app's pages: path, title and the component each mounts."""

_NOISE = {"__clerk_api_version", "_clerk_js_version"}
"""Query parameters clerk-js adds to every Frontend API call."""
_SECRETS = {"password", "new_password", "current_password", "code"}


@contextmanager
def serve_test_app(
    threshold: LiveServer,
    *,
    proxy_url: str = "",
    versions: tuple[str, str] = ("6", "1"),
    load_options: dict[str, Any] | None = None,
    port: int | None = None,
    proxy_prefix: str | None = None,
) -> Iterator[str]:
    """Serve the test app on 127.0.0.1 (on ``port`` when given); yield its base URL.
    ``versions`` are what the script URLs ask for, as the loaders do (majors by default).
    With ``proxy_prefix``, the app serves the Frontend API itself at that path
    (:func:`tests.clerk_js.proxy.clerk_proxy`) and the pages load the scripts from it."""
    template = Template((APP_DIR / "page.html").read_text())
    clerk_version, ui_version = versions
    scripts = proxy_prefix or threshold.url

    def page(request: HttpRequest) -> HTMLResponse:
        path = request.url.path.rstrip("/") or "/"
        title, component = PAGES.get(path, PAGES["/"])
        config = {"component": component, "loadOptions": load_options or {}}
        return HTMLResponse(
            template.substitute(
                title=title,
                config=json.dumps(config).replace("<", "\\u003c"),
                ui_script=f"{scripts}/npm/@clerk/ui@{ui_version}/dist/ui.browser.js",
                clerk_script=f"{scripts}/npm/@clerk/clerk-js@{clerk_version}/dist/clerk.browser.js",
                publishable_key=threshold.publishable_key,
                proxy_url=proxy_url,
            )
        )

    def script(request: HttpRequest) -> FileResponse:
        return FileResponse(APP_DIR / "harness.js", media_type="text/javascript")

    routes = [
        Route("/harness.js", script),
        Route("/favicon.ico", lambda r: HttpResponse(status_code=204)),
    ]
    if proxy_prefix:
        routes.append(clerk_proxy(threshold.url, proxy_prefix))
    routes += [Route(p, page) for p in PAGES]
    routes += [Route(p + "/{rest:path}", page) for p in PAGES if p != "/"]
    port = port or free_port()
    config = uvicorn.Config(
        Starlette(routes=routes),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop=HARNESS_LOOP,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test app did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class FapiCall:
    """One Frontend API request clerk-js made, and Threshold's answer."""

    method: str
    """The method clerk-js meant (``POST ?_method=PATCH`` is PATCH)."""
    path: str
    query: dict[str, str]
    form: dict[str, str]
    status: int | None = None
    error_code: str | None = None

    def line(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        fields = ", ".join(f"{k}={v}" for k, v in self.form.items())
        answer = " ".join(str(part) for part in (self.status, self.error_code) if part)
        return (
            f"{self.method} {self.path}{'?' + query if query else ''}"
            f"{' [' + fields + ']' if fields else ''} -> {answer}"
        )


@dataclass
class BrowserLog:
    """What one page did: Frontend API calls, console errors, failed loads."""

    fapi_base: str
    """Where clerk-js sends Frontend API calls: the server, or the app's proxy path."""
    calls: list[FapiCall] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    _pending: dict[Request, FapiCall] = field(default_factory=dict)

    def attach(self, page: Page) -> None:
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_failed)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_request(self, request: Request) -> None:
        if not request.url.startswith(self.fapi_base + "/v1/"):
            return
        parts = urlsplit(request.url)
        path = parts.path[len(urlsplit(self.fapi_base).path) :]
        query = {k: v[-1] for k, v in parse_qs(parts.query).items() if k not in _NOISE}
        method = query.pop("_method", request.method)
        form = {k: v[-1] for k, v in parse_qs(request.post_data or "").items()}
        form = {k: ("***" if k in _SECRETS else v) for k, v in form.items()}
        call = FapiCall(method, path, query, form)
        self.calls.append(call)
        self._pending[request] = call

    def _on_response(self, response: Response) -> None:
        call = self._pending.pop(response.request, None)
        if call is not None:
            call.status = response.status
            if response.status >= 400:
                call.error_code = _error_code(response)
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.request.method} {response.url}")

    def _on_failed(self, request: Request) -> None:
        call = self._pending.pop(request, None)
        if call is not None:
            call.error_code = f"not loaded: {request.failure}"
        self.failed.append(f"failed {request.method} {request.url}: {request.failure}")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def lines(self) -> list[str]:
        return [call.line() for call in self.calls]


def _error_code(response: Response) -> str | None:
    try:
        body = response.json()
        return str(body["errors"][0]["code"])
    except Exception as exc:
        return f"(body unread: {type(exc).__name__}: {str(exc)[:80]})"


class Harness:
    """The test app, Threshold, and one Chromium page that records what it did."""

    def __init__(
        self, threshold: LiveServer, app_url: str, page: Page, fapi_base: str | None = None
    ) -> None:
        self.threshold = threshold
        self.app_url = app_url
        self.page = page
        self.log = BrowserLog(fapi_base=fapi_base or threshold.url)
        self.log.attach(page)

    def open(self, path: str) -> None:
        """Go to a page of the test app and wait until ``Clerk.load`` has settled."""
        self.page.goto(self.app_url + path)
        self.wait_for_load()

    def wait_for_load(self) -> None:
        self.page.wait_for_function("window.__harness && (__harness.loaded || __harness.error)")
        error = self.page.evaluate("window.__harness.error")
        assert error is None, error

    def evaluate(self, script: str) -> Any:
        return self.page.evaluate(script)

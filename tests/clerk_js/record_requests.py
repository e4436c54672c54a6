"""Record what clerk-js asks of the Frontend API, flow by flow, and what Threshold answers.

Not collected with the suite (it asserts nothing; it writes a report). Run it by name:

    .venv/bin/python -m pytest -p no:cacheprovider -s tests/clerk_js/record_requests.py

Each flow writes its part of ``test-artifacts/clerk-js-requests/<flow>.md``: every
Frontend API request (method as clerk-js meant it, path, query without the two version
parameters every call carries, form fields with secrets masked) and the status and
error code that came back, then the console errors and failed loads. The instance keeps
sessions 30 days so that clerk-js skips the cookie-refresh navigation through
``/v1/client/touch`` (it asks for one when the client cookie ends within 8 days, and on a
development instance that navigation needs a dev browser; ``flow_default_settings``
records what happens then).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import PASSWORD, FapiBrowser, sign_up_user
from tests.clerk_js.harness import FapiCall, Harness
from tests.support import LiveServer

OUT = Path(__file__).resolve().parents[2] / "test-artifacts" / "clerk-js-requests"
EMAIL = "ada@example.com"
LONG_SESSIONS = 30 * 24 * 3600


@pytest.fixture
def threshold(start_threshold: Callable[..., LiveServer]) -> LiveServer:
    return start_threshold(session_max_age=LONG_SESSIONS)


def _write(harness: Harness, flow: str, steps: list[tuple[str, list[FapiCall]]]) -> None:
    """Write the report once the page is idle (answers arrive after the step that asked)."""
    harness.page.wait_for_timeout(500)
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [f"# {flow}", ""]
    for title, calls in steps:
        listed = [f"- `{c.line()}`" for c in calls] or ["- (none)"]
        lines += [f"## {title}", "", *listed, ""]
    lines += ["## Console errors", "", *[f"- {e}" for e in harness.log.console_errors], ""]
    lines += ["## Failed loads", "", *[f"- {f}" for f in harness.log.failed], ""]
    (OUT / f"{flow}.md").write_text("\n".join(lines))
    print("\n".join(lines))


class Steps:
    """The calls made during each named step of a flow."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.steps: list[tuple[str, list[FapiCall]]] = []
        self._seen = 0

    def mark(self, title: str) -> None:
        calls = self.harness.log.calls
        self.steps.append((title, calls[self._seen :]))
        self._seen = len(calls)


def _user(threshold: LiveServer, email: str = EMAIL) -> None:
    api = FapiBrowser(threshold)
    try:
        sign_up_user(api, email)
    finally:
        api.close()


def _sign_in_with_password(harness: Harness, steps: Steps | None = None) -> None:
    page = harness.page
    harness.open("/sign-in")
    if steps:
        steps.mark("Load /sign-in (Clerk.load, <SignIn/>)")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    if steps:
        steps.mark("Email address, Continue")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(harness.app_url + "/")
    harness.wait_for_load()
    page.wait_for_function("window.Clerk.user && window.Clerk.user.id")
    if steps:
        steps.mark("Password, Continue (then the app's home page loads)")


def test_flow_load_and_sign_in_with_password(harness: Harness) -> None:
    _user(harness.threshold)
    steps = Steps(harness)
    _sign_in_with_password(harness, steps)
    _write(harness, "sign-in-password", steps.steps)


def test_flow_sign_in_with_email_code(harness: Harness) -> None:
    _user(harness.threshold)
    page, steps = harness.page, Steps(harness)
    harness.open("/sign-in")
    steps.mark("Load /sign-in")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("link", name="Use another method").click()
    page.get_by_role("button", name=f"Email code to {EMAIL}").click()
    mailbox = harness.threshold.mailbox
    assert mailbox is not None
    code = mailbox.code_for(EMAIL, count=2)
    steps.mark("Email address, Continue, Use another method, Email code")
    page.keyboard.type(code)
    page.wait_for_url(harness.app_url + "/", timeout=15000)
    harness.wait_for_load()
    steps.mark("Type the code (then the home page loads)")
    _write(harness, "sign-in-email-code", steps.steps)


def test_flow_sign_up_with_email_code(harness: Harness) -> None:
    page, steps = harness.page, Steps(harness)
    harness.open("/sign-up")
    steps.mark("Load /sign-up")
    page.get_by_label("Email address").fill("bob+clerk_test@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_text("Verify your email")).to_be_visible()
    steps.mark("Email address, password, Continue")
    page.keyboard.type("424242")
    try:
        page.wait_for_url(harness.app_url + "/", timeout=15000)
        harness.wait_for_load()
        steps.mark("Type the test-mode code 424242 (then the home page loads)")
    except Exception as exc:
        steps.mark(f"Type the test-mode code 424242: {str(exc).splitlines()[0]}")
    _write(harness, "sign-up-email-code", steps.steps)


def test_flow_user_button_profile_sign_out_and_tokens(harness: Harness) -> None:
    _user(harness.threshold)
    template = httpx.post(
        f"{harness.threshold.url}/v1/jwt_templates",
        headers={"Authorization": f"Bearer {harness.threshold.secret_key}"},
        json={"name": "harness", "claims": {"email": "{{user.primary_email_address}}"}},
    )
    assert template.status_code == 200, template.text
    page = harness.page
    _sign_in_with_password(harness)
    steps = Steps(harness)
    steps.mark("Sign in with password (see sign-in-password)")
    harness.page.wait_for_timeout(1500)
    steps.mark("Home page with <UserButton/>, idle")
    page.evaluate("window.Clerk.session.getToken({ skipCache: true })")
    steps.mark("getToken()")
    outcome = page.evaluate(
        "window.Clerk.session.getToken({ template: 'harness' }).then(String, e => 'error: ' + e)"
    )
    steps.mark(f"getToken({{ template: 'harness' }}) resolved to: {outcome[:40]}")
    page.get_by_role("button", name="Open user menu").click()
    expect(page.get_by_role("button", name="Manage account")).to_be_visible()
    steps.mark("Open the user menu")
    harness.open("/user")
    page.wait_for_timeout(1500)
    steps.mark("Load /user with <UserProfile/> (Profile tab)")
    page.get_by_role("button", name="Security").click()
    page.wait_for_timeout(1500)
    steps.mark("Security tab")
    page.get_by_role("button", name="Profile").click()
    page.wait_for_timeout(1000)
    steps.mark("Profile tab again")
    page.evaluate("window.Clerk.signOut()")
    page.wait_for_timeout(2000)
    steps.mark("Clerk.signOut()")
    _write(harness, "user-button-profile-tokens-sign-out", steps.steps)


def test_flow_default_settings(
    start_threshold: Callable[..., LiveServer], harness_for: Callable[..., Harness]
) -> None:
    """Default session lifetime (7 days): clerk-js asks for the touch navigation."""
    server = start_threshold()
    harness = harness_for(server)
    _user(server)
    steps = Steps(harness)
    try:
        _sign_in_with_password(harness, steps)
    except Exception as exc:
        steps.mark(f"Sign-in did not reach the home page: {str(exc).splitlines()[0]}")
    harness.page.wait_for_timeout(1000)
    steps.mark("After the sign-in")
    _write(harness, "sign-in-default-settings", steps.steps)


def test_flow_production_profile_edits(open_app: Callable[..., Harness]) -> None:
    """A production instance (``pk_live_``: clerk-js reads ``GET /v1/environment`` and
    needs no dev browser), then edits in <UserProfile/>."""
    harness = open_app("production", session_max_age=LONG_SESSIONS)
    _user(harness.threshold)
    page, steps = harness.page, Steps(harness)
    _sign_in_with_password(harness, steps)
    harness.open("/user")
    page.wait_for_timeout(1500)
    steps.mark("Load /user with <UserProfile/>")
    try:
        page.get_by_role("button", name="Update profile").click()
        page.get_by_label("First name").fill("Ada")
        page.get_by_label("Last name").fill("Lovelace")
        page.get_by_role("button", name="Save").click()
        page.wait_for_timeout(1500)
    finally:
        steps.mark("Update profile: first and last name, Save")
    page.get_by_role("button", name="Security").click()
    page.wait_for_timeout(1500)
    steps.mark("Security tab")
    _write(harness, "production-profile-edits", steps.steps)


def test_flow_production_default_settings(open_app: Callable[..., Harness]) -> None:
    """Production with the default session lifetime: the touch navigation is a plain
    top-level GET of the Frontend API (no dev browser on a production instance)."""
    harness = open_app("production")
    _user(harness.threshold)
    navigations: list[str] = []
    harness.page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame.parent_frame is None else None,
    )
    steps = Steps(harness)
    try:
        _sign_in_with_password(harness, steps)
    except Exception as exc:
        steps.mark(f"Sign-in did not reach the home page: {str(exc).splitlines()[0]}")
    steps.mark("Top-level navigations: " + " ; ".join(navigations))
    _write(harness, "production-default-settings", steps.steps)

"""clerk-js 6 and @clerk/ui, unchanged, against Threshold: loading, <SignIn/>, sign-in.

The test app talks to Threshold through ``proxyUrl`` over plain HTTP. What clerk-js still
needs of the Frontend API beyond this (``PATCH /v1/environment``, ``/v1/client/touch``, the
dev browser, ``/v1/me``, ...) is checked in ``pending_frontend_api.py``, which is not
collected yet; docs/clerk-js.md lists the requests.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt
import pytest
from playwright.sync_api import expect

from tests.browser import PASSWORD, FapiBrowser, sign_up_user
from tests.clerk_js.conftest import APP_NAME
from tests.clerk_js.harness import Harness

pytestmark = pytest.mark.e2e

EMAIL = "ada@example.com"
LONG_SESSIONS = 30 * 24 * 3600
"""Sessions (and so the client cookie) outlive 8 days: clerk-js then skips the
cookie-refresh navigation through ``/v1/client/touch``, which Threshold does not serve yet."""


def _scripts(harness: Harness) -> list[str]:
    """The URLs of the scripts the page loaded from ``/npm/``, in order."""
    scripts: list[str] = harness.page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/npm/'))"
    )
    return scripts


def test_clerk_js_loads_from_threshold_and_mounts_sign_in(harness: Harness) -> None:
    harness.open("/sign-in")
    page = harness.page
    assert page.evaluate("[Clerk.loaded, Clerk.version, Clerk.uiVersion]") == [
        True,
        "6.40.0",
        "1.36.0",
    ]
    expect(page.get_by_label("Email address")).to_be_visible()
    expect(page.get_by_role("button", name="Continue", exact=True)).to_be_visible()
    scripts = _scripts(harness)
    base = harness.threshold.url
    assert scripts[:2] == [
        f"{base}/npm/@clerk/ui@1/dist/ui.browser.js",
        f"{base}/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
    ]
    chunks = scripts[2:]
    assert chunks and all(c.startswith(f"{base}/npm/@clerk/ui@1.36.0/dist/") for c in chunks)
    assert not [f for f in harness.log.failed if "/npm/" in f]


def test_the_sign_in_card_names_the_app(open_app: Callable[..., Harness]) -> None:
    """A production instance: clerk-js reads ``GET /v1/environment`` for the app's name
    (a development instance sends ``PATCH``, checked in ``pending_frontend_api.py``)."""
    harness = open_app("production")
    harness.open("/sign-in")
    expect(harness.page.get_by_role("heading", name=f"Sign in to {APP_NAME}")).to_be_visible()
    assert harness.page.evaluate("Clerk.instanceType") == "production"


@pytest.mark.parametrize("environment", ["development", "production"])
def test_sign_in_with_email_and_password(
    open_app: Callable[..., Harness], environment: str
) -> None:
    harness = open_app(environment, session_max_age=LONG_SESSIONS)
    server = harness.threshold
    api = FapiBrowser(server)
    user_id = sign_up_user(api, EMAIL)["response"]["created_user_id"]
    api.close()

    harness.open("/sign-in")
    page = harness.page
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue", exact=True).click()

    page.wait_for_url(harness.app_url + "/")
    harness.wait_for_load()
    assert page.evaluate("[Clerk.user.id, Clerk.session.status]") == [user_id, "active"]
    expect(page.get_by_role("button", name="Open user menu")).to_be_visible()
    cookies = {c["name"]: c for c in page.context.cookies(server.url)}
    assert cookies["__client"]["httpOnly"]

    token = page.evaluate("Clerk.session.getToken({ skipCache: true })")
    keys = httpx.get(f"{server.url}/.well-known/jwks.json").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid)).key
    claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["sub"] == user_id and claims["iss"] == server.url
    sign_ins = [c for c in harness.log.calls if c.path.startswith("/v1/client/sign_ins")]
    assert [(c.method, c.status) for c in sign_ins] == [("POST", 200), ("POST", 200)]
    assert sign_ins[1].form == {"strategy": "password", "password": "***"}


def test_sign_in_with_an_emailed_code(open_app: Callable[..., Harness]) -> None:
    harness = open_app(session_max_age=LONG_SESSIONS)
    api = FapiBrowser(harness.threshold)
    user_id = sign_up_user(api, EMAIL)["response"]["created_user_id"]
    api.close()
    mailbox = harness.threshold.mailbox
    assert mailbox is not None

    harness.open("/sign-in")
    page = harness.page
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("link", name="Use another method").click()
    page.get_by_role("button", name=f"Email code to {EMAIL}").click()
    page.keyboard.type(mailbox.code_for(EMAIL, count=2))  # the first was the sign-up's

    page.wait_for_url(harness.app_url + "/")
    harness.wait_for_load()
    assert page.evaluate("Clerk.user.id") == user_id
    steps = [(c.path.rpartition("/")[2], c.form.get("strategy")) for c in harness.log.calls]
    assert ("prepare_first_factor", "email_code") in steps
    assert ("attempt_first_factor", "email_code") in steps


@pytest.mark.parametrize("environment", ["development", "production"])
def test_sign_in_through_a_proxy_on_the_app_origin(
    open_app: Callable[..., Harness], environment: str
) -> None:
    """Proxy mode: the app forwards ``/__clerk/*`` to Threshold (tests/clerk_js/proxy.py,
    the FastAPI example of docs/clerk-js.md) and gives clerk-js ``proxyUrl: "/__clerk"``;
    scripts, Frontend API calls and cookies are all on the app's origin."""
    harness = open_app(environment, proxy_prefix="/__clerk", session_max_age=LONG_SESSIONS)
    api = FapiBrowser(harness.threshold)
    user_id = sign_up_user(api, EMAIL)["response"]["created_user_id"]
    api.close()

    harness.open("/sign-in")
    page = harness.page
    assert _scripts(harness)[:2] == [
        f"{harness.app_url}/__clerk/npm/@clerk/ui@1/dist/ui.browser.js",
        f"{harness.app_url}/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
    ]
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(harness.app_url + "/")
    harness.wait_for_load()
    assert page.evaluate("Clerk.user.id") == user_id
    assert "__client" in {c["name"] for c in page.context.cookies(harness.app_url)}
    assert all(c.status == 200 for c in harness.log.calls if "sign_ins" in c.path)

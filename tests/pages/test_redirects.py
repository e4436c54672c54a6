"""redirect_url: relative paths and allowed origins only; every bypass lands on /user."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.pages.helpers import Browsers
from tests.support import LiveServer, Mailbox, run_live_server

BYPASSES = [
    "//evil.test",
    "///evil.test",
    "\\\\evil.test",
    "/\\evil.test",
    "\\/evil.test",
    "https:evil.test",
    "https:/evil.test",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://user@evil.test",
    "http://127.0.0.1:1@evil.test",
    "http://127.0.0.1.evil.test",
    "https://evil.test",
    "https://evil.test#@127.0.0.1",
    "%2F%2Fevil.test",
    " //evil.test",
    "/\t/evil.test",
    "/\n/evil.test",
    "\x00//evil.test",
    "//evil.test\r\nSet-Cookie: x=1",
    "ftp://evil.test",
    "evil.test",
]


def test_bypass_payloads_land_on_the_default_page(
    relaxed_server: LiveServer, browsers: Browsers
) -> None:
    client = browsers(relaxed_server)
    client.sign_up("ada@example.com")
    for payload in BYPASSES:
        page = client.get("/sign-in", params={"redirect_url": payload})
        assert "evil.test" not in page.text and "javascript:" not in page.text.lower(), payload
        response = client.sign_in("ada@example.com", redirect_url=payload)
        assert response.status_code == 303, (payload, response.text[:300])
        assert response.headers["location"] == "/user", payload


@pytest.mark.parametrize(
    "target",
    ["/dashboard?tab=1", "http://localhost:3000/after", "https://app.example.com/welcome"],
)
def test_allowed_targets_are_followed(
    tmp_path: Path, mailbox: Mailbox, browsers: Browsers, target: str
) -> None:
    with run_live_server(
        tmp_path, mailbox=mailbox, allowed_origins=["https://app.example.com"]
    ) as server:
        client = browsers(server)
        response = client.submit(
            "/sign-up?" + urlencode({"redirect_url": target}),
            email_address="bo@example.com",
            password="correct horse battery staple",
        )
        assert response.headers["location"] == "/sign-up/verify?" + urlencode(
            {"redirect_url": target}
        )
        code = mailbox.code_for("bo@example.com")
        done = client.submit(response.headers["location"], "/sign-up/verify", code=code)
        assert done.status_code == 303 and done.headers["location"] == target
        assert "https://app.example.com" in done.headers["content-security-policy"]


def test_sign_out_redirect_is_checked_too(live_server: LiveServer, browsers: Browsers) -> None:
    client = browsers(live_server)
    client.sign_up("cy@example.com")
    response = client.submit("/sign-out", scope="all", redirect_url="//evil.test")
    assert response.headers["location"] == "/sign-in?signed_out=1"

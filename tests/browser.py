"""A cookie-keeping HTTP client that talks to the Frontend API like a browser."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import LiveServer

__all__ = ["FapiBrowser", "sign_up_user"]

PASSWORD = "correct horse battery staple"


class FapiBrowser:
    """One browser: its own cookie jar, an Origin like a page's."""

    def __init__(self, server: LiveServer, origin: str | None = None) -> None:
        self.server = server
        headers = {"Origin": origin} if origin else {}
        self.http = httpx.Client(base_url=server.url, headers=headers, timeout=30)

    def post(self, path: str, **data: Any) -> httpx.Response:
        return self.http.post(path, data=data)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def ok(self, method: str, path: str, **data: Any) -> dict[str, Any]:
        response = self.http.request(method, path, data=data or None)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body: dict[str, Any] = response.json()
        return body

    def client(self) -> dict[str, Any] | None:
        client: dict[str, Any] | None = self.ok("GET", "/v1/client")["client"]
        return client

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def close(self) -> None:
        self.http.close()


def sign_up_user(
    browser: FapiBrowser, email: str, password: str = PASSWORD, **fields: Any
) -> dict[str, Any]:
    """Sign up through the Frontend API, reading the code from the real SMTP server."""
    body = browser.ok(
        "POST", "/v1/client/sign_ups", email_address=email, password=password, **fields
    )
    sua = body["response"]["id"]
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    mailbox = browser.server.mailbox
    assert mailbox is not None
    code = mailbox.code_for(email)
    done = browser.ok(
        "POST", f"/v1/client/sign_ups/{sua}/attempt_verification", strategy="email_code", code=code
    )
    assert done["response"]["status"] == "complete", done
    return done

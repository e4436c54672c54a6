"""A real OpenID Provider for the tests: the npm package ``oidc-provider`` (pinned in
provider/package.json, installed with ``npm ci`` from provider/package-lock.json) run by
provider/server.mjs on 127.0.0.1, with Threshold registered as a client.

Its login and consent pages are HTML forms: :meth:`OpenIdProvider.sign_in` fills them
with HTTP, and Chromium can fill them as a person would (test_openid_provider.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.oauth.conftest import REDIRECT_URI
from tests.oauth.flows import callback_params

__all__ = [
    "ACCOUNT",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "PASSWORD",
    "OpenIdProvider",
    "run_openid_provider",
]

PROVIDER_DIR = Path(__file__).parent / "provider"
CLIENT_ID = "threshold"
CLIENT_SECRET = "threshold-test-client-secret-1f6c0b9e"
ACCOUNT = "ada"
PASSWORD = "correct horse battery staple"
CLAIMS = {
    "email": "ada@example.com",
    "email_verified": True,
    "given_name": "Ada",
    "family_name": "Lovelace",
    "name": "Ada Lovelace",
    "picture": "https://images.example.com/ada.png",
    "preferred_username": "ada.lovelace",
}


def _node() -> str:
    """Node.js, with the pinned packages installed (``npm ci``: the lock file, exactly)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("The OpenID Provider tests need Node.js >= 20.9 and npm on PATH.")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=PROVIDER_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return node


@dataclass
class OpenIdProvider:
    """A running provider."""

    issuer: str
    process: subprocess.Popen[str]

    async def sign_in(
        self, authorize_url: str, *, password: str = PASSWORD, allow: bool = True
    ) -> dict[str, str]:
        """Play the browser: follow ``authorize_url``, sign in and consent (or cancel),
        and return what the provider sends back to ``/v1/oauth_callback``."""
        async with httpx.AsyncClient(timeout=10) as browser:
            response = await browser.get(authorize_url)
            for _ in range(12):
                location = response.headers.get("location", "")
                if location.startswith(REDIRECT_URI):
                    return callback_params(response)
                target = urljoin(self.issuer, location)
                if "/interaction/" not in location:
                    response = await browser.get(target)
                    continue
                page = await browser.get(target)
                assert page.status_code == 200, page.text
                if not allow:
                    response = await browser.post(f"{target}/abort")
                elif 'name="login"' in page.text:
                    form = {"login": ACCOUNT, "password": password}
                    response = await browser.post(f"{target}/login", data=form)
                else:
                    response = await browser.post(f"{target}/confirm")
                assert response.is_redirect, response.text
        raise AssertionError("the provider never sent the browser back")


@contextmanager
def run_openid_provider(**client: Any) -> Iterator[OpenIdProvider]:
    """Start provider/server.mjs; ``client`` adds to Threshold's client registration."""
    node = _node()
    registration = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        **client,
    }
    env = {
        **os.environ,
        "OP_CLIENTS": json.dumps([registration]),
        "OP_ACCOUNTS": json.dumps({ACCOUNT: {"password": PASSWORD, "claims": CLAIMS}}),
    }
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [node, "server.mjs"],
            cwd=PROVIDER_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                log.seek(0)
                raise RuntimeError(f"the OpenID Provider did not start: {log.read()[-2000:]}")
            yield OpenIdProvider(issuer=json.loads(line)["issuer"], process=process)
        finally:
            process.terminate()
            process.wait(timeout=10)

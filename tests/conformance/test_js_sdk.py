"""The official JavaScript SDK (``@clerk/backend``, pinned in js/package.json) against a
live server: listing users, reading a user and sessions, minting and verifying tokens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import LiveServer

pytestmark = pytest.mark.conformance

JS_DIR = Path(__file__).parent / "js"


def _npm_ready() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "The JavaScript conformance test needs Node.js >= 20.9 and npm on PATH "
            "(install them, then run the tests again)."
        )
    if not (JS_DIR / "node_modules" / "@clerk" / "backend").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return node


def _seed(api: httpx.Client) -> tuple[dict[str, Any], dict[str, Any], str]:
    user = api.post(
        "/users",
        json={
            "email_address": ["js-sdk@example.com"],
            "first_name": "Jay",
            "password": "correct horse battery staple",
        },
    ).json()
    session = api.post("/sessions", json={"user_id": user["id"]}).json()
    token = api.post(f"/sessions/{session['id']}/tokens").json()["jwt"]
    return user, session, token


def test_clerk_backend_js(live_server: LiveServer) -> None:
    node = _npm_ready()
    with httpx.Client(
        base_url=f"{live_server.url}/v1",
        headers={"Authorization": f"Bearer {live_server.secret_key}"},
    ) as api:
        user, session, token = _seed(api)
    env = {
        **os.environ,
        "THRESHOLD_API_URL": live_server.url,
        "THRESHOLD_SECRET_KEY": live_server.secret_key,
        "THRESHOLD_TOKEN": token,
        "THRESHOLD_JWT_KEY": live_server.jwt_public_pem,
        "THRESHOLD_USER_ID": user["id"],
        "THRESHOLD_SESSION_ID": session["id"],
    }
    run = subprocess.run(
        [node, "check.mjs"], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    out: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["users"] == {"totalCount": 1, "ids": [user["id"]]}
    assert out["user"] == {
        "id": user["id"],
        "firstName": "Jay",
        "primaryEmail": "js-sdk@example.com",
        "createdAt": user["created_at"],
    }
    assert out["sessions"] == {"totalCount": 1, "ids": [session["id"]]}
    assert out["tokenSub"] == user["id"]
    expected = {"sub": user["id"], "sid": session["id"]}
    assert out["networkless"] == expected and out["viaJwks"] == expected
    assert out["missing"] == {"ok": False, "status": 404, "code": "resource_not_found"}
    assert out["wrongKey"] == {"ok": False, "status": 401}

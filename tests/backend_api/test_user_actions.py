"""Ban, lock, metadata, password checks and profile images."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.backend_api.conftest import PASSWORD, Api, unique_email
from tests.browser import FapiBrowser
from tests.support import LiveServer, run_live_server


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_ban_revokes_sessions_and_blocks_sign_in(server: LiveServer, api: Api) -> None:
    email = unique_email("ban")
    user = api.user(email_address=[email])
    session = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    banned = api.ok("POST", f"/users/{user['id']}/ban")
    assert banned["banned"] is True
    assert api.ok("GET", f"/sessions/{session['id']}")["status"] == "revoked"
    api.error("POST", f"/sessions/{session['id']}/tokens", 401)
    refused = FapiBrowser(server).post("/v1/client/sign_ins", identifier=email, password=PASSWORD)
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "user_banned"
    assert api.ok("POST", f"/users/{user['id']}/unban")["banned"] is False
    done = FapiBrowser(server).ok(
        "POST", "/v1/client/sign_ins", identifier=email, password=PASSWORD
    )
    assert done["response"]["status"] == "complete"


def test_lock_and_unlock(server: LiveServer, api: Api) -> None:
    email = unique_email("lock")
    user = api.user(email_address=[email])
    session = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    locked = api.ok("POST", f"/users/{user['id']}/lock")
    assert locked["locked"] is True
    assert 0 < locked["lockout_expires_in_seconds"] <= server.settings.lockout_seconds
    assert api.ok("GET", f"/sessions/{session['id']}")["status"] == "revoked"
    refused = FapiBrowser(server).post("/v1/client/sign_ins", identifier=email, password=PASSWORD)
    assert refused.json()["errors"][0]["code"] == "user_locked"
    unlocked = api.ok("POST", f"/users/{user['id']}/unlock")
    assert unlocked["locked"] is False and unlocked["lockout_expires_in_seconds"] is None
    for action in ("ban", "unban", "lock", "unlock"):
        api.error("POST", f"/users/user_2aaaaaaaaaaaaaaaaaaaaaaaaaa/{action}", 404)


def test_metadata_merge_and_replace(api: Api) -> None:
    user = api.user(
        public_metadata={"a": 1, "nested": {"x": 1, "y": 2}, "gone": True},
        private_metadata={"keep": "me"},
    )
    patch = {"public_metadata": {"nested": {"y": None, "z": 3}, "gone": None, "b": [1, 2]}}
    merged = api.ok("PATCH", f"/users/{user['id']}/metadata", json=patch)
    assert merged["public_metadata"] == {"a": 1, "nested": {"x": 1, "z": 3}, "b": [1, 2]}
    assert merged["private_metadata"] == {"keep": "me"}
    body = {"public_metadata": {"only": "this"}, "unsafe_metadata": {"u": 1}}
    replaced = api.ok("PUT", f"/users/{user['id']}/metadata", json=body)
    assert replaced["public_metadata"] == {"only": "this"}
    assert replaced["unsafe_metadata"] == {"u": 1}
    assert replaced["private_metadata"] == {"keep": "me"}
    big = {"private_metadata": {"k": "v" * 9000}}
    error = api.error("PATCH", f"/users/{user['id']}/metadata", 422, json=big)
    assert error["meta"]["param_name"] == "private_metadata"


def test_verify_password(api: Api) -> None:
    user = api.user()
    path = f"/users/{user['id']}/verify_password"
    assert api.ok("POST", path, json={"password": PASSWORD}) == {"verified": True}
    assert api.ok("POST", path, json={"password": "wrong one"}) == {"verified": False}
    no_password = api.user(password=None)
    api.error("POST", f"/users/{no_password['id']}/verify_password", 422, json={"password": "x"})


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[LiveServer]:
    with run_live_server(tmp_path, lockout_attempts=3) as live:
        yield live


def test_wrong_passwords_count_toward_lockout(strict_server: LiveServer) -> None:
    api = Api(strict_server)
    try:
        _lockout(strict_server, api)
    finally:
        api.http.close()


def _lockout(strict_server: LiveServer, api: Api) -> None:
    email = unique_email("count")
    user = api.user(email_address=[email])
    path = f"/users/{user['id']}/verify_password"
    browser = FapiBrowser(strict_server)
    assert browser.post("/v1/client/sign_ins", identifier=email, password="nope").status_code == 422
    for _ in range(2):
        assert api.ok("POST", path, json={"password": "wrong"}) == {"verified": False}
    assert api.ok("GET", f"/users/{user['id']}")["locked"] is True
    assert api.error("POST", path, 403, json={"password": PASSWORD})["code"] == "user_locked"
    api.ok("POST", f"/users/{user['id']}/unlock")
    assert api.ok("POST", path, json={"password": PASSWORD}) == {"verified": True}


def test_profile_image(server: LiveServer, api: Api) -> None:
    user = api.user()
    assert user["has_image"] is False
    path = f"/users/{user['id']}/profile_image"
    files = {"file": ("me.png", tiny_png(), "image/png")}
    with_image = api.ok("POST", path, files=files)
    assert with_image["has_image"] is True
    assert with_image["image_url"].startswith(f"{server.url}/v1/images/img_")
    assert with_image["profile_image_url"] == with_image["image_url"]
    served = httpx.get(with_image["image_url"])  # served by the pages, past the /v1 mount
    assert served.status_code == 200 and served.content == tiny_png()
    fake = {"file": ("x.png", b"<svg onload=alert(1)>", "image/png")}
    assert api.error("POST", path, 422, files=fake)["meta"]["param_name"] == "file"
    assert api.error("POST", path, 422)["meta"]["param_name"] == "file"
    too_big = {
        "file": ("big.png", tiny_png() + b"\0" * server.settings.max_body_bytes, "image/png")
    }
    api.error("POST", path, 413, files=too_big)
    without = api.ok("DELETE", path)
    assert without["has_image"] is False and "/avatar/" in without["image_url"]
    api.error("DELETE", "/users/user_2aaaaaaaaaaaaaaaaaaaaaaaaaa/profile_image", 404)

"""Profile images: upload checks, serving, caching, and the generated avatar."""

from __future__ import annotations

import re

import httpx

from tests.pages.helpers import Browsers, PageClient, csrf_token, make_png
from tests.support import LiveServer, sql

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
    b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _upload(
    client: PageClient, data: bytes, name: str = "me.png", ctype: str = "image/png"
) -> httpx.Response:
    token = csrf_token(client.get("/user").text)
    return client.http.post(
        "/user/image", data={"csrf_token": token}, files={"image": (name, data, ctype)}
    )


def _image_url(client: PageClient) -> str:
    match = re.search(r'src="([^"]+)" alt="Your profile image"', client.get("/user").text)
    assert match
    return match.group(1)


def test_upload_serve_cache_and_remove(ada: PageClient) -> None:
    png = make_png(16, 16)
    response = _upload(ada, png)
    assert response.status_code == 303 and response.headers["location"] == "/user?done=image"
    url = _image_url(ada)
    assert re.fullmatch(rf"{re.escape(ada.server.url)}/v1/images/img_\w+", url)
    served = httpx.get(url)
    assert served.status_code == 200 and served.content == png
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    etag = served.headers["etag"]
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
    # The Frontend API reports the same URL.
    client_json = ada.http.get("/v1/client").json()["client"]
    assert client_json["sessions"][0]["user"]["image_url"] == url
    # A GIF sent as "image/png" is stored as what it really is, and replaces the PNG.
    assert _upload(ada, GIF, "x.png", "image/png").status_code == 303
    new_url = _image_url(ada)
    assert new_url != url and httpx.get(new_url).headers["content-type"] == "image/gif"
    assert httpx.get(url).status_code == 404
    assert sql(ada.server, "SELECT count(*) FROM images")[0][0] == 1
    removed = ada.submit("/user", "/user/image/delete")
    assert removed.headers["location"] == "/user?done=image_removed"
    assert "/v1/images/avatar/" in _image_url(ada)
    assert sql(ada.server, "SELECT count(*) FROM images")[0][0] == 0


def test_refuses_what_is_not_an_image(ada: PageClient) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, name, ctype in (
        (b"hello, not an image", "x.png", "image/png"),
        (svg, "x.svg", "image/svg+xml"),
        (b"<html><script>alert(1)</script>", "x.jpg", "image/jpeg"),
    ):
        response = _upload(ada, data, name, ctype)
        assert response.status_code == 422, name
        assert "Upload a PNG, JPEG, GIF or WebP image." in response.text
        assert 'id="f-image-error"' in response.text
    empty = _upload(ada, b"", "empty.png")
    assert empty.status_code == 422 and "Choose an image" in empty.text
    assert sql(ada.server, "SELECT count(*) FROM images")[0][0] == 0


def test_refuses_images_over_the_limit(ada: PageClient) -> None:
    limit = ada.server.settings.max_body_bytes
    just_over = make_png() + b"\x00" * (limit - len(make_png()) + 1)
    response = _upload(ada, just_over)
    assert response.status_code == 413
    assert f"The image is too large. The limit is {limit // 1024} KB." in response.text
    huge = _upload(ada, b"\x89PNG\r\n\x1a\n" + b"\x00" * (limit * 3))
    assert huge.status_code == 413 and "too large" in huge.text
    assert sql(ada.server, "SELECT count(*) FROM images")[0][0] == 0


def test_upload_needs_a_session_and_a_token(ada: PageClient, browsers: Browsers) -> None:
    stranger = browsers(ada.server)
    token = csrf_token(stranger.get("/sign-in").text)
    files = {"image": ("me.png", make_png(), "image/png")}
    response = stranger.http.post("/user/image", data={"csrf_token": token}, files=files)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    forged = ada.http.post("/user/image", data={"csrf_token": "1.x"}, files=files)
    assert forged.status_code == 403


def test_generated_avatar(live_server: LiveServer, browsers: Browsers) -> None:
    client = browsers(live_server)
    client.sign_up("zed@example.com", first_name="<b>zoe", last_name="quinn")
    user_id = sql(live_server, "SELECT id FROM users")[0][0]
    avatar = httpx.get(f"{live_server.url}/v1/images/avatar/{user_id}.svg")
    assert avatar.status_code == 200
    assert avatar.headers["content-type"].startswith("image/svg+xml")
    assert ">&lt;Q</text>" in avatar.text and "<b>" not in avatar.text
    assert avatar.headers["content-security-policy"] == "default-src 'none'"
    unknown = httpx.get(f"{live_server.url}/v1/images/avatar/user_nobody.svg")
    assert unknown.status_code == 200 and ">?</text>" in unknown.text
    missing = httpx.get(f"{live_server.url}/v1/images/img_missing")
    assert (
        missing.status_code == 404 and missing.json()["errors"][0]["code"] == "resource_not_found"
    )

"""``/npm/@clerk/<package>@<version>/dist/<file>``: version resolution, headers, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from threshold.server.app import create_app
from threshold.services.instance.settings import Settings

pytestmark = pytest.mark.anyio

INSTALLED = {"clerk-js": ["6.39.0", "6.40.0", "6.41.0-beta.1", "5.9.0"], "ui": ["1.36.0"]}


def _library(root: Path) -> Path:
    for package, versions in INSTALLED.items():
        for version in versions:
            dist = root / "@clerk" / package / version / "dist"
            dist.mkdir(parents=True)
            (dist / f"{package}.browser.js").write_text(f"/* {package} {version} */")
            (dist / "styles.css").write_text("a{}")
            (dist / "types.d.ts").write_text("export {}")
            (dist.parent / "install.json").write_text("{}")
    (root / "@clerk" / "clerk-js" / "not-a-version" / "dist").mkdir(parents=True)
    return root


@pytest.fixture
async def scripts(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path, public_url="http://127.0.0.1:8787", clerk_js_dir=_library(tmp_path)
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8787") as c:
        yield c


@pytest.mark.parametrize(
    ("requested", "served", "cache"),
    [
        ("6", "6.40.0", "public, max-age=300"),
        ("6.39", "6.39.0", "public, max-age=300"),
        ("latest", "6.40.0", "public, max-age=300"),
        ("5", "5.9.0", "public, max-age=300"),
        ("6.39.0", "6.39.0", "public, max-age=31536000, immutable"),
        ("6.41.0-beta.1", "6.41.0-beta.1", "public, max-age=31536000, immutable"),
    ],
)
async def test_a_version_resolves_against_what_is_installed(
    scripts: httpx.AsyncClient, requested: str, served: str, cache: str
) -> None:
    response = await scripts.get(f"/npm/@clerk/clerk-js@{requested}/dist/clerk-js.browser.js")
    assert response.status_code == 200
    assert response.text == f"/* clerk-js {served} */"
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == cache
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["timing-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-credentials" not in response.headers
    assert "set-cookie" not in response.headers


async def test_the_ui_bundle_and_stylesheets(scripts: httpx.AsyncClient) -> None:
    ui = await scripts.get("/npm/@clerk/ui@1/dist/ui.browser.js")
    assert ui.status_code == 200 and ui.text == "/* ui 1.36.0 */"
    css = await scripts.get("/npm/@clerk/ui@1.36.0/dist/styles.css")
    assert css.headers["content-type"] == "text/css; charset=utf-8"


async def test_conditional_and_head_requests(scripts: httpx.AsyncClient) -> None:
    path = "/npm/@clerk/clerk-js@6.40.0/dist/clerk-js.browser.js"
    first = await scripts.get(path)
    again = await scripts.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == first.headers["cache-control"]
    head = await scripts.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))


async def test_a_version_not_installed_names_the_fix(scripts: httpx.AsyncClient) -> None:
    response = await scripts.get("/npm/@clerk/clerk-js@7/dist/clerk.browser.js")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"errors", "clerk_trace_id"}
    error = body["errors"][0]
    assert error["code"] == "resource_not_found"
    assert error["message"] == "@clerk/clerk-js@7 is not installed on this server."
    assert "threshold clerk-js install" in error["long_message"]
    assert "THRESHOLD_CLERK_JS_DIR" in error["long_message"]
    assert "installed: 5.9.0, 6.39.0, 6.40.0, 6.41.0-beta.1" in error["long_message"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-store"
    canary = await scripts.get("/npm/@clerk/clerk-js@canary/dist/clerk.browser.js")
    assert canary.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/npm/@clerk/nextjs@6/dist/index.js",
        "/npm/@clerk/clerk-js/dist/clerk.browser.js",
        "/npm/@clerk/clerk-js@6/dist/types.d.ts",
        "/npm/@clerk/clerk-js@6/dist/.hidden.js",
        "/npm/@clerk/clerk-js@6/dist/missing.js",
        "/npm/@clerk/clerk-js@6/dist/..%2Finstall.json",
        "/npm/@clerk/clerk-js@6/install.json",
        "/npm/@clerk/clerk-js@not-a-version/dist/clerk-js.browser.js",
    ],
)
async def test_nothing_else_is_served(scripts: httpx.AsyncClient, path: str) -> None:
    response = await scripts.get(path)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "resource_not_found"


async def test_nothing_installed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="http://127.0.0.1:8787")
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8787") as c:
        response = await c.get("/npm/@clerk/ui@1/dist/ui.browser.js")
    assert response.status_code == 404
    assert "(installed: none)" in response.json()["errors"][0]["long_message"]

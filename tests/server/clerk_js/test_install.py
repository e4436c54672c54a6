"""``threshold clerk-js install``: integrity, what is unpacked, and refusals that change
nothing, against a registry answered in-process."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from threshold.server.clerk_js import ScriptLibrary
from threshold.server.clerk_js.install import PINNED, ScriptInstallError, install

REGISTRY = "https://registry.test"


def _tarball(version: str, *, name: str = "@clerk/clerk-js") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:

        def add(path: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE) -> None:
            info = tarfile.TarInfo(path)
            info.type, info.size = kind, len(data)
            if kind == tarfile.SYMTYPE:
                info.linkname, info.size = "../../../etc/passwd", 0
            archive.addfile(info, io.BytesIO(data) if data else None)

        add("package/package.json", json.dumps({"name": name, "version": version}).encode())
        add("package/README.md", b"readme")
        add("package/dist/clerk.browser.js", b"/* clerk */")
        add("package/dist/321_clerk.browser_a68c22.js", b"/* chunk */")
        add("package/dist/clerk.browser.js.map", b"{}")
        add("package/dist/index.d.ts", b"export {}")
        add("package/dist/types/index.js", b"/* module tree */")
        add("package/dist/../../escape.js", b"/* out */")
        add("package/dist/link.js", kind=tarfile.SYMTYPE)
    return out.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _registry(tarball: bytes, integrity: str | None = None) -> Callable[..., httpx.Client]:
    def handler(request: httpx.Request) -> httpx.Response:
        raw = request.url.raw_path.decode()
        if raw.startswith("/@clerk%2Fclerk-js/"):  # the scope's slash escaped, as npm does
            version = raw.rsplit("/", 1)[1]
            dist = {
                "integrity": integrity or _integrity(tarball),
                "tarball": f"{REGISTRY}/tarballs/clerk-js-{version}.tgz",
            }
            return httpx.Response(200, json={"name": "@clerk/clerk-js", "dist": dist})
        if request.url.path.startswith("/tarballs/"):
            return httpx.Response(200, content=tarball)
        return httpx.Response(404, json={"error": "Not found"})

    return lambda: httpx.Client(transport=httpx.MockTransport(handler))


def test_only_the_browser_files_of_dist_are_unpacked(tmp_path: Path) -> None:
    library = ScriptLibrary(tmp_path)
    tarball = _tarball("6.99.0")
    with _registry(tarball)() as http:
        done = install(library, "clerk-js", "6.99.0", registry=REGISTRY, http=http)
    assert done.files == 3 and done.integrity == _integrity(tarball)
    dist = tmp_path / "@clerk" / "clerk-js" / "6.99.0" / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [
        "321_clerk.browser_a68c22.js",
        "clerk.browser.js",
        "clerk.browser.js.map",
    ]
    assert not list(tmp_path.rglob("escape.js")) and not list(tmp_path.rglob("link.js"))
    record = json.loads((dist.parent / "install.json").read_text())
    assert record == {"name": "@clerk/clerk-js", "version": "6.99.0", "integrity": done.integrity}
    assert [str(v) for v in library.installed("clerk-js")] == ["6.99.0"]


def test_a_tarball_that_does_not_match_its_integrity_is_refused(tmp_path: Path) -> None:
    tarball = _tarball("6.99.0")
    with (
        _registry(tarball, integrity=_integrity(b"something else"))() as http,
        pytest.raises(ScriptInstallError, match="does not match its integrity"),
    ):
        install(ScriptLibrary(tmp_path), "clerk-js", "6.99.0", registry=REGISTRY, http=http)
    assert not (tmp_path / "@clerk").exists()


def test_a_pinned_version_must_have_the_pinned_integrity(tmp_path: Path) -> None:
    """The registry agreeing with itself is not enough for the tested version."""
    pinned = PINNED["clerk-js"][0]
    with (
        _registry(_tarball(pinned))() as http,
        pytest.raises(ScriptInstallError, match="not the one Threshold pins"),
    ):
        install(ScriptLibrary(tmp_path), "clerk-js", pinned, registry=REGISTRY, http=http)
    assert not (tmp_path / "@clerk").exists()


@pytest.mark.parametrize(
    ("version", "tarball", "message"),
    [
        ("6.99.0", _tarball("6.98.0"), "is not @clerk/clerk-js@6.99.0"),
        ("6.99.0", _tarball("6.99.0", name="@evil/clerk-js"), "is not @clerk/clerk-js@6.99.0"),
        ("6.99.0", b"not a tarball", "cannot be read"),
        ("6", b"", "not an exact version"),
    ],
)
def test_refusals_change_nothing(
    tmp_path: Path, version: str, tarball: bytes, message: str
) -> None:
    with _registry(tarball)() as http, pytest.raises(ScriptInstallError, match=message):
        install(ScriptLibrary(tmp_path), "clerk-js", version, registry=REGISTRY, http=http)
    assert not list(tmp_path.rglob("*.js"))


def test_unknown_packages_and_versions(tmp_path: Path) -> None:
    with _registry(_tarball("6.99.0"))() as http:
        with pytest.raises(ScriptInstallError, match="not a package"):
            install(ScriptLibrary(tmp_path), "nextjs", "6.0.0", registry=REGISTRY, http=http)
        with pytest.raises(ScriptInstallError, match="answered 404"):
            install(ScriptLibrary(tmp_path), "ui", "1.0.0", registry=REGISTRY, http=http)


def test_installing_again_replaces_the_version(tmp_path: Path) -> None:
    library = ScriptLibrary(tmp_path)
    with _registry(_tarball("6.99.0"))() as http:
        install(library, "clerk-js", "6.99.0", registry=REGISTRY, http=http)
        stray = tmp_path / "@clerk" / "clerk-js" / "6.99.0" / "dist" / "stray.js"
        stray.write_text("left over")
        install(library, "clerk-js", "6.99.0", registry=REGISTRY, http=http)
    assert not stray.exists()
    assert sorted(p.name for p in (tmp_path / "@clerk" / "clerk-js").iterdir()) == ["6.99.0"]

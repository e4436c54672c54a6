"""``threshold clerk-js install``: clerk-js and its UI bundle from the npm registry.

Steps, for each package:

1. Ask the registry for the version's manifest (``<registry>/@clerk%2f<name>/<version>``)
   and read its ``dist.tarball`` and ``dist.integrity``.
2. For a pinned version, check that integrity against the one recorded here, so a
   registry or mirror that answers differently is refused.
3. Download the tarball (size-capped) and check its SHA-512 against the integrity.
4. Check ``package/package.json`` names the package and version asked for.
5. Unpack only regular files lying directly in ``package/dist/`` with a served extension:
   the browser bundles and their chunks (no type declarations, no module tree, no
   links, no path that leaves the directory).
6. Move the unpacked version into place in one rename, next to any other version.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from threshold.core.errors import ThresholdError
from threshold.server.clerk_js.library import PACKAGES, ScriptLibrary, Version
from threshold.server.clerk_js.routes import CONTENT_TYPES

__all__ = ["PINNED", "Installed", "ScriptInstallError", "install"]

PINNED: dict[str, tuple[str, str]] = {
    "clerk-js": (
        "6.40.0",
        "sha512-2MnZ/ygvuCmeuqfXQmsxfQaLN/SSJvQbtT2cLXbgr5VKr3KmZFZBVvX977fG3eZ6pprl4J9pO+I2bbe6BvColg==",
    ),
    "ui": (
        "1.36.0",
        "sha512-uI96zYCh5jISLOt1mdpIPy/Y31P0kwFxjUFOxLUwFfTHFmGUcRjbqN6bbb+75tdI2Bz6ARGws3rhspDer+xIfQ==",
    ),
}
"""The versions installed by default, tested with Threshold, and their npm integrity."""

MAX_TARBALL_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_MANIFEST_BYTES = 4 * 1024 * 1024


class ScriptInstallError(ThresholdError):
    """A script could not be installed; nothing was changed."""

    code = "script_install_failed"


@dataclass(frozen=True, slots=True)
class Installed:
    """One installed package version."""

    package: str
    version: str
    integrity: str
    files: int
    directory: Path


def install(
    library: ScriptLibrary, package: str, version: str, *, registry: str, http: httpx.Client
) -> Installed:
    """Download, check and unpack ``@clerk/<package>@<version>`` into ``library``."""
    if package not in PACKAGES:
        raise ScriptInstallError(f"@clerk/{package} is not a package Threshold serves.")
    if Version.parse(version) is None:
        raise ScriptInstallError(f"{version!r} is not an exact version (such as 6.40.0).")
    name = f"@clerk/{package}"
    manifest = _get_json(http, f"{registry.rstrip('/')}/{quote(name, safe='@')}/{version}")
    dist = manifest.get("dist")
    if not isinstance(dist, dict):
        raise ScriptInstallError(f"The registry has no {name}@{version}.")
    integrity, tarball = str(dist.get("integrity", "")), str(dist.get("tarball", ""))
    pinned = PINNED.get(package)
    if pinned is not None and pinned[0] == version and integrity != pinned[1]:
        raise ScriptInstallError(
            f"The registry's integrity for {name}@{version} is not the one Threshold pins: "
            "refusing it."
        )
    if not tarball.startswith(("https://", "http://")):
        raise ScriptInstallError(f"The registry gave no tarball for {name}@{version}.")
    data = _download(http, tarball)
    _check_integrity(data, integrity, f"{name}@{version}")
    target = library.package_dir(package) / version
    files = _unpack(data, name, version, target, integrity)
    return Installed(package, version, integrity, files, target)


def _get_json(http: httpx.Client, url: str) -> dict[str, object]:
    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ScriptInstallError(f"The registry could not be reached ({url}): {exc}") from exc
    if response.status_code != 200 or len(response.content) > _MANIFEST_BYTES:
        raise ScriptInstallError(f"The registry answered {response.status_code} for {url}.")
    try:
        body = response.json()
    except ValueError as exc:
        raise ScriptInstallError(f"The registry's answer for {url} is not JSON.") from exc
    if not isinstance(body, dict):
        raise ScriptInstallError(f"The registry's answer for {url} is not a manifest.")
    return body


def _download(http: httpx.Client, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        with http.stream("GET", url) as response:
            if response.status_code != 200:
                raise ScriptInstallError(f"The registry answered {response.status_code} for {url}.")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_TARBALL_BYTES:
                    raise ScriptInstallError(f"{url} is larger than {MAX_TARBALL_BYTES} bytes.")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise ScriptInstallError(f"Downloading {url} failed: {exc}") from exc
    return b"".join(chunks)


def _check_integrity(data: bytes, integrity: str, what: str) -> None:
    """The tarball's SHA-512 must equal the ``sha512-`` entry of the integrity string."""
    expected = [
        entry.partition("-")[2] for entry in integrity.split() if entry.startswith("sha512-")
    ]
    if not expected:
        raise ScriptInstallError(f"The registry gave no SHA-512 integrity for {what}.")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual not in expected:
        raise ScriptInstallError(f"{what}: the tarball does not match its integrity.")


def _unpack(data: bytes, name: str, version: str, target: Path, integrity: str) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    try:
        files = _extract(data, name, version, staging / "dist")
        record = {"name": name, "version": version, "integrity": integrity}
        (staging / "install.json").write_text(json.dumps(record, indent=2) + "\n")
        staging.chmod(0o755)
        if target.exists():
            old = target.with_name(f".{version}-replaced")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return files


def _extract(data: bytes, name: str, version: str, dist: Path) -> int:
    dist.mkdir()
    count, total, manifest = 0, 0, None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                if member.name == "package/package.json" and member.isfile():
                    manifest = _read(archive, member)
                    continue
                served = _served_name(member)
                if served is None:
                    continue
                total += member.size
                if total > MAX_UNPACKED_BYTES:
                    raise ScriptInstallError(f"{name}@{version} unpacks to too many bytes.")
                (dist / served).write_bytes(_read(archive, member))
                count += 1
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ScriptInstallError(f"{name}@{version}: the tarball cannot be read: {exc}") from exc
    _check_manifest(manifest, name, version)
    if count == 0:
        raise ScriptInstallError(f"{name}@{version} has no browser files in dist/.")
    return count


def _served_name(member: tarfile.TarInfo) -> str | None:
    """The file name to unpack a member as, or None to leave it out."""
    prefix = "package/dist/"
    if not member.isfile() or not member.name.startswith(prefix):
        return None
    rest = member.name[len(prefix) :]
    if "/" in rest or "\\" in rest or rest.startswith(".") or rest.endswith((".d.ts", ".d.mts")):
        return None
    return rest if "." + rest.rpartition(".")[2] in CONTENT_TYPES else None


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    if handle is None:
        raise ScriptInstallError(f"{member.name} cannot be read from the tarball.")
    with handle:
        return handle.read()


def _check_manifest(raw: bytes | None, name: str, version: str) -> None:
    try:
        manifest = json.loads(raw or b"null")
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or (manifest.get("name"), manifest.get("version")) != (
        name,
        version,
    ):
        raise ScriptInstallError(f"The tarball is not {name}@{version} (package/package.json).")

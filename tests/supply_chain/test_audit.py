"""Checklist item 70 in docs/security.md: hash-pinned lock files, pip-audit in CI, and a
known-vulnerable pin failing the build.

The tests in `make test` run the real pip-audit through ``tools/audit.py`` (what `make audit`
runs) against a stand-in for the OSV query API on 127.0.0.1 that knows one published
advisory, so they give the same answer whether or not the real advisory service can be
reached. The two ``advisories`` tests ask the real service; `make audit-live` runs them and
they fail, saying so, when it cannot be reached (docs/releasing.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCKS = [ROOT / "requirements" / "dev.txt", ROOT / "requirements" / "server.txt"]

# Jinja2 3.1.2 as published (the wheel's sha256 from PyPI), and the real advisory against
# it: HTML attribute injection through the xmlattr filter, fixed in 3.1.3.
VULNERABLE_PIN = (
    "jinja2==3.1.2 \\\n"
    "    --hash=sha256:6088930bfe239f0e6710546ab9c19c9ef35e29792895fed6e6e31a023a182a61\n"
)
ADVISORY_ID, ADVISORY_CVE = "GHSA-h5c8-rqwp-cqqp", "CVE-2024-22195"
JINJA2_ADVISORY = {
    "schema_version": "1.6.0",
    "id": ADVISORY_ID,
    "aliases": [ADVISORY_CVE],
    "summary": "Jinja's xmlattr filter accepts keys with spaces (attribute injection)",
    "published": "2024-01-11T15:20:48Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "jinja2"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.3"}]}],
        }
    ],
}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?:\s*;\s*([^\\]+?))?\s*\\?$", re.M)


def locked_pins(path: Path, here_only: bool = False) -> set[tuple[str, str]]:
    """(name, version) of every pin; with ``here_only``, of those whose environment marker
    holds on this interpreter (the ones pip-audit checks, and `make install` installs)."""
    return {
        (name, version)
        for name, version, marker in _PIN.findall(path.read_text())
        if not (here_only and marker and not Marker(marker).evaluate())
    }


@dataclass
class FakeOsv:
    """An OSV ``/v1/query`` endpoint: answers from ``advisories``, records every query."""

    url: str
    advisories: dict[str, list[dict[str, Any]]]
    queries: list[tuple[str, str]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def fake_osv() -> Iterator[FakeOsv]:
    state: FakeOsv

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name, version = query["package"]["name"], query["version"]
            state.queries.append((name, version))
            vulns = [vuln for vuln in state.advisories.get(name, []) if _affected(vuln, version)]
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = FakeOsv(
        url=f"http://127.0.0.1:{server.server_port}/v1/query",
        advisories={"jinja2": [JINJA2_ADVISORY]},
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _affected(vuln: dict[str, Any], version: str) -> bool:
    for affected in vuln["affected"]:
        for events in affected["ranges"]:
            fixed = [event["fixed"] for event in events["events"] if "fixed" in event]
            if fixed and Version(version) < Version(fixed[0]):
                return True
    return False


def audit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "audit.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def make(*args: str) -> subprocess.CompletedProcess[str]:
    """A Makefile target, as `make test` runs it, without reinstalling (``-o install``)."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "-o", "install", f"BIN={BIN}", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def vulnerable_lock(tmp_path: Path) -> Path:
    lock = tmp_path / "requirements.txt"
    lock.write_text(VULNERABLE_PIN)
    return lock


def test_known_vulnerable_pin_fails_the_audit(tmp_path: Path, fake_osv: FakeOsv) -> None:
    done = audit("--service", "osv", "--osv-url", fake_osv.url, vulnerable_lock(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "VULNERABLE" in done.stdout
    assert "jinja2 3.1.2" in done.stdout
    assert ADVISORY_ID in done.stdout and ADVISORY_CVE in done.stdout
    assert "fixed in 3.1.3" in done.stdout
    assert fake_osv.queries == [("jinja2", "3.1.2")]


def test_known_vulnerable_pin_fails_make_audit_even_in_warn_mode(
    tmp_path: Path, fake_osv: FakeOsv
) -> None:
    """`make test` depends on `make audit`; `warn` only forgives an unreachable service."""
    done = make(
        "audit",
        f"AUDIT_FILES={vulnerable_lock(tmp_path)}",
        "AUDIT_SERVICE=osv",
        f"AUDIT_ARGS=--osv-url {fake_osv.url}",
        "AUDIT_UNREACHABLE=warn",
    )
    assert done.returncode != 0, done.stdout + done.stderr
    assert ADVISORY_ID in done.stdout


def test_project_lock_files_audit_clean(fake_osv: FakeOsv) -> None:
    """Every pin that applies here is sent to the service, and none is the vulnerable one.
    (Pins for other platforms or Python versions, such as colorama on Windows, are audited
    where they apply: pip-audit evaluates the markers.)"""
    done = audit("--service", "osv", "--osv-url", fake_osv.url, *LOCKS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no known vulnerabilities" in done.stdout
    assert set(fake_osv.queries) == locked_pins(LOCKS[0], here_only=True)
    assert ("jinja2", "3.1.2") not in fake_osv.queries


def test_unreachable_service_is_not_a_pass(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/query"
    lock = vulnerable_lock(tmp_path)

    strict = audit("--service", "osv", "--osv-url", url, "--unreachable", "fail", lock)
    assert strict.returncode == 3, strict.stdout + strict.stderr
    assert "NOT PERFORMED" in strict.stdout and "VULNERABLE" not in strict.stdout
    assert "This is not a pass" in strict.stdout

    lenient = audit("--service", "osv", "--osv-url", url, "--unreachable", "warn", lock)
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "NOT PERFORMED" in lenient.stdout and "This is not a pass" in lenient.stdout
    assert "no known vulnerabilities" not in lenient.stdout


def test_service_errors_are_not_a_pass(tmp_path: Path, fake_osv: FakeOsv) -> None:
    fake_osv.status = 503
    done = audit("--service", "osv", "--osv-url", fake_osv.url, vulnerable_lock(tmp_path))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "NOT PERFORMED" in done.stdout


def test_broken_lock_file_is_an_error_not_a_pass(tmp_path: Path, fake_osv: FakeOsv) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("jinja2>=3.1\n")  # not pinned, no hash
    done = audit("--service", "osv", "--osv-url", fake_osv.url, lock)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ERROR" in done.stdout


def test_lock_files_pin_every_package_with_hashes() -> None:
    for lock in LOCKS:
        blocks = [
            block
            for block in re.split(r"\n(?=\S)", lock.read_text())
            if block.strip() and not block.startswith("#")
        ]
        assert blocks, lock
        for block in blocks:
            assert _PIN.match(block.splitlines()[0]), (lock.name, block.splitlines()[0])
            assert "--hash=sha256:" in block, (lock.name, block.splitlines()[0])
    names = {name for name, _ in locked_pins(LOCKS[0])}
    assert {"hatchling", "pip-audit", "cyclonedx-bom", "fastapi", "cryptography"} <= names
    # The server lock is the dev lock's subset at the same versions.
    assert locked_pins(LOCKS[1]) <= locked_pins(LOCKS[0])


def test_lock_files_match_pyproject(tmp_path: Path) -> None:
    """Re-resolving with the committed pins as preferences changes no pin: nobody edited
    pyproject.toml's dependencies without running `make lock`. Hashes are left out of the
    comparison, since PyPI may add a wheel to a release later."""
    uv = shutil.which("uv", path=str(BIN)) or "uv"
    compile_ = [uv, "pip", "compile", "-q", "--universal", "--python-version", "3.11"]
    compile_ += ["--generate-hashes", "--no-header"]
    dev, server = tmp_path / "dev.txt", tmp_path / "server.txt"
    shutil.copy(LOCKS[0], dev)
    shutil.copy(LOCKS[1], server)
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    for command in (
        [*compile_, "pyproject.toml", "requirements/build.in", "--extra", "dev", "-o", str(dev)],
        [*compile_, "pyproject.toml", "--extra", "server", "-c", str(dev), "-o", str(server)],
    ):
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
        )
        assert done.returncode == 0, f"uv pip compile failed (is PyPI reachable?):\n{done.stderr}"
    assert locked_pins(dev) == locked_pins(LOCKS[0]), "requirements/dev.txt is stale: make lock"
    assert locked_pins(server) == locked_pins(LOCKS[1]), "requirements/server.txt: make lock"


def test_sbom_lists_every_locked_server_package_with_its_hashes(tmp_path: Path) -> None:
    done = make("sbom", f"SBOM_DIR={tmp_path}")
    assert done.returncode == 0, done.stdout + done.stderr
    [path] = tmp_path.glob("threshold-*.cdx.json")
    sbom = json.loads(path.read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    root = sbom["metadata"]["component"]
    assert (root["name"], path.name) == ("threshold", f"threshold-{root['version']}.cdx.json")
    components = {(c["name"], c["version"]): c for c in sbom["components"]}
    assert set(components) == locked_pins(LOCKS[1])
    text = LOCKS[1].read_text()
    for (name, version), component in components.items():
        assert component["purl"] == f"pkg:pypi/{name}@{version}"
        hashes = [h["content"] for ref in component["externalReferences"] for h in ref["hashes"]]
        assert hashes and all(f"sha256:{digest}" in text for digest in hashes), name


def _live(*args: str | Path) -> subprocess.CompletedProcess[str]:
    service = os.environ.get("AUDIT_SERVICE", "pypi")
    done = audit("--service", service, "--unreachable", "fail", *args)
    if done.returncode == 3:
        pytest.fail(
            f"the vulnerability service ({service}) is unreachable from this machine, so this "
            f"test cannot show anything; it is not a pass:\n{done.stdout}",
            pytrace=False,
        )
    return done


@pytest.mark.advisories
def test_live_service_reports_the_known_vulnerable_pin(tmp_path: Path) -> None:
    done = _live(vulnerable_lock(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert ADVISORY_ID in done.stdout or ADVISORY_CVE in done.stdout


@pytest.mark.advisories
def test_live_service_finds_the_lock_files_clean() -> None:
    done = _live(*LOCKS)
    assert done.returncode == 0, done.stdout + done.stderr

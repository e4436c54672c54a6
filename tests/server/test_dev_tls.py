"""HTTPS: ``threshold dev --https`` (a local CA, reused across runs) and ``threshold serve
--ssl-certfile/--ssl-keyfile``, checked with real TLS connections that verify against the
generated CA."""

from __future__ import annotations

import base64
import datetime as dt
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.server.test_cli import THRESHOLD, _env
from tests.support import free_port
from threshold.core.errors import ConfigurationError
from threshold.server.dev_tls import ensure_dev_certificate


def _trusting(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


@contextmanager
def _running(args: list[str], tmp_path: Path, **env: str) -> Iterator[str]:
    """Run a threshold command until it listens; yield what it printed up to then."""
    proc = subprocess.Popen(
        [THRESHOLD, *args],
        cwd=tmp_path,
        env=_env(tmp_path, COLUMNS="300", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or "Press Ctrl+C" in line or "Uvicorn running" in line:
                break
            lines.append(line)
        yield "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _get(url: str, verify: ssl.SSLContext | bool) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, verify=verify, timeout=5)
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_dev_https_creates_a_ca_once_and_serves_over_tls(tmp_path: Path) -> None:
    port = free_port()
    with _running(["dev", "--https", "--no-demo", "--port", str(port)], tmp_path) as banner:
        ca = tmp_path / "data" / "tls" / "ca.pem"
        assert f"HTTPS CA        : {ca} (created: trust it once)" in banner, banner
        for hint in (
            "certutil -d sql:$HOME/.pki/nssdb",
            "security add-trusted-cert",
            "update-ca-certificates",
            "update-ca-trust",
            f"NODE_EXTRA_CA_CERTS={ca}",
            f"SSL_CERT_FILE={ca.with_name('ca-bundle.pem')}",
        ):
            assert hint in banner, hint
        assert f"https://127.0.0.1:{port}/sign-in" in banner
        key = re.search(r"pk_test_(\S+)", banner)
        assert key is not None
        encoded = key.group(1) + "=" * (-len(key.group(1)) % 4)
        assert base64.b64decode(encoded) == f"127.0.0.1:{port}$".encode()
        for host in ("127.0.0.1", "localhost"):
            jwks = _get(f"https://{host}:{port}/.well-known/jwks.json", _trusting(ca))
            assert jwks.status_code == 200 and jwks.json()["keys"]
            assert jwks.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{port}/.well-known/jwks.json", timeout=5)
    first_ca = ca.read_bytes()
    port = free_port()
    with _running(["dev", "--https", "--no-demo", "--port", str(port)], tmp_path) as banner:
        assert f"HTTPS CA        : {ca} (reused)" in banner, banner
        assert _get(f"https://127.0.0.1:{port}/v1/environment", _trusting(ca)).status_code == 200
    assert ca.read_bytes() == first_ca


def test_serve_takes_a_certificate_and_key(tmp_path: Path) -> None:
    tls = ensure_dev_certificate(tmp_path / "tls")
    port = free_port()
    env = {
        "THRESHOLD_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "THRESHOLD_PUBLIC_URL": f"https://127.0.0.1:{port}",
    }
    subprocess.run(
        [THRESHOLD, "migrate"], env=_env(tmp_path, **env), check=True, capture_output=True
    )
    files = ["--ssl-certfile", str(tls.cert_file), "--ssl-keyfile", str(tls.key_file)]
    with _running(["serve", "--port", str(port), *files], tmp_path, **env):
        answer = _get(f"https://127.0.0.1:{port}/v1/environment", _trusting(tls.ca_file))
        assert answer.status_code == 200
    alone = subprocess.run(
        [THRESHOLD, "serve", "--port", str(port), *files[:2]],
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert alone.returncode == 1 and "go together" in alone.stdout


def test_keys_are_private_and_the_ca_is_constrained(tmp_path: Path) -> None:
    tls = ensure_dev_certificate(tmp_path / "tls")
    assert tls.created_ca
    for private in (tls.key_file, tmp_path / "tls" / "ca-key.pem"):
        assert private.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "tls").stat().st_mode & 0o777 == 0o700
    ca = x509.load_pem_x509_certificate(tls.ca_file.read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert x509.DNSName("localhost") in (constraints.value.permitted_subtrees or [])
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca and basic.path_length == 0
    assert tls.bundle_file.read_bytes().endswith(tls.ca_file.read_bytes())


def test_a_server_certificate_near_its_end_is_reissued_by_the_same_ca(tmp_path: Path) -> None:
    first = ensure_dev_certificate(tmp_path)
    ca, leaf = first.ca_file.read_bytes(), first.cert_file.read_bytes()
    assert ensure_dev_certificate(tmp_path).cert_file.read_bytes() == leaf
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=380)
    renewed = ensure_dev_certificate(tmp_path, now=later)
    assert not renewed.created_ca and renewed.ca_file.read_bytes() == ca
    new_leaf = x509.load_pem_x509_certificate(renewed.cert_file.read_bytes())
    assert renewed.cert_file.read_bytes() != leaf
    new_leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(ca))
    assert new_leaf.not_valid_after_utc > later + dt.timedelta(days=300)


def test_a_damaged_file_is_named(tmp_path: Path) -> None:
    tls = ensure_dev_certificate(tmp_path)
    tls.ca_file.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="delete both"):
        ensure_dev_certificate(tmp_path)

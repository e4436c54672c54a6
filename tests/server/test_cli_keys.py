"""``threshold keys show``: the publishable key clerk-js decodes to find the Frontend API.

A publishable key is ``pk_test_`` (development) or ``pk_live_`` (production) followed by
the unpadded base64 of ``<host>$``. clerk-js builds ``https://<host>`` from it, and it
refuses a decoded value that does not end in exactly one ``$`` or whose host has no dot.
"""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest

from tests.server.test_cli import THRESHOLD, _env


def _keys_show(tmp_path: Path, **env: str) -> str:
    environ = _env(tmp_path, COLUMNS="200", **env)
    output = ""
    for command in ("migrate", "keys show"):
        done = subprocess.run(
            [THRESHOLD, *command.split()], env=environ, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        output = done.stdout
    return output


def _frontend_api(output: str, prefix: str) -> str:
    """The host a printed key names, checked the way clerk-js checks it."""
    found = re.search(r"Publishable key : (pk_\w+_[A-Za-z0-9+/]+)", output)
    assert found, output
    key = found.group(1)
    assert key.startswith(prefix) and key.count("_") == 2, key
    encoded = key.split("_")[2]
    assert "=" not in encoded
    decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    assert decoded.endswith("$") and decoded.count("$") == 1
    assert "." in decoded[:-1]
    return decoded[:-1]


@pytest.mark.parametrize(
    ("environment", "public_url", "prefix", "host"),
    [
        ("production", "https://auth.example.com", "pk_live_", "auth.example.com"),
        ("production", "https://auth.example.com:8443", "pk_live_", "auth.example.com:8443"),
        ("development", "http://127.0.0.1:8787", "pk_test_", "127.0.0.1:8787"),
        ("development", "https://127.0.0.1:9443", "pk_test_", "127.0.0.1:9443"),
    ],
)
def test_the_key_names_the_frontend_api_host_and_the_environment(
    tmp_path: Path, environment: str, public_url: str, prefix: str, host: str
) -> None:
    output = _keys_show(
        tmp_path, THRESHOLD_ENVIRONMENT=environment, THRESHOLD_PUBLIC_URL=public_url
    )
    assert _frontend_api(output, prefix) == host
    assert ("sk_live_" in output) == (environment == "production")


def test_the_key_follows_a_changed_public_url(tmp_path: Path) -> None:
    """The instance is created once; moving the server to another address (another port,
    https) must give the key for the new address, or clerk-js calls the old one."""
    first = _keys_show(tmp_path, THRESHOLD_PUBLIC_URL="http://127.0.0.1:8787")
    assert _frontend_api(first, "pk_test_") == "127.0.0.1:8787"
    moved = _keys_show(tmp_path, THRESHOLD_PUBLIC_URL="https://127.0.0.1:9443")
    assert _frontend_api(moved, "pk_test_") == "127.0.0.1:9443"


def test_a_host_without_a_dot_is_flagged(tmp_path: Path) -> None:
    output = _keys_show(tmp_path, THRESHOLD_PUBLIC_URL="http://localhost:8787")
    assert "clerk-js refuses a publishable key for localhost:8787" in output

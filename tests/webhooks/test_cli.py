"""``threshold webhooks``, run for real against an SQLite file and a real receiver."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.webhooks.helpers import svix_verify
from tests.webhooks.receiver import Receiver
from threshold.store.migrate import upgrade

THRESHOLD = str(Path(sys.executable).with_name("threshold"))


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = tmp_path / "cli.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRESHOLD_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # each command imports the server: cache it
    env.update(
        THRESHOLD_DATABASE_URL=f"sqlite:///{db}",
        THRESHOLD_DATA_DIR=str(tmp_path),
        THRESHOLD_ENVIRONMENT="development",
        COLUMNS="250",
    )

    def threshold(*args: str, code: int = 0) -> str:
        done = subprocess.run(
            [THRESHOLD, "webhooks", *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == code, done.stdout + done.stderr
        return done.stdout

    return threshold


def test_add_list_test_rotate_remove(run, hook: Receiver) -> None:  # type: ignore[no-untyped-def]
    out = run("add", hook.url, "--events", "user.created,user.deleted", "--description", "crm")
    endpoint_id = re.search(r"(ep_\w+)", out).group(1)  # type: ignore[union-attr]
    secret = re.search(r"(whsec_\S+)", out).group(1)  # type: ignore[union-attr]

    listed = run("list")
    assert endpoint_id in listed and hook.url in listed and secret not in listed
    assert "user.created,user.deleted" in listed and "active" in listed

    tested = run("test", hook.url)
    assert "ok: 204" in tested and "new secret" not in tested
    (got,) = hook.wait_for(1)
    svix_verify(secret, got)  # signed with the endpoint's own secret

    rotated = run("rotate-secret", endpoint_id)
    new_secret = re.search(r"(whsec_\S+)", rotated).group(1)  # type: ignore[union-attr]
    assert new_secret != secret and "24 hours" in rotated
    run("test", hook.url)
    _, second = hook.wait_for(2)
    svix_verify(secret, second)
    svix_verify(new_secret, second)

    assert endpoint_id in run("remove", endpoint_id)
    assert "No webhook endpoints." in run("list")


def test_refusals_are_messages_not_tracebacks(run) -> None:  # type: ignore[no-untyped-def]
    out = run("add", "http://169.254.169.254/latest/meta-data", code=1)
    assert "cloud metadata" in out and "Traceback" not in out
    assert "No webhook endpoint" in run("remove", "ep_nope", code=1)
    assert "No webhook event" in run("replay", "msg_nope", code=1)
    assert "Unknown event types" in run("add", "http://127.0.0.1:9/x", "--events", "nope.x", code=1)
    tested = run("test", "http://127.0.0.1:9/closed")
    assert "failed" in tested and "new secret" in tested

"""``threshold clerk-js install`` against the real npm registry: it installs, byte for
byte, the browser files npm itself unpacks from the same (integrity-checked) tarballs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.clerk_js.conftest import NPM_DIR
from tests.server.test_cli import THRESHOLD, _env
from threshold.server.clerk_js.install import PINNED
from threshold.server.clerk_js.routes import CONTENT_TYPES


def _browser_files(dist: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in dist.iterdir()
        if p.is_file() and p.suffix in CONTENT_TYPES and not p.name.endswith(".d.ts")
    }


def test_the_pins_are_the_harness_lock(clerk_js_library: Path) -> None:
    lock = json.loads((NPM_DIR / "package-lock.json").read_text())["packages"]
    for package, (version, integrity) in PINNED.items():
        entry = lock[f"node_modules/@clerk/{package}"]
        assert (entry["version"], entry["integrity"]) == (version, integrity)


def test_install_unpacks_what_npm_unpacks(tmp_path: Path, clerk_js_library: Path) -> None:
    env = _env(tmp_path, COLUMNS="300")
    done = subprocess.run(
        [THRESHOLD, "clerk-js", "install"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for package, (version, _) in PINNED.items():
        assert f"Installed @clerk/{package}@{version}" in done.stdout
        ours = tmp_path / "data" / "npm" / "@clerk" / package / version / "dist"
        npm = NPM_DIR / "node_modules" / "@clerk" / package / "dist"
        assert _browser_files(ours) == _browser_files(npm)
    listed = subprocess.run(
        [THRESHOLD, "clerk-js", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "@clerk/clerk-js: 6.40.0" in listed.stdout and "@clerk/ui: 1.36.0" in listed.stdout

"""Audit hash-pinned lock files with pip-audit and say which of three things happened.

pip-audit's own exit code cannot tell them apart: it exits 1 both when a pin has a
published advisory and when the advisory service could not be reached, and it exits 0
when the service answered "not found" for every package (it then skips them all). So
this runs pip-audit with JSON output and decides:

    0  every locked package was checked and none has a known vulnerability
    1  VULNERABLE: at least one pin has a published advisory (always fails the build)
    2  the audit itself is broken (bad lock file, hash error, pip-audit bug): fails
    3  NOT PERFORMED: the advisory service did not answer for some or all packages

Exit 3 only happens with ``--unreachable fail``; with ``--unreachable warn`` (what
``make test`` uses) the same verdict is printed as a banner and the exit code is 0, so a
flaky or blocked advisory service does not stop unrelated work. docs/releasing.md says
why, and that a release needs ``fail``.

Usage: python tools/audit.py [--service pypi|osv] [--osv-url URL] [--unreachable warn|fail]
                             requirements/dev.txt [more lock files]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLEAN, VULNERABLE, BROKEN, NOT_PERFORMED = 0, 1, 2, 3

# What pip-audit's traceback says when the service cannot be reached or answers with an
# HTTP error (OSV: requests' exceptions escape; PyPI: its own ConnectionError/ServiceError).
_SERVICE_FAILURES = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Could not connect",
    "ServiceError",
    "HTTPError",
    "Timeout",
    "SSLError",
)


@dataclass
class Verdict:
    code: int
    checked: int = 0
    vulnerable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    detail: str = ""


def run_pip_audit(
    lock_files: list[Path], service: str, osv_url: str | None, timeout: int
) -> tuple[int, dict[str, Any] | None, str]:
    """pip-audit's exit code, its parsed JSON report (None if it wrote none), its stderr."""
    with tempfile.TemporaryDirectory(prefix="threshold-audit-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off"]
        for lock in lock_files:
            command += ["--requirement", str(lock)]
        # The lock files carry hashes, so pip is not needed to resolve anything: exactly
        # the pinned versions are audited, as `make install` installs them.
        command += ["--require-hashes", "--disable-pip", "--vulnerability-service", service]
        if osv_url:
            command += ["--osv-url", osv_url]
        command += ["--timeout", str(timeout), "--format", "json", "--desc", "on"]
        command += ["--aliases", "on", "--output", str(report)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        parsed: dict[str, Any] | None = None
        if report.exists() and report.stat().st_size:
            parsed = json.loads(report.read_text())
        return done.returncode, parsed, done.stderr


def judge(returncode: int, report: dict[str, Any] | None, stderr: str) -> Verdict:
    if report is None:
        last_line = (stderr.strip().splitlines() or [""])[-1]
        if any(marker in stderr for marker in _SERVICE_FAILURES):
            return Verdict(NOT_PERFORMED, detail=f"pip-audit stopped: {last_line}")
        return Verdict(BROKEN, detail=stderr.strip() or f"pip-audit exited {returncode}")
    verdict = Verdict(CLEAN)
    for dep in report.get("dependencies", []):
        name, version = dep.get("name"), dep.get("version")
        if "skip_reason" in dep:
            verdict.skipped.append(f"{name}: {dep['skip_reason']}")
            continue
        verdict.checked += 1
        for vuln in dep.get("vulns", []):
            ids = ", ".join([vuln["id"], *vuln.get("aliases", [])])
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            description = (vuln.get("description") or "").strip()
            verdict.vulnerable.append(
                f"{name} {version}: {ids} (fixed in {fixed}) {description[:160]}"
            )
    if verdict.vulnerable:
        verdict.code = VULNERABLE
    elif verdict.skipped:
        verdict.code = NOT_PERFORMED
        more = len(verdict.skipped) - 1
        verdict.detail = verdict.skipped[0] + (f" (and {more} more)" if more else "")
    elif returncode != 0:
        verdict.code = BROKEN
        verdict.detail = stderr.strip() or f"pip-audit exited {returncode}"
    return verdict


def report(verdict: Verdict, service: str, unreachable: str, seconds: float) -> int:
    took = f"{seconds:.1f} s"
    if verdict.code == CLEAN:
        print(
            f"audit: {verdict.checked} locked packages checked against {service}: "
            f"no known vulnerabilities ({took})."
        )
        return CLEAN
    if verdict.code == VULNERABLE:
        print(f"audit: VULNERABLE: {len(verdict.vulnerable)} advisories ({service}, {took}):")
        for line in verdict.vulnerable:
            print(f"  - {line}")
        print("audit: move the pin past the fix (`make lock`); docs/releasing.md says how.")
        return VULNERABLE
    if verdict.code == BROKEN:
        print(f"audit: ERROR: pip-audit could not audit the lock files ({took}):\n{verdict.detail}")
        return BROKEN
    print(
        "audit: ========================================================================\n"
        f"audit: NOT PERFORMED: the vulnerability service ({service}) did not answer.\n"
        f"audit: {verdict.checked} packages checked, {len(verdict.skipped) or 'the rest'} "
        f"not checked ({took}).\n"
        f"audit: {verdict.detail}\n"
        "audit: This is not a pass: nothing is known about advisories for these pins."
    )
    if unreachable == "fail":
        print("audit: failing (--unreachable fail). docs/releasing.md: audit before a release.")
        print("audit: ========================================================================")
        return NOT_PERFORMED
    print(
        "audit: continuing (--unreachable warn, the `make test` default): an unreachable\n"
        "audit: service must not block unrelated work. A release runs\n"
        "audit: `make audit AUDIT_UNREACHABLE=fail` (docs/releasing.md).\n"
        "audit: ========================================================================"
    )
    return CLEAN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock_files", nargs="+", type=Path)
    parser.add_argument("--service", choices=["pypi", "osv"], default="pypi")
    parser.add_argument("--osv-url", default=None, help="another OSV-compatible query URL")
    parser.add_argument("--unreachable", choices=["warn", "fail"], default="fail")
    parser.add_argument("--timeout", type=int, default=15, help="seconds per request")
    args = parser.parse_args(argv)
    started = time.monotonic()
    verdict = judge(*run_pip_audit(args.lock_files, args.service, args.osv_url, args.timeout))
    return report(verdict, args.service, args.unreachable, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())

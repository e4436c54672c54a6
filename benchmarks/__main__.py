"""Run the benchmarks and write docs/benchmarks.md.

``python -m benchmarks`` runs every part; ``python -m benchmarks verify server`` runs only
the parts named. Each part's figures are kept in ``benchmarks/results.json`` with the date
and machine they were measured on, and the page is rendered from all of them, so one part
can be measured again on a quiet machine without rerunning the rest.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import report

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "results.json"


def _machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {sys.platform}"


def _parts() -> dict[str, Callable[[], dict[str, Any]]]:
    """Each part's runner, imported late: the WSGI and peer parts need the bench extra."""

    def verify() -> dict[str, Any]:
        from benchmarks import verify

        return verify.run()

    def middleware() -> dict[str, Any]:
        from benchmarks import asgi_bench

        return asgi_bench.run_asgi_middleware()

    def instructions() -> dict[str, Any]:
        from benchmarks import instructions

        return instructions.run_instructions()

    def wsgi() -> dict[str, Any]:
        from benchmarks import wsgi_bench

        return wsgi_bench.run_wsgi_middleware()

    def server() -> dict[str, Any]:
        from benchmarks import http_servers

        return http_servers.run_server()

    def bapi() -> dict[str, Any]:
        from benchmarks import bapi_scale

        return bapi_scale.run()

    def peer() -> dict[str, Any]:
        from benchmarks import peer

        return peer.run_peer()

    def webhooks() -> dict[str, Any]:
        from benchmarks import webhooks_bench

        return webhooks_bench.run()

    return {
        "verify": verify,
        "middleware": middleware,
        "instructions": instructions,
        "wsgi": wsgi,
        "server": server,
        "bapi": bapi,
        "peer": peer,
        "webhooks": webhooks,
    }


def main(argv: list[str]) -> int:
    parts = _parts()
    chosen = argv or list(parts)
    unknown = [name for name in chosen if name not in parts]
    if unknown:
        print(f"unknown part(s): {', '.join(unknown)}; choose from {', '.join(parts)}")
        return 2
    saved: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in chosen:
        print(f"{name} ...", flush=True)
        figures = parts[name]()
        print(figures, flush=True)
        saved[name] = {
            "measured": f"{datetime.now(UTC):%Y-%m-%d}",
            "machine": _machine(),
            "figures": figures,
        }
        RESULTS.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    DOC.write_text(report.render(saved))
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

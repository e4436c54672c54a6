"""``threshold clerk-js install | list``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from threshold.cli._common import console, fail, load_settings

__all__ = ["clerk_js_app"]

clerk_js_app = typer.Typer(
    help="Install and list the clerk-js scripts served at /npm/.", no_args_is_help=True
)


@clerk_js_app.command("install")
def clerk_js_install(
    version: Annotated[
        str | None, typer.Option(help="Exact @clerk/clerk-js version (default: the tested one).")
    ] = None,
    ui_version: Annotated[
        str | None, typer.Option(help="Exact @clerk/ui version (default: the tested one).")
    ] = None,
    registry: Annotated[
        str | None, typer.Option(help="npm registry URL (default: npm's own configuration).")
    ] = None,
) -> None:
    """Download clerk-js and @clerk/ui from npm, check their integrity, unpack their dist."""
    import httpx

    from threshold.server.clerk_js import ScriptLibrary
    from threshold.server.clerk_js.install import PINNED, ScriptInstallError, install
    from threshold.server.clerk_js.registry import npm_registry

    settings = load_settings()
    library = ScriptLibrary(settings.resolved_clerk_js_dir)
    source = npm_registry(registry, environ=os.environ, cwd=Path.cwd(), home=Path.home())
    wanted = {"clerk-js": version or PINNED["clerk-js"][0], "ui": ui_version or PINNED["ui"][0]}
    with httpx.Client(timeout=60, follow_redirects=True) as http:
        for package, exact in wanted.items():
            try:
                done = install(library, package, exact, registry=source, http=http)
            except ScriptInstallError as exc:
                fail(exc.message)
            console.print(
                f"Installed @clerk/{package}@{done.version} ({done.files} files, "
                f"{done.integrity[:23]}...) in {done.directory}"
            )


@clerk_js_app.command("list")
def clerk_js_list() -> None:
    """Print the installed versions and the directory they are served from."""
    from threshold.server.clerk_js import PACKAGES, ScriptLibrary

    settings = load_settings()
    library = ScriptLibrary(settings.resolved_clerk_js_dir)
    console.print(f"Scripts directory: {library.root}")
    for package in PACKAGES:
        versions = ", ".join(str(v) for v in library.installed(package)) or "(none)"
        console.print(f"  @clerk/{package}: {versions}")

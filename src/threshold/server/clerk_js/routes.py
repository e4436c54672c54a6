"""``GET /npm/@clerk/<package>@<version>/dist/<file>``: clerk-js served where Clerk's CDN is.

clerk-js's loaders (``@clerk/clerk-react``, ``@clerk/nextjs``, ...) fetch
``https://<frontend API host>/npm/@clerk/clerk-js@<major>/dist/clerk.browser.js`` and
``.../@clerk/ui@<major>/dist/ui.browser.js`` (or the same paths under ``proxyUrl``); each
bundle then loads its chunks from ``.../@<exact version>/dist/``. Answers are what a CDN
sends for scripts:

- the file with its content type (``nosniff`` is on everywhere, so a wrong type would
  stop the script);
- ``Access-Control-Allow-Origin: *`` and ``Cross-Origin-Resource-Policy: cross-origin``
  (the loaders set ``crossorigin="anonymous"``; no cookie is read or set here), and
  ``Timing-Allow-Origin: *`` (the loaders read the resource timing to tell a failed load);
- a year of caching for an exact version, whose files never change, and five minutes for
  a major, minor or ``latest``, which an upgrade moves;
- Clerk's JSON error body (404) naming the fix when nothing installed matches.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from threshold.core.errors import NotFoundError
from threshold.server.clerk_js.library import PACKAGES, Resolved, ScriptLibrary
from threshold.server.errors import error_response
from threshold.services.instance.settings import Settings

__all__ = ["CONTENT_TYPES", "routes"]

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
}
"""What is served, by file extension; anything else in ``dist/`` is not."""

_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$")
_IMMUTABLE = "public, max-age=31536000, immutable"
_MOVING = "public, max-age=300"
_CROSS_ORIGIN = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Timing-Allow-Origin": "*",
}


def routes(settings: Settings) -> list[BaseRoute]:
    """The script route, serving from ``settings.resolved_clerk_js_dir``."""
    library = ScriptLibrary(settings.resolved_clerk_js_dir)

    async def script(request: Request) -> Response:
        package, _, requested = str(request.path_params["spec"]).partition("@")
        name = str(request.path_params["file"])
        if package not in PACKAGES or not requested:
            return _missing(f"/npm/@clerk/{package} is not a script this server serves.")
        resolved = library.resolve(package, requested)
        if resolved is None:
            return _not_installed(library, package, requested)
        return _file(request, resolved, name)

    return [Route("/npm/@clerk/{spec}/dist/{file}", script, methods=["GET", "HEAD"])]


def _file(request: Request, resolved: Resolved, name: str) -> Response:
    suffix = "." + name.rpartition(".")[2] if "." in name else ""
    path = resolved.dist / name
    if not _FILE.match(name) or suffix not in CONTENT_TYPES or not path.is_file():
        return _missing(f"dist/{name} is not part of this version.")
    response = FileResponse(path, media_type=CONTENT_TYPES[suffix], stat_result=path.stat())
    response.headers.update(_CROSS_ORIGIN)
    response.headers["Cache-Control"] = _IMMUTABLE if resolved.exact else _MOVING
    validator = request.headers.get("if-none-match")
    if validator is not None and validator == response.headers["etag"]:
        return Response(status_code=304, headers=_unchanged_headers(response))
    return response


def _unchanged_headers(response: Response) -> dict[str, str]:
    keep = ("etag", "cache-control", "last-modified", *(k.lower() for k in _CROSS_ORIGIN))
    return {k: v for k, v in response.headers.items() if k in keep}


def _not_installed(library: ScriptLibrary, package: str, requested: str) -> Response:
    versions = ", ".join(str(v) for v in library.installed(package)) or "none"
    return _missing(
        f"@clerk/{package}@{requested} is not installed on this server (installed: "
        f"{versions}). Run `threshold clerk-js install` on the server, or set "
        "THRESHOLD_CLERK_JS_DIR to a directory where it is installed.",
        message=f"@clerk/{package}@{requested} is not installed on this server.",
    )


def _missing(long_message: str, *, message: str = "Script not found.") -> Response:
    response = error_response(NotFoundError(message, long_message=long_message))
    response.headers.update(_CROSS_ORIGIN)
    return response

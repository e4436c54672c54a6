"""clerk-js and its UI bundle, installed from npm and served where Clerk's CDN serves them.

- :mod:`.library`: what is installed on disk, and which version a request means;
- :mod:`.routes`: ``GET /npm/@clerk/<package>@<version>/dist/<file>``;
- :mod:`.install`: ``threshold clerk-js install``, with integrity checks;
- :mod:`.registry`: which npm registry to ask.

docs/clerk-js.md tells an operator how to use them.
"""

from __future__ import annotations

from threshold.server.clerk_js.library import PACKAGES, ScriptLibrary
from threshold.server.clerk_js.routes import routes

__all__ = ["PACKAGES", "ScriptLibrary", "routes"]

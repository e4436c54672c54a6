"""FastAPI (and Starlette): ``setup(app)``, dependencies, and the Jinja helpers.

```python
app = FastAPI()
setup(app)                                   # middleware + protect() responses

@app.get("/me")
async def me(session: AuthDep, user: CurrentUser): ...

@app.get("/admin", dependencies=[Depends(require_auth(role="admin"))])
async def admin(): ...
```
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from threshold.sdk.errors import MissingDependencyError

try:
    from fastapi import Depends
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("fastapi", "fastapi") from exc

from threshold.asgi import AuthMiddleware
from threshold.sdk.actions.templating import jinja_globals
from threshold.sdk.auth_object import Auth
from threshold.sdk.authenticate import Authenticator
from threshold.sdk.client.models import User
from threshold.sdk.config import SdkConfig
from threshold.sdk.context import acurrent_user, auth, current_state
from threshold.sdk.errors import ActionError, Redirect
from threshold.sdk.interrupts import interrupt_response

__all__ = [
    "AuthDep",
    "CurrentUser",
    "get_auth",
    "get_current_user",
    "install_templates",
    "require_auth",
    "setup",
]


TemplatesT = TypeVar("TemplatesT")


async def _interrupt(request: Request, error: Exception) -> Response:
    reply = interrupt_response(error, current_state().request)
    assert reply is not None
    return Response(reply.body, status_code=reply.status, headers=reply.header_map())


def setup(app: Starlette, config: SdkConfig | None = None, **settings: Any) -> Authenticator:
    """Add :class:`threshold.asgi.AuthMiddleware` and the ``protect()`` handlers."""
    sdk = Authenticator(config, **settings)
    app.add_middleware(AuthMiddleware, sdk=sdk)
    app.add_exception_handler(Redirect, _interrupt)
    app.add_exception_handler(ActionError, _interrupt)
    return sdk


def install_templates(templates: TemplatesT) -> TemplatesT:
    """Add the helpers to a ``Jinja2Templates`` (or a Jinja ``Environment``); returns it."""
    env: Any = getattr(templates, "env", templates)
    env.globals.update(jinja_globals())
    return templates


async def get_auth() -> Auth:
    """Dependency: the request's :class:`Auth`."""
    return auth()


async def get_current_user() -> User | None:
    """Dependency: the signed-in user (one Backend API call per request), or None."""
    return await acurrent_user()


def require_auth(
    condition: Callable[[Auth], bool] | None = None, **checks: str | Mapping[str, Any]
) -> Callable[[], Awaitable[Auth]]:
    """Dependency factory: ``auth().protect(...)`` with these checks."""

    async def dependency() -> Auth:
        return auth().protect(condition, **checks)  # type: ignore[arg-type]

    return dependency


AuthDep = Annotated[Auth, Depends(get_auth)]
"""``session: AuthDep`` in a path operation."""
CurrentUser = Annotated[User | None, Depends(get_current_user)]
"""``user: CurrentUser`` in a path operation."""

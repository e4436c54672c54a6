"""The reference scenario on FastAPI.

Run with ``uvicorn examples.fastapi_app.app:app`` (configuration from ``THRESHOLD_*``
variables) or build it with ``create_app(SdkConfig(...))``.
"""

from __future__ import annotations

import logging
import sys
from functools import cache
from pathlib import Path
from typing import Any

if not __package__:  # loaded from its file path (``threshold dev``): make ``examples`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from examples.fastapi_app import actions
from threshold import ActionError, FormData, SdkConfig, acurrent_user, auth, protect, server_action
from threshold.fastapi import install_templates, setup

__all__ = ["add_item", "create_app"]

log = logging.getLogger("examples.cart")
templates = install_templates(Jinja2Templates(directory=Path(__file__).parent / "templates"))


@server_action
async def add_item(form: FormData) -> str:
    """The "Add to Cart" action, defined next to the page that renders its form."""
    if not auth().user_id:
        raise ActionError("You must be signed in to add an item to your cart")
    log.info("add item server action %s", form.to_dict())
    return f"Added {form.get('name')} to your cart"


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context)


def create_app(config: SdkConfig | None = None) -> FastAPI:
    """The app; ``config`` defaults to the ``THRESHOLD_*`` environment."""
    app = FastAPI(title="Threshold example (FastAPI)")
    setup(app, config)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        return _page(request, "home.html", user=await acurrent_user())

    @app.get("/cart", response_class=HTMLResponse)
    async def cart(request: Request) -> HTMLResponse:
        return _page(request, "cart.html", add_item=add_item)

    @app.get("/hobby", response_class=HTMLResponse)
    async def hobby(request: Request) -> HTMLResponse:
        return _page(request, "hobby.html", add_hobby=actions.add_hobby)

    @app.get("/dashboard", response_class=HTMLResponse)
    @protect
    async def dashboard(request: Request) -> HTMLResponse:
        return _page(request, "dashboard.html")

    @app.get("/api/me")
    async def me() -> dict[str, Any]:
        return auth().to_dict()

    @app.get("/api/user")
    async def user() -> dict[str, Any]:
        found = await acurrent_user()
        return {"user": {"id": found.id, "image_url": found.image_url} if found else None}

    @app.get("/api/admin")
    @protect(permission="org:admin:manage")
    async def admin() -> dict[str, Any]:
        return {"org_id": auth().org_id}

    return app


@cache
def _default_app() -> FastAPI:
    logging.basicConfig(level=logging.INFO)
    return create_app()


def __getattr__(name: str) -> Any:
    """``app`` is built on first use, so importing this module has no side effects."""
    if name == "app":
        return _default_app()
    raise AttributeError(name)

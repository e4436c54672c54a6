"""The reference scenario on Flask.

Run with ``flask --app examples.flask_app.app run`` (configuration from ``THRESHOLD_*``
variables) or build it with ``create_app(SdkConfig(...))``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, render_template

from examples.flask_app import actions
from threshold import ActionError, FormData, SdkConfig, auth, current_user, protect, server_action
from threshold.flask import Threshold

__all__ = ["add_item", "create_app"]

log = logging.getLogger("examples.cart")


@server_action
def add_item(form: FormData) -> str:
    """The "Add to Cart" action, defined next to the page that renders its form."""
    if not auth().user_id:
        raise ActionError("You must be signed in to add an item to your cart")
    log.info("add item server action %s", form.to_dict())
    return f"Added {form.get('name')} to your cart"


def create_app(config: SdkConfig | None = None) -> Flask:
    """The app; ``config`` defaults to ``THRESHOLD_*`` keys of the environment."""
    app = Flask(__name__)
    Threshold(app, config)

    @app.get("/")
    def home() -> str:
        return render_template("home.html", user=current_user())

    @app.get("/cart")
    def cart() -> str:
        return render_template("cart.html", add_item=add_item)

    @app.get("/hobby")
    def hobby() -> str:
        return render_template("hobby.html", add_hobby=actions.add_hobby)

    @app.get("/dashboard")
    @protect
    def dashboard() -> str:
        return render_template("dashboard.html")

    @app.get("/api/me")
    def me() -> dict[str, Any]:
        return auth().to_dict()

    @app.get("/api/user")
    def user() -> dict[str, Any]:
        found = current_user()
        return {"user": {"id": found.id, "image_url": found.image_url} if found else None}

    @app.get("/api/admin")
    @protect(permission="org:admin:manage")
    def admin() -> dict[str, Any]:
        return {"org_id": auth().org_id}

    return app

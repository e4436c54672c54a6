"""Pages and JSON endpoints of the Django example."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse  # type: ignore[import-untyped]
from django.shortcuts import render  # type: ignore[import-untyped]

from examples.django_app import actions
from threshold import ActionError, FormData, auth, current_user, protect, server_action

__all__ = ["add_item", "admin", "cart", "dashboard", "hobby", "home", "me", "user"]

log = logging.getLogger("examples.cart")


@server_action
def add_item(form: FormData) -> str:
    """The "Add to Cart" action, defined next to the page that renders its form."""
    if not auth().user_id:
        raise ActionError("You must be signed in to add an item to your cart")
    log.info("add item server action %s", form.to_dict())
    return f"Added {form.get('name')} to your cart"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"user": current_user()})


def cart(request: HttpRequest) -> HttpResponse:
    return render(request, "cart.html", {"add_item": add_item})


def hobby(request: HttpRequest) -> HttpResponse:
    return render(request, "hobby.html", {"add_hobby": actions.add_hobby})


@protect
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard.html")


def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse(request.auth.to_dict())


def user(request: HttpRequest) -> JsonResponse:
    found = current_user()
    data: dict[str, Any] | None = {"id": found.id, "image_url": found.image_url} if found else None
    return JsonResponse({"user": data})


@protect(permission="org:admin:manage")
def admin(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"org_id": auth().org_id})

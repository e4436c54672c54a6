"""URLs of the Django example."""

from __future__ import annotations

from django.urls import include, path  # type: ignore[import-untyped]

from examples.django_app import views

__all__ = ["urlpatterns"]

urlpatterns = [
    path("", views.home),
    path("cart", views.cart),
    path("hobby", views.hobby),
    path("dashboard", views.dashboard),
    path("api/me", views.me),
    path("api/user", views.user),
    path("api/admin", views.admin),
    path("", include("threshold.django.urls")),
]

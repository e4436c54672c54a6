"""``path("", include("threshold.django.urls"))`` routes server actions."""

from __future__ import annotations

from threshold.sdk.errors import MissingDependencyError

try:
    from django.urls import path  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("django", "django") from exc

from threshold.django.views import action_view

__all__ = ["app_name", "urlpatterns"]

app_name = "threshold"
urlpatterns = [path("_threshold/actions/<str:action_id>", action_view, name="action")]

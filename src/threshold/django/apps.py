"""The Django app config (``"threshold.django"`` in ``INSTALLED_APPS``)."""

from __future__ import annotations

from threshold.sdk.errors import MissingDependencyError

try:
    from django.apps import AppConfig  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("django", "django") from exc

__all__ = ["ThresholdConfig"]


class ThresholdConfig(AppConfig):  # type: ignore[misc]
    """Registers the ``threshold`` template tag library."""

    name = "threshold.django"
    label = "threshold"
    verbose_name = "Threshold"

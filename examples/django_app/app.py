"""A factory for tests and ``threshold dev``: ``create_app(config)`` → a WSGI app.

``python -m examples.django_app.manage runserver`` runs it the usual Django way.
"""

from __future__ import annotations

import os
from typing import Any

from threshold import SdkConfig

__all__ = ["configure", "create_app"]


def configure(config: SdkConfig | None = None) -> None:
    """Load the example's settings (once) and set the SDK configuration."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_app.settings")
    import django  # type: ignore[import-untyped]
    from django.conf import settings  # type: ignore[import-untyped]

    django.setup()
    settings.THRESHOLD = config


def create_app(config: SdkConfig | None = None) -> Any:
    """The example as a WSGI application (``config`` defaults to ``THRESHOLD_*`` env)."""
    configure(config)
    from django.core.wsgi import get_wsgi_application  # type: ignore[import-untyped]

    return get_wsgi_application()

"""WSGI entry point: ``gunicorn examples.django_app.wsgi:application``."""

from __future__ import annotations

from examples.django_app.app import create_app

__all__ = ["application"]

application = create_app()

"""``python -m examples.django_app.manage runserver``."""

from __future__ import annotations

import os
import sys

__all__: list[str] = []

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_app.settings")
    from django.core.management import execute_from_command_line  # type: ignore[import-untyped]

    execute_from_command_line(sys.argv)

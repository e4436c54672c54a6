"""The reference scenario on Django. Run: ``python -m examples.django_app.manage runserver``."""

__all__: list[str] = []

"""The reference scenario on Flask. Run: ``flask --app examples.flask_app.app run``."""

__all__: list[str] = []

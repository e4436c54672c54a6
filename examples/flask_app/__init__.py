"""The reference scenario on Flask. Run: ``flask --app examples.flask_app.app run``."""

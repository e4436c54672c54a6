"""The reference scenario on FastAPI. Run: ``uvicorn examples.fastapi_app.app:app``."""

__all__: list[str] = []

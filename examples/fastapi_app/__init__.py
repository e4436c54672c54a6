"""The reference scenario on FastAPI. Run: ``uvicorn examples.fastapi_app.app:app``."""

"""Runnable examples of the reference scenario (FastAPI, Flask, Django)."""

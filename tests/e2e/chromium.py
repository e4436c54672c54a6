"""Shared e2e constants and helpers: where Chromium is, how it starts, screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

__all__ = ["ARGS", "ARTIFACTS", "CHROMIUM", "shot"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot to ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_load_state("load")
    page.wait_for_function("[...document.images].every((i) => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

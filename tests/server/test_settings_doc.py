"""docs/configuration.md is generated from Settings and must not drift from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import python_output
from threshold.server.settings_doc import DEFAULT_OUTPUT, field_docs, main
from threshold.services.instance.settings import Settings


def _rendered() -> str:
    """``render()`` in a fresh interpreter (it reads Settings' docstrings with ``ast``)."""
    return python_output(
        "import sys; from threshold.server.settings_doc import render; sys.stdout.write(render())"
    )


DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
REGENERATE = "python -m threshold.server.settings_doc"


def test_committed_page_equals_render() -> None:
    assert DOC.read_text(encoding="utf-8") == _rendered(), (
        f"docs/configuration.md is stale: run `{REGENERATE}` and commit the result"
    )


def test_every_field_appears_with_its_env_name() -> None:
    page = _rendered()
    assert Settings.model_fields, "Settings has no fields?"
    for name in Settings.model_fields:
        env = "THRESHOLD_" + name.upper()
        assert f"## `{env}`" in page, f"{name}: no section for {env}"
        assert f"[`{env}`](#{env.lower()})" in page, f"{name}: missing from the summary table"


def test_field_docs_follow_settings_source() -> None:
    docs = field_docs()
    assert [d.name for d in docs] == list(Settings.model_fields)  # source order
    for doc in docs:
        info = Settings.model_fields[doc.name]
        assert doc.env == "THRESHOLD_" + doc.name.upper()
        assert "Annotated[" not in doc.type and doc.type
        # The label the docstrings start with is dropped; reST literals become Markdown.
        assert not doc.description.startswith("THRESHOLD_")
        assert "``" not in doc.description
        if info.default is None:
            assert doc.default == "unset"
        bounds = [m for m in info.metadata if getattr(m, "ge", None) is not None]
        for bound in bounds:
            assert f">= {bound.ge}" in doc.constraints


def test_main_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "configuration.md"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == _rendered()
    assert DEFAULT_OUTPUT == DOC


def test_runs_as_a_module(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    subprocess.run(
        [sys.executable, "-m", "threshold.server.settings_doc", str(target)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert target.read_text(encoding="utf-8") == _rendered()

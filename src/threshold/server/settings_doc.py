"""Build ``docs/configuration.md`` from :class:`threshold.services.instance.settings.Settings`.

Every field of ``Settings`` is read from a ``THRESHOLD_<FIELD>`` environment variable. The
field's type and default come from pydantic; its description is the docstring written under
the field in ``settings.py``, read here with :mod:`ast` (pydantic drops attribute docstrings
unless ``use_attribute_docstrings`` is set). Run ``python -m threshold.server.settings_doc``
to rewrite the page; a test checks that the committed page equals :func:`render`.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from threshold.services.instance import settings as settings_module
from threshold.services.instance.settings import Settings

__all__ = ["DEFAULT_OUTPUT", "FieldDoc", "env_name", "field_docs", "main", "render"]

DEFAULT_OUTPUT = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
"""Where :func:`main` writes when given no path: ``docs/configuration.md`` in the checkout."""

_ENV_PREFIX = "THRESHOLD_"
_CONSTRAINTS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))

_HEADER = """\
# Configuration

The identity server (`threshold serve`, `threshold dev`) reads its settings from
environment variables named `THRESHOLD_<FIELD>`. Values are validated at start-up; a bad
value stops the server with a message naming the setting. Lists are comma-separated
(`THRESHOLD_ALLOWED_ORIGINS=https://app.example.com,https://admin.example.com`), booleans
take `true` / `false`, durations are in seconds unless the name says otherwise.

The SDK that your app imports has its own, smaller set of variables: see [sdk.md](sdk.md).

<!-- Generated from src/threshold/services/instance/settings.py by
     `python -m threshold.server.settings_doc`. Do not edit by hand. -->
"""


@dataclass(frozen=True)
class FieldDoc:
    """What the page says about one setting."""

    name: str
    """The ``Settings`` attribute name."""
    env: str
    """The environment variable, ``THRESHOLD_<NAME>``."""
    type: str
    """The annotation as written in ``settings.py`` (``Annotated`` unwrapped)."""
    default: str
    """The default, as one would write it in the environment (or a phrase such as unset)."""
    constraints: str
    """Numeric bounds such as ``>= 1, <= 3600``; empty when there are none."""
    description: str
    """The field docstring on one line, Markdown-ready; empty when the field has none."""


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    return _ENV_PREFIX + field.upper()


def _source_fields() -> dict[str, tuple[str, str]]:
    """Map each annotated attribute of ``Settings`` to (annotation source, docstring)."""
    tree = ast.parse(inspect.getsource(settings_module))
    found: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == Settings.__name__:
            body = node.body
            for index, stmt in enumerate(body):
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                    continue
                doc = ""
                if index + 1 < len(body):
                    after = body[index + 1]
                    if (
                        isinstance(after, ast.Expr)
                        and isinstance(after.value, ast.Constant)
                        and isinstance(after.value.value, str)
                    ):
                        doc = after.value.value
                found[stmt.target.id] = (_annotation(stmt.annotation), doc)
    return found


def _annotation(node: ast.expr) -> str:
    """Source text of an annotation, with ``Annotated[T, ...]`` shown as ``T``."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Annotated"
        and isinstance(node.slice, ast.Tuple)
        and node.slice.elts
    ):
        return ast.unparse(node.slice.elts[0])
    return ast.unparse(node)


def _description(name: str, docstring: str) -> str:
    """The docstring on one line, without its leading ``THRESHOLD_X:`` label."""
    text = " ".join(inspect.cleandoc(docstring).split())
    label = env_name(name)
    if text.startswith(label):
        text = text[len(label) :].lstrip(":.").strip()
    text = text[:1].upper() + text[1:]
    # reStructuredText literals (``x``) become Markdown code spans (`x`).
    return re.sub(r"``(.+?)``", r"`\1`", text)


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_format_value(v) for v in value)
    return str(value)


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        return "computed"
    if info.default is PydanticUndefined:
        return "required"
    if info.default is None:
        return "unset"
    text = _format_value(info.default)
    return f"`{text}`" if text else "empty"


def _constraints(info: FieldInfo) -> str:
    parts: list[str] = []
    for item in info.metadata:
        for attr, symbol in _CONSTRAINTS:
            bound = getattr(item, attr, None)
            if bound is not None:
                parts.append(f"{symbol} {bound}")
    return ", ".join(parts)


def field_docs() -> list[FieldDoc]:
    """One :class:`FieldDoc` per ``Settings`` field, in the order of ``settings.py``."""
    source = _source_fields()
    order = {name: i for i, name in enumerate(source)}
    fields = sorted(Settings.model_fields.items(), key=lambda kv: order.get(kv[0], len(order)))
    docs: list[FieldDoc] = []
    for name, info in fields:
        annotation, docstring = source.get(name, (_plain_type(info), ""))
        docs.append(
            FieldDoc(
                name=name,
                env=env_name(name),
                type=annotation,
                default=_default(info),
                constraints=_constraints(info),
                description=_description(name, docstring),
            )
        )
    return docs


def _plain_type(info: FieldInfo) -> str:
    """A readable type for a field not found in the source (inherited, say)."""
    annotation = info.annotation
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """The whole ``docs/configuration.md`` page as Markdown."""
    docs = field_docs()
    lines = [_HEADER, "| Variable | Default |", "|---|---|"]
    lines += [f"| [`{d.env}`](#{d.env.lower()}) | {_cell(d.default)} |" for d in docs]
    for d in docs:
        facts = [f"Type: `{d.type}`", f"Default: {d.default}"]
        if d.constraints:
            facts.append(f"Allowed: {d.constraints}")
        lines += ["", f"## `{d.env}`", "", " · ".join(facts)]
        if d.description:
            lines += ["", d.description]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the page to the path given as the only argument, or to :data:`DEFAULT_OUTPUT`."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m threshold.server.settings_doc [OUTPUT]")
        return 0 if args and args[0] in ("-h", "--help") else 2
    target = Path(args[0]) if args else DEFAULT_OUTPUT
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

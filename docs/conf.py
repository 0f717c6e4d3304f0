"""Sphinx configuration for the aftersales_core documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
The build needs no network: intersphinx is not configured.

Code in the pages is tested by ``tests/test_docs.py``: ```` ```python ```` blocks are
executed and ```` ```pycon ```` blocks doctested, page by page in one namespace;
a MyST comment line ``% skip-test: <reason>`` right before a block skips it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent / "src"))

import aftersales_core  # noqa: E402  (after the path set-up above)

project = "aftersales_core"
author = "aftersales_core developers"
copyright = "2026, aftersales_core developers"
release = aftersales_core.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinxcontrib.mermaid",
    "workflow_tables",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
language = "en"

# -- MyST ------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc ---------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": True}
# Signatures stay readable and forward references (``Case | None`` under
# ``from __future__ import annotations``) need no resolving: types go into the text.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
napoleon_google_docstring = False
napoleon_numpy_docstring = True

nitpicky = False

# -- HTML ------------------------------------------------------------------------
html_theme = "furo"
html_title = f"aftersales_core {release}"
html_static_path: list[str] = []


# -- keep attribute comments as written ------------------------------------------
# The code documents attributes and constants with ``#:`` comments in prose, often
# with a colon ("#: A money amount: Decimal/int/str accepted, ..."). Napoleon reads
# the text before such a colon as a type and turns it into a cross-reference; the
# types are in the annotations already. So attribute, data and property docstrings
# bypass napoleon: saved before it runs (priority 500) and put back after.
_attribute_docs: dict[tuple[str, str], list[str]] = {}


def _save_attribute_doc(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if what in ("attribute", "data", "property"):
        _attribute_docs[(what, name)] = list(lines)


def _restore_attribute_doc(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    saved = _attribute_docs.pop((what, name), None)
    if saved is not None:
        lines[:] = saved


def setup(app: Any) -> None:
    app.connect("autodoc-process-docstring", _save_attribute_doc, priority=400)
    app.connect("autodoc-process-docstring", _restore_attribute_doc, priority=600)

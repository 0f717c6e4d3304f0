"""The documentation: its code runs, its rules map is complete and true, it builds cleanly.

Code in ``docs/**/*.md`` is tested here, page by page, in one namespace per page
(so a tutorial's steps build on each other):

* ```` ```python ```` blocks are executed; they check themselves with ``assert``;
* ```` ```pycon ```` blocks are doctests (``>>>`` prompts and expected output;
  ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` are on).

A block that cannot run here (a crontab, a Celery app) uses another language, or
is preceded by a MyST comment line ``% skip-test: <reason>``.
"""

from __future__ import annotations

import ast
import doctest
import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RULES_MAP = DOCS / "reference" / "rules.md"
SPEC = Path(__file__).resolve().parents[2] / "shared" / "SPEC.md"

RULE_ID = re.compile(r"\b[A-Z]{1,5}-\d+\b")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w{}-]*)[^\n]*$")
SKIP = re.compile(r"^%\s*skip-test:\s*\S")


# --------------------------------------------------------------------------- code blocks


def doc_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts)


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def code_blocks(text: str) -> Iterator[tuple[str, int, str]]:
    """``(language, first line number, source)`` of each top-level fenced block not marked skip."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m["fence"], m["lang"]
        start = i + 1
        j = start
        while j < len(lines) and not _closes(lines[j], fence):
            j += 1
        skipped = i > 0 and bool(SKIP.match(lines[i - 1]))
        if lang in ("python", "pycon") and not skipped:
            yield lang, start + 1, "\n".join(lines[start:j]) + "\n"
        i = j + 1


PAGES_WITH_CODE = [p for p in doc_pages() if any(True for _ in code_blocks(p.read_text(encoding="utf-8")))]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(DOCS)))
def test_code_in_the_docs_runs(page: Path) -> None:
    name = str(page.relative_to(ROOT))
    namespace: dict[str, Any] = {"__name__": f"docs:{name}"}
    parser = doctest.DocTestParser()
    for lang, lineno, source in code_blocks(page.read_text(encoding="utf-8")):
        where = f"{name}:{lineno}"
        if lang == "python":
            exec(compile(source, where, "exec", dont_inherit=True), namespace)
            continue
        test = parser.get_doctest(source, namespace, where, str(page), lineno - 1)
        runner = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
        )
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        namespace.update(test.globs)  # the DocTest worked on a copy; later blocks see its names
        assert runner.failures == 0, "".join(report)


def test_the_block_finder_sees_python_and_doctests_and_honours_skip() -> None:
    text = (
        "```python\nx = 1\n```\n\n% skip-test: needs celery\n```python\nimport celery\n```\n"
        "````pycon\n>>> 1 + 1\n2\n````\n```toml\n[a]\n```\n"
    )
    assert [(lang, src) for lang, _, src in code_blocks(text)] == [
        ("python", "x = 1\n"),
        ("pycon", ">>> 1 + 1\n2\n"),
    ]
    assert PAGES_WITH_CODE, "no page of the docs shows runnable code"


# --------------------------------------------------------------------------- rules map


def spec_ids() -> list[str]:
    text = SPEC.read_text(encoding="utf-8")
    return list(dict.fromkeys(re.findall(r"^\s*- \*\*([A-Z]{1,5}-\d+)\b", text, re.M)))


def rules_rows() -> dict[str, list[str]]:
    """Rule id -> the cells of its row in the rules map table."""
    rows: dict[str, list[str]] = {}
    for line in RULES_MAP.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = RULE_ID.fullmatch(cells[0].strip("*` "))
        if m:
            assert m.group(0) not in rows, f"{m.group(0)} appears twice in the rules map"
            rows[m.group(0)] = cells
    return rows


def defined_tests(path: Path) -> set[str]:
    """``name`` and ``Class::name`` of every test function in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return names


def test_rules_map_covers_every_spec_id() -> None:
    if not SPEC.exists():
        pytest.skip(f"the specification is not next to this checkout ({SPEC}); cannot list its ids")
    ids = spec_ids()
    assert len(ids) > 30, f"could not read the rule ids of {SPEC}"
    missing = [i for i in ids if i not in rules_rows()]
    assert not missing, f"rules map lacks {', '.join(missing)}"


def test_rules_map_points_at_real_code_and_tests() -> None:
    rows = rules_rows()
    assert rows, "the rules map has no table rows"
    problems: list[str] = []
    cache: dict[Path, set[str]] = {}
    for rule, cells in rows.items():
        assert len(cells) == 4, f"{rule}: expected | id | rule | code | tests |, got {cells}"
        _, _, code, tests = cells
        for module in re.findall(r"`(aftersales_core(?:\.\w+)*)`", code):
            if importlib.util.find_spec(module) is None:
                problems.append(f"{rule}: no module {module}")
        refs = re.findall(r"`(tests/[\w/]+\.py)::([\w:]+)(?:\[[^\]`]*\])?`", tests)
        if not refs and tests != "—":
            problems.append(f"{rule}: tests cell must list `tests/file.py::name` entries or be —")
        for file, name in refs:
            path = ROOT / file
            if not path.is_file():
                problems.append(f"{rule}: no test file {file}")
                continue
            if name not in cache.setdefault(path, defined_tests(path)):
                problems.append(f"{rule}: {file} defines no {name}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- workflows


def test_every_built_in_workflow_has_its_reference_table() -> None:
    from aftersales_core.workflows import BUILTIN_KINDS

    page = (DOCS / "reference" / "workflows.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"^`{3,}\{workflow-table\}\s+(\w+)", page, re.M))
    assert set(BUILTIN_KINDS) <= shown, f"workflow reference lacks {set(BUILTIN_KINDS) - shown}"


# --------------------------------------------------------------------------- build


@pytest.mark.slow  # about 20 s: Sphinx imports and documents the whole package
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    if importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("myst_parser") is None:
        pytest.fail("building the docs needs the docs extra: pip install -e '.[docs]'")
    out = tmp_path / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "reference" / "rules.html").is_file()
    missing = undocumented_names(out)
    assert not missing, f"public names missing from the API reference: {missing}"


#: Modules whose every public name (``__all__``) the reference documents.
DOCUMENTED_MODULES = (
    "aftersales_core",
    "aftersales_core.calendar",
    "aftersales_core.engine",
    "aftersales_core.errors",
    "aftersales_core.intake",
    "aftersales_core.policies",
    "aftersales_core.store",
    "aftersales_core.store.sql",
    "aftersales_core.testing",
    "aftersales_core.whatif",
    "aftersales_core.reporting",
    "aftersales_core.diagrams",
)


def _resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(dotted)


def undocumented_names(html: Path) -> list[str]:
    """``module.name`` of public names that no page of the built docs describes: some
    documented object id (``aftersales_core.<...>.name``) must resolve to that very object."""
    ids: dict[str, set[str]] = {}
    for page in html.rglob("*.html"):
        for full in re.findall(r'id="(aftersales_core(?:\.\w+)+)"', page.read_text(encoding="utf-8")):
            ids.setdefault(full.rsplit(".", 1)[1], set()).add(full)
    missing = []
    for module_name in DOCUMENTED_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name.startswith("__"):
                continue
            target = getattr(module, name)
            candidates = ids.get(name, set())
            if not any(_resolves_to(full, target) for full in candidates):
                missing.append(f"{module_name}.{name}")
    return missing


def _resolves_to(full: str, target: object) -> bool:
    try:
        return _resolve(full) is target
    except (LookupError, AttributeError):
        return False

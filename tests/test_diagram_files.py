"""docs/diagrams/<kind>.<lang>.mmd are the Mermaid diagrams generated from the workflow
definitions, and stay so: this test fails, saying how to regenerate them, when one is stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aftersales_core.commands.diagram import LANGS, REGENERATE, diagram_files
from aftersales_core.workflows import BUILTIN_KINDS, get_workflow

DIAGRAMS = Path(__file__).resolve().parents[1] / "docs" / "diagrams"
EXPECTED = diagram_files()
EDGE = re.compile(r"^    (\w+) --> (\w+): (\w+)")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_diagram_file_is_up_to_date(name: str) -> None:
    path = DIAGRAMS / name
    how = f"run `{REGENERATE}` from the repository root (or `.venv/bin/{REGENERATE}`)"
    assert path.is_file(), f"{path} is missing: {how}"
    assert path.read_text(encoding="utf-8") == EXPECTED[name], f"{path} is out of date: {how}"


def test_no_stale_diagram_files() -> None:
    extra = sorted(p.name for p in DIAGRAMS.glob("*.mmd") if p.name not in EXPECTED)
    assert not extra, f"docs/diagrams has files no workflow generates: {extra}; delete them"


def test_one_file_per_workflow_and_language() -> None:
    assert set(EXPECTED) == {f"{k}.{lang}.mmd" for k in BUILTIN_KINDS for lang in LANGS}
    assert len(EXPECTED) == 8


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
def test_files_draw_every_state_and_transition(kind: str) -> None:
    wf = get_workflow(kind)
    for lang in LANGS:
        text = (DIAGRAMS / f"{kind}.{lang}.mmd").read_text(encoding="utf-8")
        for s in wf.states:
            label = (s.zh if lang == "zh" else s.en).replace(":", "：")
            assert f'    state "{label}" as {s.name}\n' in text
        drawn = {m.groups() for m in map(EDGE.match, text.splitlines()) if m}
        assert drawn == {
            (src, t.dest, t.trigger)
            for t in wf.transitions
            for src in t.source
            if t.dest is not None and t.dest != src and t.trigger != "breach"
        }

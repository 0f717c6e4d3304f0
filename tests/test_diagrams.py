"""Mermaid diagrams are generated from, and match, the workflow definitions."""

from __future__ import annotations

import re

import pytest

from aftersales_core.diagrams import mermaid, state_table, transition_table
from aftersales_core.workflows import _MODULES, get_workflow

KINDS = sorted(_MODULES)
EDGE = re.compile(r"^    (\w+) --> (\w+): (\w+)")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_diagram_matches_definition(kind: str, lang: str) -> None:
    wf = get_workflow(kind)
    text = mermaid(wf, lang=lang)
    assert text.startswith("stateDiagram-v2\n")
    for s in wf.states:
        label = s.zh if lang == "zh" else s.en
        assert f"as {s.name}\n" in text
        assert label.replace(":", "：") in text
    drawn = {m.groups() for m in map(EDGE.match, text.splitlines()) if m}
    expected = {
        (src, t.dest, t.trigger)
        for t in wf.transitions
        for src in t.source
        if t.dest is not None and t.dest != src and t.trigger != "breach"
    }
    assert drawn == expected
    assert f"[*] --> {wf.initial}" in text


def test_internal_transitions_as_notes() -> None:
    wf = get_workflow("consultation")
    assert "note right of" not in mermaid(wf)
    assert "breach" not in mermaid(wf, internal=True)


def test_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang"):
        mermaid(get_workflow("consultation"), lang="fr")


@pytest.mark.parametrize("kind", KINDS)
def test_tables(kind: str) -> None:
    wf = get_workflow(kind)
    assert [r[0] for r in state_table(wf)] == [s.name for s in wf.states]
    assert state_table(wf)[0][3].startswith("initial")
    assert len(transition_table(wf)) == len(wf.transitions)

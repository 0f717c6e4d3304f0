"""Mermaid state diagrams generated from workflow definitions (zh or en labels).

>>> from aftersales_core.workflows import get_workflow
>>> print(mermaid(get_workflow("consultation")).splitlines()[0])
stateDiagram-v2
"""

from __future__ import annotations

from aftersales_core.engine import Workflow

__all__ = ["mermaid", "state_table", "transition_table"]


def _label(text: str) -> str:
    # Mermaid labels: keep them on one line and free of the characters its grammar uses
    return text.replace("\n", " ").replace(":", "：").replace(";", "；").replace('"', "'")


def mermaid(workflow: Workflow, *, lang: str = "en", internal: bool = False) -> str:
    """A ``stateDiagram-v2`` of ``workflow``.

    States carry their ``zh`` or ``en`` label; each edge is labelled with its
    trigger (and its label in ``lang``) and the SPEC rule it cites. Internal
    transitions (the case stays where it is, e.g. ``escalate``) are listed in a
    note per state when ``internal`` is true, else left out to keep the diagram
    readable. The system's ``breach`` trigger is never drawn.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    lines = ["stateDiagram-v2"]
    for s in workflow.states:
        label = s.zh if lang == "zh" else s.en
        lines.append(f'    state "{_label(label)}" as {s.name}')
    lines.append(f"    [*] --> {workflow.initial}")
    stays: dict[str, list[str]] = {}
    seen: set[tuple[str, str, str]] = set()
    for t in workflow.transitions:
        if t.trigger == "breach":
            continue
        text = t.zh if lang == "zh" else t.en
        for src in t.source:
            if t.dest is None or t.dest == src:
                stays.setdefault(src, []).append(t.trigger)
                continue
            key = (src, t.dest, t.trigger)
            if key in seen:
                continue
            seen.add(key)
            caption = f"{t.trigger}" + (f" ({_label(text)})" if text and text != t.trigger else "")
            lines.append(f"    {src} --> {t.dest}: {caption} [{t.rule}]")
    for s in workflow.states:
        if s.final and not any(
            s.name in t.source and t.dest not in (None, s.name) for t in workflow.transitions
        ):
            lines.append(f"    {s.name} --> [*]")
    if internal:
        for src, triggers in stays.items():
            lines.append(f"    note right of {src}: {', '.join(dict.fromkeys(triggers))}")
    return "\n".join(lines) + "\n"


def state_table(workflow: Workflow) -> list[tuple[str, str, str, str]]:
    """Rows ``(state, zh, en, notes)`` for documentation."""
    rows = []
    for s in workflow.states:
        notes = []
        if s.name == workflow.initial:
            notes.append("initial")
        if s.final:
            notes.append("final")
        if s.pauses_sla:
            notes.append("pauses SLA clocks")
        rows.append((s.name, s.zh, s.en, ", ".join(notes)))
    return rows


def transition_table(workflow: Workflow) -> list[tuple[str, str, str, str, str, str]]:
    """Rows ``(trigger, from, to, rule, zh, en)`` in lifecycle order."""
    return [
        (t.trigger, ", ".join(t.source), t.dest or "(stays)", t.rule, t.zh, t.en)
        for t in workflow.transitions
    ]

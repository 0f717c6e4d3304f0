"""Sphinx extension: state, trigger and intake tables of a workflow, from its definition.

It also renders the policy slots of ``PolicySet`` (``{policy-slots}``) and the
built-in default of a slot (``{policy-defaults} sla``, ``permissions``,
``amount-limits``, or any other slot name), so the reference shows the numbers
the code ships.

Usage in a MyST page::

    ```{workflow-table} consultation
    ```

    ```{workflow-table} consultation
    :show: transitions
    ```

The tables are generated from ``aftersales_core.workflows.get_workflow(kind)``, so
they cannot drift from the code: states with their zh/en labels, every transition
row (trigger, zh/en labels, sources, destination, SPEC rule, guards, input fields)
in lifecycle order, and the intake fields. ``:show:`` takes a comma-separated
subset of ``states, transitions, intake`` (default: all three).
"""

from __future__ import annotations

import enum
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pydantic
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

PARTS = ("states", "transitions", "intake")


def _parts(argument: str | None) -> tuple[str, ...]:
    chosen = tuple(p.strip() for p in (argument or "").split(",") if p.strip())
    unknown = [p for p in chosen if p not in PARTS]
    if unknown or not chosen:
        raise ValueError(f"expected a comma-separated subset of {', '.join(PARTS)}, got {argument!r}")
    return chosen


def _text(value: str) -> list[nodes.Node]:
    return [nodes.Text(value)] if value else []


def _code(value: str) -> list[nodes.Node]:
    return [nodes.literal(value, value)]


def _codes(values: Sequence[str], sep: str = ", ") -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for i, value in enumerate(values):
        if i:
            out.append(nodes.Text(sep))
        out.extend(_code(value))
    return out


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospace rendering (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[list[nodes.Node]]], ids: str, title: str = ""
) -> nodes.table:
    # column widths from the content (used by the text builder); HTML sizes columns itself
    widths = [_width(title) for title in headers]
    for cells in rows:
        for i, content in enumerate(cells):
            shown = sum(_width(n.astext()) + (2 if isinstance(n, nodes.literal) else 0) for n in content)
            widths[i] = max(widths[i], min(40, shown))
    table = nodes.table(classes=["workflow-table", "colwidths-auto"], ids=[ids])
    if title:
        table += nodes.title(title, title)
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=max(width, 3))
    head = nodes.thead()
    group += head
    header_row = nodes.row()
    for title in headers:
        header_row += nodes.entry("", nodes.paragraph("", title))
    head += header_row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for content in cells:
            row += nodes.entry("", nodes.paragraph("", "", *content))
        body += row
    return table


def _fields(model: type[pydantic.BaseModel] | None) -> list[nodes.Node]:
    """``answer, faq_candidate?`` — a ``?`` marks an optional field."""
    if model is None:
        return _text("—")
    names = [name if info.is_required() else f"{name}?" for name, info in model.model_fields.items()]
    return _codes(names) if names else _text("—")


def _annotation(info: Any) -> str:
    """``aftersales_core.intake.ProductIn | None`` -> ``ProductIn | None``."""
    annotation = info.annotation
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text)


class WorkflowTable(SphinxDirective):
    """``{workflow-table} kind``: tables generated from the compiled workflow."""

    required_arguments = 1
    optional_arguments = 0
    has_content = False
    option_spec = {"show": directives.unchanged}  # noqa: RUF012  (docutils' class attribute)

    def run(self) -> list[nodes.Node]:
        from aftersales_core.workflows import get_workflow

        kind = self.arguments[0].strip()
        try:
            parts = _parts(self.options.get("show", ",".join(PARTS)))
        except ValueError as exc:
            raise self.error(f"workflow-table :show: {exc}") from None
        try:
            wf = get_workflow(kind)
        except KeyError:
            raise self.error(f"workflow-table: no built-in workflow {kind!r}") from None
        source = getattr(sys.modules.get(wf.intake.__module__), "__file__", None)
        if source:
            self.env.note_dependency(source)  # rebuild the page when the workflow changes
        out: list[nodes.Node] = []
        if "states" in parts:
            out.append(self._states(wf))
        if "transitions" in parts:
            out.append(self._transitions(wf))
        if "intake" in parts:
            out.append(self._intake(wf))
        return out

    def _states(self, wf: Any) -> nodes.table:
        rows = []
        for i, s in enumerate(wf.states):
            notes = []
            if i == 0:
                notes.append("initial")
            if s.final:
                notes.append("final")
            if s.pauses_sla:
                notes.append("pauses deadlines (SLA-3)")
            rows.append([_code(s.name), _text(s.zh), _text(s.en), _text(", ".join(notes))])
        headers = ("State", "中文", "English", "Notes")
        return _table(headers, rows, f"{wf.kind}-states", f"States of {wf.kind}")

    def _transitions(self, wf: Any) -> nodes.table:
        open_states = tuple(s.name for s in wf.states if not s.final)
        rows = []
        for t in wf.transitions:
            if len(t.source) > 1 and t.source == open_states:
                source: list[nodes.Node] = _text("any open state")
            else:
                source = _codes(t.source)
            dest = _code(t.dest) if t.dest is not None else _text("(stays)")
            checks = [f"{g.name} ({g.rule})" for g in t.guards]
            if t.when is not None:
                checks.insert(0, f"when {t.when.name} ({t.when.rule})")
            rows.append(
                [
                    _code(t.trigger),
                    _text(t.zh),
                    _text(t.en),
                    source,
                    dest,
                    _text(t.rule),
                    _codes(checks, "; ") if checks else _text("—"),
                    _fields(t.input),
                ]
            )
        headers = ("Trigger", "中文", "English", "From", "To", "Rule", "Guards", "Input")
        return _table(headers, rows, f"{wf.kind}-transitions", f"Triggers of {wf.kind}")

    def _intake(self, wf: Any) -> nodes.table:
        fields = wf.intake.model_fields
        described = any(info.description for info in fields.values())
        rows = []
        for name, info in fields.items():
            row = [_code(name), _code(_annotation(info)), _text("yes" if info.is_required() else "no")]
            if described:
                row.append(_text(info.description or ""))
            rows.append(row)
        headers = ("Intake field", "Type", "Required", "Description")
        shown = headers if described else headers[:3]
        return _table(shown, rows, f"{wf.kind}-intake", f"Intake of {wf.kind}")


def _repr(value: Any) -> str:
    """``repr`` that reads like code: enum members as their values (which every
    built-in accepts), containers item by item."""
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, tuple):
        inner = ", ".join(_repr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_repr(k)}: {_repr(v)}" for k, v in value.items()) + "}"
    own = repr(value)
    if attrs.has(type(value)) and "<" in own:  # the class's repr shows enum members
        shown = [f for f in attrs.fields(type(value)) if f.init]
        fields = ", ".join(f"{f.alias or f.name}={_repr(getattr(value, f.name))}" for f in shown)
        return f"{type(value).__name__}({fields})"
    return own


def _pretty(value: Any, indent: int = 0, width: int = 88) -> str:
    """:func:`_repr`, broken over lines where it is long: attrs instances one field
    a line, tuples and dicts one item a line."""
    text = _repr(value)
    if len(text) + indent <= width:
        return text
    pad = " " * (indent + 4)
    if isinstance(value, tuple) and value:
        items = [f"{pad}{_pretty(v, indent + 4, width)}," for v in value]
        return "(\n" + "\n".join(items) + "\n" + " " * indent + ")"
    if isinstance(value, Mapping) and value:
        items = [f"{pad}{_repr(k)}: {_pretty(v, indent + 4, width)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    if attrs.has(type(value)):
        parts = [
            f"{pad}{field.alias or field.name}={_pretty(getattr(value, field.name), indent + 4, width)},"
            for field in attrs.fields(type(value))
            if field.init
        ]
        return f"{type(value).__name__}(\n" + "\n".join(parts) + "\n" + " " * indent + ")"
    return text


class PolicySlots(SphinxDirective):
    """``{policy-slots}``: the slots of ``PolicySet``, their protocol and default."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from aftersales_core.policies import PolicySet

        rows = []
        for field in attrs.fields(PolicySet):
            if field.name == "version":
                continue
            default: Any = field.default
            factory = default.factory if isinstance(default, attrs.Factory) else None  # type: ignore[arg-type]
            rows.append(
                [
                    _code(field.name),
                    _code(str(field.type)),
                    _code(f"{factory.__name__}()") if factory is not None else _text("—"),
                ]
            )
        return [_table(("Slot", "Protocol", "Default"), rows, "policy-slots")]


class PolicyDefaults(SphinxDirective):
    """``{policy-defaults} slot``: the built-in default of a policy slot.

    ``sla`` and ``permissions`` render as tables (``amount-limits`` the permission
    amount limits); every other slot as the default policy's repr, which reads like
    the call that builds it.
    """

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from aftersales_core.policies import PolicySet

        what = self.arguments[0].strip()
        if what == "sla":
            return [self._sla()]
        if what == "permissions":
            return [self._permissions()]
        if what == "amount-limits":
            return [self._limits()]
        slots = [f.name for f in attrs.fields(PolicySet) if f.name != "version"]
        if what not in slots:
            expected = ", ".join(["amount-limits", *slots])
            raise self.error(f"policy-defaults: expected one of {expected}, got {what!r}")
        code = _pretty(getattr(PolicySet(), what))
        block = nodes.literal_block(code, code, language="python")
        return [block]

    def _sla(self) -> nodes.table:
        from aftersales_core.policies import default_sla

        table = default_sla()
        rows = [
            [_code(key), _text(str(target.workdays)), _text(target.rule)]
            for key, target in table.targets.items()
        ]
        return _table(("Key (kind.stage[@priority])", "Working days", "Rule"), rows, "default-sla")

    def _permissions(self) -> nodes.table:
        from aftersales_core.policies import default_permissions

        rows = [
            [
                _code(p.trigger),
                _code(p.kind),
                _code(p.flag) if p.flag else _text("—"),
                _codes(sorted(r.value for r in p.roles)),
                _text(p.rule),
            ]
            for p in default_permissions().permits
        ]
        return _table(("Trigger", "Kind", "Case flag", "Roles", "Rule"), rows, "default-permits")

    def _limits(self) -> nodes.table:
        from aftersales_core.policies import default_permissions

        rows = [
            [_code(what), _code(role.value), _text(str(limit.amount))]
            for what, per_role in default_permissions().amount_limits.items()
            for role, limit in per_role.items()
        ]
        return _table(("What", "Role", "Limit (CNY)"), rows, "default-amount-limits")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("workflow-table", WorkflowTable)
    app.add_directive("policy-defaults", PolicyDefaults)
    app.add_directive("policy-slots", PolicySlots)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

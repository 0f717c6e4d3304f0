"""What every policy shares: the decision helper and first-match composition.

A one-question policy is any callable ``(request, /) -> Decision | None``; ``None``
means "no opinion, ask the next one". Built-ins inherit :class:`Composable`, so
``by_category(table) | default_to("aftersales")`` reads like a sentence and a
plain function can stand on either side (tenacity's ``stop_a | stop_b``)::

    def vip_to_manager(intake, /):
        return decide("routing", "CPL-2", "marketing", "VIP customers", ...) if ... else None

    routing = vip_to_manager | by_category(DEFAULT_TABLE) | default_to("aftersales")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from aftersales_core.events import Decision

__all__ = ["Composable", "FirstMatch", "decide"]

R = TypeVar("R")

Rule = Callable[[R], Decision | None]


_SOURCES: dict[int, tuple[object, str]] = {}


def _source_text(source: object) -> str:
    """``repr(source)``, computed once per policy object (built-ins are frozen, and
    their repr — the call that built them — goes into every decision they take)."""
    if isinstance(source, str):
        return source
    hit = _SOURCES.get(id(source))
    if hit is not None and hit[0] is source:
        return hit[1]
    text = repr(source)
    if len(_SOURCES) > 1024:
        _SOURCES.clear()
    _SOURCES[id(source)] = (source, text)  # keeps the object alive, so its id stays its own
    return text


def decide(
    policy: str, rule: str, result: Any, reason: str, *, source: object = "", version: str = ""
) -> Decision:
    """Build a :class:`Decision`; ``source`` is the configured policy object (its repr is kept)."""
    return Decision(policy, rule, result, reason, version, _source_text(source))


class Composable(Generic[R]):
    """Mixin giving ``|`` (first match) to a policy ``(request, /) -> Decision | None``."""

    def __call__(self, request: R, /) -> Decision | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __or__(self, other: Rule[R]) -> FirstMatch[R]:
        return FirstMatch((self, other))

    def __ror__(self, other: Rule[R]) -> FirstMatch[R]:
        return FirstMatch((other, self))


class FirstMatch(Composable[R]):
    """Ask each policy in turn; the first that decides wins. Nested chains flatten."""

    __slots__ = ("policies",)

    def __init__(self, policies: tuple[Rule[R], ...]) -> None:
        flat: list[Rule[R]] = []
        for p in policies:
            flat.extend(p.policies if isinstance(p, FirstMatch) else (p,))
        self.policies: tuple[Rule[R], ...] = tuple(flat)

    def __call__(self, request: R, /) -> Decision | None:
        for p in self.policies:
            d = p(request)
            if d is not None:
                return d
        return None

    def __repr__(self) -> str:
        return " | ".join(getattr(p, "__name__", None) or repr(p) for p in self.policies)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FirstMatch) and self.policies == other.policies

    def __hash__(self) -> int:
        return hash(self.policies)

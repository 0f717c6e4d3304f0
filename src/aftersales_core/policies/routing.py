"""Routing (分流), CPL-2: which department handles a complaint.

A routing policy answers one question — *which department takes this complaint?* —
for a :class:`RoutingRequest` (category, channel, product line, partner, customer).
The built-in :class:`RoutingTable` is a list of :class:`Route` rows, first match
wins, with an optional default department. Every decision it takes records the
row that matched (``Decision.source`` is ``"RoutingTable.rows[i]: Route(...)"``).

A table is checked when it is built (:class:`~aftersales_core.errors.PolicyConfigError`):

* every department must be known — a :class:`~aftersales_core.model.Department`
  value or one the table declares in ``departments``;
* no row may be *shadowed*: a row that earlier rows already take every complaint
  of (alone or together) can never match, which is always a mistake;
* without a default, every category must reach a department for every product
  line (or none), channel and partner — routing is total.

The SPEC's table (:data:`DEFAULT_ROUTES`, :func:`default_routing`):

* quality, performance (产品质量、使用功效) → production for functional fabrics
  (faults of the fabric are made in production / technology); R&D for smart
  equipment, software, or when no product is named (design and function);
* packaging (包装破损) → transport (damage happens in transit);
* spoilage (变质) → warehouse (goods spoil in storage);
* staff_attitude, negligence (人员态度差、不尽职) → marketing / sales (营销部);
* partner (中间商、零售商) → partner coordination (coordinate at once);
* anything else (``other``) → the default, the complaint group (投诉处理组).

A routing policy is any callable ``(request, /) -> Decision | None``; compose your
own plain function in front of the table with ``|``::

    def key_accounts(request, /):
        if request.customer in {"C-0001"}:
            return decide("routing", "CPL-2", "rnd", "key account", source="key_accounts")
        return None

    routing = key_accounts | default_routing()
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from itertools import product
from typing import Any, Protocol

import attrs

from aftersales_core.errors import PolicyConfigError
from aftersales_core.events import Decision
from aftersales_core.model import Channel, Department, ProductLine
from aftersales_core.policies.base import Composable, FirstMatch, decide

__all__ = [
    "ANY_PARTNER",
    "DEFAULT_ROUTES",
    "Category",
    "DefaultRoute",
    "Route",
    "RoutingPolicy",
    "RoutingRequest",
    "RoutingTable",
    "default_routing",
    "known_departments",
]

#: ``Route(partner=ANY_PARTNER)`` matches complaints that name any intermediary or retailer.
ANY_PARTNER = "*"


class Category(StrEnum):
    """Complaint categories of CPL-2, with their Chinese labels (``.zh``)."""

    QUALITY = "quality"
    PERFORMANCE = "performance"
    PACKAGING = "packaging"
    SPOILAGE = "spoilage"
    STAFF_ATTITUDE = "staff_attitude"
    NEGLIGENCE = "negligence"
    PARTNER = "partner"
    OTHER = "other"

    @property
    def zh(self) -> str:
        return _CATEGORY_ZH[self]


_CATEGORY_ZH = {
    Category.QUALITY: "产品质量",
    Category.PERFORMANCE: "使用功效",
    Category.PACKAGING: "包装破损",
    Category.SPOILAGE: "变质",
    Category.STAFF_ATTITUDE: "人员态度差",
    Category.NEGLIGENCE: "人员不尽职",
    Category.PARTNER: "中间商、零售商",
    Category.OTHER: "其他",
}


# converters that pass a member through without calling the enum (a slow call, and
# requests are built on every routing)
def _optional_line(value: str | None) -> ProductLine | None:
    return value if value is None or type(value) is ProductLine else ProductLine(value)


def _optional_channel(value: str | None) -> Channel | None:
    return value if value is None or type(value) is Channel else Channel(value)


def _as_category(value: str) -> Category:
    return value if type(value) is Category else Category(value)


def _as_channel(value: str) -> Channel:
    return value if type(value) is Channel else Channel(value)


@attrs.frozen
class RoutingRequest:
    """What routing may look at: the complaint's category (CPL-2), its channel (G-4),
    the product line (G-5; ``None`` when no product is named), the intermediary or
    retailer concerned (``""``: none) and the customer's id (for custom rules)."""

    category: Category = attrs.field(converter=_as_category)
    channel: Channel = attrs.field(converter=_as_channel)
    product_line: ProductLine | None = attrs.field(default=None, converter=_optional_line)
    partner: str = ""
    customer: str = ""


class RoutingPolicy(Protocol):
    """Names the department that handles a complaint (CPL-2).

    The decision's ``result`` is the department (a string); ``None`` means "no
    opinion" and lets the next policy of a ``|`` chain decide. The policy set's
    routing must decide every request: end a chain with a table or a
    :class:`DefaultRoute`.
    """

    def __call__(self, request: RoutingRequest, /) -> Decision | None: ...


# --------------------------------------------------------------------------- rows


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise PolicyConfigError(
            "routing.route.category", f"unknown category {value!r}; known: {known}"
        ) from None


def _line(value: str | None) -> ProductLine | None:
    try:
        return _optional_line(value)
    except ValueError:
        known = ", ".join(p.value for p in ProductLine)
        raise PolicyConfigError(
            "routing.route.product_line", f"unknown product line {value!r}; known: {known}"
        ) from None


def _channel(value: str | None) -> Channel | None:
    try:
        return _optional_channel(value)
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise PolicyConfigError(
            "routing.route.channel", f"unknown channel {value!r}; known: {known}"
        ) from None


def _department(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyConfigError(
            "routing.route.department", f"a department is a non-empty name, got {value!r}"
        )
    return str(value.strip())


@attrs.frozen
class Route:
    """One row of a routing table: complaints of ``category`` (and, where given, of
    this product line, channel and partner) go to ``department``.

    ``partner=None`` matches any complaint, ``partner=""`` only complaints that name
    no partner, ``partner=ANY_PARTNER`` those that name one, any other string that
    partner exactly. ``why`` is quoted in the decision's reason.
    """

    category: Category = attrs.field(converter=_category)
    department: str = attrs.field(converter=_department)
    product_line: ProductLine | None = attrs.field(default=None, converter=_line, kw_only=True)
    channel: Channel | None = attrs.field(default=None, converter=_channel, kw_only=True)
    partner: str | None = attrs.field(default=None, kw_only=True)
    why: str = attrs.field(default="", kw_only=True, eq=False)

    def matches(self, request: RoutingRequest) -> bool:
        """Whether this row takes ``request``."""
        if self.category != request.category:
            return False
        if self.product_line is not None and self.product_line != request.product_line:
            return False
        if self.channel is not None and self.channel != request.channel:
            return False
        if self.partner is None:
            return True
        if self.partner == ANY_PARTNER:
            return bool(request.partner)
        return self.partner == request.partner

    def describe(self) -> str:
        """The condition in words, for reasons: ``quality, product_line=functional_fabric``."""
        parts = [self.category.value]
        if self.product_line is not None:
            parts.append(f"product_line={self.product_line.value}")
        if self.channel is not None:
            parts.append(f"channel={self.channel.value}")
        if self.partner is not None:
            parts.append(f"partner={self.partner!r}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        args = [repr(self.category.value), repr(self.department)]
        if self.product_line is not None:
            args.append(f"product_line={self.product_line.value!r}")
        if self.channel is not None:
            args.append(f"channel={self.channel.value!r}")
        if self.partner is not None:
            args.append(f"partner={self.partner!r}")
        return f"Route({', '.join(args)})"


def _rows(value: Iterable[Route | Mapping[str, Any]]) -> tuple[Route, ...]:
    rows: list[Route] = []
    for i, row in enumerate(value):
        if isinstance(row, Route):
            rows.append(row)
            continue
        if not isinstance(row, Mapping):
            raise PolicyConfigError(f"routing.rows[{i}]", f"expected a Route or a mapping, got {row!r}")
        try:
            rows.append(Route(**row))
        except PolicyConfigError as exc:
            field = exc.path.rsplit(".", 1)[-1]
            raise PolicyConfigError(f"routing.rows[{i}].{field}", exc.reason) from None
        except TypeError as exc:
            raise PolicyConfigError(f"routing.rows[{i}]", str(exc)) from None
    return tuple(rows)


def _names(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(str(v) for v in value)


_KNOWN = frozenset(d.value for d in Department)
_OTHER_PARTNER = "\x00another partner"


def _check_known(path: str, department: str, extra: frozenset[str]) -> None:
    if department not in _KNOWN and department not in extra:
        known = ", ".join(sorted(_KNOWN | extra))
        raise PolicyConfigError(
            path, f"unknown department {department!r}; known: {known} (declare your own in departments=)"
        )


# --------------------------------------------------------------------------- table


@attrs.frozen
class RoutingTable(Composable[RoutingRequest]):
    """Routes complaints by the first matching :class:`Route`, else to ``default``.

    ``departments`` declares departments of the host's own beside the G-6 ones.
    Rows may be given as mappings (``{"category": "quality", "department": "rnd"}``),
    so a table can be loaded from configuration.
    """

    rows: tuple[Route, ...] = attrs.field(converter=_rows)
    default: str | None = None
    departments: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    _decisions: dict[tuple[Any, ...], Decision | None] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            _check_known(f"routing.rows[{i}].department", row.department, self.departments)
        if self.default is not None:
            _check_known("routing.default", self.default, self.departments)
        self._check_coverage()

    def _cells(self) -> Iterator[RoutingRequest]:
        """One request per distinguishable kind of complaint: rows only tell partners
        apart by the names they spell out, so this finite set is exact."""
        named = sorted({r.partner for r in self.rows if r.partner} - {ANY_PARTNER})
        partners = ["", *named, _OTHER_PARTNER]
        lines: list[ProductLine | None] = [None, *ProductLine]
        for category, line, channel, partner in product(Category, lines, Channel, partners):
            yield RoutingRequest(category, channel, line, partner)

    def _check_coverage(self) -> None:
        taken = [False] * len(self.rows)
        # for each row, the earlier rows that take the complaints it would
        takers: list[set[int]] = [set() for _ in self.rows]
        uncovered: RoutingRequest | None = None
        for cell in self._cells():
            first = None
            for i, row in enumerate(self.rows):
                if row.matches(cell):
                    if first is None:
                        first = i
                        taken[i] = True
                    else:
                        takers[i].add(first)
            if first is None and uncovered is None:
                uncovered = cell
        for i, row in enumerate(self.rows):
            if not taken[i]:
                before = ", ".join(f"rows[{j}] {self.rows[j]!r}" for j in sorted(takers[i]))
                raise PolicyConfigError(
                    f"routing.rows[{i}]",
                    f"{row!r} can never match (shadowed): every complaint it covers is already "
                    f"taken by {before}; first match wins, so move it up or remove it",
                )
        if uncovered is not None and self.default is None:
            raise PolicyConfigError(
                "routing.default",
                f"category {uncovered.category.value!r} ({uncovered.category.zh}) has no department "
                f"for {_describe_cell(uncovered)}; add a row for it or a default department",
            )

    def __call__(self, request: RoutingRequest, /) -> Decision | None:
        # the table is immutable: one decision per distinct (category, channel, line, partner)
        key = (request.category, request.channel, request.product_line, request.partner)
        try:
            return self._decisions[key]
        except KeyError:
            pass
        decision = self._decide(request)
        if len(self._decisions) > 4096:
            self._decisions.clear()
        self._decisions[key] = decision
        return decision

    def _decide(self, request: RoutingRequest) -> Decision | None:
        for i, row in enumerate(self.rows):
            if row.matches(request):
                why = f" ({row.why})" if row.why else ""
                return decide(
                    "routing",
                    "CPL-2",
                    row.department,
                    f"{request.category.value} ({request.category.zh}) -> {row.department}: "
                    f"row {i} matched [{row.describe()}]{why}",
                    source=f"RoutingTable.rows[{i}]: {row!r}",
                )
        if self.default is None:
            return None
        return decide(
            "routing",
            "CPL-2",
            self.default,
            f"{request.category.value} ({request.category.zh}) -> {self.default}: no row matched, "
            "default department",
            source=f"RoutingTable.default: {self.default!r}",
        )

    def __repr__(self) -> str:
        args = [f"rows=({', '.join(map(repr, self.rows))}{',' if len(self.rows) == 1 else ''})"]
        if self.default is not None:
            args.append(f"default={self.default!r}")
        if self.departments:
            args.append(f"departments={sorted(self.departments)!r}")
        return f"RoutingTable({', '.join(args)})"


def _describe_cell(cell: RoutingRequest) -> str:
    line = cell.product_line.value if cell.product_line is not None else "none"
    partner = (
        "no partner"
        if not cell.partner
        else "a partner not named in the table"
        if cell.partner == _OTHER_PARTNER
        else f"partner {cell.partner!r}"
    )
    return f"product_line={line}, channel={cell.channel.value}, {partner}"


@attrs.frozen
class DefaultRoute(Composable[RoutingRequest]):
    """Sends every complaint to ``department``: the end of a ``|`` chain of rules.

    ``departments`` declares host departments beside the G-6 ones.
    """

    department: str = attrs.field(converter=_department)
    departments: frozenset[str] = attrs.field(default=frozenset(), converter=_names)

    def __attrs_post_init__(self) -> None:
        _check_known("routing.default", self.department, self.departments)

    def __call__(self, request: RoutingRequest, /) -> Decision:
        return decide(
            "routing",
            "CPL-2",
            self.department,
            f"{request.category.value} ({request.category.zh}) -> {self.department}: default department",
            source=self,
        )

    def __repr__(self) -> str:
        extra = f", departments={sorted(self.departments)!r}" if self.departments else ""
        return f"DefaultRoute({self.department!r}{extra})"


def known_departments(policy: object) -> frozenset[str]:
    """The G-6 departments plus those a routing policy declares (tables and
    :class:`DefaultRoute` anywhere in a ``|`` chain). Used to check departments
    typed by people (reroute, review)."""
    hit = _KNOWN_BY_POLICY.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit[1]
    out = set(_KNOWN)
    todo = [policy]
    immutable = True
    while todo:
        p = todo.pop()
        if isinstance(p, FirstMatch):
            todo.extend(p.policies)
        elif isinstance(p, RoutingTable):
            out |= p.departments
            out.update(r.department for r in p.rows)
            if p.default is not None:
                out.add(p.default)
        elif isinstance(p, DefaultRoute):
            out |= p.departments
            out.add(p.department)
        else:
            immutable = False  # a host's rule: not ours to assume it never changes
    known = frozenset(out)
    if immutable:  # tables and chains of them are frozen: their departments are kept
        if len(_KNOWN_BY_POLICY) > 256:
            _KNOWN_BY_POLICY.clear()
        _KNOWN_BY_POLICY[id(policy)] = (policy, known)  # holds the policy: its id stays its own
    return known


_KNOWN_BY_POLICY: dict[int, tuple[object, frozenset[str]]] = {}


# --------------------------------------------------------------------------- defaults

_D = Department
_C = Category

#: The SPEC's routing table (CPL-2), first match wins.
DEFAULT_ROUTES: tuple[Route, ...] = (
    Route(
        _C.QUALITY,
        _D.PRODUCTION,
        product_line=ProductLine.FUNCTIONAL_FABRIC,
        why="fabric faults are made in production / technology",
    ),
    Route(_C.QUALITY, _D.RND, why="equipment and software faults go to R&D / design"),
    Route(
        _C.PERFORMANCE,
        _D.PRODUCTION,
        product_line=ProductLine.FUNCTIONAL_FABRIC,
        why="fabric performance is made in production / technology",
    ),
    Route(_C.PERFORMANCE, _D.RND, why="equipment and software function is designed by R&D"),
    Route(_C.PACKAGING, _D.TRANSPORT, why="packaging is damaged in transit"),
    Route(_C.SPOILAGE, _D.WAREHOUSE, why="goods spoil in storage"),
    Route(_C.STAFF_ATTITUDE, _D.MARKETING, why="sales, installation and service staff"),
    Route(_C.NEGLIGENCE, _D.MARKETING, why="sales, installation and service staff"),
    Route(_C.PARTNER, _D.PARTNER, why="coordinate with the intermediary or retailer at once"),
)


@functools.cache
def default_routing() -> RoutingTable:
    """The SPEC's table (:data:`DEFAULT_ROUTES`); the rest goes to the complaint group.

    The table is immutable, so it is checked once and shared."""
    return RoutingTable(DEFAULT_ROUTES, default=Department.COMPLAINT.value)

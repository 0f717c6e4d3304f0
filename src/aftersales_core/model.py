"""The domain's value objects: who acts, for whom, about what, and the case itself.

All are frozen attrs classes with slots. ``Case`` is an immutable snapshot that the
engine builds from events; nothing in the library mutates one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import attrs

from aftersales_core._frozen import EMPTY, FrozenDict, freeze
from aftersales_core.events import Decision

__all__ = [
    "Actor",
    "Case",
    "Channel",
    "Component",
    "Customer",
    "Deadline",
    "Department",
    "Priority",
    "Product",
    "ProductLine",
    "Role",
]


class Role(StrEnum):
    """Roles of the after-sales organisation (G-6), lowest authority first."""

    AGENT = "agent"
    ENGINEER = "engineer"
    TECHNICIAN = "technician"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    CS_SUPERVISOR = "cs_supervisor"
    TECH_SUPERVISOR = "tech_supervisor"
    SERVICE_SUPERVISOR = "service_supervisor"
    MANAGER = "manager"
    LEADERSHIP = "leadership"
    SYSTEM = "system"

    @property
    def zh(self) -> str:
        return _ROLE_ZH[self]

    @property
    def is_supervisor_or_above(self) -> bool:
        return self in _SUPERVISORS_AND_ABOVE


_ROLE_ZH = {
    Role.AGENT: "客服专员",
    Role.ENGINEER: "技术支持工程师",
    Role.TECHNICIAN: "售后服务人员/维修人员",
    Role.WAREHOUSE: "仓库",
    Role.FINANCE: "财务",
    Role.CS_SUPERVISOR: "客服主管",
    Role.TECH_SUPERVISOR: "技术支持主管",
    Role.SERVICE_SUPERVISOR: "售后服务主管/维修主管",
    Role.MANAGER: "售后部门经理",
    Role.LEADERSHIP: "公司领导",
    Role.SYSTEM: "系统",
}
_SUPERVISORS_AND_ABOVE = frozenset(
    {Role.CS_SUPERVISOR, Role.TECH_SUPERVISOR, Role.SERVICE_SUPERVISOR, Role.MANAGER, Role.LEADERSHIP}
)


class Department(StrEnum):
    """Departments of G-6; routing tables may name others of the host's own."""

    AFTERSALES = "aftersales"
    CONSULTATION = "consultation_group"
    REPAIR = "repair_group"
    COMPLAINT = "complaint_group"
    SALES = "sales"
    RND = "rnd"
    PRODUCTION = "production"
    WAREHOUSE = "warehouse"
    TRANSPORT = "transport"
    FINANCE = "finance"
    MARKETING = "marketing"
    PARTNER = "partner"

    @property
    def zh(self) -> str:
        return _DEPT_ZH[self]


_DEPT_ZH = {
    Department.AFTERSALES: "售后服务部",
    Department.CONSULTATION: "客户咨询组",
    Department.REPAIR: "技术维修组",
    Department.COMPLAINT: "投诉处理组",
    Department.SALES: "销售部",
    Department.RND: "研发部",
    Department.PRODUCTION: "生产部",
    Department.WAREHOUSE: "仓库",
    Department.TRANSPORT: "运输",
    Department.FINANCE: "财务",
    Department.MARKETING: "营销部",
    Department.PARTNER: "中间商/零售商",
}


class ProductLine(StrEnum):
    """Product lines (G-5)."""

    SMART_EQUIPMENT = "smart_equipment"
    FUNCTIONAL_FABRIC = "functional_fabric"
    SOFTWARE = "software"

    @property
    def zh(self) -> str:
        return {
            "smart_equipment": "智能纺织设备",
            "functional_fabric": "功能性面料",
            "software": "配套软件系统",
        }[self.value]


class Channel(StrEnum):
    """Contact channels (G-4)."""

    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"
    VISIT = "visit"
    ONLINE = "online"

    @property
    def zh(self) -> str:
        return {"phone": "来电", "letter": "来信", "email": "邮件", "visit": "来访", "online": "在线客服"}[
            self.value
        ]


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"  # special case (专案), CPL-4


def _role(value: Role | str) -> Role:
    return value if type(value) is Role else Role(value)


@attrs.frozen
class Actor:
    """Somebody (or the system) acting on a case."""

    id: str = attrs.field(validator=attrs.validators.min_len(1))
    role: Role = attrs.field(converter=_role)
    name: str = ""
    department: str = Department.AFTERSALES.value

    @classmethod
    def system(cls) -> Actor:
        return _SYSTEM


_SYSTEM = Actor("system", Role.SYSTEM, "aftersales_core")


@attrs.frozen
class Customer:
    """Who the case serves (G-3). ``name``, ``phone`` and ``address`` are personal data."""

    id: str
    name: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    partner: str = ""  # intermediary / retailer through which the customer bought (CPL-2)

    PERSONAL_FIELDS = ("name", "phone", "address")


@attrs.frozen
class Component:
    """A part of a product with its own warranty period (REP-2)."""

    name: str
    warranty_months: int | None = None  # None: the product line's period applies
    serial: str = ""
    value: Any = None  # unit value (Money) where known; used for REP-13 approvals


def _components(value: Iterable[Component]) -> tuple[Component, ...]:
    return value if type(value) is tuple else tuple(value)


def _product_line(value: ProductLine | str) -> ProductLine:
    return value if type(value) is ProductLine else ProductLine(value)


@attrs.frozen
class Product:
    """What the case is about (G-3, REP-1)."""

    model: str
    line: ProductLine = attrs.field(converter=_product_line)
    serial: str = ""
    purchase_date: date | None = None
    delivery_date: date | None = None
    components: tuple[Component, ...] = attrs.field(default=(), converter=_components)
    contract: str = ""  # maintenance agreement id (协议服务), REP-3


@attrs.frozen
class Deadline:
    """A recorded deadline (SLA-2). Computed once, when the event is handled.

    ``paused_since`` is set while the clock is stopped (SLA-3); on resume the due
    instant moves by exactly the paused working time.
    """

    name: str
    due: datetime
    rule: str
    started: datetime
    workdays: int
    calendar: str
    provisional: bool = False
    paused_since: datetime | None = None

    def is_overdue(self, now: datetime) -> bool:
        return self.paused_since is None and now > self.due


def _freeze_map(value: Mapping[str, Any] | None) -> FrozenDict[str, Any]:
    if value.__class__ is FrozenDict:  # the engine's hot path: already frozen
        return value
    return freeze(dict(value)) if value else EMPTY


@attrs.frozen(eq=True)
class Case:
    """An immutable snapshot of one after-sales case.

    ``intake`` is the validated intake data; ``facts`` what the workflow has
    established since (escalation level, quote, parts...); ``decisions`` every
    policy decision taken so far, oldest first; ``deadlines`` the open deadlines
    by name; ``flags`` markers such as ``special`` (专案) or ``individual`` (个案).
    """

    id: str
    kind: str
    state: str
    version: int
    opened_at: datetime
    updated_at: datetime
    customer: Customer
    product: Product | None
    intake: FrozenDict[str, Any] = attrs.field(converter=_freeze_map)
    facts: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=_freeze_map)
    decisions: tuple[Decision, ...] = ()
    deadlines: FrozenDict[str, Deadline] = attrs.field(default=EMPTY, converter=_freeze_map)
    flags: frozenset[str] = frozenset()

    def fact(self, name: str, default: Any = None) -> Any:
        return self.facts.get(name, default)

    @property
    def priority(self) -> Priority:
        return Priority(self.facts.get("priority", Priority.NORMAL))

    @property
    def next_deadline(self) -> Deadline | None:
        """The earliest running (not paused) deadline, if any."""
        running = [d for d in self.deadlines.values() if d.paused_since is None]
        return min(running, key=lambda d: d.due) if running else None

    def decision(self, policy: str) -> Decision | None:
        """The latest decision taken by ``policy``."""
        for d in reversed(self.decisions):
            if d.policy == policy:
                return d
        return None

"""A company rule in front of the SPEC's routing table (CPL-2), written as a plain function.

ACME's key accounts have their quality and performance complaints handled by R&D
directly, whatever the product line; everything else follows the built-in table
(``default_routing()``), which sends a fabric quality complaint to production.
The function returns ``None`` when it has no opinion, and ``|`` puts it in front
of the table: the first policy that decides wins, and the decision records who
decided.

Run it: ``python examples/custom_routing.py``
"""

from __future__ import annotations

from datetime import datetime

from aftersales_core import CHINA_TZ, Actor, Decision, Desk, FixedClock, Role
from aftersales_core.policies import Category, PolicySet, RoutingRequest, decide, default_routing

KEY_ACCOUNTS = frozenset({"C-0001"})


def key_accounts_to_rnd(request: RoutingRequest, /) -> Decision | None:
    """Quality and performance complaints of key accounts go to R&D (CPL-2)."""
    if request.customer in KEY_ACCOUNTS and request.category in (Category.QUALITY, Category.PERFORMANCE):
        return decide(
            "routing",
            "CPL-2",
            "rnd",
            f"key account {request.customer}: {request.category.value} complaints go to R&D",
            source="key_accounts_to_rnd",
        )
    return None


def main() -> None:
    routing = key_accounts_to_rnd | default_routing()
    desk = Desk(
        policies=PolicySet(version="acme-2026.1", routing=routing),
        clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)),
    )
    agent = Actor("agent-1", Role.AGENT, "王丽")
    fabric = {"model": "FF-220", "line": "functional_fabric"}

    departments: dict[str, str] = {}
    for customer in ("C-0001", "C-0002"):
        case = desk.open(
            "complaint",
            actor=agent,
            customer={"id": customer},
            channel="phone",
            product=fabric,
            category="quality",
            description="Coating peels after two washes.",
        )
        case = desk.fire(case.id, "route", actor=agent)
        decision = case.decision("routing")
        assert decision is not None
        departments[customer] = case.fact("department")
        print(f"{customer}: {case.fact('department'):<10} decided by {decision.source}")
        print(f"{'':10} because {decision.reason} [{decision.rule}, policies {decision.version}]")

    # the key account went to R&D by the company rule; the other fell through to the SPEC table
    assert departments == {"C-0001": "rnd", "C-0002": "production"}, departments
    print(f"routing policy: {routing!r}")


if __name__ == "__main__":
    main()

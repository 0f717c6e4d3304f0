from __future__ import annotations

from datetime import datetime

import pytest

from aftersales_core import CHINA_TZ, Actor, Desk, FixedClock, Role


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 2, 13, 9, 30, tzinfo=CHINA_TZ))


@pytest.fixture
def desk(clock: FixedClock) -> Desk:
    return Desk(clock=clock)


@pytest.fixture
def agent() -> Actor:
    return Actor("agent-1", Role.AGENT, "王丽")


@pytest.fixture
def supervisor() -> Actor:
    return Actor("sup-1", Role.CS_SUPERVISOR, "陈杰")


@pytest.fixture
def manager() -> Actor:
    return Actor("mgr-1", Role.MANAGER, "李强")

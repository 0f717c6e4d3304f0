"""Contract tests of the calendar and clock ports (DESIGN §5), for your adapters.

Subclass the contract in your test suite, say how to build your adapter, and pytest
runs every check on it::

    from aftersales_core.testing import CalendarContract

    class TestErpCalendar(CalendarContract):
        def make_calendar(self):
            return ErpCalendar.from_table(rows)

The store's contract is :class:`~aftersales_core.testing.StoreContract`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from aftersales_core.calendar import BusinessCalendar, ChinaCalendar, add_workdays, workdays_between
from aftersales_core.clock import CHINA_TZ, Clock, FixedClock
from aftersales_core.errors import CalendarNotCovered
from aftersales_core.model import Role
from aftersales_core.testing.coverage import actor_for, make_desk
from aftersales_core.testing.strategies import workdays

__all__ = ["CalendarContract", "ClockContract"]

_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.differing_executors])
_CONSULTATION: dict[str, Any] = {
    "customer": {"id": "C-CONTRACT"},
    "channel": "phone",
    "question": "Does the port keep its contract?",
}


def _dates_around(lo: date, hi: date) -> st.SearchStrategy[date]:
    margin = timedelta(days=60)
    return st.dates(
        min_value=max(date.min + margin, lo) - margin, max_value=min(date.max - margin, hi) + margin
    )


class CalendarContract:
    """What every :class:`~aftersales_core.calendar.BusinessCalendar` must do.

    Implement :meth:`make_calendar`. Set ``covered`` to a ``(first, last)`` range of
    days your calendar answers for, unless it tells it itself (a ``start``/``end``
    or ``official_years`` attribute); set ``uncovered`` to a day it must refuse, if
    there is one.
    """

    covered: tuple[date, date] | None = None
    uncovered: date | None = None

    def make_calendar(self) -> BusinessCalendar:
        raise NotImplementedError("return the calendar under test")

    def _range(self, calendar: BusinessCalendar) -> tuple[date, date]:
        if self.covered is not None:
            return self.covered
        from aftersales_core.testing.strategies import _coverage

        lo, hi = _coverage(calendar)
        if lo is None or hi is None:
            raise AssertionError("set covered = (first day, last day) on the contract class")
        return lo, hi

    def test_is_a_business_calendar(self) -> None:
        calendar = self.make_calendar()
        assert isinstance(calendar, BusinessCalendar)
        assert isinstance(calendar.name, str)
        assert calendar.name, "a calendar has a non-empty name"

    @_SETTINGS
    @given(data=st.data())
    def test_covered_days_get_stable_answers(self, data: st.DataObject) -> None:
        calendar = self.make_calendar()
        lo, hi = self._range(calendar)
        day = data.draw(st.dates(min_value=lo, max_value=hi), label="day")
        assert calendar.covers(day) is True, f"{day} is in the covered range but covers() says no"
        answer = calendar.is_workday(day)
        assert isinstance(answer, bool)
        assert calendar.is_workday(day) is answer, "answers must be stable"
        assert isinstance(calendar.is_provisional(day), bool)

    @_SETTINGS
    @given(data=st.data())
    def test_covers_tells_whether_is_workday_answers(self, data: st.DataObject) -> None:
        calendar = self.make_calendar()
        lo, hi = self._range(calendar)
        day = data.draw(_dates_around(lo, hi), label="day")
        covered = calendar.covers(day)
        assert isinstance(covered, bool)
        if covered:
            assert isinstance(calendar.is_workday(day), bool)
        else:
            try:
                calendar.is_workday(day)
            except CalendarNotCovered as exc:
                refused = exc.day
            else:
                raise AssertionError(f"covers({day}) is False but is_workday() answered")
            assert refused == day, f"CalendarNotCovered names {refused}, not {day}"

    def test_an_uncovered_day_is_refused(self) -> None:
        if self.uncovered is None:
            return
        calendar = self.make_calendar()
        assert calendar.covers(self.uncovered) is False
        try:
            calendar.is_workday(self.uncovered)
        except CalendarNotCovered:
            return
        raise AssertionError(f"is_workday({self.uncovered}) must raise CalendarNotCovered")

    @_SETTINGS
    @given(data=st.data())
    def test_working_day_arithmetic_round_trips(self, data: st.DataObject) -> None:
        calendar = self.make_calendar()
        lo, hi = self._range(calendar)
        start = data.draw(workdays(calendar, min_value=lo, max_value=hi), label="start")
        n = data.draw(st.integers(min_value=1, max_value=15), label="n")
        try:
            end = add_workdays(calendar, start, n)
        except CalendarNotCovered:
            reject()  # too close to the end of the data
        assert end > start
        assert calendar.is_workday(end)
        assert workdays_between(calendar, start, end) == n

    def test_a_desk_computes_deadlines_on_it(self) -> None:
        calendar = self.make_calendar()
        lo, hi = self._range(calendar)
        day = next(
            (
                d
                for d in (lo + timedelta(days=i) for i in range(min(60, (hi - lo).days + 1)))
                if calendar.covers(d) and calendar.is_workday(d)
            ),
            None,
        )
        assert day is not None, "no working day in the first 60 covered days"
        clock = FixedClock(datetime(day.year, day.month, day.day, 9, 0, tzinfo=CHINA_TZ))
        desk = make_desk(clock=clock, calendar=calendar)
        case = desk.open("consultation", actor=actor_for(Role.AGENT), **_CONSULTATION)
        deadline = case.deadlines["response"]
        assert deadline.calendar == calendar.name
        assert calendar.is_workday(deadline.due.date())
        assert deadline.due > clock.now()


class ClockContract:
    """What every :class:`~aftersales_core.clock.Clock` must do. Implement :meth:`make_clock`."""

    def make_clock(self) -> Clock:
        raise NotImplementedError("return the clock under test")

    def test_is_a_clock(self) -> None:
        assert isinstance(self.make_clock(), Clock)

    def test_now_is_timezone_aware(self) -> None:
        now = self.make_clock().now()
        assert isinstance(now, datetime)
        assert now.tzinfo is not None, f"now() gave a naive {now!r}"
        assert now.utcoffset() is not None, f"now() gave a naive {now!r}"

    def test_now_never_goes_backwards(self) -> None:
        clock = self.make_clock()
        readings = [clock.now() for _ in range(50)]
        assert readings == sorted(readings), "successive now() calls went backwards"

    def test_a_desk_stamps_events_with_it(self) -> None:
        clock = self.make_clock()
        desk = make_desk(clock=clock, calendar=ChinaCalendar(provisional=True))
        before = clock.now()
        case = desk.open("consultation", actor=actor_for(Role.AGENT), **_CONSULTATION)
        after = clock.now()
        assert before <= case.opened_at <= after
        assert desk.history(case.id)[0].at == case.opened_at

"""Tests for aftersales_core.calendar (SLA-1)."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales_core.calendar import (
    CHINA_TZ,
    BusinessCalendar,
    ChinaCalendar,
    TableCalendar,
    WorkingHours,
    add_workdays,
    add_working_seconds,
    check_coverage,
    end_of_workday,
    workdays_between,
    working_seconds_between,
)
from aftersales_core.errors import CalendarNotCovered, PolicyConfigError

CN = ChinaCalendar()
OFFICE = WorkingHours(time(8, 30), time(17, 30))
ONE_SECOND = timedelta(seconds=1)

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=CHINA_TZ)


# --------------------------------------------------------------------------- #
# ChinaCalendar: official 2026 schedule (State Council notice for 2026)
# --------------------------------------------------------------------------- #


def test_spring_festival_2026() -> None:
    assert date(2026, 2, 14).weekday() == 5
    assert CN.is_workday(date(2026, 2, 14))  # Saturday make-up working day
    assert CN.is_workday(date(2026, 2, 28))  # Saturday make-up working day
    for day in range(15, 24):  # 2026-02-15 .. 2026-02-23 off
        assert not CN.is_workday(date(2026, 2, day)), day
    assert not CN.is_workday(date(2026, 2, 16))  # 除夕, Monday
    assert CN.is_workday(date(2026, 2, 24))
    assert CN.is_workday(date(2026, 2, 13))


def test_add_workdays_across_spring_festival() -> None:
    assert add_workdays(CN, date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert add_workdays(CN, date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert workdays_between(CN, date(2026, 2, 13), date(2026, 2, 27)) == 5


def test_national_day_2026() -> None:
    for day in range(1, 8):
        assert not CN.is_workday(date(2026, 10, day)), day
    assert CN.is_workday(date(2026, 10, 8))
    # Make-up working days of the 2026 National Day holiday.
    assert date(2026, 9, 20).weekday() == 6
    assert CN.is_workday(date(2026, 9, 20))  # Sunday
    assert date(2026, 10, 10).weekday() == 5
    assert CN.is_workday(date(2026, 10, 10))  # Saturday
    assert not CN.is_workday(date(2026, 10, 11))  # ordinary Sunday
    assert not CN.is_workday(date(2026, 9, 25))  # Mid-Autumn Festival


def test_other_2026_make_up_days_and_plain_weekends() -> None:
    assert CN.is_workday(date(2026, 1, 4))  # Sunday, New Year make-up
    assert not CN.is_workday(date(2026, 1, 2))  # Friday off
    assert CN.is_workday(date(2026, 5, 9))  # Saturday, Labour Day make-up
    assert not CN.is_workday(date(2026, 5, 5))
    assert not CN.is_workday(date(2026, 3, 7))  # ordinary Saturday
    assert CN.is_workday(date(2026, 3, 9))  # ordinary Monday


def test_2025_national_day() -> None:
    assert CN.is_workday(date(2025, 9, 28))  # Sunday make-up
    assert CN.is_workday(date(2025, 10, 11))  # Saturday make-up
    assert not CN.is_workday(date(2025, 10, 8))


def test_year_without_official_data_raises() -> None:
    assert not CN.covers(date(2035, 3, 1))
    with pytest.raises(CalendarNotCovered) as info:
        CN.is_workday(date(2035, 3, 1))
    err = info.value
    assert err.day == date(2035, 3, 1)
    assert err.calendar == "CN"
    assert "2035-03-01" in str(err)
    assert "2026" in str(err)  # names what it does cover
    assert isinstance(err, LookupError)
    # Still raises on a second call (errors are not memoized as answers).
    with pytest.raises(CalendarNotCovered):
        CN.is_workday(date(2035, 3, 1))


def test_official_years_derived_from_package() -> None:
    years = CN.official_years
    assert {2001, 2025, 2026} <= years
    assert 2035 not in years
    assert years == frozenset(range(min(years), max(years) + 1))  # contiguous
    assert CN.covers(date(2026, 12, 31))
    assert not CN.is_provisional(date(2026, 6, 1))


def test_official_years_override() -> None:
    cal = ChinaCalendar(official_years=[2026])
    assert cal.official_years == frozenset({2026})
    assert cal.is_workday(date(2026, 2, 14))
    assert not cal.covers(date(2025, 6, 3))
    with pytest.raises(CalendarNotCovered, match="2025-06-03"):
        cal.is_workday(date(2025, 6, 3))
    assert repr(cal) == "ChinaCalendar(official_years=[2026])"
    with pytest.raises(PolicyConfigError, match="official_years"):
        ChinaCalendar(official_years=["2026"])  # type: ignore[list-item]


def test_provisional_mode() -> None:
    cal = ChinaCalendar(provisional=True)
    assert cal.name == "CN (provisional)"
    assert cal.covers(date(2035, 3, 1))
    assert cal.is_provisional(date(2035, 3, 1))
    assert not cal.is_provisional(date(2026, 3, 2))
    assert isinstance(cal.is_workday(date(2035, 3, 1)), bool)
    assert not cal.is_workday(date(2035, 10, 1))  # the package's estimate: National Day
    assert cal.is_workday(date(2035, 3, 1))  # Thursday
    # Official years answer exactly as the strict calendar does.
    assert cal.is_workday(date(2026, 2, 14))
    assert not cal.is_workday(date(2026, 2, 16))
    # Beyond the package's range: plain Monday-Friday.
    week = [date(2300, 1, 1) + timedelta(days=i) for i in range(7)]
    assert [cal.is_workday(d) for d in week] == [d.weekday() < 5 for d in week]
    assert all(cal.is_provisional(d) for d in week)
    assert repr(cal) == "ChinaCalendar(provisional=True)"


def test_china_calendar_is_a_business_calendar_and_copyable() -> None:
    assert isinstance(CN, BusinessCalendar)
    for clone in (pickle.loads(pickle.dumps(CN)), copy.deepcopy(CN), copy.copy(CN)):
        assert clone.is_workday(date(2026, 2, 14))
        assert clone.name == "CN"
    clone = pickle.loads(pickle.dumps(ChinaCalendar(official_years=[2026], provisional=True)))
    assert clone.is_provisional(date(2025, 1, 2))
    assert not clone.is_provisional(date(2026, 1, 2))


def test_is_workday_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        CN.is_workday(datetime(2026, 2, 14, 9, 0))


def test_import_is_cheap_and_construction_is_lazy() -> None:
    code = (
        "import sys\n"
        "import aftersales_core.calendar as c\n"
        "assert 'holidays' not in sys.modules, 'imported at module import'\n"
        "cal = c.ChinaCalendar()\n"
        "assert 'holidays' not in sys.modules, 'imported in __init__'\n"
        "assert cal.is_workday(c.date(2026, 2, 14))\n"
        "assert 'holidays' in sys.modules\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# --------------------------------------------------------------------------- #
# TableCalendar
# --------------------------------------------------------------------------- #

TABLE = TableCalendar(
    name="ACME",
    start=date(2026, 1, 1),
    end=date(2026, 1, 31),
    holidays=frozenset({date(2026, 1, 1), date(2026, 1, 2)}),
    workdays=frozenset({date(2026, 1, 4)}),
)


def test_table_default_weekend_rule() -> None:
    plain = TableCalendar("plain", date(2026, 3, 1), date(2026, 3, 31), frozenset(), frozenset())
    assert [plain.is_workday(date(2026, 3, d)) for d in range(2, 9)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert not plain.is_provisional(date(2026, 3, 7))


def test_table_overrides() -> None:
    assert not TABLE.is_workday(date(2026, 1, 1))  # Thursday holiday
    assert not TABLE.is_workday(date(2026, 1, 2))  # Friday holiday
    assert not TABLE.is_workday(date(2026, 1, 3))  # Saturday
    assert TABLE.is_workday(date(2026, 1, 4))  # Sunday make-up
    assert TABLE.is_workday(date(2026, 1, 5))
    assert isinstance(TABLE, BusinessCalendar)


def test_table_outside_coverage_raises() -> None:
    assert TABLE.covers(date(2026, 1, 31))
    assert not TABLE.covers(date(2026, 2, 1))
    with pytest.raises(CalendarNotCovered, match=r"2026-02-01.*2026-01-01\.\.2026-01-31"):
        TABLE.is_workday(date(2026, 2, 1))
    with pytest.raises(CalendarNotCovered):
        TABLE.is_workday(date(2025, 12, 31))


def test_table_repr_reads_like_the_call() -> None:
    assert repr(TABLE).startswith("TableCalendar(name='ACME', start=datetime.date(2026, 1, 1),")
    assert eval(repr(TABLE), {"TableCalendar": TableCalendar, "datetime": __import__("datetime")}) == TABLE


def test_table_accepts_plain_sets_and_defaults() -> None:
    cal = TableCalendar("x", date(2026, 1, 1), date(2026, 1, 31), {date(2026, 1, 1)})
    assert cal.holidays == frozenset({date(2026, 1, 1)})
    assert cal.workdays == frozenset()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": date(2026, 2, 1), "end": date(2026, 1, 1)}, "end"),
        (
            {"holidays": frozenset({date(2026, 1, 5)}), "workdays": frozenset({date(2026, 1, 5)})},
            "workdays",
        ),
        ({"holidays": frozenset({date(2025, 12, 31)})}, "holidays"),
        ({"workdays": frozenset({date(2026, 2, 7)})}, "workdays"),
        ({"name": ""}, "name"),
        ({"start": datetime(2026, 1, 1)}, "start"),
        ({"holidays": frozenset({datetime(2026, 1, 5)})}, "holidays"),
    ],
)
def test_table_validation(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "name": "bad",
        "start": date(2026, 1, 1),
        "end": date(2026, 1, 31),
        "holidays": frozenset(),
        "workdays": frozenset(),
        **kwargs,
    }
    with pytest.raises(PolicyConfigError) as info:
        TableCalendar(**args)  # type: ignore[arg-type]
    assert info.value.path == field


def test_table_from_rows() -> None:
    start = date(2026, 1, 1)
    rows = [(start + timedelta(days=i), CN.is_workday(start + timedelta(days=i))) for i in range(60)]
    cal = TableCalendar.from_rows("ERP", reversed(rows))
    assert (cal.start, cal.end) == (date(2026, 1, 1), date(2026, 3, 1))
    assert cal.name == "ERP"
    for day, working in rows:
        assert cal.is_workday(day) == working
    assert date(2026, 2, 14) in cal.workdays
    assert date(2026, 2, 16) in cal.holidays
    assert date(2026, 2, 15) not in cal.holidays  # Sunday: off by the default rule
    assert add_workdays(cal, date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_table_from_rows_errors() -> None:
    with pytest.raises(PolicyConfigError, match="2026-01-03") as info:
        TableCalendar.from_rows(
            "x", [(date(2026, 1, 1), True), (date(2026, 1, 2), True), (date(2026, 1, 4), False)]
        )
    assert info.value.path == "rows"
    with pytest.raises(PolicyConfigError) as info:
        TableCalendar.from_rows("x", [])
    assert info.value.path == "rows"
    with pytest.raises(PolicyConfigError) as info:
        TableCalendar.from_rows("x", [(date(2026, 1, 1), True), (date(2026, 1, 1), False)])
    assert info.value.path == "rows[1]"
    with pytest.raises(PolicyConfigError) as info:
        TableCalendar.from_rows("x", [(date(2026, 1, 1), "yes")])  # type: ignore[list-item]
    assert info.value.path == "rows[0]"
    # Duplicates with the same answer are fine; 0/1 flags are accepted.
    cal = TableCalendar.from_rows("x", [(date(2026, 1, 1), 0), (date(2026, 1, 1), False)])  # type: ignore[list-item]
    assert not cal.is_workday(date(2026, 1, 1))


# --------------------------------------------------------------------------- #
# Whole-day arithmetic
# --------------------------------------------------------------------------- #


def test_add_workdays_edges() -> None:
    assert add_workdays(CN, date(2026, 2, 13), 0) == date(2026, 2, 13)
    assert add_workdays(CN, date(2026, 2, 15), 0) == date(2026, 2, 24)
    with pytest.raises(ValueError, match="n must be"):
        add_workdays(CN, date(2026, 2, 13), -1)
    with pytest.raises(CalendarNotCovered, match="2027-01-01"):
        add_workdays(CN, date(2026, 12, 30), 3)


def test_add_workdays_gives_up_on_a_calendar_without_working_days() -> None:
    class Never:
        name = "never"

        def is_workday(self, day: date, /) -> bool:
            return False

        def is_provisional(self, day: date, /) -> bool:
            return False

        def covers(self, day: date, /) -> bool:
            return True

    with pytest.raises(ValueError, match="no working day"):
        add_workdays(Never(), date(2026, 1, 1), 1)
    with pytest.raises(ValueError, match="no working day"):
        add_working_seconds(Never(), at(2026, 1, 1), 1)


def test_workdays_between_edges() -> None:
    assert workdays_between(CN, date(2026, 2, 27), date(2026, 2, 13)) == 0
    assert workdays_between(CN, date(2026, 2, 13), date(2026, 2, 13)) == 0
    assert workdays_between(CN, date(2026, 2, 14), date(2026, 2, 24)) == 1


# --------------------------------------------------------------------------- #
# Working time
# --------------------------------------------------------------------------- #


def test_working_hours_validation() -> None:
    assert OFFICE.seconds_per_day == 9 * 3600
    with pytest.raises(PolicyConfigError) as info:
        WorkingHours(time(17, 30), time(8, 30))
    assert info.value.path == "end"
    with pytest.raises(PolicyConfigError):
        WorkingHours(time(9), time(9))
    with pytest.raises(PolicyConfigError) as info:
        WorkingHours(time(9, tzinfo=UTC), time(17))
    assert info.value.path == "start"


def test_working_seconds_across_spring_festival() -> None:
    a = at(2026, 2, 13, 17, 0)  # Friday 17:00
    b = at(2026, 2, 24, 9, 30)  # Tuesday after the holiday
    expected = 30 * 60 + 9 * 3600 + 3600  # Fri 30 min + make-up Sat + Tue 1 h
    assert working_seconds_between(CN, a, b, OFFICE) == expected
    assert add_working_seconds(CN, a, expected, OFFICE) == b
    # Whole days: Fri 7 h + Sat 24 h + Tue 9.5 h.
    assert working_seconds_between(CN, a, b) == 7 * 3600 + 24 * 3600 + 9 * 3600 + 1800


def test_add_working_seconds_boundaries() -> None:
    start = at(2026, 3, 2, 8, 30)  # Monday
    assert add_working_seconds(CN, start, 0, OFFICE) == start
    assert add_working_seconds(CN, start, 9 * 3600, OFFICE) == at(2026, 3, 2, 17, 30)
    assert add_working_seconds(CN, start, 9 * 3600 + 1, OFFICE) == at(2026, 3, 3, 8, 30, 1)
    assert add_working_seconds(CN, at(2026, 3, 6, 20), 60, OFFICE) == at(2026, 3, 9, 8, 31)
    assert add_working_seconds(CN, at(2026, 3, 6, 12), 12 * 3600) == at(2026, 3, 7, 0, 0)
    with pytest.raises(ValueError, match="seconds"):
        add_working_seconds(CN, start, -1)


def test_no_lookup_of_a_day_outside_the_window() -> None:
    # b is midnight of 2027-01-01, which CN does not cover: not looked up.
    a = at(2026, 12, 31, 12)
    assert working_seconds_between(CN, a, at(2027, 1, 1)) == 12 * 3600
    assert add_working_seconds(CN, a, 12 * 3600) == at(2027, 1, 1)
    with pytest.raises(CalendarNotCovered):
        working_seconds_between(CN, a, at(2027, 1, 1, 0, 0, 1))


def test_timezones_and_naive_datetimes() -> None:
    a = at(2026, 3, 2, 9)
    b_utc = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in China
    assert working_seconds_between(CN, a, b_utc, OFFICE) == 3600
    result = add_working_seconds(CN, a, 3600, OFFICE)
    assert result.tzinfo is CHINA_TZ
    assert result == b_utc
    with pytest.raises(ValueError, match="timezone-aware"):
        working_seconds_between(CN, datetime(2026, 3, 2, 9), b_utc)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_seconds(CN, datetime(2026, 3, 2, 9), 10)
    # Sub-second parts are truncated (second granularity).
    assert working_seconds_between(CN, a.replace(microsecond=900_000), a + timedelta(seconds=1)) == 1


def test_end_of_workday() -> None:
    assert end_of_workday(date(2026, 2, 27), OFFICE, CHINA_TZ) == at(2026, 2, 27, 17, 30)
    due = end_of_workday(date(2026, 2, 27), None, CHINA_TZ)
    assert due == at(2026, 2, 27, 23, 59, 59)
    assert due.date() == date(2026, 2, 27)
    assert due.tzinfo is CHINA_TZ


def test_china_tz() -> None:
    assert CHINA_TZ.utcoffset(None) == timedelta(hours=8)
    assert CHINA_TZ.tzname(None) == "Asia/Shanghai"
    assert timezone(timedelta(hours=8)) == CHINA_TZ


# --------------------------------------------------------------------------- #
# check_coverage
# --------------------------------------------------------------------------- #

ONLY_2026 = TableCalendar("only-2026", date(2026, 1, 1), date(2026, 12, 31))
INTO_2027 = TableCalendar("into-2027", date(2026, 1, 1), date(2027, 1, 31))


def test_check_coverage_december_branches() -> None:
    check_coverage(ONLY_2026, date(2026, 11, 30))  # not December yet: fine
    with pytest.raises(CalendarNotCovered) as info:
        check_coverage(ONLY_2026, date(2026, 12, 1))
    assert info.value.day == date(2027, 1, 1)
    assert info.value.calendar == "only-2026"
    check_coverage(INTO_2027, date(2026, 12, 1))
    check_coverage(INTO_2027, date(2026, 12, 31))


def test_check_coverage_today_not_covered() -> None:
    with pytest.raises(CalendarNotCovered) as info:
        check_coverage(ONLY_2026, date(2027, 3, 1))
    assert info.value.day == date(2027, 3, 1)


def test_check_coverage_china_calendar() -> None:
    today = date(2026, 12, 15)
    if CN.covers(date(2027, 1, 1)):
        check_coverage(CN, today)
    else:
        with pytest.raises(CalendarNotCovered, match="2027-01-01"):
            check_coverage(CN, today)
    check_coverage(CN, date(2026, 6, 1))
    check_coverage(ChinaCalendar(official_years=range(2025, 2028)), today)
    check_coverage(ChinaCalendar(provisional=True), today)


def test_check_coverage_with_a_calendar_that_does_not_raise() -> None:
    class Sloppy:
        name = "sloppy"

        def is_workday(self, day: date, /) -> bool:
            return True

        def is_provisional(self, day: date, /) -> bool:
            return False

        def covers(self, day: date, /) -> bool:
            return day.year < 2027

    with pytest.raises(CalendarNotCovered, match="sloppy"):
        check_coverage(Sloppy(), date(2026, 12, 2))


# --------------------------------------------------------------------------- #
# Properties
# --------------------------------------------------------------------------- #

FIRST, LAST = date(2025, 1, 1), date(2026, 12, 31)

weekdays_2025_26 = st.dates(FIRST, LAST).filter(lambda d: d.weekday() < 5)
weekends_2025_26 = st.dates(FIRST, LAST).filter(lambda d: d.weekday() >= 5)

table_calendars = st.builds(
    TableCalendar,
    name=st.just("generated"),
    start=st.just(FIRST),
    end=st.just(LAST),
    holidays=st.frozensets(weekdays_2025_26, max_size=40),
    workdays=st.frozensets(weekends_2025_26, max_size=20),
)
calendars = st.one_of(st.just(CN), table_calendars)
# Late enough in 2026 to cross National Day, early enough that 25 working days
# stay inside 2026 on every generated calendar.
starts = st.dates(FIRST, date(2026, 11, 1))
counts = st.integers(min_value=1, max_value=25)


def _clock(seconds: int) -> time:
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


hours_options = st.one_of(
    st.none(),
    st.just(OFFICE),
    st.integers(0, 86398).flatmap(
        lambda s: st.integers(s + 1, 86399).map(lambda e: WorkingHours(_clock(s), _clock(e)))
    ),
)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 10, 31), timezones=st.just(CHINA_TZ)
).map(lambda d: d.replace(microsecond=0))
spans = st.integers(min_value=0, max_value=40 * 86400)


def _bounded(seconds: int, hours: WorkingHours | None) -> int:
    """At most ~20 working days' worth, so results stay inside 2026."""
    per_day = 86400 if hours is None else hours.seconds_per_day
    return seconds % (20 * per_day + 1)


@PROPS
@given(calendars, starts, counts)
def test_add_workdays_lands_on_a_workday_n_workdays_later(cal: BusinessCalendar, start: date, n: int) -> None:
    result = add_workdays(cal, start, n)
    assert result > start
    assert cal.is_workday(result)
    assert workdays_between(cal, start, result) == n
    assert workdays_between(cal, start, result - timedelta(days=1)) == n - 1


@PROPS
@given(calendars, starts)
def test_add_zero_workdays(cal: BusinessCalendar, start: date) -> None:
    result = add_workdays(cal, start, 0)
    assert result >= start
    assert cal.is_workday(result)
    assert (result == start) == cal.is_workday(start)
    assert workdays_between(cal, start, result) == (0 if result == start else 1)


@PROPS
@given(calendars, starts, starts, counts)
def test_add_workdays_is_monotone_in_start(cal: BusinessCalendar, a: date, b: date, n: int) -> None:
    a, b = min(a, b), max(a, b)
    assert add_workdays(cal, a, n) <= add_workdays(cal, b, n)


@PROPS
@given(calendars, instants, spans, hours_options)
def test_add_working_seconds_inverts_working_seconds_between(
    cal: BusinessCalendar, start: datetime, seconds: int, hours: WorkingHours | None
) -> None:
    seconds = _bounded(seconds, hours)
    end = add_working_seconds(cal, start, seconds, hours)
    assert end >= start
    assert working_seconds_between(cal, start, end, hours) == seconds
    if seconds:
        # Earliest such instant: one second earlier is one working second short.
        assert working_seconds_between(cal, start, end - ONE_SECOND, hours) == seconds - 1


@PROPS
@given(calendars, instants, spans, hours_options)
def test_working_seconds_between_inverts_add(
    cal: BusinessCalendar, a: datetime, span: int, hours: WorkingHours | None
) -> None:
    b = a + timedelta(seconds=span)
    w = working_seconds_between(cal, a, b, hours)
    assert 0 <= w <= span
    end = add_working_seconds(cal, a, w, hours)
    assert end <= b
    assert working_seconds_between(cal, a, end, hours) == w


@PROPS
@given(calendars, instants, spans, spans, hours_options)
def test_working_seconds_between_is_additive(
    cal: BusinessCalendar, a: datetime, s1: int, s2: int, hours: WorkingHours | None
) -> None:
    b = a + timedelta(seconds=s1)
    c = b + timedelta(seconds=s2)
    w_ab = working_seconds_between(cal, a, b, hours)
    w_bc = working_seconds_between(cal, b, c, hours)
    assert w_ab >= 0
    assert w_bc >= 0
    assert working_seconds_between(cal, a, c, hours) == w_ab + w_bc
    assert working_seconds_between(cal, c, a, hours) == 0


@PROPS
@given(calendars, instants, hours_options)
def test_a_second_counts_only_on_working_days_within_hours(
    cal: BusinessCalendar, t: datetime, hours: WorkingHours | None
) -> None:
    counted = working_seconds_between(cal, t, t + ONE_SECOND, hours)
    in_hours = hours is None or hours.start <= t.timetz().replace(tzinfo=None) < hours.end
    assert counted == (1 if cal.is_workday(t.date()) and in_hours else 0)


@PROPS
@given(calendars, instants, spans)
def test_hours_never_count_more_than_whole_days(cal: BusinessCalendar, a: datetime, span: int) -> None:
    b = a + timedelta(seconds=span)
    assert working_seconds_between(cal, a, b, OFFICE) <= working_seconds_between(cal, a, b)

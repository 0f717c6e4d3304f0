"""Working-day calendars and working-time arithmetic (SLA-1).

Deadlines count **working days** on the mainland-China calendar: public holidays
are off and the official make-up working days (调休, weekend days declared
working days by the State Council) are on. The calendar is a port
(:class:`BusinessCalendar`); this module ships two implementations:

* :class:`ChinaCalendar` — the default, backed by the maintained ``holidays``
  package, restricted to the years for which that package carries the official
  State Council schedule (outside them it raises :class:`CalendarNotCovered`
  unless built with ``provisional=True``);
* :class:`TableCalendar` — filled by an ERP from its own 工作日历 (working-day
  table), e.g. with :meth:`TableCalendar.from_rows`.

On top of any calendar:

* :func:`add_workdays` / :func:`workdays_between` — whole working days;
* :func:`add_working_seconds` / :func:`working_seconds_between` — working time
  at second granularity, either whole working days or within
  :class:`WorkingHours`;
* :func:`end_of_workday` — the instant a working day ends (a deadline's due
  instant);
* :func:`check_coverage` — a health check that warns in December when next
  year's calendar is missing.

Importing this module does not import ``holidays``; :class:`ChinaCalendar`
imports and builds it on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol, Self, runtime_checkable

import attrs

from aftersales_core.clock import CHINA_TZ
from aftersales_core.errors import CalendarNotCovered, PolicyConfigError

__all__ = [
    "CHINA_TZ",
    "BusinessCalendar",
    "ChinaCalendar",
    "TableCalendar",
    "WorkingHours",
    "add_workdays",
    "add_working_seconds",
    "check_coverage",
    "end_of_workday",
    "workdays_between",
    "working_seconds_between",
]

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)
_UTC = UTC
_MIDNIGHT = time(0, 0)
_LAST_SECOND = time(23, 59, 59)

#: Arithmetic gives up (``ValueError``) after this many consecutive days without
#: working time, so that a calendar with no working days cannot loop forever.
_MAX_GAP_DAYS = 400


# --------------------------------------------------------------------------- #
# The port
# --------------------------------------------------------------------------- #


@runtime_checkable
class BusinessCalendar(Protocol):
    """The calendar port: tells working days from days off.

    The library only ever asks a calendar these four things, so an ERP can plug
    in its own 工作日历 (working-day calendar) by implementing them — or simply
    fill a :class:`TableCalendar`. The default is :class:`ChinaCalendar`.

    Contract:

    ``name``
        A short label for messages and logs (e.g. ``"CN"``, ``"ACME-2026"``).
    ``is_workday(day)``
        ``True`` for a working day, ``False`` for a day off (weekend, public
        holiday). A weekend day declared a working day (调休 make-up day) is a
        working day. It must raise :class:`~aftersales_core.errors.CalendarNotCovered`
        for a day outside the calendar's official data rather than guess, so a
        deadline is never computed from invented holidays. It is called many
        times per deadline: make it cheap (memoize if the lookup is not).
        ``day`` is a :class:`datetime.date` (not a ``datetime``).
    ``is_provisional(day)``
        ``True`` when the answer ``is_workday(day)`` gives is a guess (the host
        opted in to answering outside the official data); ``False`` for official
        answers and for calendars that never guess.
    ``covers(day)``
        ``True`` exactly when ``is_workday(day)`` answers without raising.
        Never raises.

    Answers must be stable for the lifetime of the object (they may be cached
    by callers); load a new calendar object to pick up a new year's schedule.
    """

    @property
    def name(self) -> str:
        """A short label for the calendar, used in messages."""
        ...

    def is_workday(self, day: date, /) -> bool:
        """Whether ``day`` is a working day; raises ``CalendarNotCovered`` outside the data."""
        ...

    def is_provisional(self, day: date, /) -> bool:
        """Whether the answer for ``day`` is a guess rather than official data."""
        ...

    def covers(self, day: date, /) -> bool:
        """Whether ``is_workday(day)`` answers without raising."""
        ...


# --------------------------------------------------------------------------- #
# TableCalendar
# --------------------------------------------------------------------------- #


def _date_set(values: Iterable[date]) -> frozenset[date]:
    return frozenset(values)


def _check_plain_date(field: str, value: object) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise PolicyConfigError(field, f"must be a datetime.date (not a datetime), got {value!r}")


@attrs.frozen
class TableCalendar:
    """A calendar given as a table, e.g. exported from an ERP's 工作日历.

    Inside the coverage ``[start, end]`` (both inclusive) Monday–Friday are
    working days and Saturday/Sunday are off, except that

    * ``holidays`` lists the weekdays that are off (public holidays, 调休 days off),
    * ``workdays`` lists the weekend days that are working days (调休 make-up days).

    (A Saturday in ``holidays`` or a Wednesday in ``workdays`` is redundant and
    accepted.) Outside the coverage :meth:`is_workday` raises
    :class:`~aftersales_core.errors.CalendarNotCovered`.

    >>> cal = TableCalendar(
    ...     name="ACME",
    ...     start=date(2026, 1, 1),
    ...     end=date(2026, 12, 31),
    ...     holidays=frozenset({date(2026, 1, 1), date(2026, 1, 2)}),
    ...     workdays=frozenset({date(2026, 1, 4)}),
    ... )
    >>> cal.is_workday(date(2026, 1, 2)), cal.is_workday(date(2026, 1, 4))
    (False, True)

    Invalid tables raise :class:`~aftersales_core.errors.PolicyConfigError`
    naming the field.
    """

    name: str
    start: date
    end: date
    holidays: frozenset[date] = attrs.field(factory=frozenset, converter=_date_set)
    workdays: frozenset[date] = attrs.field(factory=frozenset, converter=_date_set)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise PolicyConfigError("name", f"must be a non-empty string, got {self.name!r}")
        _check_plain_date("start", self.start)
        _check_plain_date("end", self.end)
        if self.start > self.end:
            raise PolicyConfigError(
                "end",
                f"coverage end {self.end.isoformat()} is before start {self.start.isoformat()}",
            )
        for field in ("holidays", "workdays"):
            days: frozenset[date] = getattr(self, field)
            for day in sorted(days, key=repr):
                _check_plain_date(field, day)
            outside = sorted(d for d in days if not self.start <= d <= self.end)
            if outside:
                raise PolicyConfigError(
                    field,
                    f"{outside[0].isoformat()} is outside the coverage {self.coverage}"
                    + (f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""),
                )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise PolicyConfigError(
                "workdays",
                f"{both[0].isoformat()} is listed in both holidays and workdays"
                + (f" (and {len(both) - 1} more)" if len(both) > 1 else ""),
            )

    @classmethod
    def from_rows(cls, name: str, rows: Iterable[tuple[date, bool]]) -> Self:
        """Build a calendar from ``(day, is_workday)`` rows, one per day.

        This is the shape of a typical ERP calendar export. The coverage is the
        first to the last day in the rows; every day in between must appear
        (in any order). A day may repeat with the same answer; conflicting
        answers, missing days or no rows raise ``PolicyConfigError``.
        ``is_workday`` must be a ``bool`` (``0``/``1`` are accepted too).
        """
        seen: dict[date, bool] = {}
        for index, row in enumerate(rows):
            where = f"rows[{index}]"
            try:
                day, flag = row
            except (TypeError, ValueError):
                raise PolicyConfigError(where, f"must be a (date, is_workday) pair, got {row!r}") from None
            _check_plain_date(where, day)
            if isinstance(flag, bool):
                working = flag
            elif isinstance(flag, int) and flag in (0, 1):
                working = bool(flag)
            else:
                raise PolicyConfigError(where, f"is_workday must be a bool, got {flag!r}")
            previous = seen.setdefault(day, working)
            if previous != working:
                raise PolicyConfigError(
                    where, f"{day.isoformat()} is listed both as a working day and as a day off"
                )
        if not seen:
            raise PolicyConfigError("rows", "no rows given; the calendar would cover no day")
        start, end = min(seen), max(seen)
        expected = (end - start).days + 1
        if len(seen) != expected:
            first_missing = next(
                start + timedelta(days=i) for i in range(expected) if start + timedelta(days=i) not in seen
            )
            raise PolicyConfigError(
                "rows",
                f"{expected - len(seen)} day(s) missing between {start.isoformat()} and "
                f"{end.isoformat()}, the first is {first_missing.isoformat()}",
            )
        return cls(
            name=name,
            start=start,
            end=end,
            holidays=frozenset(d for d, w in seen.items() if not w and d.weekday() < 5),
            workdays=frozenset(d for d, w in seen.items() if w and d.weekday() >= 5),
        )

    @property
    def coverage(self) -> str:
        """The covered range as text, e.g. ``"2026-01-01..2026-12-31"``."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def is_workday(self, day: date, /) -> bool:
        """Whether ``day`` is a working day; raises ``CalendarNotCovered`` outside the coverage."""
        if day < self.start or day > self.end:
            raise CalendarNotCovered(day, self.name, self.coverage)
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def is_provisional(self, day: date, /) -> bool:
        """Always ``False``: a table calendar never guesses."""
        return False

    def covers(self, day: date, /) -> bool:
        """Whether ``day`` is within ``[start, end]``."""
        return self.start <= day <= self.end


# --------------------------------------------------------------------------- #
# ChinaCalendar
# --------------------------------------------------------------------------- #


def _is_substitution(entry: object) -> bool:
    """Whether a ``special_*`` entry of ``holidays`` is a 调休 substitution.

    ``holidays`` writes special days as ``(month, day, name)`` and substituted
    days off as ``(to_month, to_day, from_month, from_day[, from_year])``: the
    weekend day ``from_*`` becomes a working day and ``to_*`` a day off.
    """
    return (
        isinstance(entry, tuple)
        and len(entry) in (4, 5)
        and all(isinstance(x, int) and not isinstance(x, bool) for x in entry)
    )


def _derive_official_years(package_calendar: object) -> frozenset[int]:
    """Years for which ``holidays`` carries the State Council's official schedule.

    The ``holidays`` package models each year's 放假调休 notice as substitution
    entries in its ``special_*`` tables (``special_public_holidays`` on the
    China class in current versions), keyed by year. For years without a
    notice it silently *estimates* from the statutory holidays alone (no
    make-up working days), which is wrong for SLA deadlines.

    So: every year with at least one substitution entry is official, and so is
    every year between the first and the last of those (the package documents
    that it is checked against each official notice from 2001 onwards; the
    fill-in only matters for a hypothetical year whose notice declared no
    make-up day). The scan looks at every ``special_*`` dict on the instance,
    as ``holidays`` itself does, so a renamed or split table is still found.
    If nothing is found (the package changed its internals), no year is
    official and every day raises ``CalendarNotCovered`` — fail closed; pass
    ``official_years=`` to :class:`ChinaCalendar` in that case.
    """
    years: set[int] = set()
    for attribute in dir(package_calendar):
        if not attribute.startswith("special_"):
            continue
        table = getattr(package_calendar, attribute, None)
        if not isinstance(table, dict):
            continue
        for year, entries in table.items():
            if not isinstance(year, int) or not isinstance(entries, tuple) or not entries:
                continue
            # One entry may be given bare instead of as a tuple of entries.
            items: tuple[object, ...] = entries if isinstance(entries[0], tuple) else (entries,)
            if any(_is_substitution(item) for item in items):
                years.add(year)
    if not years:
        return frozenset()
    return frozenset(range(min(years), max(years) + 1))


def _years_text(years: frozenset[int]) -> str:
    """``{2001, ..., 2026, 2030}`` -> ``"2001-2026, 2030"``."""
    if not years:
        return "no year"
    ordered = sorted(years)
    parts: list[str] = []
    first = last = ordered[0]
    for year in ordered[1:]:
        if year == last + 1:
            last = year
            continue
        parts.append(str(first) if first == last else f"{first}-{last}")
        first = last = year
    parts.append(str(first) if first == last else f"{first}-{last}")
    return ", ".join(parts)


class ChinaCalendar:
    """The mainland-China working-day calendar (public holidays and 调休).

    Backed by the ``holidays`` package (``holidays.country_holidays("CN")``),
    whose ``is_working_day`` knows both the days off and the weekend make-up
    working days from each year's State Council notice.

    ``holidays`` answers for any year, estimating the years for which no notice
    exists yet. This adapter only answers for the *official* years — by default
    derived from the package's own substitution tables (see
    :func:`_derive_official_years`; with ``holidays`` 0.109 that is 2001–2026)
    — and raises :class:`~aftersales_core.errors.CalendarNotCovered` for other
    days. Pass ``official_years=`` to override the derived set.

    With ``provisional=True`` days in other years are answered anyway, from the
    package's estimate (plain Monday–Friday outside the package's year range),
    :meth:`is_provisional` is ``True`` for them, and ``name`` becomes
    ``"CN (provisional)"``.

    The ``holidays`` object is built, and the package imported, on first use;
    answers are memoized per day, so repeated lookups cost a dict lookup. Safe
    to share between threads.

    >>> cal = ChinaCalendar()
    >>> cal.is_workday(date(2026, 2, 14))  # Saturday, make-up working day
    True
    >>> cal.is_workday(date(2026, 2, 16))  # Spring Festival
    False
    """

    __slots__ = (
        "_covered",
        "_explicit_years",
        "_lock",
        "_memo",
        "_official",
        "_package",
        "_package_years",
        "_provisional",
    )

    _memo: dict[date, bool]
    _lock: threading.Lock
    _explicit_years: frozenset[int] | None
    _official: frozenset[int] | None
    _provisional: bool
    _package: Any
    _package_years: tuple[int, int]
    _covered: str

    def __init__(self, *, official_years: Iterable[int] | None = None, provisional: bool = False) -> None:
        explicit: frozenset[int] | None = None
        if official_years is not None:
            explicit = frozenset(official_years)
            for year in explicit:
                if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
                    raise PolicyConfigError("official_years", f"must be years (int 1..9999), got {year!r}")
        self._setup(explicit, bool(provisional))

    def _setup(self, explicit: frozenset[int] | None, provisional: bool) -> None:
        self._explicit_years = explicit
        self._official = explicit
        self._provisional = provisional
        self._memo = {}
        self._lock = threading.Lock()
        self._package = None
        self._package_years = (1, 9999)
        self._covered = ""

    # -- pickling / copying: the lock and the caches are rebuilt ------------- #

    def __getstate__(self) -> tuple[frozenset[int] | None, bool]:
        return (self._explicit_years, self._provisional)

    def __setstate__(self, state: tuple[frozenset[int] | None, bool]) -> None:
        explicit, provisional = state
        self._setup(explicit, provisional)

    def __repr__(self) -> str:
        args: list[str] = []
        if self._explicit_years is not None:
            args.append(f"official_years={sorted(self._explicit_years)!r}")
        if self._provisional:
            args.append("provisional=True")
        return f"ChinaCalendar({', '.join(args)})"

    # -- lazy state ----------------------------------------------------------- #

    def _load(self) -> Any:
        """Import ``holidays`` and build the China calendar (once)."""
        package = self._package
        if package is not None:
            return package
        with self._lock:
            if self._package is None:
                import holidays  # lazy on purpose: keeps `import aftersales_core.calendar` cheap

                built = holidays.country_holidays("CN")
                official = self._official
                if official is None:
                    official = _derive_official_years(built)
                    self._official = official
                self._covered = (
                    f"official years {_years_text(official)} "
                    f"per holidays {getattr(holidays, '__version__', '?')}"
                )
                self._package_years = (
                    int(getattr(built, "start_year", 1)),
                    int(getattr(built, "end_year", 9999)),
                )
                self._package = built
            return self._package

    def _official_years(self) -> frozenset[int]:
        official = self._official
        if official is None:
            self._load()
            official = self._official
            assert official is not None
        return official

    # -- the port ------------------------------------------------------------- #

    @property
    def name(self) -> str:
        """``"CN"``, or ``"CN (provisional)"`` when answering outside official years."""
        return "CN (provisional)" if self._provisional else "CN"

    @property
    def provisional(self) -> bool:
        """Whether days outside the official years are answered (as guesses)."""
        return self._provisional

    @property
    def official_years(self) -> frozenset[int]:
        """The years answered from official data (derived on first use unless given)."""
        return self._official_years()

    def is_workday(self, day: date, /) -> bool:
        """Whether ``day`` is a working day in mainland China.

        Raises ``CalendarNotCovered`` for a day outside the official years
        (unless provisional). Memoized per day.
        """
        try:
            return self._memo[day]
        except KeyError:
            return self._lookup(day)

    def _lookup(self, day: date) -> bool:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"is_workday() needs a datetime.date, got {day!r}")
        package = self._load()
        official = self._official_years()
        if day.year in official:
            with self._lock:
                answer = bool(package.is_working_day(day))
        elif self._provisional:
            low, high = self._package_years
            if low <= day.year <= high:
                with self._lock:
                    answer = bool(package.is_working_day(day))
            else:
                answer = day.weekday() < 5
        else:
            raise CalendarNotCovered(day, self.name, self._covered)
        self._memo[day] = answer
        return answer

    def is_provisional(self, day: date, /) -> bool:
        """``True`` for a day answered by estimate (provisional mode, non-official year)."""
        return self._provisional and day.year not in self._official_years()

    def covers(self, day: date, /) -> bool:
        """``True`` for days in the official years, and for every day when provisional."""
        return self._provisional or day.year in self._official_years()


# --------------------------------------------------------------------------- #
# Whole working days
# --------------------------------------------------------------------------- #


def _no_working_time(calendar: BusinessCalendar, after: date) -> ValueError:
    return ValueError(
        f"calendar {calendar.name!r} has no working day in the {_MAX_GAP_DAYS} days after {after.isoformat()}"
    )


def add_workdays(calendar: BusinessCalendar, start: date, n: int) -> date:
    """The ``n``-th working day strictly after ``start``.

    ``n == 0`` returns ``start`` if it is a working day, else the next working
    day. ``n < 0`` raises ``ValueError``. Raises ``CalendarNotCovered`` when it
    has to look at a day the calendar does not cover (``start`` itself is only
    looked at when ``n == 0``).

    >>> add_workdays(ChinaCalendar(), date(2026, 2, 13), 5)  # across Spring Festival
    datetime.date(2026, 2, 27)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    is_workday = calendar.is_workday
    day = start
    gap = 0
    if n == 0:
        while not is_workday(day):
            day += _ONE_DAY
            gap += 1
            if gap > _MAX_GAP_DAYS:
                raise _no_working_time(calendar, start)
        return day
    while True:
        day += _ONE_DAY
        if is_workday(day):
            n -= 1
            if n == 0:
                return day
            gap = 0
        else:
            gap += 1
            if gap > _MAX_GAP_DAYS:
                raise _no_working_time(calendar, start)


def workdays_between(calendar: BusinessCalendar, a: date, b: date) -> int:
    """The number of working days ``d`` with ``a < d <= b`` (``0`` if ``b <= a``).

    So ``workdays_between(cal, start, add_workdays(cal, start, n)) == n`` for ``n >= 1``.
    """
    is_workday = calendar.is_workday
    count = 0
    day = a + _ONE_DAY
    while day <= b:
        if is_workday(day):
            count += 1
        day += _ONE_DAY
    return count


# --------------------------------------------------------------------------- #
# Working time
# --------------------------------------------------------------------------- #


def _check_wall_time(field: str, value: object) -> None:
    if not isinstance(value, time):
        raise PolicyConfigError(field, f"must be a datetime.time, got {value!r}")
    if value.tzinfo is not None:
        raise PolicyConfigError(field, "must be a wall-clock time without tzinfo")
    if value.microsecond:
        raise PolicyConfigError(field, "must be a whole second")


@attrs.frozen
class WorkingHours:
    """Daily working hours ``[start, end)`` on working days, e.g. 08:30–17:30.

    Wall-clock times (no tzinfo, whole seconds), interpreted in the timezone of
    the datetimes they are used with. ``start < end``; a working day with no
    hours limit is expressed by passing ``hours=None`` instead.
    """

    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        _check_wall_time("start", self.start)
        _check_wall_time("end", self.end)
        if not self.start < self.end:
            raise PolicyConfigError(
                "end",
                f"working hours must end after they start, got "
                f"{self.start.isoformat()}-{self.end.isoformat()}",
            )

    @property
    def seconds_per_day(self) -> int:
        """Working seconds in one working day (``32400`` for 08:30–17:30)."""
        return (self.end.hour * 3600 + self.end.minute * 60 + self.end.second) - (
            self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        )


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _window(day: date, hours: WorkingHours | None, tz: tzinfo) -> tuple[datetime, datetime]:
    """The working-time window of ``day`` (if it is a working day), in UTC."""
    if hours is None:
        opens = datetime.combine(day, _MIDNIGHT, tzinfo=tz)
        closes = datetime.combine(day + _ONE_DAY, _MIDNIGHT, tzinfo=tz)
    else:
        opens = datetime.combine(day, hours.start, tzinfo=tz)
        closes = datetime.combine(day, hours.end, tzinfo=tz)
    return opens.astimezone(_UTC), closes.astimezone(_UTC)


def working_seconds_between(
    calendar: BusinessCalendar,
    a: datetime,
    b: datetime,
    hours: WorkingHours | None = None,
) -> int:
    """Working seconds in ``[a, b)``; ``0`` if ``b <= a``.

    A working day's working time is the whole day ``[00:00, 24:00)`` when
    ``hours`` is ``None``, else ``[hours.start, hours.end)``, as wall-clock
    times in the timezone of ``a`` (``b`` is converted to it; both must be
    timezone-aware). Elapsed time is measured in absolute seconds, so a DST
    change inside the window counts as it really lasts.

    Granularity is one second: both instants are first truncated to the whole
    second, which keeps the count additive —
    ``w(a, c) == w(a, b) + w(b, c)`` for ``a <= b <= c``.

    Only days whose working window meets ``[a, b)`` are looked up in the
    calendar (so e.g. ``b`` at midnight does not need the next day covered).
    """
    _require_aware("a", a)
    _require_aware("b", b)
    tz = a.tzinfo
    assert tz is not None
    a_local = a.replace(microsecond=0)
    b_local = b.astimezone(tz).replace(microsecond=0)
    lo_utc = a_local.astimezone(_UTC)
    hi_utc = b_local.astimezone(_UTC)
    if hi_utc <= lo_utc:
        return 0
    is_workday = calendar.is_workday
    total = _ZERO
    day = a_local.date()
    last = b_local.date()
    while day <= last:
        opens, closes = _window(day, hours, tz)
        lo = max(opens, lo_utc)
        hi = min(closes, hi_utc)
        if hi > lo and is_workday(day):
            total += hi - lo
        day += _ONE_DAY
    return total // _ONE_SECOND


def add_working_seconds(
    calendar: BusinessCalendar,
    start: datetime,
    seconds: int,
    hours: WorkingHours | None = None,
) -> datetime:
    """The earliest instant ``t >= start`` with ``working_seconds_between(start, t) == seconds``.

    ``seconds == 0`` returns ``start`` unchanged; ``seconds < 0`` raises
    ``ValueError``. The result is in ``start``'s timezone; when the time runs
    out exactly at the end of a working window, the result is that end (e.g.
    17:30 with 08:30–17:30 hours, or the next midnight with ``hours=None``).
    Exact inverse of :func:`working_seconds_between`::

        working_seconds_between(cal, start, add_working_seconds(cal, start, s)) == s
    """
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}")
    _require_aware("start", start)
    if seconds == 0:
        return start
    tz = start.tzinfo
    assert tz is not None
    start_local = start.replace(microsecond=0)
    start_utc = start_local.astimezone(_UTC)
    remaining = timedelta(seconds=seconds)
    is_workday = calendar.is_workday
    day = start_local.date()
    gap = 0
    while True:
        opens, closes = _window(day, hours, tz)
        lo = max(opens, start_utc)
        if closes > lo and is_workday(day):
            available = closes - lo
            if remaining <= available:
                return (lo + remaining).astimezone(tz)
            remaining -= available
            gap = 0
        else:
            gap += 1
            if gap > _MAX_GAP_DAYS:
                raise _no_working_time(calendar, start_local.date())
        day += _ONE_DAY


def end_of_workday(day: date, hours: WorkingHours | None, tz: tzinfo) -> datetime:
    """The instant working day ``day`` ends, in ``tz``: a deadline's due instant.

    That is ``hours.end`` on ``day``; with ``hours=None`` it is 23:59:59 —
    the last whole second of the day, so the due instant still falls on
    ``day`` itself (a case is overdue from the next midnight on).
    """
    return datetime.combine(day, hours.end if hours is not None else _LAST_SECOND, tzinfo=tz)


# --------------------------------------------------------------------------- #
# Health check
# --------------------------------------------------------------------------- #


def check_coverage(calendar: BusinessCalendar, today: date) -> None:
    """Raise ``CalendarNotCovered`` if the calendar will soon stop answering.

    Meant for a host's health check / readiness probe or a CI job, run daily:

    * raises if the calendar does not cover ``today``;
    * in December, also raises (for January 1 of next year) if the calendar
      does not cover next year yet — the State Council publishes the next
      year's schedule in November or December, so deployments notice while
      there is still time to update the ``holidays`` package or the ERP table.

    Returns ``None`` when all is well. The error is the calendar's own (with
    its coverage) when the calendar raises one.
    """
    due = [today]
    if today.month == 12:
        due.append(date(today.year + 1, 1, 1))
    for day in due:
        if not calendar.covers(day):
            calendar.is_workday(day)  # raises the calendar's own, more detailed error
            raise CalendarNotCovered(day, calendar.name)

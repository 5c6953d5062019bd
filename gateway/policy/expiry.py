"""Transfer mechanisms that are about to expire, counted in PRC working days. Pure: ``today`` is an argument.

A working day is Monday to Friday, minus the public holidays and plus the weekend days worked in their place (调休),
as the State Council's yearly notice sets them. The table below holds the notice for 2026:

    国务院办公厅关于2026年部分节假日安排的通知 (General Office of the State Council, 4 November 2025),
    published by Xinhua on 4 November 2025, e.g. https://politics.gmw.cn/2025-11/04/content_38391083.htm

No notice for 2027 had been published when this was written (it usually appears in November of the year before):
days of a year missing from the table count Monday to Friday only, and an answer that relied on such a day says so
(``calendar_complete`` is False). Add a year's notice to ``_HOLIDAYS`` and ``_WORKED_WEEKENDS`` when it is out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from gateway.policy.compiled import CompiledPolicy

__all__ = [
    "WARNING_WORKING_DAYS",
    "Expiring",
    "calendar_years",
    "expiring_mechanisms",
    "is_working_day",
    "working_days_between",
]

WARNING_WORKING_DAYS = 60
"""A mechanism is warned about from this many working days before its last valid day (issue 6)."""


def _days(first: date, last: date) -> frozenset[date]:
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


# The 2026 notice, item by item: holidays (including the weekend days inside them) and the weekend days worked.
_HOLIDAYS: dict[int, frozenset[date]] = {
    2026: frozenset().union(
        _days(date(2026, 1, 1), date(2026, 1, 3)),  # 元旦
        _days(date(2026, 2, 15), date(2026, 2, 23)),  # 春节
        _days(date(2026, 4, 4), date(2026, 4, 6)),  # 清明节
        _days(date(2026, 5, 1), date(2026, 5, 5)),  # 劳动节
        _days(date(2026, 6, 19), date(2026, 6, 21)),  # 端午节
        _days(date(2026, 9, 25), date(2026, 9, 27)),  # 中秋节
        _days(date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
    ),
}
_WORKED_WEEKENDS: dict[int, frozenset[date]] = {
    2026: frozenset(
        {
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        }
    ),
}


def calendar_years() -> frozenset[int]:
    """The years whose State Council holiday notice is in the table."""
    return frozenset(_HOLIDAYS)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a PRC working day (Monday to Friday only, for a year not in the table)."""
    if day in _WORKED_WEEKENDS.get(day.year, frozenset()):
        return True
    if day in _HOLIDAYS.get(day.year, frozenset()):
        return False
    return day.weekday() < 5


def working_days_between(start: date, end: date) -> int:
    """The working days in ``(start, end]``: after ``start``, up to and including ``end``; 0 if ``end <= start``."""
    return sum(1 for day in _each_day(start, end) if is_working_day(day))


def _each_day(start: date, end: date) -> Iterator[date]:
    day = start + timedelta(days=1)
    while day <= end:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Expiring:
    """A held mechanism that expires soon, or has expired.

    ``working_days_left`` counts the working days after ``today`` on which it is still valid (0 on its last day);
    for an expired one it is minus the working days since it ended. ``calendar_complete`` is False when a day
    counted lies in a year whose holiday notice is not in the table (counted Monday to Friday).
    """

    recipient: str
    mechanism: str
    reference: str
    valid_until: date
    working_days_left: int
    expired: bool
    calendar_complete: bool


def expiring_mechanisms(
    policy: CompiledPolicy,
    today: date,
    *,
    within: int = WARNING_WORKING_DAYS,
    recipients: frozenset[str] | None = None,
) -> tuple[Expiring, ...]:
    """The mechanisms of ``policy``'s recipients (of ``recipients``, if given) that expire within ``within`` working
    days of ``today`` or have expired, soonest first. One not yet in force is not listed: it has not begun."""
    found: list[Expiring] = []
    known = calendar_years()
    for rid in sorted(policy.recipients):
        if recipients is not None and rid not in recipients:
            continue
        for held in policy.recipients[rid].mechanisms:
            if held.valid_from > today:
                continue
            expired = held.valid_until < today
            if not expired and (held.valid_until - today).days > 2 * within + 30:
                continue  # that many calendar days hold more than ``within`` working days, whatever the holidays
            lo, hi = (held.valid_until, today) if expired else (today, held.valid_until)
            days = working_days_between(lo, hi)
            left = -days if expired else days
            if not expired and left > within:
                continue
            complete = all(year in known for year in range(lo.year, hi.year + 1))
            found.append(Expiring(rid, held.mechanism, held.reference, held.valid_until, left, expired, complete))
    return tuple(sorted(found, key=lambda e: (e.working_days_left, e.valid_until, e.recipient, e.mechanism)))

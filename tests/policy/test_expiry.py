"""Mechanism expiry in PRC working days: the 2026 State Council calendar, and warnings within 60 working days."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.policy.compiled import CompiledPolicy, HeldMechanism, Recipient
from gateway.policy.expiry import (
    WARNING_WORKING_DAYS,
    Expiring,
    calendar_years,
    expiring_mechanisms,
    is_working_day,
    working_days_between,
)


def held(mechanism: str, until: date, *, since: date = date(2024, 1, 1)) -> HeldMechanism:
    return HeldMechanism(mechanism, f"REF-{mechanism}-{until.isoformat()}", since, until, frozenset({"PI.CONTACT"}))


def policy(**recipients: tuple[HeldMechanism, ...]) -> CompiledPolicy:
    made = {
        rid: Recipient(rid, rid.title(), "SG", "dpo@example.com", False, frozenset({"payroll"}), mechanisms)
        for rid, mechanisms in recipients.items()
    }
    return CompiledPolicy("test", "sha256:test", {}, made, (), frozenset({"application/json"}))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # 元旦, a Thursday
        (date(2026, 1, 4), True),  # a Sunday worked in its place
        (date(2026, 2, 14), True),  # Saturday worked before the Spring Festival
        (date(2026, 2, 23), False),  # Monday, the last day of the Spring Festival
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday worked after it
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2026, 5, 5), False),  # Labour Day holiday, a Tuesday
        (date(2026, 5, 9), True),
        (date(2026, 6, 19), False),  # 端午节
        (date(2026, 9, 20), True),  # Sunday worked before National Day
        (date(2026, 9, 25), False),  # 中秋节
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),
        (date(2027, 2, 8), True),  # 2027: no notice in the table yet, so Monday to Friday
        (date(2027, 2, 6), False),
    ],
)
def test_working_days_follow_the_state_council_notice(day: date, working: bool) -> None:
    """Holidays are off, the adjusted weekend days (调休) are worked, other days by the day of the week."""
    assert is_working_day(day) is working


def test_the_2026_calendar_has_248_working_days() -> None:
    """261 weekdays, minus 19 weekday holidays, plus 6 weekend days worked."""
    assert 2026 in calendar_years()
    assert working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 248


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 9, 28), date(2026, 10, 12), 6),  # across National Day: 29, 30 Sep; 8, 9, 10 (Sat), 12 Oct
        (date(2026, 2, 13), date(2026, 2, 27), 5),  # across the Spring Festival: 14 (Sat), 24-27 Feb
        (date(2027, 3, 1), date(2027, 5, 24), 60),  # twelve plain weeks
        (date(2026, 5, 1), date(2026, 5, 1), 0),
        (date(2026, 5, 8), date(2026, 5, 1), 0),
    ],
)
def test_working_days_between_counts_after_start_up_to_end(start: date, end: date, days: int) -> None:
    """The interval is (start, end]."""
    assert working_days_between(start, end) == days


def test_warnings_start_at_exactly_60_working_days() -> None:
    """60 working days left is warned about; 61 is not."""
    today = date(2027, 3, 1)
    found = expiring_mechanisms(
        policy(sg=(held("CN_SCC", date(2027, 5, 24)), held("CN_CERT", date(2027, 5, 25)))), today
    )
    assert WARNING_WORKING_DAYS == 60
    assert [(e.mechanism, e.working_days_left, e.expired) for e in found] == [("CN_SCC", 60, False)]
    assert found[0].calendar_complete is False  # 2027 counted Monday to Friday


def test_expiring_and_expired_mechanisms_soonest_first_with_their_references() -> None:
    """Expired ones first (negative days), then by working days left; a mechanism not yet in force is left out."""
    today = date(2026, 9, 28)
    p = policy(
        payroll=(held("CN_SCC", date(2026, 10, 12)), held("CN_CERT", date(2030, 1, 1))),
        crm=(
            held("CN_SCC", date(2026, 9, 25)),  # ended on the Mid-Autumn holiday: one working day ago
            held("CN_SA", date(2026, 9, 28)),  # its last valid day is today
            held("CN_CERT", date(2026, 10, 9), since=date(2026, 10, 1)),  # not yet in force
        ),
    )
    found = expiring_mechanisms(p, today)
    assert found == (
        Expiring("crm", "CN_SCC", "REF-CN_SCC-2026-09-25", date(2026, 9, 25), -1, True, True),
        Expiring("crm", "CN_SA", "REF-CN_SA-2026-09-28", date(2026, 9, 28), 0, False, True),
        Expiring("payroll", "CN_SCC", "REF-CN_SCC-2026-10-12", date(2026, 10, 12), 6, False, True),
    )
    assert [e.recipient for e in expiring_mechanisms(p, today, recipients=frozenset({"payroll"}))] == ["payroll"]


def test_a_count_reaching_into_a_year_without_a_notice_says_so() -> None:
    """From 2026 into 2027 the 2027 days are counted Monday to Friday, and the answer is marked incomplete."""
    found = expiring_mechanisms(policy(sg=(held("CN_SCC", date(2027, 1, 15)),)), date(2026, 12, 1))
    # 22 weekdays in December 2026, then 1 January 2027 (a Friday, counted: no notice yet) and 10 more
    assert [(e.working_days_left, e.calendar_complete) for e in found] == [(33, False)]


def test_a_policy_without_mechanisms_warns_of_nothing() -> None:
    assert expiring_mechanisms(policy(sg=()), date(2026, 1, 5)) == ()

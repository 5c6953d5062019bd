"""Children under 14 (PIPL Art 28: all personal information of a child under 14 is sensitive). Pure.

A Chinese resident ID carries its holder's date of birth (GB 11643-1999, characters 7 to 14), so an individual keyed
by one can be aged against the day of the transfer. PIPL counts "不满十四周岁" (under 14), not "14 and under".
"""

from __future__ import annotations

from datetime import date

from gateway.model import Classification, Finding, Subject

__all__ = ["MINOR_AGE", "MINOR_CATEGORY", "age_on", "flag_minors"]

MINOR_AGE = 14
MINOR_CATEGORY = "SPI.MINOR_U14"
AGE_DETECTOR = "age_from_resident_id"  # the detector id of the findings this module adds


def age_on(birth: date, day: date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _birth_date(subject: Subject) -> date | None:
    if subject.key_detector != "cn_resident_id":
        return None
    digits = subject.key_value.partition(":")[2]
    try:
        return date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return None


def flag_minors(classification: Classification, day: date) -> Classification:
    """``classification`` with every individual under 14 on ``day`` also carrying ``SPI.MINOR_U14``."""
    minors = []
    for subject in classification.subjects:
        birth = _birth_date(subject)
        if birth is not None and birth <= day and age_on(birth, day) < MINOR_AGE:
            minors.append(subject.pointer)
    if not minors:
        return classification
    flagged = set(minors)
    subjects = tuple(
        s._replace(categories=s.categories | {MINOR_CATEGORY}, finding_count=s.finding_count + 1)
        if s.pointer in flagged
        else s
        for s in classification.subjects
    )
    added = tuple(Finding(pointer, AGE_DETECTOR, MINOR_CATEGORY, 1.0) for pointer in minors)
    findings = tuple(sorted(classification.findings + added, key=lambda f: (f.pointer, f.start)))
    return Classification(findings, subjects, classification.opaque)

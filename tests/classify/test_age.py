"""Children under 14 found from a Chinese resident ID's birth date (PIPL Arts 28, 31: 不满十四周岁)."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.classify import scan
from gateway.classify.age import AGE_DETECTOR, MINOR_CATEGORY, age_on, flag_minors
from gateway.classify.detectors import is_cn_resident_id
from gateway.model import Classification, Finding, Json, Subject

ADULT_ID = "11010519491231002X"  # the GB 11643-1999 worked example: born 1949-12-31


def resident_id(birth: date, sequence: str = "000") -> str:
    """A constructed resident ID: region 110105 (the worked example's), the birth date, an unissued sequence 000
    (nobody's number) and the ISO 7064 MOD 11-2 check character."""
    body = f"110105{birth:%Y%m%d}{sequence}"
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
    check = (12 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


CHILD_BIRTH = date(2016, 1, 1)
CHILD_ID = resident_id(CHILD_BIRTH)


def test_constructed_ids_are_valid() -> None:
    """The helper builds IDs the detector accepts (the check character is right), and the shipped example's."""
    assert CHILD_ID == "110105201601010006"
    assert is_cn_resident_id(CHILD_ID)
    assert is_cn_resident_id(resident_id(date(2012, 2, 29)))
    assert resident_id(date(1949, 12, 31), "002") == ADULT_ID


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2016, 1, 1), date(2029, 12, 31), 13),
        (date(2016, 1, 1), date(2030, 1, 1), 14),
        (date(2016, 6, 15), date(2030, 6, 14), 13),
        (date(2016, 6, 15), date(2030, 6, 15), 14),
        (date(2012, 2, 29), date(2026, 2, 28), 13),
        (date(2012, 2, 29), date(2026, 3, 1), 14),
        (date(2012, 2, 29), date(2028, 2, 29), 16),
        (date(2016, 1, 1), date(2016, 1, 1), 0),
    ],
)
def test_age_on_counts_completed_years(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


@pytest.mark.parametrize(
    ("day", "minor"),
    [
        (date(2026, 6, 1), True),
        (date(2029, 12, 31), True),  # the day before the 14th birthday: still under 14
        (date(2030, 1, 1), False),  # the 14th birthday itself: no longer under 14
        (date(2031, 6, 1), False),
        (date(2016, 1, 1), True),  # born that day
        (date(2015, 12, 31), False),  # a birth date after the day is not a child's
    ],
)
def test_child_is_flagged_on_the_day(day: date, minor: bool) -> None:
    """A resident ID's holder is flagged SPI.MINOR_U14 while under 14 on the day of the transfer."""
    found = scan({"name": "x", "sfzh": CHILD_ID})
    flagged = flag_minors(found, day)
    (subject,) = flagged.subjects
    assert (MINOR_CATEGORY in subject.categories) is minor
    assert (MINOR_CATEGORY in flagged.categories) is minor
    if not minor:
        assert flagged is found


def test_flagged_child_carries_the_category_and_a_marker_finding() -> None:
    """The child's subject gains SPI.MINOR_U14 and one more finding; a marker finding sits at the record."""
    found = scan({"children": [{"sfzh": CHILD_ID, "mobile": "13800138000"}]})
    flagged = flag_minors(found, date(2026, 6, 1))
    (before,) = found.subjects
    (after,) = flagged.subjects
    assert after.pointer == before.pointer == "/children/0"
    assert after.categories == before.categories | {MINOR_CATEGORY}
    assert after.finding_count == before.finding_count + 1
    assert after.key_value == before.key_value
    added = set(flagged.findings) - set(found.findings)
    assert added == {Finding("/children/0", AGE_DETECTOR, MINOR_CATEGORY, 1.0)}
    assert flagged.findings == tuple(sorted(flagged.findings, key=lambda f: (f.pointer, f.start)))
    assert flagged.opaque == found.opaque


def test_adults_are_untouched_and_only_the_child_is_flagged() -> None:
    """Among an adult and a child only the child is flagged; the adult's subject is unchanged."""
    doc: Json = {"people": [{"sfzh": ADULT_ID}, {"sfzh": CHILD_ID}]}
    found = scan(doc)
    flagged = flag_minors(found, date(2026, 6, 1))
    by_pointer = {s.pointer: s for s in flagged.subjects}
    assert by_pointer["/people/0"] == found.subjects[0]
    assert MINOR_CATEGORY in by_pointer["/people/1"].categories
    assert [f.pointer for f in flagged.findings if f.detector == AGE_DETECTOR] == ["/people/1"]
    only_adult = scan({"sfzh": ADULT_ID})
    assert flag_minors(only_adult, date(2026, 6, 1)) is only_adult


def test_only_a_resident_id_key_gives_an_age() -> None:
    """An individual keyed by another identifier, or a key whose date is not a date, is not aged."""
    subjects = (
        Subject("/a", "cn_mobile", "cn_mobile:13800138000", 1, frozenset({"PI.CONTACT"})),
        Subject("/b", "cn_resident_id", "cn_resident_id:110105201613010006", 1, frozenset({"SPI.GOV_ID"})),
        Subject("/c", "sg_nric_fin", "sg_nric_fin:T1612345A", 1, frozenset({"SPI.GOV_ID"})),
    )
    c = Classification((), subjects)
    assert flag_minors(c, date(2026, 6, 1)) is c


def test_flag_on_a_hand_built_subject_reads_the_key_after_the_detector() -> None:
    """The birth date is read from characters 7 to 14 of the ID after 'cn_resident_id:'."""
    subject = Subject("", "cn_resident_id", f"cn_resident_id:{resident_id(date(2020, 2, 29))}", 1, frozenset())
    flagged = flag_minors(Classification((), (subject,)), date(2034, 2, 28))
    assert MINOR_CATEGORY in flagged.subjects[0].categories
    assert flag_minors(Classification((), (subject,)), date(2034, 3, 1)).subjects[0] == subject

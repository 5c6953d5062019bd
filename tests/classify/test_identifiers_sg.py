"""Singapore identifier validators: UEN against the published vectors, passports by shape.

Vectors: the ``sg_uen`` entries of ``tests/vectors/identifiers-public.json`` (python-stdnum, opengovsg/FormSG and
Presidio; see ``tests/vectors/SOURCES.md``). Every entry is asserted; where our verdict differs, DEVIATIONS says why.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.sg import uen

from gateway.classify.detectors import is_sg_nric_fin
from gateway.classify.identifiers_cn import is_cn_passport
from gateway.classify.identifiers_sg import (
    EXTRA_UEN_ENTITY_TYPES,
    NORMALISERS,
    SG_PASSPORT_STRONG,
    VALIDATORS,
    is_sg_passport,
    is_sg_uen,
    key_sg_passport,
    key_sg_uen,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "identifiers-public.json"

# Entries whose published verdict differs from our contract, and why; each is asserted, not skipped.
DEVIATIONS = {
    ("sg_uen", " 00192200M "): "validators take the scanner's trimmed candidate; surrounding whitespace is not a UEN",
}


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    if not VECTORS.is_file():
        pytest.fail(f"published vectors missing: {VECTORS}", pytrace=False)
    return tuple(json.loads(VECTORS.read_text(encoding="utf-8"))["entries"])


def _uen_entries() -> list[dict[str, Any]]:
    entries = [e for e in _entries() if e["type"] == "sg_uen"]
    assert entries, f"no sg_uen entries in {VECTORS}"
    return entries


def _expected(entry: dict[str, Any]) -> bool:
    if (entry["type"], entry["value"]) in DEVIATIONS:
        return not entry["valid"]
    return bool(entry["valid"])


# --- sg_uen ----------------------------------------------------------------------------------------------------------


def test_uen_agrees_with_published_vectors() -> None:
    """Every published UEN gets its published verdict, FormSG's UF entities included."""
    wrong = [(e["value"], e["valid"]) for e in _uen_entries() if is_sg_uen(e["value"]) != _expected(e)]
    assert wrong == []


def test_uen_uf_entries_are_those_stdnum_rejects() -> None:
    """The vectors' UF entries are valid yet unknown to stdnum: we accept exactly what stdnum misses there."""
    uf = [e for e in _uen_entries() if e["value"][3:5] == "UF"]
    assert uf
    for entry in uf:
        assert entry["valid"]
        assert not uen.is_valid(entry["value"])
        assert is_sg_uen(entry["value"])


def test_uen_whitespace_deviation_is_only_whitespace() -> None:
    """The deviating entry is valid once trimmed, as the scanner delivers it."""
    for kind, value in DEVIATIONS:
        assert kind == "sg_uen"
        assert is_sg_uen(value.strip())


def test_deviations_are_present_in_the_vectors() -> None:
    """Each listed deviation names an existing entry, so the list cannot go stale silently."""
    assert set(DEVIATIONS) <= {(e["type"], e["value"]) for e in _entries()}


def _other_uen(prefix_year: str, entity: str, serial: str) -> str:
    base = prefix_year + entity + serial
    return base + uen.calc_other_check_digit(base)


@pytest.mark.parametrize("entity", sorted(EXTRA_UEN_ENTITY_TYPES))
def test_uen_extra_entity_types_with_check_character(entity: str) -> None:
    """Each extra entity type is accepted with stdnum's check character and rejected with any other."""
    value = _other_uen("T16", entity, "0042")
    assert is_sg_uen(value)
    assert is_sg_uen(value.lower())
    for other in "ABCDEFGHJKLMNPQRSTUVWX0123456789":
        if other != value[-1]:
            assert not is_sg_uen(value[:-1] + other)


def test_uen_extra_entity_type_is_judged_by_its_check_character_alone() -> None:
    """The classifier reads no clock: an extra-type UEN of any year passes on its check character, fails without."""
    for year in ("T" + f"{(date.today().year + 1) % 100:02d}", "S99", "T05"):
        good = _other_uen(year, "UF", "0001")
        assert is_sg_uen(good)
        assert not is_sg_uen(good[:9] + ("A" if good[9] != "A" else "B"))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (_other_uen("T16", "WW", "0042"), "unknown entity type"),
        ("W16UF2321H", "unknown prefix"),
        ("T16UF232H", "3 serial digits"),
        ("T16UF2321", "no check character"),
        ("T16-UF-2321H", "separators"),
        ("2016083550W", "11 characters"),
        ("53333286", "no check letter"),
        ("20160835Z", "a 9-character local-company lookalike with a wrong check letter"),
    ],
)
def test_uen_invalid(value: str, reason: str) -> None:
    """Unknown entity types and prefixes, wrong lengths and separators are rejected."""
    assert not is_sg_uen(value), reason


@pytest.mark.parametrize(("value", "key"), [("53333286m", "53333286M"), ("t16uf2321h", "T16UF2321H")])
def test_uen_case_and_key(value: str, key: str) -> None:
    """Lowercase is accepted; the key is uppercase."""
    assert is_sg_uen(value)
    assert key_sg_uen(value) == key


# --- sg_passport -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["E1234567A", "E7654321N", "K1234567B", "e1234567a"])
def test_passport_shapes(value: str) -> None:
    """E or K, seven digits and a letter, in either case; the key is uppercase."""
    assert is_sg_passport(value)
    assert key_sg_passport(value) == value.upper()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("S1234567D", "an NRIC"),
        ("E12345678", "a PRC passport"),
        ("E123456A", "six digits"),
        ("E12345678A", "eight digits"),
        ("A1234567B", "unknown series"),
        ("E1234567", "no final letter"),
        ("E 1234567A", "separator"),
    ],
)
def test_passport_invalid(value: str, reason: str) -> None:
    """Other series, NRIC and PRC passport shapes and wrong lengths are rejected."""
    assert not is_sg_passport(value), reason


def test_passport_shape_is_disjoint_from_nric_and_prc_passports() -> None:
    """A value is never both a Singapore passport and an NRIC/FIN or a PRC passport."""
    for value in ("S1234567D", "T0000001E", "E12345678", "EA1234567", "E1234567A", "K1234567B"):
        assert not (is_sg_passport(value) and (is_sg_nric_fin(value) or is_cn_passport(value)))


def test_passport_is_weak_evidence() -> None:
    """No check letter is published, so the shape alone is not strong evidence."""
    assert SG_PASSPORT_STRONG is False


# --- contract and robustness -------------------------------------------------------------------------------------


def test_detector_ids_and_normalisers() -> None:
    """The detector ids of this module, each with a normaliser."""
    assert set(VALIDATORS) == set(NORMALISERS) == {"sg_uen", "sg_passport"}


_NEAR_MISS = st.text(alphabet="0123456789RSTEKUFLCWYZIOrst -", max_size=14)


@given(st.one_of(st.text(max_size=60), _NEAR_MISS))
def test_validators_and_normalisers_never_raise(value: str) -> None:
    """Any text gives a bool from every validator and a str from every normaliser."""
    for validate in VALIDATORS.values():
        assert isinstance(validate(value), bool)
    for normalise in NORMALISERS.values():
        assert isinstance(normalise(value), str)

"""The fast canonical-JSON path agrees with the rfc8785 reference wherever it is used."""

from __future__ import annotations

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from gateway.audit.canonical import canonical_json, in_fast_profile
from gateway.model import Json

_MAX = 2**53 - 1
_scalars = st.none() | st.booleans() | st.integers(-_MAX, _MAX) | st.text()
_profile: st.SearchStrategy[Json] = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(_profile)
def test_fast_path_equals_reference_on_the_profile(value: Json) -> None:
    """On records of the profile, json.dumps with sorted keys gives byte for byte the RFC 8785 form."""
    assert in_fast_profile(value)
    assert canonical_json(value) == rfc8785.dumps(value)


@given(
    st.dictionaries(
        st.text(min_size=1), st.floats(allow_nan=False, allow_infinity=False) | st.integers(-_MAX, _MAX), max_size=5
    )
)
def test_values_outside_the_profile_use_the_reference(value: dict[str, Json]) -> None:
    """Floats and non-ASCII keys are canonicalised by rfc8785 itself."""
    assert canonical_json(value) == rfc8785.dumps(value)


def test_profile_boundaries() -> None:
    """Floats, integers past 2**53 - 1 and non-ASCII keys leave the fast profile; ASCII-keyed records stay in it."""
    assert in_fast_profile({"a": [1, "é", None, True], "b": {"c": -_MAX}})
    assert not in_fast_profile({"a": 1.5})
    assert not in_fast_profile({"a": _MAX + 1})
    assert not in_fast_profile({"é": 1})
    assert canonical_json({"b": 1, "a": "x\n\u001f"}) == b'{"a":"x\\n\\u001f","b":1}'

"""Depth-safe JSON parsing (chalicelib/oci/shallow_json.py): every real document parses as
`json.loads` would, and no nesting, however deep or unbalanced, reaches the recursive parser."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.oci import shallow_json
from chalicelib.oci.shallow_json import MAX_DEPTH, within_depth

# Strings full of the characters the depth scan must see past: brackets, quotes, escapes.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\/ ab\n\u00e9\U0001f600'), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=20,
)


def _nest(kinds: list[str], leaf: str = "1") -> str:
    """A document `len(kinds)` levels deep: `a` for an array level, `o` for an object."""
    opening = "".join("[" if kind == "a" else '{"k":' for kind in kinds)
    closing = "".join("]" if kind == "a" else "}" for kind in reversed(kinds))
    return opening + leaf + closing


levels = st.lists(st.sampled_from("ao"), min_size=1)


@given(json_values)
def test_real_documents_parse_as_json_loads_does(value: Any) -> None:
    text = json.dumps(value)
    assert shallow_json.loads(text) == json.loads(text)
    assert shallow_json.loads(text.encode()) == json.loads(text)


@given(st.lists(st.sampled_from("ao"), min_size=1, max_size=MAX_DEPTH), tricky_text)
def test_nesting_up_to_the_limit_is_accepted(kinds: list[str], inside: str) -> None:
    document = _nest(kinds, json.dumps(inside))
    assert within_depth(document.encode())
    assert shallow_json.loads(document) == json.loads(document)


@given(st.lists(st.sampled_from("ao"), min_size=2 * MAX_DEPTH + 1, max_size=5000))
def test_nesting_past_twice_the_limit_is_a_value_error(kinds: list[str]) -> None:
    document = _nest(kinds)
    assert not within_depth(document.encode())
    with pytest.raises(ValueError, match="nested deeper"):
        shallow_json.loads(document)


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_nesting_that_would_overflow_the_parser_is_a_value_error(depth: int, opening: str) -> None:
    # Unbalanced (never closed) and balanced: json.loads raises RecursionError on both.
    for document in (opening * depth, _nest(["a" if opening == "[" else "o"] * depth)):
        with pytest.raises(ValueError):
            shallow_json.loads(document)


@given(st.binary(max_size=300) | st.text(alphabet=st.sampled_from('[]{}",:1a\\ '), max_size=300))
def test_any_input_is_a_value_or_a_value_error(document: bytes | str) -> None:
    try:
        shallow_json.loads(document)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        pass


@given(st.integers(min_value=1, max_value=20_000))
def test_brackets_inside_strings_do_not_count(width: int) -> None:
    document = json.dumps({"a": "[" * width + '\\"{' * width})
    assert within_depth(document.encode())
    assert shallow_json.loads(document) == json.loads(document)

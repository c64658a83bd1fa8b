"""The image's key filter (chalicelib/scanning/key_filter.py): never a false negative, few
false positives, and an unreadable filter reads as "maybe" (a rescan), never as "no"."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning import key_filter

keys = st.text(min_size=1, max_size=60)


@given(st.sets(keys, max_size=300))
def test_every_key_added_is_found(added: set[str]) -> None:
    encoded = key_filter.build(added)
    assert all(key_filter.might_contain(encoded, key) for key in added)
    assert key_filter.touches(encoded, added) is bool(added)


@given(st.binary(max_size=40), keys)
def test_a_damaged_filter_never_says_no(encoded: bytes, key: str) -> None:
    damaged = encoded[:4]  # too short, or a bit count that does not match
    assert key_filter.might_contain(damaged, key)


def test_false_positives_stay_near_one_percent() -> None:
    encoded = key_filter.build(f"Debian/{i:040x}" for i in range(800))
    probes = [f"PyPI/{i:040x}" for i in range(20_000)]
    hits = sum(key_filter.might_contain(encoded, key) for key in probes)
    assert hits / len(probes) < 0.02
    assert len(encoded) <= 800 * key_filter.BITS_PER_KEY // 8 + 8  # about 1 KB


def test_an_empty_filter_contains_nothing() -> None:
    encoded = key_filter.build([])
    assert not key_filter.touches(encoded, ["Debian/abc", "npm/def"])

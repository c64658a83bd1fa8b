"""An image's packed index keys (chalicelib/scanning/key_hashes.py): a changed key of the image
is always found, a key it does not hold is (collisions aside) not, and unreadable bytes read as
"maybe" (a rescan), never as "no"."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning import key_hashes

keys = st.text(min_size=1, max_size=60)


@given(st.sets(keys, max_size=300), st.sets(keys, max_size=50))
def test_a_changed_key_of_the_image_is_always_found(held: set[str], changed: set[str]) -> None:
    encoded = key_hashes.pack(held)
    if held & changed:
        assert key_hashes.touches(encoded, changed)
    assert all(key_hashes.touches(encoded, [key]) for key in held)


@given(st.sets(keys, max_size=300), st.sets(keys, max_size=50))
def test_other_keys_are_not_found_unless_their_hashes_collide(
    held: set[str], changed: set[str]
) -> None:
    encoded = key_hashes.pack(held)
    ours = {key_hashes.key_hash(key) for key in held}
    expected = any(key_hashes.key_hash(key) in ours for key in changed)
    assert key_hashes.touches(encoded, changed) is expected


@given(st.binary(max_size=40), keys)
def test_unreadable_bytes_never_say_no(encoded: bytes, key: str) -> None:
    damaged = b"\x02" + encoded  # a format this code does not know
    assert key_hashes.touches(damaged, [key])
    assert key_hashes.touches(b"\x01abc", [key])  # not whole hashes


def test_hundreds_of_changed_keys_do_not_touch_an_unrelated_image() -> None:
    """Where a 1% Bloom filter would answer "maybe" for nearly every image."""
    encoded = key_hashes.pack(f"Debian/{i:040x}" for i in range(800))
    assert len(encoded) == 1 + 800 * key_hashes.WIDTH
    assert not key_hashes.touches(encoded, [f"PyPI/{i:040x}" for i in range(1000)])


def test_no_keys_touch_nothing() -> None:
    assert not key_hashes.touches(key_hashes.pack([]), ["Debian/abc", "npm/def"])

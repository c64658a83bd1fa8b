"""Hypothesis strategies for the OCI grammars.

`spec_names` and `tags` come straight from the spec's regexes with `st.from_regex`. The spec's
name regex is unbounded and hypothesis draws names hundreds of characters long from it, slowly,
so `spec_names` uses the same regex with every `+` and `*` given an upper bound (a sub-language:
each string it draws still matches the spec regex, which the tests assert). `names` builds the
same grammar structurally, which is several times faster, for the tests that need many names.
"""

from __future__ import annotations

from hypothesis import strategies as st

from chalicelib.oci.reference import MAX_NAME_LENGTH
from tests.unit.spec import SPEC_NAME_REGEX, SPEC_TAG_REGEX

LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
NAME_SEPARATORS = [".", "_", "__", "-", "--", "---"]
# The characters of the digest grammar's `encoded` production.
ENCODED_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_-"
# Path components that collide with the API's own segments.
TRICKY_COMPONENTS = ["blobs", "manifests", "uploads", "tags", "list", "referrers", "v2"]

BOUNDED_NAME_REGEX = SPEC_NAME_REGEX.replace("+", "{1,4}").replace("*", "{0,3}")

spec_names = st.from_regex(BOUNDED_NAME_REGEX, fullmatch=True)
tags = st.from_regex(SPEC_TAG_REGEX, fullmatch=True)


def _joined(
    pieces: st.SearchStrategy[str], separators: list[str], max_pieces: int
) -> st.SearchStrategy[str]:
    return st.tuples(
        pieces, st.lists(st.tuples(st.sampled_from(separators), pieces), max_size=max_pieces)
    ).map(lambda t: t[0] + "".join(sep + piece for sep, piece in t[1]))


_alnum = st.text(LOWER_ALNUM, min_size=1, max_size=6)
name_components = st.one_of(_joined(_alnum, NAME_SEPARATORS, 3), st.sampled_from(TRICKY_COMPONENTS))
names = (
    st.lists(name_components, min_size=1, max_size=6)
    .map("/".join)
    .filter(lambda name: len(name) <= MAX_NAME_LENGTH)
)

sha256_digests = st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex())
sha512_digests = st.binary(min_size=64, max_size=64).map(lambda b: "sha512:" + b.hex())
registered_digests = st.one_of(sha256_digests, sha512_digests)

# Any digest of the image spec's grammar, with algorithms and encodings long enough to be
# truncated by the referrers tag schema.
algorithms = _joined(st.text(LOWER_ALNUM, min_size=1, max_size=8), list("+._-"), 5)
grammar_digests = st.builds(
    lambda algorithm, encoded: f"{algorithm}:{encoded}",
    algorithms,
    st.text(ENCODED_ALPHABET, min_size=1, max_size=150),
)

"""Repository name and tag grammar, and the referrers tag schema (chalicelib/oci/reference.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import (
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    TAG_PATTERN,
    check_name,
    check_tag,
    is_valid_name,
    is_valid_tag,
    referrers_tag,
)
from tests.unit.spec import (
    DISTRIBUTION_SPEC,
    NAME_RE,
    REFERRERS_TAG_EXAMPLES,
    SPEC_NAME_REGEX,
    SPEC_TAG_REGEX,
    TAG_RE,
    spec_text,
)
from tests.unit.strategies import (
    grammar_digests,
    name_components,
    names,
    registered_digests,
    spec_names,
    tags,
)

# Characters that can never appear in a name: uppercase, whitespace, punctuation, non-ASCII
# (including look-alikes such as the Kelvin sign and fullwidth letters).
FORBIDDEN_IN_NAME = "ABZ :@+#%?!*\\\n\t\x00\u00e9\u212a\uff41\u0131"
# Characters that can never appear in a tag.
FORBIDDEN_IN_TAG = " :@+/#%?!*\\\n\t\x00\u00e9\u212a\uff41"
# Mostly the characters that matter to the grammars, so random text often lands near them.
grammar_text = st.text(alphabet="abz09AZ._-/_:+ \n", max_size=40)


# --- the patterns against the spec's text ---------------------------------------------------


def test_spec_name_regex_literal_is_the_spec_text() -> None:
    text = spec_text(DISTRIBUTION_SPEC)
    assert f"`{SPEC_NAME_REGEX}`" in text


def test_spec_tag_regex_literal_is_the_spec_text() -> None:
    text = spec_text(DISTRIBUTION_SPEC)
    assert f"`{SPEC_TAG_REGEX}`" in text


def test_name_pattern_is_the_spec_regex_character_by_character() -> None:
    # The only permitted differences: groups made non-capturing and `\/` written as `/`.
    normalised = SPEC_NAME_REGEX.replace("(", "(?:").replace(r"\/", "/")
    assert normalised == NAME_PATTERN


def test_tag_pattern_is_the_spec_regex() -> None:
    assert TAG_PATTERN == SPEC_TAG_REGEX


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "0",
        "library/ubuntu",
        "a/b/c/d/e/f/g/h",
        "foo.bar",
        "foo_bar",
        "foo__bar",
        "foo-bar",
        "foo---bar",
        "a.b_c__d-e--f/g",
        "blobs",
        "manifests/uploads/blobs/tags/list/referrers",
        "v2/v2",
        "a" * MAX_NAME_LENGTH,
    ],
)
def test_names(name: str) -> None:
    assert is_valid_name(name)
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "A",
        "Library/ubuntu",
        "/a",
        "a/",
        "a//b",
        ".a",
        "a.",
        "-a",
        "a-",
        "_a",
        "a_",
        "a___b",
        "a..b",
        "a._b",
        "a-.b",
        "a_-b",
        "a/.b",
        "a/-b",
        "a b",
        "a:b",
        "a@b",
        "a\n",
        "\na",
        "a\nb",
        "\u00e9",
        "\u212a",  # Kelvin sign, which IGNORECASE would equate with "k"
        "_catalog",
        "a" * (MAX_NAME_LENGTH + 1),
    ],
)
def test_innames(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(OCIError) as raised:
        check_name(name)
    assert raised.value.code == "NAME_INVALID"
    assert raised.value.status == 400


@settings(max_examples=75)
@given(spec_names)
def test_every_name_of_the_spec_grammar_is_accepted(name: str) -> None:
    assert NAME_RE.fullmatch(name)  # the bounded regex only draws names of the spec's grammar
    assert is_valid_name(name)
    assert check_name(name) == name


@settings(max_examples=50)
@given(names)
def test_every_structurally_built_name_is_accepted(name: str) -> None:
    assert NAME_RE.fullmatch(name)
    assert is_valid_name(name)


@settings(max_examples=200)
@given(st.one_of(grammar_text, st.text(max_size=30), names))
def test_name_validity_is_the_spec_regex_plus_the_length_cap(value: str) -> None:
    expected = NAME_RE.fullmatch(value) is not None and len(value) <= MAX_NAME_LENGTH
    assert is_valid_name(value) is expected


@settings(max_examples=60)
@given(names, st.data())
def test_a_forbidden_character_anywhere_makes_a_name_invalid(
    name: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(name)))
    bad = data.draw(st.sampled_from(FORBIDDEN_IN_NAME))
    mutated = name[:position] + bad + name[position:]
    assert not is_valid_name(mutated)


@settings(max_examples=50)
@given(names, st.sampled_from("._-/"), st.booleans())
def test_a_leading_or_trailing_separator_makes_a_name_invalid(
    name: str, separator: str, leading: bool
) -> None:
    mutated = separator + name if leading else name + separator
    assume(len(mutated) <= MAX_NAME_LENGTH)
    assert not is_valid_name(mutated)


@settings(max_examples=50)
@given(names, st.data())
def test_an_empty_path_component_makes_a_name_invalid(name: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(name)))
    mutated = name[:position] + "//" + name[position:]
    assume(len(mutated) <= MAX_NAME_LENGTH)
    assert not is_valid_name(mutated)


@settings(max_examples=50)
@given(st.lists(name_components, min_size=1, max_size=8), st.integers(1, 60))
def test_names_over_the_cap_are_refused(components: list[str], repeat: int) -> None:
    name = "/".join(components * repeat)
    assert NAME_RE.fullmatch(name)
    assert is_valid_name(name) is (len(name) <= MAX_NAME_LENGTH)
    if len(name) > MAX_NAME_LENGTH:
        with pytest.raises(OCIError):
            check_name(name)


def test_the_length_cap_leaves_room_for_a_host_within_255_characters() -> None:
    # Implementers note: clients cap "host[:port]/name" at 255 characters.
    assert len("registry.example.org:5000") + 1 + MAX_NAME_LENGTH <= 255


# --- tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag", ["a", "_", "0", "latest", "v1.2.3", "1.0-rc_1", "A" * 128, "_a.B-c", "sha256-abc"]
)
def test_tags(tag: str) -> None:
    assert is_valid_tag(tag)
    assert check_tag(tag) == tag


@pytest.mark.parametrize(
    "tag",
    [
        "",
        ".a",
        "-a",
        "a" * 129,
        "a:b",
        "a/b",
        "a b",
        "a@b",
        "a+b",
        "latest\n",
        "\u00e9",
        "sha256:" + "a" * 64,
    ],
)
def test_intags(tag: str) -> None:
    assert not is_valid_tag(tag)
    with pytest.raises(OCIError) as raised:
        check_tag(tag)
    assert 400 <= raised.value.status < 500


@settings(max_examples=75)
@given(tags)
def test_every_tag_of_the_spec_grammar_is_accepted(tag: str) -> None:
    assert len(tag) <= 128
    assert is_valid_tag(tag)
    assert check_tag(tag) == tag


@settings(max_examples=300)
@given(st.one_of(grammar_text, st.text(max_size=30), st.text(alphabet="a._-", max_size=140)))
def test_tag_validity_is_the_spec_regex(value: str) -> None:
    assert is_valid_tag(value) is (TAG_RE.fullmatch(value) is not None)


@settings(max_examples=60)
@given(tags, st.data())
def test_a_forbidden_character_anywhere_makes_a_tag_invalid(tag: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(tag)))
    bad = data.draw(st.sampled_from(FORBIDDEN_IN_TAG))
    assert not is_valid_tag(tag[:position] + bad + tag[position:])


# --- referrers tag schema -------------------------------------------------------------------


@pytest.mark.parametrize(("digest", "algorithm", "encoded", "tag"), REFERRERS_TAG_EXAMPLES)
def test_referrers_tag_spec_examples(digest: str, algorithm: str, encoded: str, tag: str) -> None:
    assert referrers_tag(digest) == tag
    # The tag is the truncated algorithm, "-", the truncated encoded part, then replaced.
    assert tag == re.sub(r"[^a-zA-Z0-9._-]", "-", f"{algorithm}-{encoded}")
    assert is_valid_tag(referrers_tag(digest))


def _spec_table_rows() -> list[list[str]]:
    text = spec_text(DISTRIBUTION_SPEC)
    section = text.split("#### Referrers Tag Schema", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and ":" in cells[0]:
            rows.append(cells)
    return rows


def test_referrers_tag_every_row_of_the_spec_table() -> None:
    rows = _spec_table_rows()
    assert len(rows) == 3
    assert [tuple(row) for row in rows] == REFERRERS_TAG_EXAMPLES
    for digest, _algorithm, _encoded, tag in rows:
        assert referrers_tag(digest) == tag


@settings(max_examples=100)
@given(grammar_digests)
def test_referrers_tag_of_any_grammar_digest(digest: str) -> None:
    algorithm, _, encoded = digest.partition(":")
    truncated = f"{algorithm[:32]}-{encoded[:64]}"
    tag = referrers_tag(digest)
    # Always a valid tag, so it can be pushed to.
    assert TAG_RE.fullmatch(tag)
    assert len(tag) == len(truncated) == min(len(algorithm), 32) + 1 + min(len(encoded), 64)
    # Position by position: the truncated character when tags allow it, otherwise "-".
    for got, source in zip(tag, truncated, strict=True):
        if re.fullmatch(r"[a-zA-Z0-9._-]", source):
            assert got == source
        else:
            assert got == "-"
    assert tag[min(len(algorithm), 32)] == "-"


@settings(max_examples=50)
@given(registered_digests)
def test_referrers_tag_of_registered_digests(digest: str) -> None:
    algorithm, _, encoded = digest.partition(":")
    assert referrers_tag(digest) == f"{algorithm}-{encoded[:64]}"

"""Content-Range of upload chunks and the Range header (chalicelib/oci/content_range.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.oci.content_range import ChunkRange, parse_content_range, range_header
from chalicelib.oci.errors import OCIError, RangeNotSatisfiable
from tests.unit.spec import DISTRIBUTION_SPEC, SPEC_CONTENT_RANGE_REGEX, spec_text

# Offsets Berth takes: up to 19 digits, which covers every 64-bit offset.
MAX_OFFSET = 10**19 - 1
offsets = st.integers(0, MAX_OFFSET) | st.integers(0, 10_000)
SPEC_RANGE = re.compile(SPEC_CONTENT_RANGE_REGEX)
# Text in the neighbourhood of the grammar, for fuzzing.
range_text = st.text(alphabet="0123456789-/ =*bytes\t\n,+", max_size=30)


def _assert_refused(value: str) -> OCIError:
    with pytest.raises(OCIError) as raised:
        parse_content_range(value)
    assert raised.value.code == "BLOB_UPLOAD_INVALID"
    assert 400 <= raised.value.status < 500
    return raised.value


def test_spec_content_range_regex_is_the_spec_text() -> None:
    assert f"\n{SPEC_CONTENT_RANGE_REGEX}\n" in spec_text(DISTRIBUTION_SPEC)


# --- the spec's form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("0-0", 0, 0),
        ("0-1023", 0, 1023),
        ("1024-2047", 1024, 2047),
        ("00-01", 0, 1),
        ("5-5", 5, 5),
        (f"0-{MAX_OFFSET}", 0, MAX_OFFSET),
    ],
)
def test_spec_form(value: str, start: int, end: int) -> None:
    chunk = parse_content_range(value)
    assert chunk == ChunkRange(start, end)
    assert chunk.length == end - start + 1


@settings(max_examples=100)
@given(offsets, offsets)
def test_any_ordered_pair_parses_inclusive(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    chunk = parse_content_range(f"{start}-{end}")
    assert (chunk.start, chunk.end) == (start, end)
    # "MUST be inclusive on both ends"
    assert chunk.length == end - start + 1


@settings(max_examples=100)
@given(offsets, st.integers(1, 10**6))
def test_end_before_start_is_416(end: int, gap: int) -> None:
    error = _assert_refused(f"{end + gap}-{end}")
    assert error.status == 416


# --- the RFC 9110 forms some clients send ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("bytes 0-99/100", 0, 99),
        ("bytes 0-99/*", 0, 99),
        ("bytes=0-99", 0, 99),
        ("bytes 10-19", 10, 19),
        ("0-99/100", 0, 99),
        (" 0-99 ", 0, 99),
        ("0-99\r\n", 0, 99),
    ],
)
def test_lenient_forms(value: str, start: int, end: int) -> None:
    assert parse_content_range(value) == ChunkRange(start, end)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "-",
        "0",
        "0-",
        "-5",
        "a-b",
        "0x0-0x1",
        "-1-5",
        "0--5",
        "1-2-3",
        "0-5,7-9",
        "+0-5",
        "0-+5",
        "0 - 5",
        "bytes",
        "bytes 0-5/",
        "bytes 0-5/abc",
        "bytes */100",
        "items 0-5",
        "BYTES 0-5",
        "0.0-5",
        "1e3-2e3",
        "0-5 6",
        "0-5\n6",
        "\u0661-\u0665",  # Arabic-Indic digits: int() would take them, the grammar must not
        "\uff10-\uff15",  # fullwidth digits
        "1" * 20 + "-" + "1" * 20,  # beyond any 64-bit offset
    ],
)
def test_refused(value: str) -> None:
    _assert_refused(value)


@settings(max_examples=300)
@given(st.one_of(range_text, st.text(max_size=30)))
def test_fuzz_only_oci_errors_escape(value: str) -> None:
    try:
        chunk = parse_content_range(value)
    except OCIError as error:
        assert error.code == "BLOB_UPLOAD_INVALID"
        assert 400 <= error.status < 500
        return
    # Whatever is accepted is a well-formed, non-empty, ordered range of ASCII digits.
    assert 0 <= chunk.start <= chunk.end <= MAX_OFFSET
    assert chunk.length >= 1
    assert re.search(rf"(?<![0-9])0*{chunk.start}-0*{chunk.end}(?![0-9])", value)


@settings(max_examples=100)
@given(
    st.one_of(
        st.from_regex(SPEC_CONTENT_RANGE_REGEX, fullmatch=True),
        st.from_regex(r"[0-9]{1,20}-[0-9]{1,20}", fullmatch=True),
        range_text,
    )
)
def test_everything_of_the_spec_form_is_accepted(value: str) -> None:
    # The converse oracle: the spec's regex (within 19 digits, in order) always parses.
    match = SPEC_RANGE.fullmatch(value)
    if match is None:
        return
    start_text, end_text = value.split("-")
    if max(len(start_text), len(end_text)) > 19 or int(end_text) < int(start_text):
        return
    assert parse_content_range(value) == ChunkRange(int(start_text), int(end_text))


# --- the Range header -----------------------------------------------------------------------


@pytest.mark.parametrize(("size", "header"), [(0, "0-0"), (1, "0-0"), (2, "0-1"), (1024, "0-1023")])
def test_range_header(size: int, header: str) -> None:
    assert range_header(size) == header


@settings(max_examples=100)
@given(st.integers(1, MAX_OFFSET))
def test_range_header_ends_at_the_last_byte_received(size: int) -> None:
    # "Range: 0-<end-of-range>", the position of the last uploaded byte.
    header = range_header(size)
    assert re.fullmatch(r"0-[0-9]+", header)
    assert parse_content_range(header) == ChunkRange(0, size - 1)


@settings(max_examples=100)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=10))
def test_consecutive_chunks_continue_from_the_range_header(lengths: list[int]) -> None:
    # "the first byte of a chunk being the last chunk's <end-of-range> plus one"
    received = 0
    for length in lengths:
        next_start = 0 if received == 0 else int(range_header(received).split("-")[1]) + 1
        assert next_start == received
        chunk = parse_content_range(f"{next_start}-{next_start + length - 1}")
        assert chunk.length == length
        received += chunk.length


@settings(max_examples=100)
@given(st.integers(0, MAX_OFFSET))
def test_416_carries_the_same_range_as_the_status_header(offset: int) -> None:
    error = RangeNotSatisfiable("out of order", location="/v2/a/blobs/uploads/x", offset=offset)
    assert error.status == 416
    assert error.headers["Range"] == range_header(offset)

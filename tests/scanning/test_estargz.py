"""eStargz layers read by their TOC (chalicelib/scanning/estargz.py): the footer and TOC by
range, then only the files the scanner keeps or searches; the same files and whiteouts the
whole-stream reader keeps from a fraction of the bytes, every file checked against the TOC's
digests; anything that does not check out is an error (the scanner then reads the layer
whole). The layers are written by tests/scanning/estargz_layer.py after the published
layout; the scan through moto is in tests/scanning/test_layer_reuse.py."""

from __future__ import annotations

import io
import json
import os
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.estargz import (
    FOOTER_SIZE,
    chunked_entries,
    gzip_reader,
    parse_toc,
    stargz_layer,
    toc_offset,
)
from chalicelib.scanning.layer_reader import read_layer
from chalicelib.scanning.zstd_chunked import read_chunked_layer
from tests.scanning.advisories import DEBIAN_STATUS
from tests.scanning.binaries import elf, go_buildinfo, go_modinfo
from tests.scanning.estargz_layer import TOC_DIGEST, StargzLayer, footer
from tests.scanning.estargz_layer import stargz_layer as write_stargz
from tests.scanning.test_inventory import DEBIAN_OS
from tests.scanning.zstd_chunked_layer import fetch_from

SITE = "usr/lib/python3/dist-packages"
GO = elf({".go.buildinfo": go_buildinfo("go1.21.5", go_modinfo(("example.com/app", "v1.2.3"), []))})
FILLER = os.urandom(3 * 1024 * 1024)


def sample() -> StargzLayer:
    return write_stargz(
        [
            ("etc/os-release", DEBIAN_OS),
            ("var/lib/dpkg/status", DEBIAN_STATUS * 40),  # several chunks
            (f"{SITE}/.wh.old-1.0.dist-info", b""),
            (f"{SITE}/jinja2-3.1.2.dist-info/METADATA", b"Name: Jinja2\nVersion: 3.1.2\n"),
            ("opt/cache/.wh..wh..opq", b""),
            ("usr/local/bin/app", GO),
            ("usr/local/bin/script", b"#!/bin/sh\necho hi\n" * 100),
            ("usr/share/data.bin", FILLER),
            ("usr/local/bin/big-filler", FILLER),  # executable, not ELF: 4 bytes tell
        ],
        executables=frozenset(
            {"usr/local/bin/app", "usr/local/bin/script", "usr/local/bin/big-filler"}
        ),
        links={"var/lib/dpkg/status-copy": "var/lib/dpkg/status"},
        chunk=16 * 1024,
    )


def by_range(layer: StargzLayer, reads: list[tuple[int, int]]) -> object:
    """What the scanner does (chalicelib/scanner/run.py `_by_stargz`), over bytes in memory."""
    found = stargz_layer(layer.annotations, len(layer.blob))
    assert found is not None
    fetch = fetch_from(layer.blob, reads)
    end = len(layer.blob) - FOOTER_SIZE
    at = toc_offset(fetch(end, len(layer.blob)).read(), len(layer.blob))
    entries = parse_toc(fetch(at, end).read(), found.toc_digest)
    return read_chunked_layer(chunked_entries(entries, at), fetch, gzip_reader)


def test_the_toc_gives_what_the_whole_stream_gives_from_a_fraction_of_it() -> None:
    layer = sample()
    reads: list[tuple[int, int]] = []
    changes = by_range(layer, reads)
    whole = read_layer(io.BytesIO(layer.blob))  # the blob is an ordinary gzip tar stream too
    assert changes == whole
    assert whole.files["usr/local/bin/app"].startswith(b"\0berth-embedded\0")
    assert whole.files["var/lib/dpkg/status-copy"] == DEBIAN_STATUS * 40
    assert whole.deleted == {f"{SITE}/old-1.0.dist-info"} and whole.opaque == {"opt/cache"}
    read = sum(end - start for start, end in reads)
    assert read < len(layer.blob) / 10, (read, len(layer.blob))
    # Footer, TOC, one GET for the run of package files and small executables, one for the
    # first chunk of the large executable that turns out not to be ELF; none for the data.
    assert len(reads) == 4, reads


def test_only_layers_with_the_annotation_are_stargz() -> None:
    layer = sample()
    assert stargz_layer(layer.annotations, len(layer.blob)) is not None
    assert stargz_layer({}, len(layer.blob)) is None
    assert stargz_layer({TOC_DIGEST: "md5:00"}, len(layer.blob)) is None
    assert stargz_layer(layer.annotations, FOOTER_SIZE) is None  # no room for a footer


@settings(max_examples=200, deadline=None)
@given(size=st.integers(FOOTER_SIZE + 1, 2**40), data=st.data())
def test_a_footer_gives_back_its_offset(size: int, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, size - FOOTER_SIZE - 1))
    written = footer(offset)
    assert len(written) == FOOTER_SIZE
    assert toc_offset(written, size) == offset


@settings(max_examples=300, deadline=None)
@given(offset=st.integers(0, 10**6), at=st.integers(0, FOOTER_SIZE - 1), byte=st.integers(0, 255))
def test_a_damaged_footer_is_refused_or_still_says_the_same(
    offset: int, at: int, byte: int
) -> None:
    """Any one byte changed: a ScanInputError, or (a byte gzip ignores: mtime, OS) the same
    offset; never another offset, never another exception."""
    damaged = bytearray(footer(offset))
    damaged[at] = byte
    try:
        found = toc_offset(bytes(damaged), 2 * 10**6)
    except ScanInputError:
        return
    assert found == offset or damaged[16:32] != footer(offset)[16:32]


def test_a_footer_pointing_past_the_layer_is_refused() -> None:
    with pytest.raises(ScanInputError, match="outside"):
        toc_offset(footer(1000), 1000)
    with pytest.raises(ScanInputError):
        toc_offset(b"\x1f\x8b\x08\x00" + b"\0" * 47, 10**6)  # a gzip member, not a footer


_NAMES = st.sampled_from(
    [
        "etc/os-release",
        "var/lib/dpkg/status",
        f"{SITE}/a-1.0.dist-info/METADATA",
        f"{SITE}/.wh.b-1.0.dist-info",
        "usr/bin/tool",
        "usr/share/doc/readme",
        "opt/.wh..wh..opq",
        "lib/apk/db/installed",
    ]
)
_CONTENTS = st.one_of(
    st.binary(max_size=300),
    st.text(string.printable, max_size=3000).map(str.encode),
    st.builds(lambda n: os.urandom(n), st.integers(0, 40_000)),
)


@settings(max_examples=40, deadline=None)
@given(
    files=st.lists(st.tuples(_NAMES, _CONTENTS), min_size=1, max_size=8),
    chunk=st.sampled_from([512, 4096, 64 * 1024]),
)
def test_any_layer_reads_by_range_as_it_reads_whole(
    files: list[tuple[str, bytes]], chunk: int
) -> None:
    """Whatever the files, their sizes and the chunking: the TOC's ranges give what the
    whole stream gives (files met again later replace earlier ones, as in a tar)."""
    executables = frozenset({"usr/bin/tool"})
    layer = write_stargz(files, executables=executables, chunk=chunk)
    assert by_range(layer, []) == read_layer(io.BytesIO(layer.blob))


def _retold(layer: StargzLayer, edit: dict[str, object]) -> tuple[bytes, int, str]:
    """The layer with its TOC's status entry edited, and the TOC's new digest."""
    import gzip
    import hashlib
    import tarfile

    entries = [dict(e) for e in layer.toc["entries"]]
    next(e for e in entries if e["name"] == "var/lib/dpkg/status").update(edit)
    text = json.dumps({"version": 1, "entries": entries}).encode()
    info = tarfile.TarInfo("stargz.index.json")
    info.size = len(text)
    member = info.tobuf(tarfile.PAX_FORMAT) + text + b"\0" * (-len(text) % 512) + b"\0" * 1024
    blob = layer.blob[: layer.toc_offset] + gzip.compress(member) + footer(layer.toc_offset)
    return blob, layer.toc_offset, "sha256:" + hashlib.sha256(text).hexdigest()


@pytest.mark.parametrize(
    "edit",
    [
        {"digest": "sha256:" + "0" * 64},  # the bytes are not what the TOC says
        {"size": 10},  # nor their length
        {"offset": 5},  # a range that is not a gzip member
        {"offset": -1},
        {"offset": 10**9},  # past the TOC
        {"digest": None, "chunkDigest": None},  # nothing to check it against
    ],
)
def test_a_toc_that_does_not_check_out_is_an_error(edit: dict[str, object]) -> None:
    layer = sample()
    blob, at, digest = _retold(layer, edit)
    with pytest.raises(ScanInputError):
        entries = parse_toc(blob[at : len(blob) - FOOTER_SIZE], digest)
        read_chunked_layer(chunked_entries(entries, at), fetch_from(blob, []), gzip_reader)


def test_a_toc_that_is_not_the_described_one_is_an_error() -> None:
    layer = sample()
    blob, at, _ = _retold(layer, {"modtime": "2020-01-01T00:00:00Z"})
    member = blob[at : len(blob) - FOOTER_SIZE]
    with pytest.raises(ScanInputError, match=r"toc\.digest"):
        parse_toc(member, layer.annotations[TOC_DIGEST])
    with pytest.raises(ScanInputError):
        parse_toc(b"not gzip", layer.annotations[TOC_DIGEST])


def test_a_large_first_chunk_costs_only_its_head_to_tell_it_is_not_elf() -> None:
    """stargz-snapshotter's chunks are 4 MiB: telling a large executable is not ELF reads the
    start of its first member, not the member."""
    layer = write_stargz(
        [("etc/os-release", DEBIAN_OS), ("usr/local/bin/big-filler", FILLER)],
        executables=frozenset({"usr/local/bin/big-filler"}),
        chunk=4 * 1024 * 1024,
    )
    reads: list[tuple[int, int]] = []
    assert by_range(layer, reads) == read_layer(io.BytesIO(layer.blob))
    assert sum(end - start for start, end in reads) < 200 * 1024 < len(layer.blob) / 10

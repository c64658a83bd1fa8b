"""zstd:chunked layers read by their TOC (chalicelib/scanning/zstd_chunked.py): the same files
and whiteouts the whole-stream reader keeps, from a fraction of the bytes, every file checked
against the TOC's digest; a TOC or file that does not check out is an error (the scanner then
reads the layer whole)."""

from __future__ import annotations

import io
import json
import os

import pytest
import zstandard

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.layer_reader import read_layer
from chalicelib.scanning.zstd_chunked import parse_toc, read_chunked_layer, toc_position
from tests.scanning.advisories import DEBIAN_STATUS
from tests.scanning.binaries import elf, go_buildinfo, go_modinfo
from tests.scanning.test_inventory import DEBIAN_OS
from tests.scanning.zstd_chunked_layer import PREFIX, ChunkedLayer, chunked_layer, fetch_from

SITE = "usr/lib/python3/dist-packages"
GO = elf({".go.buildinfo": go_buildinfo("go1.21.5", go_modinfo(("example.com/app", "v1.2.3"), []))})
FILLER = os.urandom(3 * 1024 * 1024)


def sample() -> ChunkedLayer:
    return chunked_layer(
        [
            ("etc/os-release", DEBIAN_OS),
            ("var/lib/dpkg/status", DEBIAN_STATUS * 40),  # several frames
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
    )


def test_the_toc_gives_what_the_whole_stream_gives_from_a_fraction_of_it() -> None:
    layer = sample()
    position = toc_position(layer.annotations)
    assert position is not None
    entries = parse_toc(
        layer.blob[position.offset : position.offset + position.length], position.checksum
    )
    reads: list[tuple[int, int]] = []
    by_range = read_chunked_layer(entries, fetch_from(layer.blob, reads))
    whole = read_layer(io.BytesIO(layer.blob))
    assert by_range == whole
    assert whole.files["usr/local/bin/app"].startswith(b"\0berth-embedded\0")
    assert whole.deleted == {f"{SITE}/old-1.0.dist-info"} and whole.opaque == {"opt/cache"}
    read = sum(end - start for start, end in reads) + position.length
    assert read < len(layer.blob) / 10, (read, len(layer.blob))
    # One GET for the run of package files and small executables, one for the first frame of
    # the large executable that turns out not to be ELF; none for the 3 MB of data.
    assert len(reads) == 2, reads


def test_both_annotation_names_and_bad_positions() -> None:
    layer = sample()
    old = {
        k.replace(PREFIX, "io.containers.zstd-chunked."): v for k, v in layer.annotations.items()
    }
    assert toc_position(old) == toc_position(layer.annotations) is not None
    assert toc_position({}) is None
    position = layer.annotations[PREFIX + "manifest-position"]
    for bad in ("1:2:3", "a:b:c:1", position[: position.rindex(":")] + ":0", "1:0:3:1"):
        assert toc_position({**layer.annotations, PREFIX + "manifest-position": bad}) is None


def _toc(layer: ChunkedLayer, edit: dict[str, object]) -> tuple[bytes, str]:
    import hashlib

    entries = [dict(e) for e in layer.toc["entries"]]
    target = next(e for e in entries if e["name"] == "var/lib/dpkg/status")
    target.update(edit)
    compressed = zstandard.ZstdCompressor().compress(json.dumps({"entries": entries}).encode())
    return compressed, "sha256:" + hashlib.sha256(compressed).hexdigest()


@pytest.mark.parametrize(
    "edit",
    [
        {"digest": "sha256:" + "0" * 64},  # the bytes are not what the TOC says
        {"size": 10},  # nor their length
        {"offset": 5},  # a range that is not a zstd frame
        {"endOffset": -1},
    ],
)
def test_a_toc_that_does_not_check_out_is_an_error(edit: dict[str, object]) -> None:
    layer = sample()
    compressed, checksum = _toc(layer, edit)
    with pytest.raises(ScanInputError):
        read_chunked_layer(parse_toc(compressed, checksum), fetch_from(layer.blob, []))


def test_a_toc_that_is_not_the_described_one_is_an_error() -> None:
    layer = sample()
    compressed, _ = _toc(layer, {})
    with pytest.raises(ScanInputError, match="checksum"):
        parse_toc(compressed, layer.annotations[PREFIX + "manifest-checksum"])
    with pytest.raises(ScanInputError):
        import hashlib

        garbage = b"not zstd"
        parse_toc(garbage, "sha256:" + hashlib.sha256(garbage).hexdigest())

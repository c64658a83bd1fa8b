"""RPM's header blob, the format every rpmdb backend (sqlite, BerkeleyDB, NDB) stores per
package: an index of (tag, type, offset, count) entries over a data store. Only the tags the
inventory needs are decoded."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chalicelib.scanning.errors import ScanInputError

NAME, VERSION, RELEASE, EPOCH = 1000, 1001, 1002, 1003
VENDOR, LICENSE, ARCH, SOURCERPM = 1011, 1014, 1022, 1044

_INT32, _STRING, _STRING_ARRAY, _I18NSTRING = 4, 6, 8, 9
_ENTRY = struct.Struct(">iIiI")
# rpm refuses headers past these (rpm's own limits), so a corrupt count cannot make us allocate.
_MAX_ENTRIES = 0xFFFF
_MAX_DATA = 256 * 1024 * 1024


@dataclass(frozen=True)
class RpmHeader:
    name: str
    version: str
    release: str
    epoch: int | None
    arch: str
    source_rpm: str
    license: str
    vendor: str


def _string(store: bytes, offset: int) -> str:
    end = store.find(b"\0", offset)
    if offset < 0 or offset >= len(store) or end < 0:
        raise ScanInputError("rpm header: string runs past the data store")
    return store[offset:end].decode("utf-8", "replace")


def parse_header_blob(blob: bytes) -> RpmHeader:
    if len(blob) < 8:
        raise ScanInputError("rpm header: shorter than its preamble")
    entries, data_length = struct.unpack_from(">II", blob)
    if not 0 < entries <= _MAX_ENTRIES or data_length > _MAX_DATA:
        raise ScanInputError("rpm header: impossible entry count or data length")
    store_start = 8 + entries * _ENTRY.size
    if store_start + data_length > len(blob):
        raise ScanInputError("rpm header: blob shorter than its index says")
    store = blob[store_start : store_start + data_length]
    strings: dict[int, str] = {}
    epoch: int | None = None
    for number in range(entries):
        tag, kind, offset, count = _ENTRY.unpack_from(blob, 8 + number * _ENTRY.size)
        if kind in (_STRING, _STRING_ARRAY, _I18NSTRING) and count >= 1:
            strings[tag] = _string(store, offset)
        elif tag == EPOCH and kind == _INT32 and count >= 1:
            if not 0 <= offset <= len(store) - 4:
                raise ScanInputError("rpm header: epoch past the data store")
            epoch = struct.unpack_from(">i", store, offset)[0]
    if not strings.get(NAME) or not strings.get(VERSION):
        raise ScanInputError("rpm header: no name or version")
    return RpmHeader(
        name=strings[NAME],
        version=strings[VERSION],
        release=strings.get(RELEASE, ""),
        epoch=epoch,
        arch=strings.get(ARCH, ""),
        source_rpm=strings.get(SOURCERPM, ""),
        license=strings.get(LICENSE, ""),
        vendor=strings.get(VENDOR, ""),
    )

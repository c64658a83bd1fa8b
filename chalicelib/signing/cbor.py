"""The slice of CBOR (RFC 8949) a COSE_Sign1 envelope needs, so Notation's COSE signatures are
read without a new dependency: definite-length items only, maps without duplicate keys,
bounded nesting; and an encoder for the few types COSE's Sig_structure is built from."""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_DEPTH = 16


class CborError(ValueError):
    """The bytes are not CBOR this decoder accepts."""


@dataclass(frozen=True)
class Tagged:
    tag: int
    value: object


def decode(data: bytes) -> object:
    """The single item `data` holds; trailing bytes, indefinite lengths and duplicate map keys
    are errors."""
    value, end = _item(data, 0, 0)
    if end != len(data):
        raise CborError("trailing bytes after the CBOR item")
    return value


def _head(data: bytes, at: int) -> tuple[int, int, int, int]:
    """(major type, additional information, argument, offset after the head)."""
    if at >= len(data):
        raise CborError("truncated CBOR")
    major, info = data[at] >> 5, data[at] & 0x1F
    if info < 24:
        return major, info, info, at + 1
    if info > 27:
        raise CborError("indefinite or reserved length")
    size = 1 << (info - 24)
    if at + 1 + size > len(data):
        raise CborError("truncated CBOR")
    return major, info, int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size


def _item(data: bytes, at: int, depth: int) -> tuple[object, int]:
    if depth > MAX_DEPTH:
        raise CborError("CBOR nested too deeply")
    major, info, argument, at = _head(data, at)
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        if at + argument > len(data):
            raise CborError("truncated CBOR string")
        raw = data[at : at + argument]
        if major == 2:
            return raw, at + argument
        try:
            return raw.decode("utf-8"), at + argument
        except UnicodeDecodeError as error:
            raise CborError("text string is not UTF-8") from error
    if major == 4:
        items = []
        for _ in range(argument):
            value, at = _item(data, at, depth + 1)
            items.append(value)
        return items, at
    if major == 5:
        mapping: dict[object, object] = {}
        for _ in range(argument):
            key, at = _item(data, at, depth + 1)
            if not isinstance(key, int | str | bytes) or key in mapping:
                raise CborError("map key is not a unique int, text or byte string")
            mapping[key], at = _item(data, at, depth + 1)
        return mapping, at
    if major == 6:
        value, at = _item(data, at, depth + 1)
        return Tagged(argument, value), at
    return _simple(info, argument), at


def _simple(info: int, argument: int) -> object:
    if info in (20, 21, 22):
        return {20: False, 21: True, 22: None}[info]
    size = {25: 2, 26: 4, 27: 8}.get(info)
    if size is None:
        raise CborError("unsupported simple value")
    return struct.unpack({2: ">e", 4: ">f", 8: ">d"}[size], argument.to_bytes(size, "big"))[0]


def encode(value: bytes | str | int | list[bytes | str | int]) -> bytes:
    """Byte strings, text strings, integers and arrays of them, in preferred (shortest) form."""
    if isinstance(value, bytes):
        return _encode_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _encode_head(3, len(raw)) + raw
    if isinstance(value, int):
        return _encode_head(0, value) if value >= 0 else _encode_head(1, -1 - value)
    return _encode_head(4, len(value)) + b"".join(encode(item) for item in value)


def _encode_head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise CborError("integer too large for CBOR")

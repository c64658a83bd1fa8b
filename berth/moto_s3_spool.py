"""moto's S3 made to move object bytes between its spool files a piece at a time.

moto keeps each object in a SpooledTemporaryFile (on disk above about 5 MiB), but two
operations Berth's uploads rely on materialise whole objects in memory. CompleteMultipartUpload
joins every part into a bytearray, joins them again for the full-object checksum, then copies
the lot into bytes before writing it to the new object's spool: about five times the object at
once (a 1 GiB layer pushed through `berth serve` took its moto child to 5 GB). UploadPartCopy
reads the whole source object to slice out its range (and hashes the copy for its ETag,
the source's MD5 when the whole object is copied). S3 does neither in anyone's memory, and
Berth's access pattern (stage chunks, copy them into a multipart upload server-side) is the one
AWS is built for, so moto is fixed rather than Berth. A completed object reads its bytes
from its parts' files (`JoinedParts`), its checksum computed from them piece by piece; a
range part copy copies file to file in pieces; the new object adopts the file instead of being
given its bytes. A whole-object part copy takes its
source's ETag rather than hashing the same bytes again, and reads the source's own file
rather than writing a copy of it (an object's file is never written again).

Same answers as moto's own (tests/storage/test_moto_s3_spool.py compares them), so the local
server and the in-process tests apply it alike.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import contextlib
import hashlib
import io
import itertools
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

# Bytes read from one spool and written to the other at a time.
PIECE = 8 * 1024 * 1024

_applied = False
# moto's own functions, kept when they are replaced (the tests compare the two).
originals: dict[str, Any] = {}


class JoinedParts:
    """A completed multipart object's bytes, read from its parts' files in turn.

    moto disposes of a multipart upload's parts once it is completed; each reader here is the
    object's own (the part's file opened again, or a small in-memory part's bytes), so the
    object needs no copy of the parts' bytes. Read-only, as every object's buffer is once made:
    seek, tell, read and close are all FakeKey and the part copies use of a buffer."""

    def __init__(self, readers: list[IO[bytes]], sizes: list[int]) -> None:
        self._readers = readers
        self._ends = list(itertools.accumulate(sizes))
        self._size = self._ends[-1] if self._ends else 0
        self._position = 0
        self.closed = False

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        wanted = self._size - self._position if size is None or size < 0 else size
        out: list[bytes] = []
        while wanted > 0 and self._position < self._size:
            index = bisect.bisect_right(self._ends, self._position)
            start = self._ends[index - 1] if index else 0
            reader = self._readers[index]
            reader.seek(self._position - start)
            data = reader.read(min(wanted, self._ends[index] - self._position))
            if not data:
                break
            out.append(data)
            self._position += len(data)
            wanted -= len(data)
        return out[0] if len(out) == 1 else b"".join(out)

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self.closed = True


def join_parts(parts: list[Any]) -> IO[bytes] | JoinedParts:
    """The completed object's buffer: its parts' files joined, or, where a part's file cannot
    be opened again (no /proc, no descriptor left), one spool file the parts are copied into."""
    readers: list[IO[bytes]] = []
    for part in parts:
        if on_disk(part._value_buffer):
            reader = shared_file(part)
        else:
            reader = io.BytesIO(b"".join(_pieces(part, 0, part.size)))
        if reader is None:
            for opened in readers:
                opened.close()
            return _copied(parts)
        readers.append(reader)
    return JoinedParts(readers, [part.size for part in parts])


def _copied(parts: list[Any]) -> IO[bytes]:
    spool = new_spool()
    try:
        for part in parts:
            copy_range(part, spool, 0, part.size)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


class SpooledValue:
    """An object's bytes already in a file (rewound): a FakeKey adopts it as its buffer."""

    def __init__(self, spool: IO[bytes] | JoinedParts, size: int) -> None:
        self.spool = spool
        self.size = size


class RunningChecksum:
    """moto's `compute_checksum` of a body fed in pieces (the same libraries and fallbacks:
    CRC32 where crc32c or awscrt is missing)."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._crc = 0
        self._width = 4
        self._hash: Any = None
        self._update_crc: Callable[[bytes, int], int] = binascii.crc32
        if algorithm == "SHA1":
            self._hash = hashlib.sha1(usedforsecurity=False)
        elif algorithm == "CRC32C":
            self._update_crc = _crc32c()
        elif algorithm == "CRC64NVME":
            crc64 = _crc64nvme()
            if crc64 is not None:
                self._update_crc, self._width = crc64, 8
        elif algorithm != "CRC32":
            self._hash = hashlib.sha256(usedforsecurity=False)

    def update(self, data: bytes) -> None:
        if self._hash is not None:
            self._hash.update(data)
        else:
            self._crc = self._update_crc(data, self._crc)

    def digest(self) -> bytes:
        if self._hash is not None:
            raw: bytes = self._hash.digest()
            return raw
        return self._crc.to_bytes(self._width, "big")


def _crc32c() -> Callable[[bytes, int], int]:
    try:
        import crc32c  # type: ignore[import-not-found]
    except ImportError:
        return binascii.crc32
    function: Callable[[bytes, int], int] = crc32c.crc32c
    return function


def _crc64nvme() -> Callable[[bytes, int], int] | None:
    from moto.core.compat import HAS_CRT

    if not HAS_CRT:
        return None
    from awscrt import checksums  # type: ignore[import-not-found]

    function: Callable[[bytes, int], int] = checksums.crc64nvme
    return function


def new_spool() -> IO[bytes]:
    """A spool file as moto makes one for an object (in memory below its buffer size)."""
    from moto.settings import get_s3_default_key_buffer_size

    size = get_s3_default_key_buffer_size()
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=size)  # noqa: SIM115 (the key owns it)
    return spool


def _pieces(key: Any, first: int, count: int) -> Iterator[bytes]:
    """`count` bytes of `key`'s value from offset `first`, read under the key's lock."""
    with key.lock:
        buffer = key._value_buffer
        buffer.seek(first)
        while count > 0:
            piece: bytes = buffer.read(min(PIECE, count))
            if not piece:
                return
            count -= len(piece)
            yield piece


def copy_range(key: Any, into: IO[bytes], first: int, count: int, *sinks: RunningChecksum) -> int:
    """Append `count` bytes of `key` from `first` to `into`, feeding `sinks`; bytes copied."""
    copied = 0
    for piece in _pieces(key, first, count):
        into.write(piece)
        for sink in sinks:
            sink.update(piece)
        copied += len(piece)
    return copied


def shared_file(key: Any) -> IO[bytes] | None:
    """A reader of its own on the file that holds `key`'s bytes, or None where there is none
    (bytes still in memory, or no /proc). An object's file is never written after the object
    is made (moto makes a new key for every write), so a whole-object part copy can read the
    source's file rather than write a copy of it: the file lives until both are disposed."""
    buffer = key._value_buffer
    if not on_disk(buffer):
        return None
    try:
        return open(f"/proc/self/fd/{buffer.fileno()}", "rb")
    except OSError:
        return None


def on_disk(buffer: Any) -> bool:
    """Whether an object's buffer is a file: a spool file that rolled over to disk, or a file
    a part copy opened again (a completed object's `JoinedParts` is neither)."""
    if isinstance(buffer, tempfile.SpooledTemporaryFile):
        return bool(getattr(buffer, "_rolled", False))
    return isinstance(buffer, io.BufferedReader)


def _checksum(part: Any, sink: RunningChecksum) -> int:
    """Feed `part`'s bytes to `sink`; how many there were."""
    count = 0
    for piece in _pieces(part, 0, part.size):
        sink.update(piece)
        count += len(piece)
    return count


def _complete(self: Any, body: Iterator[tuple[int, str]]) -> tuple[Any, str, Any]:
    """FakeMultipart.complete, with the parts read piece by piece for the checksum and then
    joined, not copied (`JoinedParts`)."""
    from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
    from moto.s3.models import MultipartChecksumBuilder
    from moto.settings import S3_UPLOAD_PART_MIN_SIZE
    from moto.utilities.utils import md5_hash

    defaults = MultipartChecksumBuilder(
        self.metadata.get("x-amz-checksum-algorithm"), self.metadata.get("x-amz-checksum-type")
    )
    algorithm, kind = defaults.checksum_algorithm, defaults.checksum_type
    whole = RunningChecksum(algorithm)
    part_checksums = bytearray()
    decode_hex = codecs.getdecoder("hex_codec")
    md5s = bytearray()
    size = 0
    last = None
    part_sizes: list[int] = []
    joined: list[Any] = []
    for number, etag in body:
        part = self.parts.get(number)
        part_etag = None
        if part is not None:
            part_etag = part.etag.replace('"', "")
            etag = etag.replace('"', "")
        if part is None or part_etag != etag:
            raise InvalidPart()
        if last is not None and last.contentsize < S3_UPLOAD_PART_MIN_SIZE:
            raise EntityTooSmall()
        md5s.extend(decode_hex(part_etag)[0])  # type: ignore[arg-type]
        if kind == "COMPOSITE":
            own = RunningChecksum(algorithm)
            size += _checksum(part, own)
            part_checksums.extend(own.digest())
        else:
            size += _checksum(part, whole)
        joined.append(part)
        part_sizes.append(part.size)
        last = part
    if not part_sizes:
        raise MalformedXML
    self.completed_part_sizes = part_sizes
    if kind == "COMPOSITE":
        combined = RunningChecksum(algorithm)
        combined.update(bytes(part_checksums))
        checksum = (kind, base64.b64encode(combined.digest()).decode(), len(part_sizes))
    else:
        checksum = (kind, base64.b64encode(whole.digest()).decode(), 1)
    full_etag = md5_hash()
    full_etag.update(bytes(md5s))
    value = SpooledValue(join_parts(joined), size)
    return value, f"{full_etag.hexdigest()}-{len(part_sizes)}", checksum


def _upload_part_copy(
    self: Any,
    dest_bucket_name: str,
    multipart_id: str,
    part_id: int,
    src_bucket_name: str,
    src_key_name: str,
    src_version_id: str | None,
    start_byte: int | None,
    end_byte: int | None,
) -> Any:
    """S3Backend.upload_part_copy, reading only the range it copies, piece by piece."""
    multipart = self.get_bucket(dest_bucket_name).multiparts[multipart_id]
    source = self.get_object(src_bucket_name, src_key_name, version_id=src_version_id)
    size = source.size
    first, end = 0, size
    if start_byte is not None:  # moto's slice [start_byte : end_byte + 1], bounds included
        first = min(start_byte, size)
        end = size if end_byte is None else max(first, min(end_byte + 1, size))
    shared = shared_file(source) if (first, end) == (0, size) else None
    if shared is not None:
        part = multipart.set_part(part_id, SpooledValue(shared, size))
    else:
        spool = new_spool()
        try:
            copied = copy_range(source, spool, first, end - first)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        part = multipart.set_part(part_id, SpooledValue(spool, copied))
    if part.size == size and source.multipart is None and source._etag is not None:
        part._etag = source._etag  # the MD5 of the same bytes: not hashed again
    return part


def stream_multipart_objects() -> None:
    """Patch moto's S3 (idempotent): multipart completion and part copies stream."""
    global _applied
    if _applied:
        return
    from moto.s3.models import FakeKey, FakeMultipart, S3Backend

    value = FakeKey.value
    assert isinstance(value, property) and value.fset is not None
    set_bytes = value.fset

    def set_value(self: Any, new_value: Any) -> None:
        if isinstance(new_value, SpooledValue):
            # A key's value is first set in its constructor, before it has its lock.
            with getattr(self, "lock", None) or contextlib.nullcontext():
                self._value_buffer.close()
                self._value_buffer = new_value.spool
                self.contentsize = new_value.size
            return
        set_bytes(self, new_value)

    originals.update(complete=FakeMultipart.complete, upload_part_copy=S3Backend.upload_part_copy)
    FakeKey.value = property(value.fget, set_value)  # type: ignore[method-assign,assignment]
    FakeMultipart.complete = _complete  # type: ignore[method-assign,assignment]
    S3Backend.upload_part_copy = _upload_part_copy  # type: ignore[method-assign]
    _applied = True

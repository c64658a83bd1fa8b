"""A layer blob as a forward stream from S3: one GET whose body is read in chunks, so memory
holds a chunk and the kept package files, never the layer; or a byte range of it, for layers
with a table of contents. Counts bytes read for the report."""

from __future__ import annotations

from typing import Any

from chalicelib.config import settings
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import aws
from chalicelib.storage.blobs import blob_key


class CountingStream:
    def __init__(self, body: Any) -> None:
        self._body = body
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._body.read(size if size is not None and size >= 0 else None)
        self.bytes_read += len(data)
        return data

    def close(self) -> None:
        self._body.close()


def open_layer(digest: str) -> CountingStream:
    result = aws.s3().get_object(Bucket=settings().bucket, Key=blob_key(parse_digest(digest)))
    return CountingStream(result["Body"])


def open_range(digest: str, start: int, end: int) -> CountingStream:
    """Bytes `[start, end)` of a layer blob: one ranged GET (seekable layers)."""
    result = aws.s3().get_object(
        Bucket=settings().bucket,
        Key=blob_key(parse_digest(digest)),
        Range=f"bytes={start}-{end - 1}",
    )
    return CountingStream(result["Body"])

"""The digest of an upload's staged bytes under an algorithm other than its running hash.

A session opened without `digest-algorithm` hashes sha256 as chunks arrive; a client may
still close it with `?digest=sha512:...`. The bytes are all in S3 by then, so they are
read back once, in order, a window at a time: memory stays bounded whatever the blob's
size, and the common case (the algorithm the session ran) never comes here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from chalicelib.config import settings
from chalicelib.storage import aws

WINDOW = 1024 * 1024  # bytes held at once while reading a staging object back


def staged_digest(keys: Iterable[str], tail: bytes, algorithm: str) -> str:
    """The hex digest under `algorithm` of the staging objects `keys`, in order, then `tail`."""
    hasher = hashlib.new(algorithm)
    s3 = aws.s3()
    bucket = settings().bucket
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            for window in body.iter_chunks(WINDOW):
                hasher.update(window)
        finally:
            body.close()
    hasher.update(tail)
    return hasher.hexdigest()

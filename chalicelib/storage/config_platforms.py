"""The os/architecture of single-platform images, for listings: it lives in the config blob,
not in the manifest a tag item copies. A config is content-addressed, so what was read once is
true forever: each function instance keeps what it read (at most CACHE_SIZE configs) and a
listing pays S3 only for configs it has not met, at most MAX_READS per call, read side by side.
Past that, or when a config cannot be read, the platform is unknown (None), never an error."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

MAX_CONFIG = 1 << 20
MAX_READS = 50
WORKERS = 8
CACHE_SIZE = 4096
# Config media types whose blob holds `os` and `architecture` (OCI's and docker's).
IMAGE_CONFIGS = (
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
)

_lock = threading.Lock()
_known: OrderedDict[str, str | None] = OrderedDict()


def platform_of(document: Any) -> str | None:
    """`os/architecture[/variant]` of a config (or an index entry's `platform`) document."""
    if not isinstance(document, dict) or not document.get("os"):
        return None
    if not document.get("architecture"):
        return None
    parts = [str(document["os"]), str(document["architecture"])]
    if document.get("variant"):
        parts.append(str(document["variant"]))
    return "/".join(parts)


def readable(descriptor: Any) -> str | None:
    """The digest of an image config worth reading, from a manifest's `config` descriptor."""
    if not isinstance(descriptor, dict) or descriptor.get("mediaType") not in IMAGE_CONFIGS:
        return None
    size, digest = descriptor.get("size"), descriptor.get("digest")
    if not isinstance(size, int) or size > MAX_CONFIG or not isinstance(digest, str):
        return None
    return digest


def _read(digest: str) -> tuple[str | None, bool]:
    """(platform, whether to keep it): a failed read is tried again next time."""
    from chalicelib.config import settings
    from chalicelib.oci.digest import parse_digest
    from chalicelib.storage import aws
    from chalicelib.storage.blobs import blob_key

    try:
        key = blob_key(parse_digest(digest))
        raw = aws.s3().get_object(Bucket=settings().bucket, Key=key)["Body"].read(MAX_CONFIG)
    except Exception:  # a listing shows what it can: an unreadable config is unknown
        return None, False
    try:
        return platform_of(json.loads(raw)), True
    except ValueError:
        return None, True


def platforms(digests: Iterable[str]) -> dict[str, str | None]:
    """`config digest -> platform` for each of `digests` (None: unknown)."""
    wanted = list(dict.fromkeys(digests))
    with _lock:
        found = {d: _known[d] for d in wanted if d in _known}
    missing = [d for d in wanted if d not in found][:MAX_READS]
    if missing:
        from chalicelib.storage import aws

        aws.s3()  # made once here, not by each worker at the same time
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(missing))) as pool:
            read = dict(zip(missing, pool.map(_read, missing), strict=True))
        with _lock:
            for digest, (platform, keep) in read.items():
                if keep:
                    _known[digest] = platform
                    _known.move_to_end(digest)
            while len(_known) > CACHE_SIZE:
                _known.popitem(last=False)
        found.update({digest: platform for digest, (platform, _) in read.items()})
    return found


def forget() -> None:
    """Drop this instance's copies (tests)."""
    with _lock:
        _known.clear()

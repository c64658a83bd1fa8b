"""The referrers of a digest on a remote registry (signatures, SBOMs), every page."""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import RemoteError

MAX_PAGES = 50
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def listing(registry: RemoteRegistry, repository: str, digest: str) -> list[dict[str, Any]]:
    """The descriptors in the referrers index; a registry without the API has none (404)."""
    found: list[dict[str, Any]] = []
    path: str | None = f"/v2/{repository}/referrers/{digest}"
    for _ in range(MAX_PAGES):
        if path is None:
            break
        answer = registry.request(
            "GET", path, {"Accept": "application/vnd.oci.image.index.v1+json"}
        )
        if answer.status == 404:
            return found
        if answer.status != 200:
            raise RemoteError(f"referrers of {digest[:80]}: {answer.status}")
        try:
            manifests = json.loads(answer.body).get("manifests") or []
        except (ValueError, AttributeError):
            raise RemoteError("referrers answer is not an image index") from None
        found.extend(m for m in manifests if isinstance(m, dict))
        link = _NEXT.search(answer.header("link") or "")
        path = link.group(1) if link else None
    return found

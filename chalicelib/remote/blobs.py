"""Blobs on a remote registry: whether it has one (HEAD), and a cross-repository mount,
the two ways a replica skips sending bytes the destination already holds."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import RemoteError


@dataclass(frozen=True, slots=True)
class Mount:
    mounted: bool
    location: str | None  # not mounted: the upload session the registry opened instead


def has(registry: RemoteRegistry, repository: str, digest: str) -> bool:
    """A 200, or a redirect to where the bytes are, both mean present."""
    answer = registry.request("HEAD", f"/v2/{repository}/blobs/{digest}")
    if answer.status in (200, 307, 302):
        return True
    if answer.status == 404:
        return False
    raise RemoteError(f"HEAD blob {digest[:80]}: {answer.status}")


def mount(registry: RemoteRegistry, repository: str, digest: str, source: str) -> Mount:
    """Ask to link `digest` from `source` (201); a registry that cannot (the blob is not
    there, or the caller may not read `source`) opens an upload session instead (202)."""
    registry.want(f"repository:{source}:pull")
    query = urllib.parse.urlencode({"mount": digest, "from": source})
    answer = registry.request("POST", f"/v2/{repository}/blobs/uploads/?{query}")
    if answer.status == 201:
        return Mount(True, None)
    if answer.status == 202:
        return Mount(False, answer.header("location"))
    raise RemoteError(f"mount {digest[:80]}: {answer.status}")

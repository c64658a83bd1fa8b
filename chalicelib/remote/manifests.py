"""Manifests on a remote registry: HEAD (what a tag or digest names), GET, PUT."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import RemoteError

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@dataclass(frozen=True, slots=True)
class RemoteManifest:
    digest: str | None
    media_type: str | None
    body: bytes


def head(registry: RemoteRegistry, repository: str, reference: str) -> str | None:
    """The digest `reference` names there, or None if it names nothing."""
    answer = registry.request("HEAD", f"/v2/{repository}/manifests/{reference}", {"Accept": ACCEPT})
    if answer.status == 404:
        return None
    if answer.status != 200:
        raise RemoteError(f"HEAD manifest {reference[:80]}: {answer.status}")
    return answer.header("docker-content-digest") or (reference if ":" in reference else None)


def get(registry: RemoteRegistry, repository: str, reference: str) -> RemoteManifest | None:
    answer = registry.request("GET", f"/v2/{repository}/manifests/{reference}", {"Accept": ACCEPT})
    if answer.status == 404:
        return None
    if answer.status != 200:
        raise RemoteError(f"GET manifest {reference[:80]}: {answer.status}")
    return RemoteManifest(
        answer.header("docker-content-digest"), answer.header("content-type"), answer.body
    )


def put(
    registry: RemoteRegistry, repository: str, reference: str, body: bytes, media_type: str
) -> str | None:
    """PUT the exact bytes; returns the digest the registry computed (if it says)."""
    answer = registry.request(
        "PUT", f"/v2/{repository}/manifests/{reference}", {"Content-Type": media_type}, body
    )
    if answer.status != 201:
        raise RemoteError(f"PUT manifest {reference[:80]}: {answer.status} {_snippet(answer.body)}")
    return answer.header("docker-content-digest")


def delete(registry: RemoteRegistry, repository: str, reference: str) -> bool:
    """False if it was not there."""
    answer = registry.request("DELETE", f"/v2/{repository}/manifests/{reference}")
    if answer.status == 404:
        return False
    if answer.status not in (200, 202):
        raise RemoteError(f"DELETE manifest {reference[:80]}: {answer.status}")
    return True


def _snippet(body: bytes) -> str:
    return body[:300].decode("utf-8", "replace")

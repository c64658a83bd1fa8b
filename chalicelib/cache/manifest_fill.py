"""A manifest fetched from upstream and stored as a normal manifest (and tag), so history,
lifecycle, scanning and garbage collection treat it as any other; an index's children are
fetched and stored first, as a push would have to.

Nothing is stored before its digest is checked: the digest asked for, or, for a tag, the
`Docker-Content-Digest` upstream sent (when it sent one) against the bytes received. The
blobs are not fetched here: a client asks for them next, and each is filled on its own
first pull (chalicelib/cache/blob_fill.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.cache.rules import CacheRule
from chalicelib.oci.digest import Digest, checked_digest, compute, is_digest, parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.manifest import ParsedManifest, parse_manifest
from chalicelib.remote import manifests as remote_manifests
from chalicelib.remote.session import RemoteRegistry
from chalicelib.storage import manifests

if TYPE_CHECKING:
    from chalicelib.api.http import HttpRequest

MAX_DEPTH = 2  # an index of indexes is as deep as registries go


def bad_upstream(rule: CacheRule, message: str) -> OCIError:
    """Upstream answered something Berth will not store: the client is told, nothing kept."""
    return OCIError(
        "UNAVAILABLE",
        f"upstream {rule.upstream.url} (cache rule {rule.prefix!r}): {message}",
        status=502,
        detail={"upstream": rule.upstream.url, "rule": rule.prefix},
    )


def _verified(
    rule: CacheRule, reference: str, fetched: remote_manifests.RemoteManifest
) -> tuple[Digest, ParsedManifest]:
    claimed = reference if is_digest(reference) else fetched.digest
    wanted = parse_digest(claimed) if claimed and is_digest(claimed) else None
    digest = compute(fetched.body, wanted.algorithm if wanted else "sha256")
    if wanted is not None and digest != wanted:
        raise bad_upstream(rule, f"manifest {reference[:100]} has digest {digest}, not {wanted}")
    try:
        parsed = parse_manifest(fetched.body, fetched.media_type)
    except OCIError as error:
        raise bad_upstream(
            rule, f"manifest {reference[:100]} is invalid: {error.message}"
        ) from None
    return digest, parsed


def fetch(
    request: HttpRequest,
    rule: CacheRule,
    registry: RemoteRegistry,
    name: str,
    reference: str,
    *,
    depth: int = 0,
) -> manifests.StoredManifest | None:
    """Fetch `reference` (tag or digest) from upstream and store it in `name` (the tag moved
    to it); None if upstream has no such manifest. Raises RemoteError if upstream fails."""
    upstream_name = rule.upstream_repository(name)
    registry.want(f"repository:{upstream_name}:pull")
    fetched = remote_manifests.get(registry, upstream_name, reference)
    if fetched is None:
        return None
    digest, parsed = _verified(rule, reference, fetched)
    children = {checked_digest(d.digest) for d in parsed.manifests}  # parse_manifest checked them
    missing = sorted(map(str, children - manifests.existing(name, children)))
    if missing and depth >= MAX_DEPTH:
        raise bad_upstream(rule, "indexes nested deeper than Berth caches")
    for child in missing:
        if fetch(request, rule, registry, name, child, depth=depth + 1) is None:
            raise bad_upstream(rule, f"the index names {child}, which upstream does not have")
    tag = None if is_digest(reference) else reference
    _store(request, rule, name, digest, parsed, fetched.body, tag)
    return manifests.StoredManifest(digest, parsed.media_type, fetched.body, via_tag=tag)


def _store(
    request: HttpRequest,
    rule: CacheRule,
    name: str,
    digest: Digest,
    parsed: ParsedManifest,
    body: bytes,
    tag: str | None,
) -> None:
    from chalicelib.audit import record

    detail: dict[str, object] = {
        "mediaType": parsed.media_type,
        "size": len(body),
        "cache": rule.upstream.url,
    }

    # A fill is a push by the cache: events, scanning and replication see it as one. Storage
    # adds the tags that moved (and `existing` for a manifest it had) and writes the event
    # in the same transaction. Blobs are filled when pulled: no reference check, the
    # manifest stands for them.
    event = record.event(request, "push", repository=name, digest=str(digest), detail=detail)
    manifests.put(name, digest, parsed, body, [tag] if tag else [], None, event)

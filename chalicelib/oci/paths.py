"""Map a `/v2/...` path to the endpoint it names.

Repository names contain slashes, so the path is read from the right: the last one to
three segments say which resource is meant, everything before them is the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Resource(Enum):
    BASE = "base"
    CATALOG = "catalog"
    TAGS = "tags"
    MANIFEST = "manifest"
    BLOB = "blob"
    UPLOADS = "uploads"  # POST to start a session
    UPLOAD = "upload"  # one session
    REFERRERS = "referrers"
    # Berth extensions under `_berth`, which cannot be a component of an OCI name.
    HISTORY = "history"  # /v2/<name>/_berth/history/<tag>
    ROLLBACK = "rollback"  # /v2/<name>/_berth/rollback/<tag>
    SETTINGS = "settings"  # /v2/<name>/_berth/settings
    TAG_DETAILS = "tag-details"  # /v2/<name>/_berth/tags: tags with size, platforms, dates
    REPOSITORIES = "repositories"  # /v2/_berth/repositories
    GC = "gc"  # /v2/_berth/gc
    S3_UPLOADS = "s3-uploads"  # /v2/<name>/_berth/s3-uploads
    S3_UPLOAD = "s3-upload"  # /v2/<name>/_berth/s3-uploads/<id>
    S3_PARTS = "s3-parts"  # /v2/<name>/_berth/s3-uploads/<id>/parts
    ADMIN = "admin"  # /v2/_berth/admin/<what>[/<name>[/<verb>]]: argument is <what>/...
    AUDIT = "audit"  # /v2/_berth/audit?repository=…|principal=…
    LIFECYCLE = "lifecycle"  # /v2/<name>/_berth/lifecycle
    LIFECYCLE_ALL = "lifecycle-all"  # /v2/_berth/lifecycle: every repository's policy run
    WEBHOOKS = "webhooks"  # /v2/_berth/webhooks[/<id>[/<verb>]]: argument is <id>/<verb>
    TRIGGERS = "triggers"  # /v2/_berth/triggers[/<id>[/runs]]: deploy on push
    SIGNING_POLICY = "signing-policy"  # /v2/_berth/signing/policy: the trust policy
    SIGNATURES = "signatures"  # /v2/<name>/_berth/signatures/<digest>: verdicts of an image
    SCAN = "scan"  # /v2/<name>/_berth/scan/<digest or tag>: findings (GET), scan now (POST)
    VULNDB = "vulndb"  # /v2/_berth/vulndb: advisory database state (GET), import (POST)
    REPLICATION = "replication"  # /v2/_berth/replication[/<id>|/status]: replication rules
    VULNDB_SYNC = "vulndb-sync"  # /v2/_berth/vulndb/sync: sync OSV exports now (POST)
    SCAN_POLICY = "scan-policy"  # /v2/<name>/_berth/scan-policy: the scan pull policy
    CACHE = "cache"  # /v2/_berth/cache[/<prefix>]: pull-through cache rules


@dataclass(frozen=True, slots=True)
class Endpoint:
    resource: Resource
    name: str = ""
    argument: str = ""


def parse_path(path: str) -> Endpoint | None:
    """The endpoint for `path` (with or without the leading `/v2`), or None if none matches."""
    trimmed = path.strip("/")
    if trimmed == "v2":
        return Endpoint(Resource.BASE)
    if not trimmed.startswith("v2/"):
        return None
    parts = trimmed[3:].split("/")
    if parts == ["_catalog"]:
        return Endpoint(Resource.CATALOG)
    # `_berth` is never a name component; as the last segment it may be a tag.
    extension = _extension(parts) if "_berth" in parts[:-1] else None
    if extension is not None:
        return extension
    n = len(parts)
    if n >= 3 and parts[-2:] == ["tags", "list"]:
        return Endpoint(Resource.TAGS, "/".join(parts[:-2]))
    if n >= 3 and parts[-2] == "manifests":
        return Endpoint(Resource.MANIFEST, "/".join(parts[:-2]), parts[-1])
    if n >= 3 and parts[-2] == "referrers":
        return Endpoint(Resource.REFERRERS, "/".join(parts[:-2]), parts[-1])
    if n >= 3 and parts[-2:] == ["blobs", "uploads"]:
        return Endpoint(Resource.UPLOADS, "/".join(parts[:-2]))
    if n >= 4 and parts[-3:-1] == ["blobs", "uploads"]:
        return Endpoint(Resource.UPLOAD, "/".join(parts[:-3]), parts[-1])
    if n >= 3 and parts[-2] == "blobs":
        return Endpoint(Resource.BLOB, "/".join(parts[:-2]), parts[-1])
    if n >= 2 and parts[-1] == "referrers":
        # The referrers API never answers 404: a missing digest is a bad request (400).
        return Endpoint(Resource.REFERRERS, "/".join(parts[:-1]))
    return None


_EXTENSION_WITH_ARGUMENT = {
    "history": Resource.HISTORY,
    "rollback": Resource.ROLLBACK,
    "signatures": Resource.SIGNATURES,
    "scan": Resource.SCAN,
}


def _extension(parts: list[str]) -> Endpoint | None:
    """A Berth extension endpoint; `_berth` never starts a name component, so it marks one."""
    if parts == ["_berth", "repositories"]:
        return Endpoint(Resource.REPOSITORIES)
    if parts == ["_berth", "gc"]:
        return Endpoint(Resource.GC)
    if parts == ["_berth", "audit"]:
        return Endpoint(Resource.AUDIT)
    if parts == ["_berth", "vulndb"]:
        return Endpoint(Resource.VULNDB)
    if parts == ["_berth", "vulndb", "sync"]:
        return Endpoint(Resource.VULNDB_SYNC)
    if len(parts) >= 3 and parts[:2] == ["_berth", "admin"]:
        return Endpoint(Resource.ADMIN, "", "/".join(parts[2:]))
    if parts == ["_berth", "lifecycle"]:
        return Endpoint(Resource.LIFECYCLE_ALL)
    if parts[:2] == ["_berth", "webhooks"]:
        return Endpoint(Resource.WEBHOOKS, "", "/".join(parts[2:]))
    if parts == ["_berth", "signing", "policy"]:
        return Endpoint(Resource.SIGNING_POLICY)
    if parts[:2] == ["_berth", "triggers"]:
        return Endpoint(Resource.TRIGGERS, "", "/".join(parts[2:]))
    if parts[:2] == ["_berth", "replication"]:
        return Endpoint(Resource.REPLICATION, "", "/".join(parts[2:]))
    if parts[:2] == ["_berth", "cache"]:
        return Endpoint(Resource.CACHE, "", "/".join(parts[2:]))
    n = len(parts)
    if n >= 3 and parts[-2:] == ["_berth", "settings"]:
        return Endpoint(Resource.SETTINGS, "/".join(parts[:-2]))
    if n >= 3 and parts[-2:] == ["_berth", "tags"]:
        return Endpoint(Resource.TAG_DETAILS, "/".join(parts[:-2]))
    if n >= 3 and parts[-2:] == ["_berth", "s3-uploads"]:
        return Endpoint(Resource.S3_UPLOADS, "/".join(parts[:-2]))
    if n >= 4 and parts[-3:-1] == ["_berth", "s3-uploads"]:
        return Endpoint(Resource.S3_UPLOAD, "/".join(parts[:-3]), parts[-1])
    if n >= 5 and parts[-4:-2] == ["_berth", "s3-uploads"] and parts[-1] == "parts":
        return Endpoint(Resource.S3_PARTS, "/".join(parts[:-4]), parts[-2])
    if n >= 3 and parts[-2:] == ["_berth", "scan-policy"]:
        return Endpoint(Resource.SCAN_POLICY, "/".join(parts[:-2]))
    if n >= 3 and parts[-2:] == ["_berth", "lifecycle"]:
        return Endpoint(Resource.LIFECYCLE, "/".join(parts[:-2]))
    if n >= 4 and parts[-3] == "_berth" and parts[-2] in _EXTENSION_WITH_ARGUMENT:
        return Endpoint(_EXTENSION_WITH_ARGUMENT[parts[-2]], "/".join(parts[:-3]), parts[-1])
    return None

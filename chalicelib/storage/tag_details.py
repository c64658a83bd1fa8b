"""What `berth tags` shows of each tag: its image's size, platforms and push/pull times, read
in two queries of the repository's partition (its manifests, then its tags) and, for a single
image, its config blob (the platform lives there; an index names its children's itself).

Size is what a pull of the tag downloads at most: the manifest, its config and layers; for an
index, every child's. The config read is bounded (MAX_CONFIG bytes) and done once per image."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.config import settings
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import aws
from chalicelib.storage.blobs import blob_key
from chalicelib.storage.keys import MANIFEST_PREFIX, TAG_PREFIX, manifest_digest, repo_pk, tag_name
from chalicelib.storage.models import ManifestItem, TagItem

MAX_CONFIG = 1 << 20


@dataclass(frozen=True, slots=True)
class TagDetail:
    tag: str
    digest: str
    media_type: str
    size: int
    platforms: tuple[str, ...]
    tagged_at: datetime  # when the tag last moved
    pushed_at: datetime | None  # its manifest's last push, under any tag (not this tag's)
    pulled_at: datetime | None  # the last recorded pull (recorded at most daily)

    def document(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None

        return {
            "tag": self.tag,
            "digest": self.digest,
            "mediaType": self.media_type,
            "size": self.size,
            "platforms": list(self.platforms),
            "taggedAt": when(self.tagged_at),
            "pushedAt": when(self.pushed_at),
            "lastPulled": when(self.pulled_at),
        }


def _body(item: ManifestItem) -> dict[str, Any]:
    if item.body is not None:
        raw = bytes(item.body)
    else:
        raw = aws.s3().get_object(Bucket=settings().bucket, Key=item.s3_key)["Body"].read()
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _platform(value: Any) -> str | None:
    if not isinstance(value, dict) or not value.get("os") or not value.get("architecture"):
        return None
    parts = [str(value["os"]), str(value["architecture"])]
    if value.get("variant"):
        parts.append(str(value["variant"]))
    return "/".join(parts)


# Config media types whose blob holds `os` and `architecture` (OCI's and docker's).
IMAGE_CONFIGS = (
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
)


def _config_platform(descriptor: Any) -> str | None:
    """The os/architecture of an image config blob (None: not an image, or unreadable)."""
    if not isinstance(descriptor, dict) or descriptor.get("mediaType") not in IMAGE_CONFIGS:
        return None
    size = descriptor.get("size")
    if not isinstance(size, int) or size > MAX_CONFIG:
        return None
    try:
        key = blob_key(parse_digest(descriptor.get("digest")))
        raw = aws.s3().get_object(Bucket=settings().bucket, Key=key)["Body"].read(MAX_CONFIG)
        return _platform(json.loads(raw))
    except Exception:  # a listing shows what it can: a missing or odd config is "-"
        return None


def _descriptor_sizes(body: dict[str, Any]) -> int:
    total = 0
    for descriptor in [body.get("config"), *(body.get("layers") or [])]:
        if isinstance(descriptor, dict) and isinstance(descriptor.get("size"), int):
            total += int(descriptor["size"])
    return total


def read(repo: str, limit: int) -> list[TagDetail]:
    """Up to `limit` tags of `repo`, in tag order, with what they name."""
    pk = repo_pk(repo)
    manifests = {
        manifest_digest(item.sk): item
        for item in ManifestItem.query(pk, ManifestItem.sk.startswith(MANIFEST_PREFIX))
    }
    found: list[TagDetail] = []
    cache: dict[str, tuple[int, tuple[str, ...]]] = {}

    def image(digest: str) -> tuple[int, tuple[str, ...]]:
        """(size, platforms) of the manifest `digest`, children included."""
        if digest in cache:
            return cache[digest]
        item = manifests.get(digest)
        if item is None:
            return (0, ())
        body = _body(item)
        size = int(item.size)
        platforms: tuple[str, ...] = ()
        if isinstance(body.get("manifests"), list):
            named = []
            for child in body["manifests"]:
                if not isinstance(child, dict):
                    continue
                child_size, _ = image(str(child.get("digest", "")))
                size += child_size
                platform = _platform(child.get("platform"))
                if platform and platform != "unknown/unknown":
                    named.append(platform)
            platforms = tuple(named)
        else:
            size += _descriptor_sizes(body)
            platform = _config_platform(body.get("config"))
            platforms = (platform,) if platform else ()
        cache[digest] = (size, platforms)
        return cache[digest]

    for tag in TagItem.query(pk, TagItem.sk.startswith(TAG_PREFIX), limit=limit):
        size, platforms = image(tag.digest)
        manifest = manifests.get(tag.digest)
        pulled = [t for t in (tag.pulled_at, manifest.last_pulled if manifest else None) if t]
        found.append(
            TagDetail(
                tag=tag_name(tag.sk),
                digest=tag.digest,
                media_type=tag.media_type,
                size=size,
                platforms=platforms,
                tagged_at=tag.updated_at,
                pushed_at=manifest.pushed_at if manifest else None,
                pulled_at=max(pulled) if pulled else None,
            )
        )
        if len(found) == limit:
            break
    return found

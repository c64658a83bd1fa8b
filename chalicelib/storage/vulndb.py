"""The advisory database in the registry's bucket: one small JSON object per (ecosystem,
package) index key (chalicelib/scanning/advisory_index.py), so a scan GETs only the keys of
the packages it found; and `vulndb/state.json` saying what was imported when."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.storage import aws
from chalicelib.storage.clock import now

PREFIX = "vulndb/"
STATE_KEY = PREFIX + "state.json"


def object_key(index_key: str) -> str:
    return f"{PREFIX}index/{index_key}.json"


def _get_body(key: str) -> bytes | None:
    try:
        body: bytes = aws.s3().get_object(Bucket=settings().bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return body


def _get_json(key: str) -> Any:
    body = _get_body(key)
    return None if body is None else json.loads(body)


def _put_json(key: str, document: Any) -> None:
    aws.s3().put_object(
        Bucket=settings().bucket,
        Key=key,
        Body=json.dumps(document, separators=(",", ":")).encode(),
        ContentType="application/json",
    )


def advisories_for(index_key: str) -> list[dict[str, Any]]:
    """The advisories stored under one index key; [] when the key has none."""
    found = _get_json(object_key(index_key))
    return found if isinstance(found, list) else []


def _fetched(index_key: str) -> tuple[list[dict[str, Any]], int]:
    body = _get_body(object_key(index_key))
    found = None if body is None else json.loads(body)
    return (found if isinstance(found, list) else []), len(body or b"")


def lookup_at(version: int) -> Callable[[str], list[dict[str, Any]]]:
    """A scan's lookup against the database at `version`, through the instance's cache of
    index objects (chalicelib/storage/advisory_cache.py), which keeps an object read at an
    earlier version while no version since changed its key."""
    from chalicelib.storage.advisory_cache import CACHE

    return lambda index_key: CACHE.lookup(version, index_key, _fetched, changed_between)


def state() -> dict[str, Any]:
    """{"advisories": N, "keys": N, "updatedAt": ISO time or None, "version": N}: an empty
    database says so rather than passing every image as clean. `version` goes up with every
    change; a rescan of the stored images follows each (chalicelib/scanner/rescan.py)."""
    found = _get_json(STATE_KEY)
    if isinstance(found, dict):
        return {"version": 0, **found}
    return {"advisories": 0, "keys": 0, "updatedAt": None, "version": 0}


def version() -> int:
    return int(state().get("version") or 0)


def merge(index: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Add advisories to the stored index, an advisory already stored under a key replaced by
    the imported one with the same id (a newer export). Returns the new state."""
    added = 0
    new_keys = 0
    for key, advisories in index.items():
        stored = advisories_for(key)
        if not stored:
            new_keys += 1
        by_id = {str(a.get("id")): a for a in stored}
        for advisory in advisories:
            added += str(advisory.get("id")) not in by_id
            by_id[str(advisory.get("id"))] = advisory
        _put_json(object_key(key), sorted(by_id.values(), key=lambda a: str(a.get("id"))))
    current = state()
    record_changes(int(current.get("version") or 0) + 1, index.keys())
    updated = {
        "advisories": int(current.get("advisories", 0)) + added,
        "keys": int(current.get("keys", 0)) + new_keys,
        "updatedAt": now().isoformat(),
        "version": int(current.get("version") or 0) + 1,
        "rescanPending": bool(current.get("rescanPending")),  # a sync's, still owed
    }
    _put_json(STATE_KEY, updated)
    return updated


# The scheduled OSV sync (chalicelib/scanner/osv_sync.py): per synced ecosystem, what was
# copied (the source's ETag) and the hash of each index key it wrote, so the next sync
# writes only what changed and deletes only what is gone.


def source_key(ecosystem: str) -> str:
    return f"{PREFIX}sources/{ecosystem}.json"


def export_key(ecosystem: str) -> str:
    """Where the copy of the ecosystem's `all.zip` is kept in the registry's bucket."""
    return f"{PREFIX}exports/{ecosystem}/all.zip"


def source_state(ecosystem: str) -> dict[str, Any]:
    found = _get_json(source_key(ecosystem))
    return found if isinstance(found, dict) else {"etag": None, "keys": {}, "advisories": 0}


def save_source_state(ecosystem: str, document: dict[str, Any]) -> None:
    _put_json(source_key(ecosystem), document)


def put_index_body(index_key: str, body: bytes) -> None:
    aws.s3().put_object(
        Bucket=settings().bucket,
        Key=object_key(index_key),
        Body=body,
        ContentType="application/json",
    )


def delete_index_keys(index_keys: list[str]) -> None:
    """DeleteObjects, a thousand keys a call (an absent key is no error)."""
    for start in range(0, len(index_keys), 1000):
        chunk = index_keys[start : start + 1000]
        aws.s3().delete_objects(
            Bucket=settings().bucket,
            Delete={"Objects": [{"Key": object_key(k)} for k in chunk], "Quiet": True},
        )


def bump(advisories: int, keys: int, changed: Iterable[str] | None = None) -> dict[str, Any]:
    """After a sync changed an ecosystem's index: the counts moved by these deltas, a new
    version (its `changed` index keys recorded first; None: unknown, so every image is
    rescanned), and a rescan owed (`rescanPending`) until `rescan_queued` says it was queued,
    so a sync that fails after changing the index still has its rescan queued by the next run."""
    current = state()
    record_changes(int(current.get("version") or 0) + 1, changed)
    updated = {
        "advisories": max(0, int(current.get("advisories", 0)) + advisories),
        "keys": max(0, int(current.get("keys", 0)) + keys),
        "updatedAt": now().isoformat(),
        "version": int(current.get("version") or 0) + 1,
        "rescanPending": True,
    }
    _put_json(STATE_KEY, updated)
    return updated


def rescan_queued(version: int) -> None:
    """The rescan for `version` is queued: nothing is owed (unless the database moved on)."""
    current = state()
    if int(current.get("version") or 0) == version and current.get("rescanPending"):
        _put_json(STATE_KEY, {**current, "rescanPending": False})


# What each version changed (chalicelib/scanner/rescan.py): the index keys an import or a sync
# wrote or deleted, recorded before the version is published, so that the rescan after it
# reads only images whose packages look one of them up (chalicelib/scanning/key_hashes.py).
# A version without a record, or recorded as "all", rescans every image.
CHANGES_PREFIX = PREFIX + "changes/"
MAX_CHANGE_SPAN = 400  # versions; an image scanned longer ago than this is rescanned
_changes_read: dict[int, frozenset[str] | None] = {}  # records never change: kept per instance


def changes_key(version: int) -> str:
    return f"{CHANGES_PREFIX}{version}.json"


def record_changes(version: int, keys: Iterable[str] | None) -> None:
    """The first writer of a version's record wins; a second writer of the same version (two
    imports at once) turns it into "all", so neither change can go unrescanned."""
    document = {"all": True} if keys is None else {"keys": sorted(set(keys))}
    body = json.dumps(document, separators=(",", ":")).encode()
    try:
        aws.s3().put_object(
            Bucket=settings().bucket,
            Key=changes_key(version),
            Body=body,
            ContentType="application/json",
            IfNoneMatch="*",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
            raise
        _put_json(changes_key(version), {"all": True})


def _changes_of(version: int) -> frozenset[str] | None:
    if version in _changes_read:
        return _changes_read[version]
    found = _get_json(changes_key(version))
    keys = found.get("keys") if isinstance(found, dict) and not found.get("all") else None
    changed = frozenset(str(k) for k in keys) if isinstance(keys, list) else None
    if found is not None:  # a record not written yet may be written later: not kept
        if len(_changes_read) > 4 * MAX_CHANGE_SPAN:
            _changes_read.clear()
        _changes_read[version] = changed
    return changed


def changed_between(after: int, upto: int) -> frozenset[str] | None:
    """Every index key changed by the versions after `after` up to `upto`; None when that is
    not known (a version without a record, one recorded as "all", too long a span)."""
    if upto <= after:
        return frozenset()
    if upto - after > MAX_CHANGE_SPAN or after < 0:
        return None
    union: set[str] = set()
    for version in range(after + 1, upto + 1):
        changed = _changes_of(version)
        if changed is None:
            return None
        union |= changed
    return frozenset(union)

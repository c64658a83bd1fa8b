"""The table read raw, page by page, and its items decoded by their key's prefix.

Garbage collection scans the whole table and a lifecycle run reads whole partitions, both
for keys and a few attributes. Through pynamodb's models that would build a model object per
item (and its Connection.scan wants a DescribeTable to page); through the botocore client
it is one call per page. The decoding stays here, next to the keys and the models, so those
readers never spell a prefix, slice a key or restate how pynamodb stores a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.constants import DATETIME_FORMAT

from chalicelib.config import settings
from chalicelib.rules.immutability import DEFAULT_ROLLBACK_WINDOW, TagRules
from chalicelib.storage import keys
from chalicelib.storage.transactions import connection

Raw = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LinkRow:
    """A blob link (`B#`)."""

    digest: str


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """A manifest (`M#`); fields not projected by the read are empty."""

    digest: str
    size: int
    pushed_at: datetime | None
    claimed_at: datetime | None
    last_pulled: datetime | None
    subject: str | None
    children: tuple[str, ...]
    blobs: tuple[str, ...]
    s3_key: str | None


@dataclass(frozen=True, slots=True)
class TagRow:
    """A tag (`T#`)."""

    pk: str
    sk: str
    name: str
    digest: str | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class MoveRow:
    """A tag history entry (`H#`)."""

    tag: str
    from_digest: str | None
    to_digest: str | None


@dataclass(frozen=True, slots=True)
class SettingsRow:
    """The settings item (`S#settings`), as the rules it holds."""

    rules: TagRules


@dataclass(frozen=True, slots=True)
class SessionRow:
    """An upload session (`U#<id>`): `kind` is its sort key (`U` or `S3`)."""

    upload_id: str
    kind: str
    expires_at: int


Row = LinkRow | ManifestRow | TagRow | MoveRow | SettingsRow | SessionRow


def scan(attributes: Sequence[str], *, page_size: int | None = None) -> Iterator[list[Raw]]:
    """The whole table, consistent, a page at a time (`page_size`: items per page)."""
    args = _projection(attributes)
    if page_size:
        args["Limit"] = page_size
    return _pages("scan", args)


def scan_from(
    attributes: Sequence[str], start: Raw | None, *, page_size: int | None = None
) -> Iterator[tuple[list[Raw], Raw | None]]:
    """The table from `start` (a LastEvaluatedKey; None: the beginning), consistent, a page
    at a time with the key to go on from after it (None after the last page)."""
    args = _projection(attributes)
    if page_size:
        args["Limit"] = page_size
    if start is not None:
        args["ExclusiveStartKey"] = start
    client: Any = connection().client
    while True:
        page = client.scan(**args)
        after = page.get("LastEvaluatedKey")
        yield page.get("Items", []), after
        if not after:
            return
        args["ExclusiveStartKey"] = after


def query_from(pk: str, sk: str, attributes: Sequence[str]) -> Iterator[list[Raw]]:
    """The partition `pk` from sort key `sk` on, consistent, a page at a time."""
    args = _projection(["pk", "sk", *attributes])
    names = {name: alias for alias, name in args["ExpressionAttributeNames"].items()}
    args["KeyConditionExpression"] = f"{names['pk']} = :pk AND {names['sk']} >= :from"
    args["ExpressionAttributeValues"] = {":pk": {"S": pk}, ":from": {"S": sk}}
    return _pages("query", args)


def _projection(attributes: Sequence[str]) -> dict[str, Any]:
    names = {f"#a{i}": name for i, name in enumerate(dict.fromkeys(attributes))}
    return {
        "TableName": settings().table,
        "ConsistentRead": True,
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
    }


def _pages(operation: str, args: dict[str, Any]) -> Iterator[list[Raw]]:
    client: Any = connection().client
    call = getattr(client, operation)
    while True:
        page = call(**args)
        yield page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return
        args["ExclusiveStartKey"] = start


def decode(item: Raw) -> Row | None:
    """The item as the row its keys say it is; None for items no raw reader needs."""
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    if pk.startswith(keys.REPO_PREFIX):
        if sk.startswith(keys.LINK_PREFIX):
            return LinkRow(keys.link_digest(sk))
        if sk.startswith(keys.MANIFEST_PREFIX):
            return _manifest(item, keys.manifest_digest(sk))
        if sk.startswith(keys.TAG_PREFIX):
            return TagRow(
                pk, sk, keys.tag_name(sk), _text(item, "digest"), _time(item, "updated_at")
            )
        if sk.startswith(keys.HISTORY_PREFIX):
            return MoveRow(
                _text(item, "tag") or "", _text(item, "from_digest"), _text(item, "to_digest")
            )
        if sk == keys.SETTINGS_SK:
            return SettingsRow(_rules(item))
        return None
    if pk.startswith(keys.UPLOAD_PREFIX):
        return SessionRow(keys.upload_id_of(pk), sk, _number(item, "expires_at") or 0)
    return None


def _manifest(item: Raw, digest: str) -> ManifestRow:
    return ManifestRow(
        digest,
        _number(item, "size") or 0,
        _time(item, "pushed_at"),
        _time(item, "claimed_at"),
        _time(item, "last_pulled"),
        _text(item, "subject"),
        _texts(item, "children"),
        _texts(item, "blobs"),
        _text(item, "s3_key"),
    )


def _rules(item: Raw) -> TagRules:
    window = _number(item, "rollback_window")
    return TagRules(
        immutable=bool(item.get("immutable", {}).get("BOOL", False)),
        exclude=_texts(item, "immutable_exclude"),
        version=_number(item, "version") or 0,
        rollback_window=DEFAULT_ROLLBACK_WINDOW if window is None else window,
    )


def _text(item: Raw, name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return str(value) if value is not None else None


def _number(item: Raw, name: str) -> int | None:
    value = item.get(name, {}).get("N")
    return int(value) if value is not None else None


def _texts(item: Raw, name: str) -> tuple[str, ...]:
    return tuple(str(v["S"]) for v in item.get(name, {}).get("L", []))


def _time(item: Raw, name: str) -> datetime | None:
    value = _text(item, name)
    # As pynamodb's UTCDateTimeAttribute writes it (always UTC, `+0000`).
    return datetime.strptime(value, DATETIME_FORMAT).replace(tzinfo=UTC) if value else None

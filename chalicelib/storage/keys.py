"""Every partition and sort key of the one metadata table, built and parsed in one place.

With one table, the key prefix is the only thing that says what an item is: a mistyped
prefix is a silent data bug, and a prefix that begins another would let a `begins_with`
query or a scan's classification read the wrong items. So no other module spells a prefix
or slices one off; tests/unit/test_keys.py checks that every key round-trips and that the
prefixes stay apart. Pure (no pynamodb, no clock): cheap to import anywhere.

A repository's partition `R#<name>`, by sort key (in this byte order, which range queries
rely on):

    B#<digest>                 blob link
    F#<subject>#<digest>       referrer
    H#<tag>#<time>#<nonce>     tag history entry
    M#<digest>                 manifest
    S#lifecycle, S#settings    lifecycle policy, repository settings
    T#<tag>                    tag (last: a range query above `T#<tag>` reads tags only)

Other partitions: `REPOS`/<name> (the repository list), `U#<id>`/`U` or `S3` (upload
sessions), `GC#<digest>`/`GC` (a collection's marker) and `GC`/`lease`, auth's `P#<kind>#<name>`,
`PRINCIPALS`, `PUBLIC`, `RT#<id>`, `L#name#…`/`L#ip#…`, `REVOKED` (chalicelib/auth/models.py),
`SIGNING`/`policy` (the signature trust policy, chalicelib/storage/trust_policy.py),
audit's `AUDIT#R#<repository>` / `AUDIT#P#<principal>` / `AUDIT#D#<day>` (the registry-wide
feed, one partition per UTC day) with `<time>#<nonce>` sort keys, and a scan result's
`SCAN#<digest>`/`SCAN`, and a repository's pull counters `PULLS#<repository>`/`<day>`.
Digests never contain `#`, nor do tags or repository names, so `#` ends every component."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

# Partitions.
REPO_PREFIX = "R#"
REPOS_PARTITION = "REPOS"
UPLOAD_PREFIX = "U#"
GC_MARKER_PREFIX = "GC#"
GC_LEASE_PK = "GC"
REF_PREFIX = "REF#"  # garbage collection's reference index: one partition per digest
GC_CANDIDATE_PREFIX = "GCQ#"  # released digests, a few sharded partitions
LIFECYCLE_DUE_PREFIX = "LCDUE#"  # lifecycle's due index, a few sharded partitions
LIFECYCLE_INDEX_PK = "LCDUE"  # its marker item
PRINCIPAL_PREFIX = "P#"
DIRECTORY_PARTITION = "PRINCIPALS"
PUBLIC_PARTITION = "PUBLIC"
REFRESH_PREFIX = "RT#"
LOGIN_NAME_PREFIX = "L#name#"
LOGIN_NAME_SOURCE_PREFIX = "L#namesrc#"
LOGIN_IP_PREFIX = "L#ip#"
REVOKED_PARTITION = "REVOKED"
# Events (chalicelib/events/): subscriptions in one partition each, and their delivery logs.
WEBHOOKS_PARTITION = "WEBHOOKS"
WEBHOOK_PREFIX = "W#"
TRIGGERS_PARTITION = "TRIGGERS"
TRIGGER_PREFIX = "X#"
WEBHOOK_LOG_PREFIX = "WEBHOOK#"
TRIGGER_LOG_PREFIX = "TRIGGER#"
DELIVERY_PREFIX = "D#"
# The registry's signature trust policy (chalicelib/storage/trust_policy.py), one item.
SIGNING_PARTITION = "SIGNING"
TRUST_POLICY_SK = "policy"
AUDIT_REPOSITORY_PREFIX = "AUDIT#R#"
# Replication (chalicelib/replication/): rules in one partition, each image's copies in its
# repository's own replica partition (`REPLICA#<repository>`, sk `<digest>#<rule>#<n>`).
REPLICATION_PARTITION = "REPLICATION"
REPLICATION_RULE_PREFIX = "RR#"
REPLICA_PREFIX = "REPLICA#"
REPLICA_UPLOAD_PREFIX = "REPUP#"  # a blob's upload to a destination, kept across runs
# Pull-through cache (chalicelib/cache/): rules in one partition (sk `CR#<prefix>`), when each
# cached tag was last checked upstream (`CACHETAG#<repository>`, sk the tag), and the claim of
# a blob being fetched from upstream (`CACHEFILL#<digest>`).
CACHE_PARTITION = "CACHE"
CACHE_RULE_PREFIX = "CR#"
CACHE_TAG_PREFIX = "CACHETAG#"
CACHE_FILL_PREFIX = "CACHEFILL#"
CACHE_FILL_SK = "fill"
AUDIT_PRINCIPAL_PREFIX = "AUDIT#P#"
AUDIT_DAY_PREFIX = "AUDIT#D#"
# Vulnerability scans (chalicelib/scanner/): one result per image digest, whichever repository
# holds it (the same content has the same findings).
SCAN_PREFIX = "SCAN#"
SCAN_SK = "SCAN"
# Approximate pulls per day (chalicelib/storage/pull_counts.py): one counter item per
# repository and UTC day, `PULLS#<repository>`/`<YYYY-MM-DD>`.
PULLS_PREFIX = "PULLS#"

# Sort keys in a repository's partition.
LINK_PREFIX = "B#"
REFERRER_PREFIX = "F#"
HISTORY_PREFIX = "H#"
MANIFEST_PREFIX = "M#"
LIFECYCLE_SK = "S#lifecycle"
SETTINGS_SK = "S#settings"
TAG_PREFIX = "T#"

# Sort keys of the other partitions.
UPLOAD_SK = "U"  # a session through the registry (storage/uploads.py)
DIRECT_UPLOAD_SK = "S3"  # a direct-to-S3 session (storage/direct.py)
GC_MARKER_SK = "GC"
LINK_REF_PREFIX = "L#"  # in REF#<digest>: a repository links the blob
MANIFEST_REF_PREFIX = "M#"  # in REF#<name>: a manifest lists the blob or is stored there
GC_CANDIDATE_SHARDS = 4
LIFECYCLE_DUE_SHARDS = 4
GC_LEASE_SK = "lease"
GC_INDEX_SK = "index"  # under GC_LEASE_PK: the reference index is complete
GC_REINDEX_SK = "reindex"  # under GC_LEASE_PK: where an unfinished backfill stopped
PRINCIPAL_SK = "P"
GRANT_PREFIX = "G#"
REFRESH_SK = "RT"

_HISTORY_TIME = "%Y%m%dT%H%M%S.%fZ"
_AUDIT_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def _after(prefix: str, key: str) -> str:
    """`key` without `prefix`; ValueError if it is not such a key (never a silent slice)."""
    if not key.startswith(prefix):
        raise ValueError(f"{key[:80]!r} is not a {prefix!r} key")
    return key[len(prefix) :]


def repo_pk(name: str) -> str:
    return REPO_PREFIX + name


def repo_of(pk: str) -> str:
    return _after(REPO_PREFIX, pk)


def link_sk(digest: str) -> str:
    return LINK_PREFIX + digest


def link_digest(sk: str) -> str:
    return _after(LINK_PREFIX, sk)


def manifest_sk(digest: str) -> str:
    return MANIFEST_PREFIX + digest


def manifest_digest(sk: str) -> str:
    return _after(MANIFEST_PREFIX, sk)


def tag_sk(tag: str) -> str:
    return TAG_PREFIX + tag


def tag_name(sk: str) -> str:
    return _after(TAG_PREFIX, sk)


def referrers_of(subject: str) -> str:
    """The sort-key prefix of `subject`'s referrers (a `begins_with` query)."""
    return f"{REFERRER_PREFIX}{subject}#"


def referrer_sk(subject: str, digest: str) -> str:
    return referrers_of(subject) + digest


def referrer_parts(sk: str) -> tuple[str, str]:
    """(subject, digest) of a referrer's sort key."""
    subject, sep, digest = _after(REFERRER_PREFIX, sk).partition("#")
    if not sep:
        raise ValueError(f"{sk[:80]!r} is not a referrer key")
    return subject, digest


def history_of(tag: str) -> str:
    """The sort-key prefix of `tag`'s history entries (a `begins_with` query)."""
    return f"{HISTORY_PREFIX}{tag}#"


def history_sk(tag: str, moment: datetime, nonce: str) -> str:
    """Entries of one tag sort by time; the nonce keeps two moves of one moment apart."""
    return f"{history_of(tag)}{moment.strftime(_HISTORY_TIME)}#{nonce}"


def history_parts(sk: str) -> tuple[str, datetime, str]:
    """(tag, time, nonce) of a history entry's sort key."""
    tag, moment, nonce = _after(HISTORY_PREFIX, sk).split("#")
    return tag, datetime.strptime(moment, _HISTORY_TIME).replace(tzinfo=UTC), nonce


def scan_pk(digest: str) -> str:
    return SCAN_PREFIX + digest


def scan_digest(pk: str) -> str:
    return _after(SCAN_PREFIX, pk)


def upload_pk(upload_id: str) -> str:
    return UPLOAD_PREFIX + upload_id


def upload_id_of(pk: str) -> str:
    return _after(UPLOAD_PREFIX, pk)


def gc_marker_pk(name: str) -> str:
    """A collection's marker on one blob (by digest) or large-manifest object (by key)."""
    return GC_MARKER_PREFIX + name


def gc_marker_name(pk: str) -> str:
    return _after(GC_MARKER_PREFIX, pk)


def ref_pk(digest: str) -> str:
    """The partition holding every reference to one blob (chalicelib/storage/gc_refs.py)."""
    return REF_PREFIX + digest


def ref_digest(pk: str) -> str:
    return _after(REF_PREFIX, pk)


def link_ref_sk(repo: str) -> str:
    return LINK_REF_PREFIX + repo


def link_ref_repo(sk: str) -> str:
    return _after(LINK_REF_PREFIX, sk)


def manifest_ref_sk(repo: str, manifest: str) -> str:
    """A repository name has no `#`, so the last one splits it from the manifest's digest."""
    return f"{MANIFEST_REF_PREFIX}{repo}#{manifest}"


def manifest_ref_parts(sk: str) -> tuple[str, str]:
    repo, sep, manifest = _after(MANIFEST_REF_PREFIX, sk).rpartition("#")
    if not sep:
        raise ValueError(f"not a manifest reference: {sk!r}")
    return repo, manifest


def gc_candidate_pk(digest: str) -> str:
    """One of GC_CANDIDATE_SHARDS partitions, chosen by the digest's last hex digit, so
    releases spread over a few partitions and the collector reads them with a few Queries."""
    return f"{GC_CANDIDATE_PREFIX}{int(digest[-1], 36) % GC_CANDIDATE_SHARDS}"


def lifecycle_due_pk(repo: str) -> str:
    """One of LIFECYCLE_DUE_SHARDS partitions, by a stable hash of the repository's name."""
    return f"{LIFECYCLE_DUE_PREFIX}{zlib.crc32(repo.encode()) % LIFECYCLE_DUE_SHARDS}"


def principal_pk(kind: str, name: str) -> str:
    return f"{PRINCIPAL_PREFIX}{kind}#{name}"


def principal_of(pk: str) -> tuple[str, str]:
    """(kind, name) of a principal's partition."""
    kind, sep, name = _after(PRINCIPAL_PREFIX, pk).partition("#")
    if not sep:
        raise ValueError(f"{pk[:80]!r} is not a principal key")
    return kind, name


def grant_sk(pattern: str) -> str:
    return GRANT_PREFIX + pattern


def grant_pattern(sk: str) -> str:
    return _after(GRANT_PREFIX, sk)


def directory_sk(kind: str, name: str) -> str:
    return f"{kind}#{name}"


def refresh_pk(token_id: str) -> str:
    return REFRESH_PREFIX + token_id


def refresh_id(pk: str) -> str:
    return _after(REFRESH_PREFIX, pk)


def login_name_pk(name_hash: str) -> str:
    return LOGIN_NAME_PREFIX + name_hash


def login_name_source_pk(name_source_hash: str) -> str:
    """Failed logins of one name from one source (chalicelib/auth/ratelimit.py)."""
    return LOGIN_NAME_SOURCE_PREFIX + name_source_hash


def login_ip_pk(source_ip: str) -> str:
    return LOGIN_IP_PREFIX + source_ip


def is_login_name(pk: str) -> bool:
    return pk.startswith(LOGIN_NAME_PREFIX)


def audit_repository_pk(repository: str) -> str:
    return AUDIT_REPOSITORY_PREFIX + repository


def audit_principal_pk(principal: str) -> str:
    return AUDIT_PRINCIPAL_PREFIX + principal


def audit_day_pk(day: date) -> str:
    """The registry-wide feed's partition for one UTC day: a day per partition keeps any one
    partition's write rate to a day's events, and a query by time reads only the days it spans."""
    return AUDIT_DAY_PREFIX + day.isoformat()


def audit_sk(at: datetime, nonce: str) -> str:
    """Time-ordered: `2026-11-28T10:00:00.123456Z#<nonce>` (the nonce keeps two events of
    the same microsecond apart)."""
    return at.astimezone(UTC).strftime(_AUDIT_TIME) + "#" + nonce


def audit_parts(sk: str) -> tuple[datetime, str]:
    """(time, nonce) of an audit record's sort key."""
    moment, _, nonce = sk.partition("#")
    return datetime.strptime(moment, _AUDIT_TIME).replace(tzinfo=UTC), nonce


def webhook_sk(webhook_id: str) -> str:
    return WEBHOOK_PREFIX + webhook_id


def trigger_sk(trigger_id: str) -> str:
    return TRIGGER_PREFIX + trigger_id


def subscription_id(sk: str) -> str:
    """The id in a webhook's (`W#<id>`) or a trigger's (`X#<id>`) sort key."""
    if not sk.startswith((WEBHOOK_PREFIX, TRIGGER_PREFIX)):
        raise ValueError(f"not a subscription key: {sk[:40]!r}")
    return sk[2:]


def webhook_log_pk(webhook_id: str) -> str:
    return WEBHOOK_LOG_PREFIX + webhook_id


def trigger_log_pk(trigger_id: str) -> str:
    return TRIGGER_LOG_PREFIX + trigger_id


def delivery_sk(at: str, event_id: str, attempt: int) -> str:
    """One attempt, newest last: `D#<time>#<event id>#<attempt>`."""
    return f"{DELIVERY_PREFIX}{at}#{event_id}#{attempt:02d}"


def replication_rule_sk(rule_id: str) -> str:
    return REPLICATION_RULE_PREFIX + rule_id


def replication_rule_id(sk: str) -> str:
    if not sk.startswith(REPLICATION_RULE_PREFIX):
        raise ValueError(f"not a replication rule key: {sk[:40]!r}")
    return sk[len(REPLICATION_RULE_PREFIX) :]


def replica_pk(repository: str) -> str:
    return REPLICA_PREFIX + repository


def replica_sk(digest: str, rule_id: str, destination: int) -> str:
    """One image at one destination of one rule: `<digest>#<rule>#<n>`."""
    return f"{digest}#{rule_id}#{destination:02d}"


def replica_upload_pk(rule_id: str, destination: int, target: str) -> str:
    """The uploads in progress to one destination's repository: `REPUP#<rule>#<n>#<target>`,
    sk the blob's digest (outside the replica partition, which status lists)."""
    return f"{REPLICA_UPLOAD_PREFIX}{rule_id}#{destination:02d}#{target}"


def pulls_pk(repository: str) -> str:
    return PULLS_PREFIX + repository


def pulls_sk(day: date) -> str:
    """ISO days sort as they fall, so a range of days is one key condition."""
    return day.isoformat()


def cache_rule_sk(prefix: str) -> str:
    return CACHE_RULE_PREFIX + prefix


def cache_tag_pk(repository: str) -> str:
    return CACHE_TAG_PREFIX + repository


def cache_fill_pk(digest: str) -> str:
    return CACHE_FILL_PREFIX + digest

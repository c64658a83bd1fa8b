"""The table's keys (chalicelib/storage/keys.py): every builder round-trips through its
parser, and no prefix begins another where a `begins_with` query, a range query or the
collector's scan would then read the wrong items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.storage import keys
from tests.unit.strategies import names, registered_digests, tags

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
)
nonces = st.text("0123456789abcdef", min_size=8, max_size=8)
digests = registered_digests.map(str)
# Auth's names and patterns: no `#` in a principal's kind; anything printable after it.
plain = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
kinds = st.sampled_from(["user", "robot", "iam"])

PARTITION_PREFIXES = [
    keys.REPO_PREFIX,
    keys.UPLOAD_PREFIX,
    keys.GC_MARKER_PREFIX,
    keys.PRINCIPAL_PREFIX,
    keys.REFRESH_PREFIX,
    keys.LOGIN_NAME_PREFIX,
    keys.LOGIN_NAME_SOURCE_PREFIX,
    keys.LOGIN_IP_PREFIX,
    keys.AUDIT_REPOSITORY_PREFIX,
    keys.AUDIT_PRINCIPAL_PREFIX,
    keys.WEBHOOK_LOG_PREFIX,
    keys.TRIGGER_LOG_PREFIX,
    keys.SCAN_PREFIX,
    keys.PULLS_PREFIX,
    keys.REF_PREFIX,
    keys.GC_CANDIDATE_PREFIX,
]
FIXED_PARTITIONS = [
    keys.REPOS_PARTITION,
    keys.GC_LEASE_PK,
    keys.DIRECTORY_PARTITION,
    keys.PUBLIC_PARTITION,
    keys.REVOKED_PARTITION,
    keys.WEBHOOKS_PARTITION,
    keys.TRIGGERS_PARTITION,
    keys.SIGNING_PARTITION,
]
# A repository partition's sort keys, in the byte order the range queries rely on.
REPOSITORY_SORT_PREFIXES = [
    keys.LINK_PREFIX,
    keys.REFERRER_PREFIX,
    keys.HISTORY_PREFIX,
    keys.MANIFEST_PREFIX,
    keys.LIFECYCLE_SK,
    keys.SETTINGS_SK,
    keys.TAG_PREFIX,
]


@given(names)
def test_repository_partition_round_trips(name: str) -> None:
    assert keys.repo_of(keys.repo_pk(name)) == name


@given(digests)
def test_digest_keys_round_trip(digest: str) -> None:
    assert keys.link_digest(keys.link_sk(digest)) == digest
    assert keys.manifest_digest(keys.manifest_sk(digest)) == digest
    assert keys.gc_marker_name(keys.gc_marker_pk(digest)) == digest
    assert keys.scan_digest(keys.scan_pk(digest)) == digest
    assert keys.ref_digest(keys.ref_pk(digest)) == digest
    assert keys.gc_candidate_pk(digest).startswith(keys.GC_CANDIDATE_PREFIX)


@given(names)
def test_link_ref_round_trips(name: str) -> None:
    assert keys.link_ref_repo(keys.link_ref_sk(name)) == name


@given(names, digests)
def test_manifest_ref_round_trips(name: str, digest: str) -> None:
    sk = keys.manifest_ref_sk(name, digest)
    assert keys.manifest_ref_parts(sk) == (name, digest)
    assert not sk.startswith(keys.LINK_REF_PREFIX)


@given(tags)
def test_tag_round_trips(tag: str) -> None:
    assert keys.tag_name(keys.tag_sk(tag)) == tag


@given(tags, moments, nonces)
def test_history_round_trips(tag: str, moment: datetime, nonce: str) -> None:
    sk = keys.history_sk(tag, moment, nonce)
    assert keys.history_parts(sk) == (tag, moment, nonce)
    assert sk.startswith(keys.history_of(tag))


@given(tags, tags, moments, nonces)
def test_one_tags_history_prefix_reads_no_other_tag(
    tag: str, other: str, moment: datetime, nonce: str
) -> None:
    same = keys.history_sk(other, moment, nonce).startswith(keys.history_of(tag))
    assert same == (tag == other)


@given(digests, digests)
def test_referrer_round_trips(subject: str, digest: str) -> None:
    sk = keys.referrer_sk(subject, digest)
    assert keys.referrer_parts(sk) == (subject, digest)
    assert sk.startswith(keys.referrers_of(subject))


@given(digests, digests, digests)
def test_one_subjects_referrers_prefix_reads_no_other_subject(
    subject: str, other: str, digest: str
) -> None:
    same = keys.referrer_sk(other, digest).startswith(keys.referrers_of(subject))
    assert same == (subject == other)


@given(st.text("0123456789abcdef", min_size=32, max_size=32))
def test_upload_and_refresh_ids_round_trip(token: str) -> None:
    assert keys.upload_id_of(keys.upload_pk(token)) == token
    assert keys.refresh_id(keys.refresh_pk(token)) == token


@given(kinds, plain, plain)
def test_auth_keys_round_trip(kind: str, name: str, pattern: str) -> None:
    assert keys.principal_of(keys.principal_pk(kind, name)) == (kind, name)
    assert keys.grant_pattern(keys.grant_sk(pattern)) == pattern
    assert keys.directory_sk(kind, name) == f"{kind}#{name}"


@given(plain, plain)
def test_login_counters_say_which_they_are(name_hash: str, source_ip: str) -> None:
    assert keys.is_login_name(keys.login_name_pk(name_hash))
    assert not keys.is_login_name(keys.login_ip_pk(source_ip))


@given(moments, nonces)
def test_audit_sort_key_round_trips(moment: datetime, nonce: str) -> None:
    assert keys.audit_parts(keys.audit_sk(moment, nonce)) == (moment, nonce)


@given(plain)
def test_audit_partitions_differ(name: str) -> None:
    assert keys.audit_repository_pk(name) != keys.audit_principal_pk(name)


@pytest.mark.parametrize(("one", "other"), list(permutations(PARTITION_PREFIXES, 2)))
def test_no_partition_prefix_begins_another(one: str, other: str) -> None:
    """The collector's scan tells repositories and sessions apart by these prefixes."""
    assert not other.startswith(one)


@pytest.mark.parametrize("fixed", FIXED_PARTITIONS)
def test_fixed_partitions_match_no_prefix(fixed: str) -> None:
    assert not any(fixed.startswith(prefix) for prefix in PARTITION_PREFIXES)
    assert len(set(FIXED_PARTITIONS)) == len(FIXED_PARTITIONS)


@pytest.mark.parametrize(("one", "other"), list(permutations(REPOSITORY_SORT_PREFIXES, 2)))
def test_no_repository_sort_prefix_begins_another(one: str, other: str) -> None:
    assert not other.startswith(one)


def test_repository_sort_keys_sort_as_range_queries_assume() -> None:
    """Lifecycle reads from `H#` on (links and referrers before it, not read); tag listing
    reads above `T#` (tags last)."""
    assert sorted(REPOSITORY_SORT_PREFIXES) == REPOSITORY_SORT_PREFIXES
    assert max(REPOSITORY_SORT_PREFIXES) == keys.TAG_PREFIX


@pytest.mark.parametrize(
    ("parse", "key"),
    [
        (keys.manifest_digest, keys.tag_sk("v1")),
        (keys.tag_name, keys.manifest_sk("sha256:00")),
        (keys.repo_of, keys.upload_pk("x")),
        (keys.referrer_parts, keys.REFERRER_PREFIX + "sha256:00"),
    ],
)
def test_a_parser_refuses_another_kinds_key(parse: Callable[[str], object], key: str) -> None:
    with pytest.raises(ValueError):
        parse(key)

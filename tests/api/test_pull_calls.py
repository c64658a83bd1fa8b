"""What a pull costs in AWS calls, enforced: the bench (bench/calls.py) measures the same
operations and judges them against its targets, but a benchmark's verdict gates nothing.

Each read of the pull path is exactly one DynamoDB call and no S3 call: a manifest GET or HEAD
(by tag or by digest), a blob HEAD, a blob GET (whose redirect is presigned locally, with no
request to S3) and a tags-list page (one Query). Calls are counted with botocore's event hooks
(bench/awscalls.py), in the warm state the bench judges: the pull times of the day are
already recorded (tests/lifecycle/test_pulls.py covers the once-a-day write)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bench import calls
from bench.awscalls import AwsCall, Recorder, Tally, recording
from chalicelib.storage import pulls
from tests.api.helpers import (
    assert_ok,
    digest_of,
    get_manifest,
    head_manifest,
    header,
    json_of,
    next_link,
    push,
    push_image,
)

T0 = datetime(2030, 1, 1, tzinfo=UTC)
ONE_READ = ["dynamodb:GetItem"]
ONE_QUERY = ["dynamodb:Query"]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    from chalicelib.storage import trust_policy

    monkeypatch.setattr(pulls, "now", lambda: T0)  # one day: pulls record once, then read
    # The signing policy's 10 s per-instance cache must not expire between a warm-up and the
    # counted request on a slow machine (its refresh is counted in its own test below).
    frozen = trust_policy.monotonic()
    monkeypatch.setattr(trust_policy, "monotonic", lambda: frozen)
    # The same for the pull-through cache's rules (chalicelib/cache/rules.py).
    from chalicelib.cache import rules as cache_rules

    monkeypatch.setattr(cache_rules, "monotonic", lambda: frozen)
    with recording() as active:
        yield active


def counted(recorder: Recorder, status: int, send: Callable[..., Any], *args: Any) -> Tally:
    with recorder.window() as tally:
        response = send(*args)
    assert_ok(response, status)
    assert tally.http_sends == len(tally.calls), "one HTTP request per call, no retries"
    return tally


def described(tally: Tally) -> list[str]:
    return [c.describe() for c in tally.calls]


def test_manifest_reads_are_one_getitem(client: Any, repo: str, recorder: Recorder) -> None:
    pushed = push_image(client, repo, "v1")
    for reference in ("v1", pushed.digest):
        assert_ok(get_manifest(client, repo, reference), 200)  # records the day's pull
        for send in (get_manifest, head_manifest):
            tally = counted(recorder, 200, send, client, repo, reference)
            assert described(tally) == ONE_READ, (send.__name__, reference)
            assert not tally.presigns


def test_unknown_manifest_is_one_getitem(client: Any, repo: str, recorder: Recorder) -> None:
    push_image(client, repo, "v1")
    tally = counted(recorder, 404, get_manifest, client, repo, "absent")
    assert described(tally) == ONE_READ


def test_blob_reads_are_one_getitem_and_a_local_presign(
    client: Any, repo: str, recorder: Recorder
) -> None:
    pushed = push_image(client, repo, "v1")
    for blob in pushed.blobs:
        path = f"/v2/{repo}/blobs/{digest_of(blob)}"
        tally = counted(recorder, 200, client.http.head, path)
        assert described(tally) == ONE_READ
        assert not tally.presigns
        tally = counted(recorder, 307, client.http.get, path)
        assert described(tally) == ONE_READ
        assert tally.presigns == ["s3:GetObject"], "the redirect is signed without a request"
        assert tally.http_sends == 1


def test_tags_list_pages_are_one_query_each(client: Any, repo: str, recorder: Recorder) -> None:
    pushed = push_image(client, repo, "t0")
    for tag in ("t1", "t2", "t3", "t4"):
        assert_ok(push(client, repo, pushed, tag), 201)
    tally = counted(recorder, 200, client.http.get, f"/v2/{repo}/tags/list")
    assert described(tally) == ONE_QUERY

    path: str | None = f"/v2/{repo}/tags/list?n=2"
    seen: list[str] = []
    while path is not None:
        page_path = path
        with recorder.window() as tally:
            response = client.http.get(page_path)
        assert_ok(response, 200)
        assert described(tally) == ONE_QUERY, page_path
        seen += json_of(response)["tags"]
        path = next_link(response)
    assert seen == ["t0", "t1", "t2", "t3", "t4"]
    assert header(response, "Link") is None


def test_pull_counts_add_no_call_per_pull_and_one_write_a_minute(
    client: Any, repo: str, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulls per day are counted in memory (chalicelib/storage/pull_counts.py): a minute's
    pulls stay one GetItem each; the first pull a minute after the instance's first count
    also writes the tally, one UpdateItem per repository pulled, and the minute starts over."""
    from chalicelib.storage import pull_counts

    seconds = [0.0]
    monkeypatch.setattr(pull_counts, "monotonic", lambda: seconds[0])
    pushed = push_image(client, repo, "v1")
    for reference in ("v1", pushed.digest):
        assert_ok(get_manifest(client, repo, reference), 200)  # records the day's pull
    for second in range(60):
        seconds[0] = float(second)
        for reference in ("v1", pushed.digest):
            tally = counted(recorder, 200, get_manifest, client, repo, reference)
            assert described(tally) == ONE_READ, (second, reference)
    seconds[0] = pull_counts.FLUSH_EVERY
    tally = counted(recorder, 200, get_manifest, client, repo, "v1")
    assert described(tally) == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    seconds[0] += pull_counts.FLUSH_EVERY - 1
    tally = counted(recorder, 200, get_manifest, client, repo, "v1")
    assert described(tally) == ONE_READ
    assert pull_counts.pending() == 1


def test_the_bench_targets_refuse_one_call_more() -> None:
    """The bench judges by the same counts: its targets pass what the tests above see and fail
    an extra read, any S3 call or a second query."""

    def tally(*described: str) -> Tally:
        found = Tally()
        for text in described:
            service, operation = text.split(":")
            found.calls.append(AwsCall(service, operation, 1))
        return found

    assert calls.READ_ONE.met(tally(*ONE_READ))
    assert not calls.READ_ONE.met(tally("dynamodb:GetItem", "dynamodb:GetItem"))
    assert not calls.READ_ONE.met(tally("dynamodb:GetItem", "s3:HeadObject"))
    assert not calls.READ_ONE.met(tally("dynamodb:GetItem", "dynamodb:UpdateItem"))
    assert calls.ONE_QUERY.met(tally(*ONE_QUERY))
    assert not calls.ONE_QUERY.met(tally("dynamodb:Query", "dynamodb:Query"))
    assert not calls.ONE_QUERY.met(tally("dynamodb:Query", "dynamodb:GetItem"))


def test_a_signing_policy_costs_no_read_per_pull(
    client: Any, repo: str, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `enforce`, a signed image's pull still reads one item: the verdict is on it, and
    the policy is read once per instance per `CACHE_SECONDS` (docs/signing.md)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from chalicelib.storage import trust_policy
    from tests.api.test_signing_policy import bundle_signature, enforce

    moment = [0.0]
    monkeypatch.setattr(trust_policy, "monotonic", lambda: moment[0])
    trust_policy.forget_cached()
    key = ec.generate_private_key(ec.SECP256R1())
    pushed = push_image(client, repo, "v1")
    enforce(client, repo, key)
    push(client, repo, bundle_signature(key, pushed))
    for reference in ("v1", pushed.digest):
        assert_ok(get_manifest(client, repo, reference), 200)  # records the day's pull
        for send in (get_manifest, head_manifest):
            tally = counted(recorder, 200, send, client, repo, reference)
            assert described(tally) == ONE_READ, (send.__name__, reference)
    moment[0] += trust_policy.CACHE_SECONDS
    tally = counted(recorder, 200, get_manifest, client, repo, "v1")
    assert described(tally) == ["dynamodb:GetItem", "dynamodb:GetItem"]  # the policy, once
    trust_policy.forget_cached()


def test_a_scan_pull_policy_costs_no_read_per_pull(
    client: Any, repo: str, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a scan policy, an image's pull still reads one item, allowed or refused: the
    scan verdict is copied onto the manifest and tag items, and the policies are read with
    the signing policy's item, once per instance per `CACHE_SECONDS` (docs/scanning.md). An
    index's platform, pulled by digest after the index, is judged from its own item too."""
    from chalicelib.storage import trust_policy
    from tests.api.helpers import index
    from tests.scanning.advisories import DEBIAN_ADVISORIES, LANGUAGE_ADVISORIES
    from tests.scanning.test_scan_api import alpine_image, debian_image, import_advisories, scan
    from tests.scanning.test_scan_pull_policy import set_scan_policy

    moment = [0.0]
    monkeypatch.setattr(trust_policy, "monotonic", lambda: moment[0])
    trust_policy.forget_cached()
    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    debian, alpine = debian_image(), alpine_image()
    push(client, repo, debian, "v1")
    push(client, repo, alpine)
    push(client, repo, index([debian, alpine]), "multi")
    scan(client, repo, "v1")
    scan(client, repo, "multi")
    set_scan_policy(client, repo, {"severity": "CRITICAL", "refuseUnscanned": True})
    for reference, status in (("v1", 403), (debian.digest, 403), (alpine.digest, 200)):
        get_manifest(client, repo, reference)  # records the day's pull
        for send in (get_manifest, head_manifest):
            tally = counted(recorder, status, send, client, repo, reference)
            assert described(tally) == ONE_READ, (send.__name__, reference)
    moment[0] += trust_policy.CACHE_SECONDS
    tally = counted(recorder, 403, get_manifest, client, repo, "multi")
    assert described(tally) == ["dynamodb:GetItem", "dynamodb:GetItem"]  # the policies, once
    tally = counted(recorder, 403, get_manifest, client, repo, "multi")
    assert described(tally) == ONE_READ
    trust_policy.forget_cached()


def test_a_cache_rule_elsewhere_adds_no_call_to_ordinary_pulls(
    client: Any, repo: str, recorder: Recorder
) -> None:
    """With a pull-through cache rule in place (chalicelib/cache/), a repository under no
    rule is read exactly as before: the rules come from the instance's copy."""
    from chalicelib.cache import rules as cache_rules

    cache_rules.create(prefix="pull-calls-hub/", upstream="docker.io")
    try:
        pushed = push_image(client, repo, "v1")
        assert_ok(get_manifest(client, repo, "v1"), 200)  # records the day's pull
        for reference in ("v1", pushed.digest):
            for send in (get_manifest, head_manifest):
                tally = counted(recorder, 200, send, client, repo, reference)
                assert described(tally) == ONE_READ, (send.__name__, reference)
        assert described(counted(recorder, 404, get_manifest, client, repo, "absent")) == ONE_READ
        absent = f"/v2/{repo}/blobs/sha256:{'0' * 64}"
        assert described(counted(recorder, 404, client.http.head, absent)) == ONE_READ
        for blob in pushed.blobs:
            path = f"/v2/{repo}/blobs/{digest_of(blob)}"
            assert described(counted(recorder, 307, client.http.get, path)) == ONE_READ
    finally:
        cache_rules.delete("pull-calls-hub/")

"""An upstream's token is reused across requests while it lives, and an upstream's 429 is
honoured: its `Retry-After` is passed on and waited out (Berth does not ask again before it
ends), a cached copy is served meanwhile, and what was never cached is a clear 429
TOOMANYREQUESTS, never a 500. Against the real `berth serve --auth` upstream
(tests/cache/conftest.py), behind a front that can answer 429 (tests/cache/throttle.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.cache import rules, upstream_backoff, upstream_tokens
from chalicelib.cache.upstream_tokens import UpstreamTokens
from chalicelib.remote import retry_after, token_flow
from chalicelib.storage import clock
from tests.api.helpers import assert_ok, digest_of, fetch_blob, get_manifest, header, json_of
from tests.cache.conftest import Upstream, add_rule, first_pull, run_fills
from tests.cache.throttle import Throttle

T0 = datetime(2031, 5, 1, tzinfo=UTC)


@given(st.integers(min_value=0, max_value=10**9), st.floats(min_value=0, max_value=4e9))
def test_retry_after_in_seconds_is_kept_up_to_an_hour(wait: int, now: float) -> None:
    assert retry_after.seconds(f" {wait} ", now) == min(wait, retry_after.LONGEST)


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_retry_after_as_a_date_counts_from_now(offset: int) -> None:
    now = T0.timestamp()
    value = format_datetime(T0 + timedelta(seconds=offset), usegmt=True)
    assert retry_after.seconds(value, now) == max(0, min(offset, retry_after.LONGEST))


@given(st.one_of(st.none(), st.text(max_size=40).filter(lambda t: not t.strip().isdigit())))
def test_unreadable_retry_after_is_none(value: str | None) -> None:
    found = retry_after.seconds(value, 0.0)
    assert found is None or 0 <= found <= retry_after.LONGEST


@given(st.one_of(st.integers(), st.floats(), st.text(), st.none(), st.booleans()))
def test_a_token_lives_at_least_the_specs_minute(expires: object) -> None:
    lifetime = token_flow.lifetime_of(json.dumps({"token": "t", "expires_in": expires}).encode())
    assert lifetime >= token_flow.DEFAULT_LIFETIME
    if isinstance(expires, int) and not isinstance(expires, bool):
        assert lifetime == min(
            max(expires, token_flow.DEFAULT_LIFETIME), token_flow.LONGEST_LIFETIME
        )
    assert lifetime <= token_flow.LONGEST_LIFETIME
    assert token_flow.lifetime_of(b"not json") == token_flow.DEFAULT_LIFETIME


def test_kept_tokens_lapse_before_the_realm_says(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = [100.0]
    monkeypatch.setattr(upstream_tokens, "monotonic", lambda: moment[0])
    kept = UpstreamTokens()
    key = ("https://up.example", "anonymous", "repository:a:pull")
    kept.put(key, "Bearer one", 300)
    assert kept.get(key) == "Bearer one"
    assert kept.get((*key[:2], "repository:b:pull")) is None  # another scope: its own token
    moment[0] += 300 - upstream_tokens.MARGIN_SECONDS - 1
    assert kept.get(key) == "Bearer one"
    moment[0] += 1
    assert kept.get(key) is None
    kept.put(key, "Bearer two", 300)
    kept.drop(key, "Bearer other")  # only the token that was refused is forgotten
    assert kept.get(key) == "Bearer two"
    kept.drop(key, "Bearer two")
    assert kept.get(key) is None


@pytest.fixture
def names() -> tuple[str, str]:
    name = f"lib/{uuid.uuid4().hex[:10]}"
    return name, f"up/{name}"


@pytest.fixture
def credentials(
    aws: dict[str, str], upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setattr(rules, "secret_path", lambda: "berth/test/cache/")
    name = f"/berth/test/cache/limits-{uuid.uuid4().hex[:6]}"
    boto3.client("ssm").put_parameter(
        Name=name, Value=f"admin:{upstream.password}", Type="SecureString"
    )
    return {"ssm": name}


@pytest.fixture
def moments(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The cache's clocks (tag freshness, kept tokens, back-off), moved by the test."""
    moment = [0.0]
    monkeypatch.setattr(clock, "source", lambda: T0 + timedelta(seconds=moment[0]))
    monkeypatch.setattr(upstream_tokens, "monotonic", lambda: 1000.0 + moment[0])
    monkeypatch.setattr(upstream_backoff, "monotonic", lambda: 1000.0 + moment[0])
    yield moment


@pytest.fixture
def throttle(upstream: Upstream) -> Iterator[Throttle]:
    front = Throttle(upstream.registry.server.port).start()
    yield front
    front.close()


def test_one_token_serves_every_fill_of_a_repository_while_it_lives(
    aws: dict[str, str],
    client: Any,
    s3: Any,
    upstream: Upstream,
    names: tuple[str, str],
    credentials: dict[str, str],
    moments: list[float],
) -> None:
    remote, local = names
    first, second = upstream.push(remote, "v1"), upstream.push(remote, "v2")
    assert_ok(add_rule(client, "up/", upstream.url, credentials=credentials), 201)
    before = upstream.token_requests()
    assert get_manifest(client, local, "v1").body == first.body
    for blob in first.blobs:
        assert first_pull(client, local, digest_of(blob)) == blob
    assert len(run_fills(aws, local)) == len(first.blobs)
    for blob in first.blobs:
        assert fetch_blob(client, s3, local, digest_of(blob)) == blob  # filled: Berth's S3
    assert get_manifest(client, local, "v2").body == second.body
    assert upstream.token_requests() == before + 1  # seven requests upstream, one token
    # Past the token's life (Berth's upstream grants 300 s): the next fill asks again.
    moments[0] += 300
    assert get_manifest(client, local, second.digest).body == second.body  # stored: no fill
    blob = second.blobs[-1]
    assert first_pull(client, local, digest_of(blob)) == blob
    assert upstream.token_requests() == before + 2
    assert len(run_fills(aws, local)) == 1
    assert upstream.token_requests() == before + 2, "the queued fill used the kept token"


def test_upstream_429_serves_the_cached_copy_and_waits_out_retry_after(
    client: Any,
    s3: Any,
    upstream: Upstream,
    throttle: Throttle,
    names: tuple[str, str],
    credentials: dict[str, str],
    moments: list[float],
) -> None:
    remote, local = names
    pushed = upstream.push(remote, "v1")
    later = upstream.push(remote, "v2")
    rule = add_rule(
        client, "up/", f"http://127.0.0.1:{throttle.port}", credentials=credentials, ttlSeconds=60
    )
    assert_ok(rule, 201)
    assert get_manifest(client, local, "v1").body == pushed.body

    throttle.limit("120")
    moments[0] += 3600  # v1 is stale: its revalidation meets the 429, the copy serves
    response = get_manifest(client, local, "v1")
    assert_ok(response, 200)
    assert response.body == pushed.body
    assert throttle.refused == 1

    # Never cached: a clear 429 with the time left, and upstream is not asked again.
    never_blob = digest_of(later.blobs[0])
    for response in (
        get_manifest(client, local, "v2"),
        client.http.get(f"/v2/{local}/blobs/{never_blob}"),
    ):
        assert response.status_code == 429
        assert json_of(response)["errors"][0]["code"] == "TOOMANYREQUESTS"
        assert "rate-limiting" in json_of(response)["errors"][0]["message"]
        assert header(response, "Retry-After") == "120"
    assert_ok(get_manifest(client, local, "v1"), 200)
    assert throttle.refused == 1

    moments[0] += 90  # 30 s left, said so; still not asked
    response = get_manifest(client, local, "v2")
    assert (response.status_code, header(response, "Retry-After")) == (429, "30")
    assert throttle.refused == 1

    moments[0] += 30  # waited out, and upstream has recovered: the miss is filled
    throttle.limit(None)
    assert get_manifest(client, local, "v2").body == later.body
    assert first_pull(client, local, never_blob) == later.blobs[0]


def test_a_429_without_retry_after_is_passed_on_and_asked_again_next_time(
    client: Any,
    upstream: Upstream,
    throttle: Throttle,
    names: tuple[str, str],
    credentials: dict[str, str],
    moments: list[float],
) -> None:
    remote, local = names
    pushed = upstream.push(remote, "v1")
    assert_ok(
        add_rule(client, "up/", f"http://127.0.0.1:{throttle.port}", credentials=credentials), 201
    )
    throttle.limit("")
    response = get_manifest(client, local, "v1")
    assert response.status_code == 429
    assert json_of(response)["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert header(response, "Retry-After") is None
    throttle.limit(None)
    assert get_manifest(client, local, "v1").body == pushed.body

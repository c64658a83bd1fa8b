"""The `_berth` extension paths, immutability patterns and the rollback stack."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api.storage_errors import as_oci_error
from chalicelib.oci.paths import Endpoint, Resource, parse_path
from chalicelib.rules.immutability import TagRules, parse_settings
from chalicelib.rules.rollback import DELETE, PUSH, ROLLBACK, Move, earlier_targets
from chalicelib.storage.errors import TagImmutable


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/v2/a/b/_berth/history/v1", Endpoint(Resource.HISTORY, "a/b", "v1")),
        ("/v2/a/_berth/rollback/latest", Endpoint(Resource.ROLLBACK, "a", "latest")),
        ("/v2/a/_berth/history/_berth", Endpoint(Resource.HISTORY, "a", "_berth")),
        ("/v2/a/_berth/settings", Endpoint(Resource.SETTINGS, "a")),
        ("/v2/_berth/repositories", Endpoint(Resource.REPOSITORIES)),
        ("/v2/a/b/_berth/lifecycle", Endpoint(Resource.LIFECYCLE, "a/b")),
        ("/v2/_berth/lifecycle", Endpoint(Resource.LIFECYCLE_ALL)),
        ("/v2/a/b/_berth/scan/sha256:00", Endpoint(Resource.SCAN, "a/b", "sha256:00")),
        ("/v2/_berth/vulndb", Endpoint(Resource.VULNDB)),
        ("/v2/a/_berth/lifecycle/x", None),
        # A tag may be called `_berth`: still the manifest endpoint.
        ("/v2/a/manifests/_berth", Endpoint(Resource.MANIFEST, "a", "_berth")),
        # `_berth` as a (never valid) name component falls through to the OCI rules.
        ("/v2/_berth/x/manifests/v", Endpoint(Resource.MANIFEST, "_berth/x", "v")),
        ("/v2/a/_berth/unknown/v", None),
    ],
)
def test_extension_paths(path: str, endpoint: Endpoint | None) -> None:
    assert parse_path(path) == endpoint


def test_immutability_with_exclusions() -> None:
    rules = TagRules(immutable=True, exclude=("latest", "dev-*", "rc?"))
    assert [
        t for t in ["latest", "dev-1", "rc1", "rc10", "v1", "Latest"] if rules.is_immutable(t)
    ] == [
        "rc10",
        "v1",
        "Latest",
    ]
    assert not TagRules(immutable=False).is_immutable("v1")
    why = rules.refusal("r", "v1", "move")
    assert rules.refusal("r", "latest", "move") is None
    refused = as_oci_error(TagImmutable(str(why), detail=rules.refusal_detail("v1")))
    assert refused.code == "DENIED" and refused.status == 403  # what the client is told
    assert "immutable-tags" in refused.message and "latest, dev-*, rc?" in refused.message


def test_parse_settings_deduplicates_patterns() -> None:
    assert parse_settings({"immutableTags": True, "immutableTagsExclude": ["a", "a", "b*"]}) == (
        True,
        ("a", "b*"),
    )
    assert parse_settings({}) == (False, ())


def test_earlier_targets() -> None:
    moves = [
        Move(None, "a", PUSH),
        Move("a", "b", PUSH),
        Move("b", "c", PUSH),
        Move("c", "b", ROLLBACK),
        Move("b", None, DELETE),
    ]
    assert earlier_targets(moves) == ["b", "a"]
    assert earlier_targets([*moves[:4], Move("b", "x", ROLLBACK)]) == ["b", "a"]


@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=30))
def test_rolling_back_replays_pushes_in_reverse(pushed: list[str]) -> None:
    """After pushes, repeated one-step rollbacks visit the earlier targets newest first."""
    moves: list[Move] = []
    current: str | None = None
    for digest in pushed:
        if digest != current:
            moves.append(Move(current, digest, PUSH))
            current = digest
    expected = [m.from_digest for m in reversed(moves) if m.from_digest is not None]
    visited = []
    while True:
        candidates = earlier_targets(moves)
        if not candidates:
            break
        target = candidates[0]
        moves.append(Move(current, target, ROLLBACK))
        visited.append(target)
        current = target
    assert visited == expected

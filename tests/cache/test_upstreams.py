"""The upstream mapping (chalicelib/cache/upstreams.py): Docker Hub's names and host, every
other registry unchanged, prefixes that match whole components only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.cache.upstreams import (
    DOCKER_HUB_API,
    UpstreamError,
    below,
    check_prefix,
    parse_url,
)

component = st.from_regex(r"[a-z0-9]{1,8}([._-][a-z0-9]{1,4})?", fullmatch=True)
names = st.lists(component, min_size=1, max_size=4).map("/".join)


@given(names)
def test_docker_hub_adds_library_to_single_segment_names_only(name: str) -> None:
    for given_as in ("docker.io", "https://index.docker.io", "registry-1.docker.io"):
        hub = parse_url(given_as)
        assert hub.url == DOCKER_HUB_API
        expected = f"library/{name}" if "/" not in name else name
        assert hub.repository(name) == expected


@given(names)
def test_other_registries_keep_names(name: str) -> None:
    for url in ("https://ghcr.io", "quay.io", "registry.k8s.io", "https://public.ecr.aws"):
        upstream = parse_url(url)
        assert upstream.repository(name) == name
        assert upstream.url.startswith("https://") and not upstream.docker_hub


@given(component, names)
def test_prefixes_match_whole_components(prefix: str, name: str) -> None:
    prefix = check_prefix(prefix + "/")
    assert below(prefix, prefix + name) == name
    assert below(prefix, prefix.rstrip("/") + "x/" + name) is None
    assert below(prefix, prefix) is None


@pytest.mark.parametrize(
    "bad", ["", "ftp://x.io", "https://ghcr.io/v2/", "https://u:p@ghcr.io", "http://ghcr.io", 7]
)
def test_bad_upstreams_are_refused(bad: object) -> None:
    with pytest.raises(UpstreamError):
        parse_url(bad)


def test_http_only_when_allowed() -> None:
    assert parse_url("http://127.0.0.1:5000", allow_http=True).url == "http://127.0.0.1:5000"


@pytest.mark.parametrize("bad", ["hub", "/hub/", "Hub/", "hub//", "a b/", None])
def test_bad_prefixes_are_refused(bad: object) -> None:
    with pytest.raises(UpstreamError):
        check_prefix(bad)

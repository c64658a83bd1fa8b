"""`GET /v2/_catalog` (Docker registry API, kept by OCI registries), paginated with n/last/Link.

Other tests in the same process create repositories concurrently, so every assertion here looks
only at the repositories this test made (their names share a prefix no other test uses).
"""

from __future__ import annotations

import json
from typing import Any

from tests.api.helpers import assert_ok, header, next_link, push_blob, push_image, random_bytes


def _make_repos(client: Any, repo: str, suffixes: list[str]) -> list[str]:
    names = [f"{repo}-{s}" for s in suffixes]
    for name in names:
        push_image(client, name, "v1")
    return names


def _page(client: Any, path: str) -> tuple[Any, list[str]]:
    response = client.http.get(path)
    assert_ok(response, 200)
    body = json.loads(response.body)
    assert isinstance(body.get("repositories"), list), body
    return response, body["repositories"]


def _walk(client: Any, path: str) -> list[str]:
    """Every repository from `path` on, following Link rel="next" (a page may be capped)."""
    seen: list[str] = []
    next_path: str | None = path
    for _ in range(10_000):
        if next_path is None:
            return seen
        response, repositories = _page(client, next_path)
        seen.extend(repositories)
        next_path = next_link(response)
    raise AssertionError("catalog pagination does not end")


def test_catalog_lists_pushed_repositories_in_order(client: Any, repo: str) -> None:
    """The catalog holds every repository, in lexical order, each once.

    Docker registry API: "GET /v2/_catalog [...] Retrieve a sorted, json list of repositories
    available in the registry." -- `{"repositories": [...]}`.
    """
    names = _make_repos(client, repo, ["b", "a", "c"])
    response, _ = _page(client, "/v2/_catalog")
    assert "json" in (header(response, "Content-Type") or "")
    repositories = _walk(client, "/v2/_catalog")
    mine = [r for r in repositories if r.startswith(f"{repo}-")]
    assert mine == sorted(names)
    assert repositories == sorted(repositories)
    assert len(repositories) == len(set(repositories))


def test_catalog_n_and_last(client: Any, repo: str) -> None:
    """`n` bounds the page and `last` starts after the named repository (exclusive).

    Docker registry API: "The entries in the response start after the repository specified by
    `last`, up to `n` entries."
    """
    names = sorted(_make_repos(client, repo, ["a", "b", "c"]))
    _, repositories = _page(client, f"/v2/_catalog?n=2&last={repo}")
    assert repositories == names[:2]
    _, repositories = _page(client, f"/v2/_catalog?n=2&last={names[0]}")
    assert repositories == names[1:3]


def test_catalog_link_header_walks_pages(client: Any, repo: str) -> None:
    """A page with more to come has `Link: <...>; rel="next"`; following it continues the list.

    Docker registry API: "If the header is not present, the client can assume that all results
    have been received." and "Link: <<url>?n=<n from the request>&last=<last repository in
    response>>; rel="next""
    """
    names = sorted(_make_repos(client, repo, ["a", "b", "c", "d", "e"]))
    response, repositories = _page(client, f"/v2/_catalog?n=2&last={repo}")
    assert repositories == names[:2]
    path = next_link(response)
    assert path is not None and path.startswith("/v2/_catalog")
    link = header(response, "Link") or ""
    assert 'rel="next"' in link
    seen = list(repositories)
    while path is not None and len(seen) < len(names):
        response, repositories = _page(client, path)
        assert len(repositories) <= 2
        seen.extend(repositories)
        path = next_link(response)
    assert seen[: len(names)] == names


def test_catalog_n_zero_is_empty(client: Any, repo: str) -> None:
    """`n=0` asks for nothing: an empty list and no Link.

    By analogy with the tags list: "When `n` is zero, this endpoint MUST return an empty list,
    and MUST NOT include a `Link` header."
    """
    _make_repos(client, repo, ["a"])
    response, repositories = _page(client, "/v2/_catalog?n=0")
    assert repositories == []
    assert header(response, "Link") is None


def test_catalog_lists_repository_with_only_blobs_or_manifests(client: Any, repo: str) -> None:
    """A repository that holds a manifest is listed; the catalog never lists a name twice.

    Docker registry API: "Retrieve a sorted, json list of repositories available in the
    registry."
    """
    push_image(client, f"{repo}-m", "v1")
    push_image(client, f"{repo}-m", "v2")
    push_blob(client, f"{repo}-m", random_bytes(5))
    repositories = _walk(client, f"/v2/_catalog?last={repo}")
    assert repositories.count(f"{repo}-m") == 1


def test_catalog_bad_n_is_not_a_500(client: Any) -> None:
    """A malformed `n` is a client error, never a 500.

    design.md: "Bad input never yields a 500".
    """
    for bad in ["-5", "x"]:
        response = client.http.get(f"/v2/_catalog?n={bad}")
        assert response.status_code == 400, response.body[:300]
        errors = json.loads(response.body)["errors"]
        assert errors and errors[0]["code"]

"""Tags list (end-8a, end-8b): lexical order, `n`, `last`, `Link`."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from tests.api.helpers import (
    OCI_MANIFEST,
    assert_error,
    assert_ok,
    header,
    image,
    next_link,
    push,
    put_manifest,
)

# ASCIIbetical and case-insensitive orders differ here ("Alpha" / "_under" / "beta").
TAGS = ["v10", "Alpha", "v2", "beta", "_under", "1.10", "1.9"]


def _tag_all(client: Any, repo: str, tags: list[str]) -> None:
    """Point every tag at one manifest, pushed in a shuffled order."""
    manifest = image()
    push(client, repo, manifest)
    shuffled = list(tags)
    random.shuffle(shuffled)
    for tag in shuffled:
        assert_ok(put_manifest(client, repo, tag, manifest.body, OCI_MANIFEST), 201)


def _lexical(tags: list[str]) -> list[list[str]]:
    """The orders the spec allows: ASCIIbetical (Go sort.Strings) or case-insensitive."""
    return [sorted(tags), sorted(tags, key=lambda t: (t.lower(), t))]


def _list(client: Any, path: str) -> tuple[Any, dict[str, Any]]:
    response = client.http.get(path)
    assert_ok(response, 200)
    return response, json.loads(response.body)


def test_tags_list_has_name_and_all_tags_in_lexical_order(client: Any, repo: str) -> None:
    """The body is {"name", "tags"}, the tags in lexical or ASCIIbetical order.

    Spec: "Assuming a repository is found, this request MUST return a `200 OK` response code.
    [...] If the list is not empty, the tags MUST be in lexical (i.e. case-insensitive
    alphanumeric order) or "ASCIIbetical" (Go's `sort.Strings`) order." and "Upon success, the
    response MUST be a json body in the following format: {"name": "<name>", "tags": [...]}"
    """
    _tag_all(client, repo, TAGS)
    response, body = _list(client, f"/v2/{repo}/tags/list")
    assert body["name"] == repo
    assert body["tags"] in _lexical(TAGS)
    assert "json" in (header(response, "Content-Type") or "")
    assert next_link(response) is None


def test_tags_list_of_unknown_repository_is_404(client: Any, repo: str) -> None:
    """A repository that does not exist: 404 NAME_UNKNOWN.

    Spec: "Assuming a repository is found, this request MUST return a `200 OK` response code."
    and end-8a "Failure `404`".
    """
    assert_error(client.http.get(f"/v2/{repo}/tags/list"), 404, "NAME_UNKNOWN")


def test_tags_list_with_n_returns_n_first_and_link(client: Any, repo: str) -> None:
    """`n` limits the page; with more tags left the response has exactly n or a Link.

    Spec: "The response to such a request MAY return fewer than `<int>` results, but only when
    the total number of tags attached to the repository is less than `<int>` or a `Link`
    header is provided. Otherwise, the response MUST include `<int>` results." and "Without
    the `last` query parameter [...] the list returned will start at the beginning of the
    list"
    """
    _tag_all(client, repo, TAGS)
    order = json.loads(client.http.get(f"/v2/{repo}/tags/list").body)["tags"]
    response, body = _list(client, f"/v2/{repo}/tags/list?n=3")
    assert 0 < len(body["tags"]) <= 3
    assert body["tags"] == order[: len(body["tags"])]
    if len(body["tags"]) < 3:
        assert next_link(response) is not None


def test_tags_list_link_is_rel_next_and_walks_all_tags(client: Any, repo: str) -> None:
    """Following `Link: <...>; rel="next"` visits every tag once, in order, then stops.

    Spec: "A `Link` header MAY be included in the response when additional tags are
    available. If included, the `Link` header MUST be set according to RFC 5988 with the
    Relation Type `rel="next"`."
    """
    _tag_all(client, repo, TAGS)
    seen: list[str] = []
    path: str | None = f"/v2/{repo}/tags/list?n=3"
    pages = 0
    while path is not None:
        pages += 1
        assert pages <= len(TAGS) + 1, "pagination does not end"
        response, body = _list(client, path)
        assert len(body["tags"]) <= 3
        seen.extend(body["tags"])
        path = next_link(response)
        assert path is None or path.startswith(f"/v2/{repo}/tags/list")
    assert seen in _lexical(TAGS)
    assert pages >= 3


def test_tags_list_link_header_syntax(client: Any, repo: str) -> None:
    """The Link header has the RFC 5988 shape `<uri-reference>; rel="next"`.

    Spec: "the `Link` header MUST be set according to RFC 5988 with the Relation Type
    `rel="next"`."
    """
    _tag_all(client, repo, TAGS)
    response, _ = _list(client, f"/v2/{repo}/tags/list?n=2")
    link = header(response, "Link")
    assert link is not None
    assert link.startswith("<") and '>; rel="next"' in link.replace(">;rel", ">; rel")


def test_tags_list_with_last_starts_after_it(client: Any, repo: str) -> None:
    """`last` is exclusive: the page starts after it.

    Spec: "A request of this sort will return up to `<int>` tags, beginning non-inclusively
    with `<tagname>`. That is to say, `<tagname>` will not be included in the results, but up
    to `<int>` tags *after* `<tagname>` will be returned."
    """
    _tag_all(client, repo, TAGS)
    order = json.loads(client.http.get(f"/v2/{repo}/tags/list").body)["tags"]
    last = order[3]
    _, body = _list(client, f"/v2/{repo}/tags/list?n=2&last={last}")
    assert body["tags"] == order[4:6]


def test_tags_list_with_last_only(client: Any, repo: str) -> None:
    """`last` without `n` returns every tag after it.

    Spec: "When using the `last` query parameter, the `n` parameter is OPTIONAL."
    """
    _tag_all(client, repo, TAGS)
    order = json.loads(client.http.get(f"/v2/{repo}/tags/list").body)["tags"]
    _, body = _list(client, f"/v2/{repo}/tags/list?last={order[5]}")
    assert body["tags"] == order[6:]


def test_tags_list_with_last_that_is_not_a_tag(client: Any, repo: str) -> None:
    """`last` between two tags: the page starts at the next tag in order.

    Spec: "beginning non-inclusively with `<tagname>`" and "The tags MUST be in lexical or
    "ASCIIbetical" order."
    """
    tags = ["a1", "a3", "a5", "a7"]
    _tag_all(client, repo, tags)
    _, body = _list(client, f"/v2/{repo}/tags/list?n=2&last=a4")
    assert body["tags"] == ["a5", "a7"]


def test_tags_list_with_last_at_end_is_empty(client: Any, repo: str) -> None:
    """`last` at (or past) the final tag: an empty list and no Link.

    Spec: "up to `<int>` tags *after* `<tagname>` will be returned."
    """
    tags = ["a1", "a2"]
    _tag_all(client, repo, tags)
    response, body = _list(client, f"/v2/{repo}/tags/list?n=5&last=a2")
    assert body["tags"] == []
    assert next_link(response) is None


def test_tags_list_n_zero_is_empty_without_link(client: Any, repo: str) -> None:
    """`n=0`: an empty list and no Link header.

    Spec: "When `n` is zero, this endpoint MUST return an empty list, and MUST NOT include a
    `Link` header."
    """
    _tag_all(client, repo, TAGS)
    response, body = _list(client, f"/v2/{repo}/tags/list?n=0")
    assert body["tags"] == []
    assert header(response, "Link") is None


def test_tags_list_n_larger_than_count_returns_all_without_link(client: Any, repo: str) -> None:
    """`n` beyond the number of tags: every tag, and no Link (nothing is left).

    Spec: "A `Link` header MAY be included in the response when additional tags are
    available." and "The response to such a request MAY return fewer than `<int>` results [...]
    when the total number of tags attached to the repository is less than `<int>`"
    """
    _tag_all(client, repo, TAGS)
    response, body = _list(client, f"/v2/{repo}/tags/list?n=1000")
    assert body["tags"] in _lexical(TAGS)
    assert next_link(response) is None


def test_tags_list_exact_multiple_of_n_ends_cleanly(client: Any, repo: str) -> None:
    """When the tags divide evenly into pages, the walk ends without an empty loop.

    Spec: "A `Link` header MAY be included in the response when additional tags are
    available."
    """
    tags = ["t1", "t2", "t3", "t4"]
    _tag_all(client, repo, tags)
    seen: list[str] = []
    path: str | None = f"/v2/{repo}/tags/list?n=2"
    for _ in range(5):
        if path is None:
            break
        response, body = _list(client, path)
        seen.extend(body["tags"])
        path = next_link(response)
    assert path is None
    assert seen == tags


def test_tags_list_without_tags_is_empty(client: Any, repo: str) -> None:
    """A repository holding only untagged content lists no tags (200, empty list).

    Spec: "The list of tags MAY be empty if there are no tags on the repository."
    """
    push(client, repo, image())
    _, body = _list(client, f"/v2/{repo}/tags/list")
    assert body["name"] == repo
    assert body["tags"] in ([], None)


@pytest.mark.parametrize("bad", ["-1", "abc", "1.5", "99999999999999999999999"])
def test_tags_list_bad_n_is_not_a_500(client: Any, repo: str, bad: str) -> None:
    """A non-numeric or negative `n` is a 400 OCI error (a huge one may be served), never 500.

    Spec: "`<int>` is an integer specifying the number of tags requested."
    """
    _tag_all(client, repo, ["a"])
    response = client.http.get(f"/v2/{repo}/tags/list?n={bad}")
    if bad.isdigit():
        assert response.status_code in (200, 400), response.body[:300]
    else:
        assert_error(response, 400)

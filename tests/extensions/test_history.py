"""History and rollback through the `_berth` extension API (chalice.test.Client on moto)."""

from __future__ import annotations

import json
from typing import Any

from tests.api.helpers import (
    assert_error,
    assert_ok,
    get_manifest,
    header,
    json_of,
    push,
    push_image,
    push_index,
)


def history(client: Any, repo: str, tag: str, n: int | None = None) -> Any:
    query = f"?n={n}" if n is not None else ""
    response = client.http.get(f"/v2/{repo}/_berth/history/{tag}{query}")
    assert_ok(response, 200)
    return json_of(response)


def rollback(client: Any, repo: str, tag: str, to: str | None = None) -> Any:
    query = f"?to={to}" if to else ""
    return client.http.post(f"/v2/{repo}/_berth/rollback/{tag}{query}", body=b"")


def current(client: Any, repo: str, tag: str) -> str | None:
    response = get_manifest(client, repo, tag)
    return header(response, "Docker-Content-Digest") if response.status_code == 200 else None


def test_history_lists_every_move_newest_first(client: Any, repo: str) -> None:
    a = push_image(client, repo, "v")
    b = push_image(client, repo, "v")
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/v"), 202)
    document = history(client, repo, "v")
    assert document["current"] is None
    moves = [(e["action"], e["from"], e["to"]) for e in document["history"]]
    assert moves == [
        ("delete", b.digest, None),
        ("push", a.digest, b.digest),
        ("push", None, a.digest),
    ]
    assert all(e["at"] and e["actor"] is None for e in document["history"])
    assert len(history(client, repo, "v", n=1)["history"]) == 1


def test_history_of_unknown_repository_and_bad_tag(client: Any, repo: str) -> None:
    assert_error(client.http.get(f"/v2/{repo}/_berth/history/v"), 404, "NAME_UNKNOWN")
    push_image(client, repo, "v")
    assert history(client, repo, "never")["history"] == []
    assert_error(client.http.get(f"/v2/{repo}/_berth/history/-bad"), 400, "MANIFEST_INVALID")


def test_rollback_one_step_then_another(client: Any, repo: str) -> None:
    a, b, c = (push_image(client, repo, "v") for _ in range(3))
    response = rollback(client, repo, "v")
    assert_ok(response, 200)
    assert json_of(response) == {
        "name": repo,
        "tag": "v",
        "from": c.digest,
        "to": b.digest,
        "moved": True,
        "skipped": [],
    }
    assert current(client, repo, "v") == b.digest
    # A second rollback goes a further step back, not back to c.
    assert json_of(rollback(client, repo, "v"))["to"] == a.digest
    assert current(client, repo, "v") == a.digest
    assert_error(rollback(client, repo, "v"), 404, "MANIFEST_UNKNOWN")
    actions = [e["action"] for e in history(client, repo, "v")["history"]]
    assert actions == ["rollback", "rollback", "push", "push", "push"]


def test_rollback_skips_deleted_manifests(client: Any, repo: str) -> None:
    a, b, _c = (push_image(client, repo, "v") for _ in range(3))
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/{b.digest}"), 202)
    document = json_of(rollback(client, repo, "v"))
    assert document["to"] == a.digest and document["skipped"] == [b.digest]


def test_rollback_after_delete_restores_the_tag(client: Any, repo: str) -> None:
    a = push_image(client, repo, "v")
    assert_ok(client.http.delete(f"/v2/{repo}/manifests/v"), 202)
    document = json_of(rollback(client, repo, "v"))
    assert document["from"] is None and document["to"] == a.digest
    assert current(client, repo, "v") == a.digest


def test_rollback_to_a_digest(client: Any, repo: str) -> None:
    a, _b, c = (push_image(client, repo, "v") for _ in range(3))
    other = push_image(client, repo)  # never tagged
    assert json_of(rollback(client, repo, "v", a.digest))["to"] == a.digest
    assert json_of(rollback(client, repo, "v", other.digest))["to"] == other.digest
    # A plain rollback now undoes the move to `other`.
    assert json_of(rollback(client, repo, "v"))["to"] == a.digest
    # Rolling to where the tag already is changes nothing.
    assert json_of(rollback(client, repo, "v", a.digest))["moved"] is False
    assert c.digest != a.digest


def test_rollback_to_unknown_or_bad_digest(client: Any, repo: str) -> None:
    push_image(client, repo, "v")
    missing = "sha256:" + "0" * 64
    assert_error(rollback(client, repo, "v", missing), 404, "MANIFEST_UNKNOWN")
    assert_error(rollback(client, repo, "v", "sha256:xyz"), 400, "DIGEST_INVALID")
    assert_error(rollback(client, repo, "never"), 404, "MANIFEST_UNKNOWN")


def test_rollback_of_a_multi_arch_tag_keeps_children(client: Any, repo: str) -> None:
    first, first_children = push_index(client, repo, "multi")
    second, _ = push_index(client, repo, "multi")
    assert current(client, repo, "multi") == second.digest
    assert json_of(rollback(client, repo, "multi"))["to"] == first.digest
    response = get_manifest(client, repo, "multi")
    assert_ok(response, 200)
    assert json.loads(response.body) == first.document
    for child in first_children:
        assert_ok(get_manifest(client, repo, child.digest), 200)


def test_rollback_restores_an_image_pushed_again(client: Any, repo: str) -> None:
    a = push_image(client, repo, "v")
    b = push_image(client, repo, "v")
    push(client, repo, a, "v")  # a again
    assert json_of(rollback(client, repo, "v"))["to"] == b.digest


def test_extension_methods(client: Any, repo: str) -> None:
    push_image(client, repo, "v")
    response = client.http.get(f"/v2/{repo}/_berth/rollback/v")
    assert_error(response, 405, "UNSUPPORTED")
    assert header(response, "Allow") == "POST"

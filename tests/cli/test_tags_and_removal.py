"""`berth tags` (size, platforms, push and pull dates), `berth tag rm` (the tag only; rollback
brings it back) and `berth image rm` (the image and every tag of it), against the in-process
app (issue 18 §4)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import get_manifest, push_image, push_index
from tests.cli.test_admin_commands import berth  # noqa: F401


def test_tags_tag_rm_and_image_rm(
    berth: Any,  # noqa: F811
    client: Any,
    repo: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    single = push_image(client, repo, "v1")
    assert (
        client.http.request(
            "PUT",
            f"/v2/{repo}/manifests/also",
            headers={"Content-Type": single.media_type},
            body=single.body,
        ).status_code
        == 201
    )
    multi, children = push_index(client, repo, "multi")
    assert get_manifest(client, repo, "v1").status_code == 200  # a pull, recorded

    status, out, err = berth(capsys, "tags", repo, "--json")
    assert status == 0, err
    details = {t["tag"]: t for t in json.loads(out)["tags"]}
    assert set(details) == {"also", "multi", "v1"}
    v1 = details["v1"]
    assert v1["digest"] == single.digest and v1["platforms"] == ["linux/amd64"]
    assert v1["size"] == single.size + sum(len(b) for b in single.blobs)
    assert v1["pushedAt"] is not None and v1["lastPulled"] is not None
    assert details["multi"]["platforms"] == ["linux/arch0", "linux/arch1"]
    assert details["multi"]["size"] == multi.size + sum(
        c.size + sum(len(b) for b in c.blobs) for c in children
    )
    assert details["multi"]["lastPulled"] is None
    status, out, _ = berth(capsys, "tags", repo)
    lines = out.splitlines()
    assert lines[0].split() == ["TAG", "DIGEST", "SIZE", "PLATFORMS", "PUSHED", "PULLED"]
    assert lines[3].split()[0] == "v1" and lines[3].split()[1] == single.digest[:19]

    # tag rm: the tag only; the image and its other tag stay; rollback restores the tag.
    status, out, _ = berth(capsys, "tag", "rm", f"{repo}:v1")
    assert status == 0 and f"was {single.digest}" in out
    assert get_manifest(client, repo, "v1").status_code == 404
    assert get_manifest(client, repo, "also").status_code == 200
    assert get_manifest(client, repo, single.digest).status_code == 200
    status, out, _ = berth(capsys, "history", f"{repo}:v1", "--json")
    assert json.loads(out)["history"][0]["action"] == "delete"
    assert berth(capsys, "rollback", f"{repo}:v1")[0] == 0
    assert get_manifest(client, repo, "v1").status_code == 200
    assert berth(capsys, "tag", "rm", f"{repo}:nope")[0] == 4

    # image rm: the image and every tag of it, named.
    status, out, err = berth(capsys, "image", "rm", f"{repo}:also")
    assert status == 0, err
    assert out.strip() == f"{repo}@{single.digest} deleted (tags removed: also, v1)"
    assert get_manifest(client, repo, single.digest).status_code == 404
    status, out, _ = berth(capsys, "image", "rm", f"{repo}@{multi.digest}", "--json")
    assert status == 0 and json.loads(out)["tags"] == ["multi"]
    status, out, _ = berth(capsys, "tags", repo, "--json")
    assert json.loads(out)["tags"] == []
    assert berth(capsys, "tags", "no/such-repo")[0] == 4

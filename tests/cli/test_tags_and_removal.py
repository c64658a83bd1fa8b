"""`berth tags` (size, platforms, push and pull dates), `berth tag rm` (the tag only; rollback
brings it back) and `berth image rm` (the image and every tag of it), against the in-process
app (issue 18 §4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.helpers import get_manifest, push_image, push_index
from tests.cli.test_admin_commands import berth  # noqa: F401


def test_pushed_is_when_the_tag_was_pushed_as_on_the_web_page(
    berth: Any,  # noqa: F811
    client: Any,
    repo: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found trying it as a user: tagging the same image 1.1 an hour after 1.0 moved 1.0's
    PUSHED to 1.1's time (the manifest's last push), while the web page's Pushed said when
    1.0 itself was pushed. Both now mean this tag's push."""
    from chalicelib.storage import manifests, tags

    def at(hour: int) -> None:
        moment = datetime(2026, 12, 5, hour, 0, tzinfo=UTC)
        monkeypatch.setattr(manifests, "now", lambda: moment)
        monkeypatch.setattr(tags, "now", lambda: moment)

    at(8)
    single = push_image(client, repo, "1.0")
    at(9)
    response = client.http.request(
        "PUT",
        f"/v2/{repo}/manifests/1.1",
        headers={"Content-Type": single.media_type},
        body=single.body,
    )
    assert response.status_code == 201
    status, out, err = berth(capsys, "tags", repo)
    assert status == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "2026-12-05T08:00:00Z" in rows["1.0"], out
    assert "2026-12-05T09:00:00Z" in rows["1.1"] and "09:00" not in rows["1.0"], out
    status, out, _ = berth(capsys, "tags", repo, "--json")
    details = {t["tag"]: t for t in json.loads(out)["tags"]}
    assert details["1.0"]["taggedAt"] == "2026-12-05T08:00:00Z"
    assert details["1.0"]["pushedAt"] == "2026-12-05T09:00:00Z"  # the image's last push


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

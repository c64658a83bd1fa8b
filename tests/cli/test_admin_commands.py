"""`berth history`, `berth rollback` and `berth repo` against the in-process app (through a
chalice.test.Client transport) and, once, against a `berth serve` child over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from berth import cli
from berth.client.berth_api import RegistryClient, Reply
from berth.commands import common
from tests.api.helpers import (
    digest_of,
    get_manifest,
    header,
    image,
    push_image,
    push_index,
)


@pytest.fixture
def berth(client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `berth ARGS...` against the in-process app; (exit status, stdout, stderr)."""

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        response = client.http.request(method, path, headers=headers, body=body or b"")
        out = {k.lower(): str(v) for k, v in (response.headers or {}).items()}
        return Reply(response.status_code, out, response.body or b"")

    monkeypatch.setattr(common, "client_for", lambda _args: RegistryClient(send))

    def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        status = cli.main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def _current(client: Any, repo: str, tag: str) -> str | None:
    return header(get_manifest(client, repo, tag), "Docker-Content-Digest")


def test_history_and_rollback(
    berth: Any, client: Any, repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    a = push_image(client, repo, "v")
    b = push_image(client, repo, "v")
    status, out, _ = berth(capsys, "history", f"{repo}:v")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"{repo}:v -> {b.digest}"
    assert lines[1].split() == ["AT", "ACTION", "FROM", "TO", "ACTOR"]
    assert lines[2].split()[1:] == ["push", a.digest, b.digest, "-"]
    assert lines[3].split()[1:] == ["push", "-", a.digest, "-"]

    status, out, _ = berth(capsys, "rollback", f"{repo}:v")
    assert status == 0 and out.strip() == f"{repo}:v {b.digest} -> {a.digest}"
    assert _current(client, repo, "v") == a.digest

    status, out, _ = berth(capsys, "rollback", f"{repo}:v", "--to", b.digest, "--json")
    assert status == 0 and json.loads(out)["to"] == b.digest

    status, out, _ = berth(capsys, "history", f"{repo}:v", "--json", "-n", "2")
    assert [e["action"] for e in json.loads(out)["history"]] == ["rollback", "rollback"]


def test_rollback_of_multi_arch_tag(
    berth: Any, client: Any, repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, children = push_index(client, repo, "multi")
    push_index(client, repo, "multi")
    status, _, _ = berth(capsys, "rollback", f"{repo}:multi")
    assert status == 0
    assert _current(client, repo, "multi") == first.digest
    for child in children:
        assert get_manifest(client, repo, child.digest).status_code == 200


def test_errors_are_reported_with_their_code(
    berth: Any, client: Any, repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    push_image(client, repo, "v")
    # Not found is exit 4 (docs/access.md), as for every command; it was 1 before issue 18.
    status, _, err = berth(capsys, "rollback", f"{repo}:v")
    assert status == common.EXIT_NOT_FOUND and "MANIFEST_UNKNOWN" in err
    status, _, err = berth(capsys, "rollback", f"{repo}:v", "--to", "sha256:" + "0" * 64)
    assert status == common.EXIT_NOT_FOUND and "MANIFEST_UNKNOWN" in err
    with pytest.raises(SystemExit):
        berth(capsys, "history", repo)  # no tag


def test_set_immutable_with_exclusions(
    berth: Any, client: Any, repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    push_image(client, repo, "v1")
    push_image(client, repo, "v1")
    push_image(client, repo, "latest")
    push_image(client, repo, "latest")
    status, out, _ = berth(
        capsys, "repo", "set-immutable", repo, "--exclude", "latest", "--exclude", "dev-*"
    )
    assert status == 0 and out.strip() == f"{repo}: tags are immutable (excluded: latest, dev-*)"
    status, _, err = berth(capsys, "rollback", f"{repo}:v1")
    assert status == common.EXIT_REFUSED and "DENIED" in err and "immutable-tags" in err
    assert berth(capsys, "rollback", f"{repo}:latest")[0] == 0
    status, out, _ = berth(capsys, "repo", "set-immutable", repo, "--off")
    assert status == 0 and out.strip() == f"{repo}: tags are mutable"
    assert berth(capsys, "rollback", f"{repo}:v1")[0] == 0


def test_repo_ls(berth: Any, client: Any, repo: str, capsys: pytest.CaptureFixture[str]) -> None:
    shared = image()
    first = push_image(client, repo, "a", config=shared.blobs[0])
    second = push_image(client, repo, "b", config=shared.blobs[0])  # same config: counted once
    third = push_image(client, repo, "b")  # b moves on; its old manifest stays and counts
    status, out, _ = berth(capsys, "repo", "ls", "--json")
    assert status == 0
    (entry,) = [r for r in json.loads(out)["repositories"] if r["name"] == repo]
    distinct = {digest_of(b): len(b) for m in (first, second, third) for b in m.blobs}
    assert entry["tags"] == 2 and entry["manifests"] == 3 and entry["blobs"] == len(distinct) == 5
    assert entry["size"] == sum(distinct.values()) + first.size + second.size + third.size
    assert entry["lastPush"] is not None
    status, out, _ = berth(capsys, "repo", "ls")
    assert status == 0
    assert out.splitlines()[0].split() == ["NAME", "SIZE", "TAGS", "MANIFESTS", "LAST", "PUSH"]
    assert any(line.startswith(repo) for line in out.splitlines())


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    from berth.localserver import spawn

    with spawn() as server:
        yield server.url


def test_against_berth_serve(served: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The same commands over real HTTP to `berth serve`, with the standard OCI push."""
    import uuid

    from berth.client.berth_api import http_transport

    send = http_transport(served)
    repo = f"cli/{uuid.uuid4().hex[:8]}"
    digests = []
    for _ in range(2):
        manifest = image()
        for blob in manifest.blobs:
            start = send("POST", f"/v2/{repo}/blobs/uploads/", b"", {})
            location = start.headers["location"]
            path = location if location.startswith("/") else "/" + location.split("/", 3)[3]
            sep = "&" if "?" in path else "?"
            done = send(
                "PUT",
                f"{path}{sep}digest={digest_of(blob)}",
                blob,
                {"Content-Type": "application/octet-stream"},
            )
            assert done.status == 201, done
        put = send(
            "PUT", f"/v2/{repo}/manifests/v", manifest.body, {"Content-Type": manifest.media_type}
        )
        assert put.status == 201, put
        digests.append(manifest.digest)
    assert cli.main(["rollback", f"{repo}:v", "--registry", served]) == 0
    assert capsys.readouterr().out.strip() == f"{repo}:v {digests[1]} -> {digests[0]}"
    assert cli.main(["history", f"{repo}:v", "--registry", served, "--json"]) == 0
    actions = [e["action"] for e in json.loads(capsys.readouterr().out)["history"]]
    assert actions == ["rollback", "push", "push"]
    assert cli.main(["repo", "ls", "--registry", served, "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["repositories"]
    assert entry["name"] == repo and entry["tags"] == 1 and entry["manifests"] == 2

"""The pull-through cache as a user meets it: `berth cache add` on the session's `berth
serve`, an upstream that is a second `berth serve --auth` (token auth on: Berth answers its
challenge for an anonymous token, the repository there being public), and skopeo pulling
through Berth. Upstream requests are counted from the upstream's own request log; a gate in
front of it takes it away. Waiting is never on time: each step is a finished command."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gate import Gate
from tests.e2e.images import Image, write_image
from tests.e2e.support import Registry, run

pytestmark = pytest.mark.e2e

MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json"


def berth(*args: str, env: dict[str, str] | None = None) -> str:
    return run([sys.executable, "-m", "berth.cli", *args], env=env).stdout


@pytest.fixture(scope="module")
def upstream(secured: tuple[Registry, str]) -> Iterator[tuple[Registry, str, Gate]]:
    """The `--auth` registry with `pub/*` public, behind a gate; yields it, its admin
    password and the gate."""
    registry, password = secured
    admin = {"BERTH_USERNAME": "admin", "BERTH_PASSWORD": password}
    berth("public", "add", "pub/*", "--registry", f"http://{registry.host}", env=admin)
    gate = Gate(registry.server.port).start()
    yield registry, password, gate
    gate.close()


def push_upstream(upstream: Registry, password: str, image: Image, repository: str) -> None:
    run(
        [
            "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
            "--dest-creds", f"admin:{password}",
            image.reference, upstream.docker(repository, image.tag),
        ]
    )  # fmt: skip


def pull(registry: Registry, repository: str, tag: str, into: Path) -> Path:
    layout = into / uuid.uuid4().hex[:8]
    run(
        [
            "skopeo", "copy", "--quiet", "--src-tls-verify=false",
            registry.docker(repository, tag), f"oci:{layout}:{tag}",
        ]
    )  # fmt: skip
    return layout


def blob_files(layout: Path) -> dict[str, bytes]:
    folder = layout / "blobs" / "sha256"
    return {f"sha256:{p.name}": p.read_bytes() for p in folder.iterdir()}


def upstream_requests(upstream: Registry, repository: str) -> list[str]:
    return [
        f"{r.get('method')} {r.get('path')}"
        for r in upstream.log_records()
        if r.get("message") == "request"
        and str(r.get("path", "")).startswith(f"/v2/{repository}/")
        and r.get("status") != 401
    ]


def wait_for_fills(registry: Registry, repository: str, image: Image) -> None:
    """Every blob stored in Berth: a HEAD of a blob whose fill is queued waits for that fill
    (its claim) and answers when it landed."""
    for digest in [image.config.digest, *(layer.digest for layer in image.layers)]:
        answer = registry.request("HEAD", f"/v2/{repository}/blobs/{digest}")
        assert answer.status == 200, (digest, answer.status)


@pytest.fixture
def rules(registry: Registry, upstream: tuple[Registry, str, Gate]) -> Iterator[None]:
    """`cached/` (a TTL of an hour) and `fresh/` (TTL 0: every pull by tag asks upstream)."""
    url = f"http://127.0.0.1:{upstream[2].port}"
    here = f"http://{registry.host}"
    berth("cache", "add", "cached/", url, "--ttl", "3600", "--registry", here)
    berth("cache", "add", "fresh", url, "--ttl", "0", "--registry", here)
    listed = json.loads(berth("cache", "ls", "--json", "--registry", here))
    assert {r["prefix"] for r in listed["rules"]} == {"cached/", "fresh/"}
    yield
    berth("cache", "rm", "cached/", "--registry", here)
    berth("cache", "rm", "fresh", "--registry", here)


def test_skopeo_pulls_through_the_cache(
    registry: Registry,
    upstream: tuple[Registry, str, Gate],
    rules: None,
    scratch: Path,
) -> None:
    source, password, gate = upstream
    name = f"pub/{uuid.uuid4().hex[:10]}"
    image = write_image(scratch / "src", "v1", layer_sizes=(300_000, 20_000))
    push_upstream(source, password, image, name)

    # The first pull: each blob redirected to upstream's storage, its fill queued.
    first = pull(registry, f"cached/{name}", "v1", scratch)
    assert blob_files(first) == blob_files(image.layout)
    wait_for_fills(registry, f"cached/{name}", image)
    fills = [
        r
        for r in registry.log_records()
        if r.get("message") == "cache fill done" and r.get("repository") == f"cached/{name}"
    ]
    assert fills and all(r.get("stored") for r in fills), "the local pipeline ran the fills"
    after_fills = upstream_requests(source, name)
    fetched = [r for r in after_fills if r.startswith("GET") and "/blobs/" in r]
    # One GET per blob to send skopeo on (or to fill it first), one per queued fill.
    assert len(fetched) == 1 + len(image.layers) + len(fills), "\n".join(fetched)

    second = pull(registry, f"cached/{name}", "v1", scratch)  # from Berth alone
    assert blob_files(second) == blob_files(image.layout)
    assert upstream_requests(source, name) == after_fills

    gate.set_up(False)  # upstream gone: the cached tag is still served
    try:
        third = pull(registry, f"cached/{name}", "v1", scratch)
        assert blob_files(third) == blob_files(image.layout)
    finally:
        gate.set_up(True)

    denied = run(
        [
            "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
            image.reference, registry.docker(f"cached/{name}", "mine"),
        ],
        check=False,
    )  # fmt: skip
    assert denied.returncode != 0
    assert "pull-through cache" in denied.stderr or "denied" in denied.stderr.lower()


def test_a_tag_moved_upstream_is_followed(
    registry: Registry,
    upstream: tuple[Registry, str, Gate],
    rules: None,
    scratch: Path,
) -> None:
    source, password, gate = upstream
    name = f"pub/{uuid.uuid4().hex[:10]}"
    old = write_image(scratch / "old", "v1", layer_sizes=(50_000,))
    push_upstream(source, password, old, name)
    pull(registry, f"fresh/{name}", "v1", scratch)
    new = write_image(scratch / "new", "v1", layer_sizes=(60_000,))
    push_upstream(source, password, new, name)

    moved = pull(registry, f"fresh/{name}", "v1", scratch)
    assert blob_files(moved) == blob_files(new.layout)
    wait_for_fills(registry, f"fresh/{name}", new)  # stored before upstream goes away
    answer = registry.request("GET", f"/v2/fresh/{name}/manifests/v1", {"Accept": MANIFEST_TYPES})
    assert answer.body == new.manifest_bytes
    history = registry.request("GET", f"/v2/fresh/{name}/_berth/history/v1").json()
    assert [h["to"] for h in history["history"]] == [new.manifest.digest, old.manifest.digest]

    gate.set_up(False)  # TTL 0 asks upstream on every pull; down, the cached tag serves
    try:
        stale = pull(registry, f"fresh/{name}", "v1", scratch)
        assert blob_files(stale) == blob_files(new.layout)
    finally:
        gate.set_up(True)

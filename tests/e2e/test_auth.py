"""`berth serve --auth` with real clients: the challenge, `skopeo login` then push and pull,
`podman login`, and refusals without credentials (the server: `secured` in conftest.py;
more clients in test_auth_clients.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.remote.challenge import parse_challenge
from tests.e2e.images import write_image
from tests.e2e.support import Registry, new_repository, run

pytestmark = pytest.mark.e2e


def test_anonymous_requests_are_challenged(secured: tuple[Registry, str]) -> None:
    registry, _ = secured
    response = registry.request("GET", "/v2/")
    assert response.status == 401
    scheme, params = parse_challenge(response.headers["WWW-Authenticate"])
    assert scheme == "Bearer"
    assert params["realm"] == f"http://{registry.host}/token"
    repository = new_repository()
    response = registry.request("GET", f"/v2/{repository}/tags/list")
    assert response.status == 401
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_skopeo_login_push_and_pull(secured: tuple[Registry, str], scratch: Path) -> None:
    registry, password = secured
    repository = new_repository()
    image = write_image(scratch / "src", "v1", layer_sizes=(20_000,))
    destination = registry.docker(repository, "v1")
    authfile = scratch / "auth.json"
    # Without credentials the push is refused.
    refused = run(
        ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", image.reference, destination],
        check=False,
    )
    assert refused.returncode != 0
    assert "requested access to the resource is denied" in refused.stderr, refused.stderr[-2000:]
    assert "HTTP 401" in refused.stderr, refused.stderr[-2000:]
    run(
        [
            "skopeo", "login", "--tls-verify=false", "--authfile", authfile,
            "-u", "admin", "-p", password, registry.host,
        ]
    )  # fmt: skip
    assert registry.host in json.loads(authfile.read_text())["auths"]
    run(
        [
            "skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-authfile", authfile,
            image.reference, destination,
        ]
    )  # fmt: skip
    raw = run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", "--authfile", authfile, destination]
    )
    assert raw.stdout.encode() == image.manifest_bytes
    run(
        [
            "skopeo", "copy", "--quiet", "--src-tls-verify=false", "--src-authfile", authfile,
            destination, f"oci:{scratch / 'pulled'}:v1",
        ]
    )  # fmt: skip
    wrong = run(
        [
            "skopeo", "login", "--tls-verify=false", "--authfile", scratch / "other.json",
            "-u", "admin", "-p", "wrong", registry.host,
        ],
        check=False,
    )  # fmt: skip
    assert wrong.returncode != 0
    assert "invalid username/password" in wrong.stderr, wrong.stderr[-2000:]


def test_podman_login(secured: tuple[Registry, str], scratch: Path) -> None:
    registry, password = secured
    authfile = scratch / "podman-auth.json"
    run(
        [
            "podman", "login", "--tls-verify=false", "--authfile", authfile,
            "-u", "admin", "-p", password, registry.host,
        ]
    )  # fmt: skip
    assert registry.host in json.loads(authfile.read_text())["auths"]

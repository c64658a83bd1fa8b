"""More real clients against `berth serve --auth` (`secured`): podman login then push and pull,
containerd's `ctr` with `--user` (pull, and push), oras with credentials (an artifact with a
subject, the referrers API, pull back), and a pull-only robot refused a push by skopeo."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import oras.client
import oras.oci
import pytest

from tests.e2e.images import OCI_MANIFEST, Image, sha256, write_archive, write_image
from tests.e2e.support import Registry, host_architecture, new_repository, run
from tests.e2e.test_containerd import Containerd, containerd  # noqa: F401
from tests.e2e.test_podman import podman, private_storage

pytestmark = pytest.mark.e2e

_STORE = re.compile(r"DynamoDB table (\S+), blobs in S3 bucket (\S+), both in memory in moto at "
                    r"(http://\S+?);")  # fmt: skip


def _basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _push_as_admin(
    registry: Registry, password: str, scratch: Path, source: str, repository: str
) -> None:
    """`skopeo login` as admin, then `skopeo copy` of `source` to `repository:v1`."""
    authfile = scratch / "auth.json"
    run(
        [
            "skopeo", "login", "--tls-verify=false", "--authfile", authfile,
            "-u", "admin", "-p", password, registry.host,
        ]
    )  # fmt: skip
    run(
        [
            "skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-authfile", authfile,
            source, registry.docker(repository, "v1"),
        ]
    )  # fmt: skip


def _pushed(registry: Registry, password: str, scratch: Path) -> tuple[str, Image]:
    """A new repository with a small image as `v1`."""
    repository = new_repository()
    image = write_image(scratch / "src", "v1")
    _push_as_admin(registry, password, scratch, image.reference, repository)
    return repository, image


_MAKE_ROBOT = """
import sys
from chalicelib.auth import principals
from chalicelib.auth.permissions import Level
name, pattern, level = sys.argv[1:4]
secret = principals.create_robot(name, description="e2e")
principals.grant("robot", name, pattern, Level.parse(level))
print(secret)
"""


def make_robot(registry: Registry, pattern: str, level: str) -> tuple[str, str]:
    """A robot with `level` on `pattern`, made in the server's own store, as an operator with
    access to its AWS account would (a child process pointed at the server's moto).
    Returns its login name and secret."""
    match = _STORE.search(registry.server.line)
    assert match, registry.server.line
    table, bucket, moto = match.groups()
    name = f"e2e{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto,
        "AWS_ACCESS_KEY_ID": "berth-local",
        "AWS_SECRET_ACCESS_KEY": "berth-local",
        "AWS_SESSION_TOKEN": "berth-local",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BERTH_TABLE": table,
        "BERTH_BUCKET": bucket,
    }
    result = subprocess.run(
        [sys.executable, "-c", _MAKE_ROBOT, name, pattern, level],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return f"robot${name}", result.stdout.strip()


def test_podman_login_push_and_pull(
    secured: tuple[Registry, str], scratch: Path, short_tmp: Path
) -> None:
    registry, password = secured
    repository = new_repository()
    image = write_image(scratch / "src", "v1", layer_sizes=(40_000,))
    archive = write_archive(image.layout, scratch / "image.tar")
    storage = private_storage(scratch / "podman", short_tmp)
    image_id = image.config.digest.split(":", 1)[1]
    assert "Loaded image" in podman(storage, "load", "--quiet", "--input", archive)
    reference = f"{registry.host}/{repository}:v1"
    authfile = scratch / "podman-auth.json"
    no_credentials = scratch / "none.json"
    no_credentials.write_text('{"auths": {}}')  # a missing file would be refused before any request
    refused = run(
        ["podman", *storage.flags, "push", "--quiet", "--tls-verify=false", "--authfile",
         no_credentials, image_id, f"docker://{reference}"],
        env=storage.env,
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "requested access to the resource is denied" in refused.stderr, refused.stderr[-2000:]
    assert "HTTP 401" in refused.stderr, refused.stderr[-2000:]
    podman(
        storage, "login", "--tls-verify=false", "--authfile", authfile,
        "-u", "admin", "-p", password, registry.host,
    )  # fmt: skip
    digest_file = scratch / "pushed.digest"
    podman(
        storage, "push", "--quiet", "--tls-verify=false", "--authfile", authfile,
        "--digestfile", digest_file, image_id, f"docker://{reference}",
    )  # fmt: skip
    pushed = digest_file.read_text().strip()
    head = registry.request(
        "HEAD", f"/v2/{repository}/manifests/v1", headers=_basic("admin", password)
    )
    assert head.status == 200 and head.headers["Docker-Content-Digest"] == pushed

    podman(storage, "rmi", "--all", "--force")
    pulled = podman(
        storage, "pull", "--quiet", "--tls-verify=false", "--authfile", authfile, reference
    ).strip()
    assert pulled == image_id
    details = json.loads(podman(storage, "image", "inspect", reference))[0]
    assert details["Digest"] == pushed
    assert details["RootFS"]["Layers"] == list(image.diff_ids)


def test_ctr_with_user_pulls_and_pushes(
    secured: tuple[Registry, str],
    scratch: Path,
    containerd: Containerd,  # noqa: F811
) -> None:
    registry, password = secured
    repository, copy = new_repository(), new_repository()
    architecture = host_architecture()
    image = write_image(scratch / "src", "v1", layer_sizes=(30_000,), architecture=architecture)
    _push_as_admin(registry, password, scratch, image.reference, repository)
    reference = f"{registry.host}/{repository}:v1"
    user = f"admin:{password}"

    anonymous = containerd.ctr("images", "pull", "--plain-http", reference, check=False)
    assert anonymous.returncode != 0
    assert "insufficient_scope: authorization failed" in anonymous.stderr, anonymous.stderr[-2000:]
    wrong = containerd.ctr(
        "images", "pull", "--plain-http", "--user", "admin:wrong", reference, check=False
    )
    assert wrong.returncode != 0
    assert "401 Unauthorized" in wrong.stderr, wrong.stderr[-2000:]
    containerd.ctr(
        "images", "pull", "--plain-http", "--user", user, "--snapshotter", "native", reference
    )
    listed = containerd.ctr("images", "ls").stdout
    assert reference in listed and image.manifest.digest in listed
    for descriptor in image.blobs:
        assert (
            containerd.content(descriptor.digest)
            == (image.layout / "blobs" / "sha256" / descriptor.digest.split(":", 1)[1]).read_bytes()
        )

    # Push what was pulled to another repository (containerd: POST then PUT, with a token).
    target = f"{registry.host}/{copy}:v1"
    containerd.ctr("images", "tag", reference, target)
    refused = containerd.ctr("images", "push", "--plain-http", target, check=False)
    assert refused.returncode != 0
    assert "insufficient_scope: authorization failed" in refused.stderr, refused.stderr[-2000:]
    containerd.ctr("images", "push", "--plain-http", "--user", user, target)
    head = registry.request("HEAD", f"/v2/{copy}/manifests/v1", headers=_basic("admin", password))
    assert head.status == 200
    assert head.headers["Docker-Content-Digest"] == image.manifest.digest


ARTIFACT_TYPE = "application/vnd.berth.e2e.signature"
FILE_MEDIA_TYPE = "application/vnd.berth.e2e.signature.v1+json"


def _oras(registry: Registry, password: str, scratch: Path, backend: str) -> Any:
    client = oras.client.OrasClient(hostname=registry.host, insecure=True, auth_backend=backend)
    client.login(
        username="admin",
        password=password,
        hostname=registry.host,
        tls_verify=False,
        config_path=str(scratch / f"docker-config-{backend}.json"),
    )
    return client


def test_oras_with_credentials_pushes_a_referrer_and_reads_it_back(
    secured: tuple[Registry, str], scratch: Path
) -> None:
    registry, password = secured
    repository, image = _pushed(registry, password, scratch)
    payload = scratch / "signature.json"
    payload.write_bytes(b'{"signed": "' + image.manifest.digest.encode() + b'"}')
    subject = oras.oci.Subject(
        mediaType=OCI_MANIFEST, digest=image.manifest.digest, size=image.manifest.size
    )
    target = f"{registry.host}/{repository}:signature"

    anonymous = oras.client.OrasClient(hostname=registry.host, insecure=True)
    with pytest.raises(Exception):  # noqa: B017 (the SDK raises its own or requests' errors)
        anonymous.push(
            target=target,
            files=[f"{payload}:{FILE_MEDIA_TYPE}"],
            manifest_config=f"{scratch / 'none'}:{ARTIFACT_TYPE}",
            subject=subject,
            disable_path_validation=True,
        )

    # Push: the SDK's Basic backend (credentials sent to /v2 when challenged, as ECS does).
    # Its token backend cannot push to a registry that follows the token spec: it answers a
    # 401 `insufficient_scope` (the pull token of its HEAD probe, then POST) with the same
    # token again and asks for a new one only on a 403 (oras-py 0.2.43, auth/token.py).
    pusher = _oras(registry, password, scratch, backend="basic")
    pushed = pusher.push(
        target=target,
        files=[f"{payload}:{FILE_MEDIA_TYPE}"],
        manifest_config=f"{scratch / 'none'}:{ARTIFACT_TYPE}",
        subject=subject,
        disable_path_validation=True,
    )
    assert pushed.status_code == 201
    artifact = pushed.headers["Docker-Content-Digest"]
    assert pushed.headers.get("OCI-Subject") == image.manifest.digest

    credentials = _basic("admin", password)
    assert registry.request(
        "GET", f"/v2/{repository}/referrers/{image.manifest.digest}"
    ).status == (401)
    listing = registry.request(
        "GET", f"/v2/{repository}/referrers/{image.manifest.digest}", headers=credentials
    )
    assert listing.status == 200
    assert [(m["digest"], m["artifactType"]) for m in listing.json()["manifests"]] == [
        (artifact, ARTIFACT_TYPE)
    ]
    # Read back through the token flow: the SDK's token backend, logged in with the password.
    reader = _oras(registry, password, scratch, backend="token")
    pulled = reader.pull(target=f"{registry.host}/{repository}@{artifact}", outdir=scratch / "out")
    assert reader.auth.token  # it did get a token from /token
    assert [Path(p).read_bytes() for p in pulled] == [payload.read_bytes()]
    manifest = registry.request(
        "GET",
        f"/v2/{repository}/manifests/{artifact}",
        headers={**credentials, "Accept": OCI_MANIFEST},
    )
    assert sha256(manifest.body) == artifact


def test_pull_only_robot_is_denied_push_by_skopeo(
    secured: tuple[Registry, str], scratch: Path
) -> None:
    registry, password = secured
    repository, image = _pushed(registry, password, scratch)
    robot, secret = make_robot(registry, repository, "pull")
    creds = f"{robot}:{secret}"

    # It pulls...
    raw = run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds,
         registry.docker(repository, "v1")]
    )  # fmt: skip
    assert raw.stdout.encode() == image.manifest_bytes
    # ...but may not push, neither a new tag nor into its own repository's neighbour.
    other = write_image(scratch / "other", "v2", layer_sizes=(5_000,))
    for destination in (registry.docker(repository, "v2"), registry.docker(f"{repository}-x")):
        refused = run(
            ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", creds,
             other.reference, destination],
            check=False,
        )  # fmt: skip
        assert refused.returncode != 0
        assert re.search(
            r"denied|unauthorized|authentication required|403|forbidden", refused.stderr, re.I
        ), refused.stderr[-2000:]
    tags = registry.request(
        "GET", f"/v2/{repository}/tags/list", headers=_basic("admin", password)
    ).json()
    assert tags["tags"] == ["v1"]


def test_berth_keys_rotate_against_berth_serve(tmp_path: Path) -> None:
    """The operator path on the local server: `berth keys rotate --endpoint-url <moto>`; the
    server (resolving its aliases on every use here, so with no waiting; every 300 s by
    default, which tests/auth/test_key_rotation.py checks on an injected clock) signs with the
    new key while the old key's tokens still pass, and refuses them once a second rotation
    retires that key."""
    from berth.localserver import spawn

    log = tmp_path / "berth-serve.log"
    with (
        log.open("wb") as stderr,
        spawn(stderr=stderr, auth=True, env={"BERTH_TOKEN_KEY_RESOLVE": "0"}) as server,
    ):
        registry = Registry(server, log)
        match = re.search(r"password (\S+) \(shown once\)", server.line)
        store = _STORE.search(server.line)
        assert match and store, server.line
        admin = _basic("admin", match.group(1))

        def token() -> str:
            answer = registry.request("GET", "/token?service=berth&scope=registry:catalog:*", admin)
            assert answer.status == 200, answer.body
            return str(answer.json()["token"])

        def kid(token_text: str) -> str:
            head = token_text.split(".")[0]
            return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])

        def status(token_text: str) -> int:
            headers = {"Authorization": f"Bearer {token_text}"}
            return registry.request("GET", "/v2/_catalog", headers).status

        def rotate(*extra: str) -> None:
            run([sys.executable, "-m", "berth.cli", "keys", "rotate", "--stage", "local",
                 "--endpoint-url", store.group(3), *extra])  # fmt: skip

        first = token()
        assert status(first) == 200
        rotate()
        assert kid(token()) != kid(first)
        second = token()
        assert status(first) == 200 and status(second) == 200
        refused = run(
            [sys.executable, "-m", "berth.cli", "keys", "rotate", "--stage", "local",
             "--endpoint-url", store.group(3)],
            check=False,
        )  # fmt: skip
        assert refused.returncode == 1 and "--force" in refused.stderr
        rotate("--force")
        assert status(first) == 401
        assert status(second) == 200

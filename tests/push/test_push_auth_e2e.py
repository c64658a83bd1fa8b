"""`berth push` through Berth's own access control (`berth serve --auth`): the token flow with
the first admin's password, and exit 4 without credentials or with wrong ones."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.localserver import ServerProcess, spawn
from tests.e2e.images import layout_blobs, write_image
from tests.e2e.support import run
from tests.push.conftest import berth_push, no_stored_logins, pushed

pytestmark = pytest.mark.e2e
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str, str]]:
    log = tmp_path_factory.mktemp("berth-serve-auth") / "berth-serve.log"
    with log.open("wb") as stderr, spawn(lambda_limits=True, stderr=stderr, auth=True) as server:  # type: ignore[call-arg]
        found = re.search(r"log in as (\S+) with password (\S+)", server.line)
        assert found, server.line
        yield server, found.group(1), found.group(2)


def test_push_with_a_token_and_refusals(
    guarded: tuple[ServerProcess, str, str], tmp_path: Path
) -> None:
    server, user, password = guarded
    image = write_image(tmp_path / "src", "v1", layer_sizes=(20_000, 5 * MiB))
    target = f"127.0.0.1:{server.port}/team/app:v1"
    state = ("--state", str(tmp_path / "state"))
    anonymous = berth_push(image.layout, target, *state, env=no_stored_logins(tmp_path))
    assert anonymous.returncode == 4 and "no credentials found" in anonymous.stderr
    wrong = {"BERTH_USERNAME": user, "BERTH_PASSWORD": "wrong"}
    refused = berth_push(image.layout, target, *state, env=wrong)
    assert refused.returncode == 4 and "401 UNAUTHORIZED" in refused.stderr, refused.stderr
    admin = {"BERTH_USERNAME": user, "BERTH_PASSWORD": password}
    assert pushed(berth_push(image.layout, target, *state, env=admin)) == image.manifest.digest
    source = f"docker://{target}"
    run(["skopeo", "copy", "--quiet", "--src-tls-verify=false", f"--src-creds={user}:{password}",
         source, f"oci:{tmp_path / 'pulled'}:x"])  # fmt: skip
    assert layout_blobs(tmp_path / "pulled") == layout_blobs(image.layout)


def test_a_pull_only_robot_gets_no_upload_url(
    guarded: tuple[ServerProcess, str, str], tmp_path: Path
) -> None:
    """Direct-to-S3 uploads need push: the robot's token lacks it, so the extension's POST is
    refused (exit 4) before any presigned URL exists, and nothing reaches the repository."""
    from tests.e2e.support import Registry
    from tests.e2e.test_auth_clients import make_robot

    server, user, password = guarded
    image = write_image(tmp_path / "src", "v1", layer_sizes=(5 * MiB,))
    target = f"127.0.0.1:{server.port}/team/robotted:v1"
    robot, secret = make_robot(Registry(server, tmp_path / "unused.log"), "team/robotted", "pull")
    as_robot = {"BERTH_USERNAME": robot, "BERTH_PASSWORD": secret}
    refused = berth_push(image.layout, target, "--upload", "s3", env=as_robot)
    assert refused.returncode == 4, refused.stderr
    assert "s3-uploads" in refused.stderr or "direct upload" in refused.stderr
    admin = {"BERTH_USERNAME": user, "BERTH_PASSWORD": password}
    blob = Registry(server, tmp_path / "unused.log").request(
        "HEAD", f"/v2/team/robotted/blobs/{image.layers[0].digest}", headers=_basic(user, password)
    )
    assert blob.status == 404
    assert pushed(berth_push(image.layout, target, "--upload", "s3", env=admin))


def test_a_robot_pushes_as_robot_colon_name(
    guarded: tuple[ServerProcess, str, str], tmp_path: Path
) -> None:
    """The audit's spelling of a robot logs in too (issue 18 §3): `robot:NAME` in
    $BERTH_USERNAME, sent as Basic credentials to the token endpoint (exit 0); with a wrong
    secret, exit 4 as for any refused login."""
    from tests.e2e.support import Registry
    from tests.e2e.test_auth_clients import make_robot

    server, _, _ = guarded
    image = write_image(tmp_path / "src", "v1", layer_sizes=(20_000,))
    target = f"127.0.0.1:{server.port}/team/colon:v1"
    login, secret = make_robot(Registry(server, tmp_path / "unused.log"), "team/colon", "push")
    colon = "robot:" + login.removeprefix("robot$")
    wrong = berth_push(
        image.layout, target, env={"BERTH_USERNAME": colon, "BERTH_PASSWORD": "wrong"}
    )
    assert wrong.returncode == 4, wrong.stderr
    as_robot = {"BERTH_USERNAME": colon, "BERTH_PASSWORD": secret}
    assert pushed(berth_push(image.layout, target, env=as_robot)) == image.manifest.digest


def _basic(user: str, password: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

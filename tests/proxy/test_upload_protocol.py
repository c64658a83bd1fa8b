"""The upload protocol as the proxy serves it, request by request, in front of `berth serve
--lambda-limits --auth`: the 401 and its Bearer challenge come from the registry unchanged
(realm on the registry, which the client reaches itself), the token the registry's token
service issues for push on the repository serves the proxy's s3-uploads calls, chunks with
Content-Range far above the Lambda limit are taken, a chunk at the wrong offset is 416,
GET tells where a session stands, a wrong digest is refused with nothing linked, a
monolithic POST and a cross-repository mount work, and a manifest goes through as it is."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth.client.credentials import Credentials
from berth.localserver import spawn
from berth.proxy import Proxy, run
from berth.push.http import FAIL_AFTER_ENV
from chalicelib.remote.challenge import parse_challenges
from tests.e2e.support import Registry, new_repository

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def fronted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Proxy, str]]:
    directory = tmp_path_factory.mktemp("proxy-protocol")
    log = directory / "berth-serve.log"
    with log.open("wb") as stderr, spawn(stderr=stderr, lambda_limits=True, auth=True) as server:
        match = re.search(r"log in as admin with password (\S+) \(shown once\)", server.line)
        assert match, server.line
        with run(f"http://127.0.0.1:{server.port}", port=0, part_size=5 * MiB) as proxy:
            yield Registry(server, log), proxy, match.group(1)


class Client:
    """Raw requests to the proxy, with the token the registry's realm gives for a scope."""

    def __init__(self, proxy: Proxy, password: str) -> None:
        parts = urllib.parse.urlsplit(proxy.url)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self.credentials = Credentials("admin", password)
        self.authorization: str | None = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        sent = dict(headers or {})
        if self.authorization:
            sent["Authorization"] = self.authorization
        self.connection.request(method, path, body=body or None, headers=sent)
        response = self.connection.getresponse()
        response.read()
        return response

    def login(self, challenge_header: str, *more_scopes: str) -> str:
        """Answer a Bearer challenge at its realm, asking for its scope and `more_scopes`
        too (as a stock client asks for pull with push); the realm."""
        (challenge,) = parse_challenges(challenge_header)
        params = challenge.params
        scopes = [params["scope"], *more_scopes]
        query = urllib.parse.urlencode({"service": params["service"], "scope": scopes}, doseq=True)
        token_request = urllib.request.Request(
            f"{params['realm']}?{query}", headers={"Authorization": self.credentials.basic()}
        )
        with urllib.request.urlopen(token_request, timeout=30) as answer:
            self.authorization = "Bearer " + json.loads(answer.read())["token"]
        return params["realm"]


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_chunked_upload_with_token_status_and_416(fronted: tuple[Registry, Proxy, str]) -> None:
    registry, proxy, password = fronted
    client = Client(proxy, password)
    repository = new_repository("proxy")
    uploads = f"/v2/{repository}/blobs/uploads/"

    refused = client.request("POST", uploads)
    assert refused.status == 401
    realm = client.login(refused.headers["WWW-Authenticate"], f"repository:{repository}:pull")
    assert realm == f"http://127.0.0.1:{registry.server.port}/token"  # passed as it is

    opened = client.request("POST", uploads)
    assert opened.status == 202
    location = opened.headers["Location"]
    assert location.startswith(uploads)  # back to the proxy, relative
    data = bytes(range(256)) * (40 * 1024)  # 10 MiB in two chunks, each over Lambda's limit
    first, second = data[: 6 * MiB], data[6 * MiB :]
    patched = client.request("PATCH", location, first, {"Content-Range": f"0-{len(first) - 1}"})
    assert patched.status == 202
    assert patched.headers["Range"] == f"0-{len(first) - 1}"
    status = client.request("GET", patched.headers["Location"])
    assert (status.status, status.headers["Range"]) == (204, f"0-{len(first) - 1}")

    misplaced = client.request("PATCH", location, second, {"Content-Range": f"5-{len(second) + 4}"})
    assert misplaced.status == 416
    wrong = client.request("PUT", f"{location}?digest={_digest(b'other')}", second)
    assert wrong.status == 400
    assert client.request("HEAD", f"/v2/{repository}/blobs/{_digest(b'other')}").status == 404
    assert client.request("GET", location).status == 404  # a failed close ends the session

    again = client.request("POST", uploads)
    location = again.headers["Location"]
    client.request("PATCH", location, first, {"Content-Range": f"0-{len(first) - 1}"})
    closed = client.request(
        "PUT",
        f"{location}?digest={_digest(data)}",
        second,
        {"Content-Range": f"{len(first)}-{len(data) - 1}"},
    )
    assert closed.status == 201
    assert closed.headers["Docker-Content-Digest"] == _digest(data)
    head = client.request("HEAD", f"/v2/{repository}/blobs/{_digest(data)}")
    assert (head.status, head.headers["Content-Length"]) == (200, str(len(data)))


def test_monolithic_post_mount_and_manifest(fronted: tuple[Registry, Proxy, str]) -> None:
    _, proxy, password = fronted
    client = Client(proxy, password)
    source, target = new_repository("proxy"), new_repository("proxy")
    layer = b"\x01" * (5 * MiB)
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'

    refused = client.request("POST", f"/v2/{source}/blobs/uploads/?digest={_digest(layer)}", layer)
    assert refused.status == 401
    client.login(refused.headers["WWW-Authenticate"], f"repository:{source}:pull")
    for blob in (layer, config):
        posted = client.request("POST", f"/v2/{source}/blobs/uploads/?digest={_digest(blob)}", blob)
        assert posted.status == 201, posted.headers
        assert posted.headers["Location"] == f"/v2/{source}/blobs/{_digest(blob)}"

    mount = f"/v2/{target}/blobs/uploads/?mount={_digest(layer)}&from={source}"
    refused = client.request("POST", mount)
    assert refused.status == 401
    client.login(
        refused.headers["WWW-Authenticate"],
        f"repository:{source}:pull",
        f"repository:{target}:pull",
    )
    mounted = client.request("POST", mount)
    assert mounted.status == 201  # the registry's own answer: nothing went through the proxy
    assert client.request("HEAD", f"/v2/{target}/blobs/{_digest(layer)}").status == 200

    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": _digest(layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()

    def put() -> http.client.HTTPResponse:
        return client.request(
            "PUT",
            f"/v2/{source}/manifests/v1",
            manifest,
            {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        )

    refused = put()  # the token is for the mount's repositories: the registry asks again
    assert refused.status == 401
    client.login(refused.headers["WWW-Authenticate"], f"repository:{source}:pull")
    stored = put()
    assert stored.status == 201
    assert stored.headers["Docker-Content-Digest"] == _digest(manifest)
    redirect = client.request("GET", f"/v2/{source}/blobs/{_digest(layer)}")
    assert redirect.status == 307  # the registry's presigned redirect, passed on as it is
    assert "/_s3/" in redirect.headers["Location"]


def test_no_upload_is_left_open(fronted: tuple[Registry, Proxy, str]) -> None:
    """Every session above was completed, refused or cancelled (module order)."""
    _, proxy, _ = fronted
    assert proxy.open_uploads == 0


def _no_saved_logins(directory: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only `directory/auth.json` holds logins (none yet); returns its path."""
    for name in ("BERTH_USERNAME", "BERTH_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(directory))
    monkeypatch.setenv("DOCKER_CONFIG", str(directory / "docker"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(directory / "run"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(directory / "config"))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(directory / "auth.json"))
    return directory / "auth.json"


def _refused_token(authorization: str) -> str:
    """The client's token with its signature spoilt: the registry refuses it with a 401 and
    its challenge, as it refuses one that ran out (no clock is waited on)."""
    head, signature = authorization.rsplit(".", 1)
    middle = len(signature) // 2  # not the last character: its low bits are padding
    changed = "A" if signature[middle] != "A" else "B"
    return f"{head}.{signature[:middle]}{changed}{signature[middle + 1 :]}"


def test_a_token_refused_mid_upload_is_renewed_from_the_saved_login(
    fronted: tuple[Registry, Proxy, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One long PATCH outlives the registry's token (BERTH_TOKEN_TTL, 300 s): the proxy's next
    part URL is refused. With the login the client saved for the proxy's address (as `docker
    login 127.0.0.1:5480` leaves it), the proxy gets a new token for push on the repository
    and carries on; without one, the refusal reaches the client as before (DENIED)."""
    registry, _, password = fronted
    auth_json = _no_saved_logins(tmp_path, monkeypatch)
    data = bytes(range(256)) * (48 * 1024)  # 12 MiB: parts of 5 MiB, two sent mid-PATCH
    base = f"http://127.0.0.1:{registry.server.port}"
    with run(base, port=0, part_size=5 * MiB) as proxy:
        client = Client(proxy, password)
        for saved in (False, True):
            if saved:
                login = base64.b64encode(f"admin:{password}".encode()).decode()
                address = proxy.url.split("://", 1)[1]
                auth_json.write_text(json.dumps({"auths": {address: {"auth": login}}}))
            repository = new_repository("renew")
            uploads = f"/v2/{repository}/blobs/uploads/"
            client.authorization = None
            challenge = client.request("POST", uploads).headers["WWW-Authenticate"]
            client.login(challenge, f"repository:{repository}:pull")
            opened = client.request("POST", uploads)
            assert opened.status == 202
            valid, client.authorization = client.authorization, None
            spoilt = {"Authorization": _refused_token(str(valid))}
            location = opened.headers["Location"]
            patched = client.request("PATCH", location, data, spoilt)
            closed = client.request("PUT", f"{location}?digest={_digest(data)}", b"", spoilt)
            client.authorization = valid
            head = client.request("HEAD", f"/v2/{repository}/blobs/{_digest(data)}")
            if not saved:  # refused at a part URL of the PATCH, or at the close
                assert patched.status != 202 or closed.status == 403, closed.status
                assert head.status == 404
                continue
            assert (patched.status, closed.status) == (202, 201)
            assert (head.status, head.headers["Content-Length"]) == (200, str(len(data)))


def test_a_part_s3_never_takes_cancels_the_upload_and_links_nothing(
    fronted: tuple[Registry, Proxy, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection to S3 breaks after the first 5 MiB part (berth push's failure hook):
    the second part is retried, then the client is answered 503 UNAVAILABLE, before any
    201, the session is gone, nothing is linked, and every part's slot is free again."""
    registry, _, password = fronted
    monkeypatch.setenv(FAIL_AFTER_ENV, str(7 * MiB))
    data = bytes(range(256)) * (48 * 1024)  # 12 MiB: parts 1 and 2 go during the PATCH
    with run(f"http://127.0.0.1:{registry.server.port}", port=0, part_size=5 * MiB) as proxy:
        client = Client(proxy, password)
        repository = new_repository("broken")
        uploads = f"/v2/{repository}/blobs/uploads/"
        client.login(
            client.request("POST", uploads).headers["WWW-Authenticate"],
            f"repository:{repository}:pull",
        )
        location = client.request("POST", uploads).headers["Location"]
        patched = client.request("PATCH", location, data)
        closed = client.request("PUT", f"{location}?digest={_digest(data)}")
        assert (patched.status, closed.status) in ((503, 404), (202, 503))
        assert client.request("HEAD", f"/v2/{repository}/blobs/{_digest(data)}").status == 404
        assert client.request("GET", location).status == 404
        assert proxy.open_uploads == 0
        slots = proxy._pool._slots
        assert all(slots.acquire(blocking=False) for _ in range(proxy.part_jobs))

"""`berth push` through the `s3-uploads` extension against `berth serve --lambda-limits`: the
layers go straight to the local server's S3 front (which checks every presigned URL as S3
would) and never through the function; pulled back by skopeo byte for byte. A 1 GiB image, a
multi-platform index, multipart layers with parts in parallel, an interrupted multipart push
resumed, and a corrupt source refused with nothing linked."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.push import build_image
from berth.localserver import spawn
from berth.push.http import FAIL_AFTER_ENV
from tests.e2e.images import layout_blobs, layout_manifest, write_image, write_index
from tests.e2e.support import Registry, new_repository, run
from tests.push.conftest import berth_push, pushed

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def small_parts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """`berth serve --lambda-limits` whose extension goes multipart above 12 MiB, in 5 MiB
    parts (S3's smallest), so multipart is tested without gigabytes."""
    directory = tmp_path_factory.mktemp("berth-serve-small-parts")
    log = directory / "berth-serve.log"
    env = {"BERTH_AUTH": "off", "BERTH_S3_SINGLE_PUT_MAX": str(12 * MiB),
           "BERTH_S3_PART_SIZE": str(5 * MiB)}  # fmt: skip
    with log.open("wb") as stderr, spawn(lambda_limits=True, stderr=stderr, env=env) as server:
        yield Registry(server, log)


def requests_to(registry: Registry, repository: str, method: str, fragment: str) -> int:
    return sum(
        1
        for r in registry.log_records()
        if r.get("message") == "request"
        and r.get("method") == method
        and f"/v2/{repository}/{fragment}" in str(r.get("path"))
    )


def pull(registry: Registry, repository: str, reference: str, into: Path, *opts: str) -> None:
    source = registry.docker(repository, reference)
    run(["skopeo", "copy", "--quiet", "--src-tls-verify=false", *opts, source, f"oci:{into}:x"])


def file_digests(layout: Path) -> dict[str, int]:
    """Each blob file's name checked against its bytes (streamed), with its size."""
    found = {}
    for path in (layout / "blobs" / "sha256").iterdir():
        digest = hashlib.sha256()
        with path.open("rb") as file:
            while data := file.read(8 * MiB):
                digest.update(data)
        assert digest.hexdigest() == path.name
        found[path.name] = path.stat().st_size
    return found


def test_one_gib_image_through_the_extension(limited: Registry, tmp_path: Path) -> None:
    layout = tmp_path / "big"
    digest = build_image(layout, 1024 * MiB, 4)
    repository = new_repository("s3push")
    result = berth_push(
        layout, f"{limited.host}/{repository}:v1", "--state", tmp_path / "state", timeout=900
    )
    assert pushed(result) == digest
    assert "5 uploaded" in result.stderr
    assert requests_to(limited, repository, "PATCH", "blobs/uploads/") == 0
    assert requests_to(limited, repository, "POST", "_berth/s3-uploads") >= 8  # 4 starts + 4 ends
    pull(limited, repository, "v1", tmp_path / "pulled")
    assert layout_manifest(tmp_path / "pulled", "x").digest == digest
    assert file_digests(tmp_path / "pulled") == file_digests(layout)


def test_multi_platform_index_through_the_extension(limited: Registry, tmp_path: Path) -> None:
    index = write_index(tmp_path / "src", "multi", layer_sizes=(20_000, 6 * MiB))
    repository = new_repository("s3push")
    result = berth_push(index.layout, f"{limited.host}/{repository}:multi", "-q")
    assert pushed(result) == index.index.digest
    assert requests_to(limited, repository, "POST", "_berth/s3-uploads") >= 2
    assert requests_to(limited, repository, "PATCH", "blobs/uploads/") == 0
    raw = run(["skopeo", "inspect", "--raw", "--tls-verify=false",
               limited.docker(repository, "multi")]).stdout  # fmt: skip
    assert raw.encode() == index.index_bytes
    pull(limited, repository, "multi", tmp_path / "pulled", "--all")
    assert layout_blobs(tmp_path / "pulled") == layout_blobs(index.layout)


def test_multipart_layers_in_parallel_parts(small_parts: Registry, tmp_path: Path) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(31 * MiB, 13 * MiB, 5 * MiB))
    repository = new_repository("s3push")
    result = berth_push(image.layout, f"{small_parts.host}/{repository}:v1", "--part-jobs", "3")
    assert pushed(result) == image.manifest.digest
    assert requests_to(small_parts, repository, "POST", "_berth/s3-uploads/") >= 7 + 3 + 3
    pull(small_parts, repository, "v1", tmp_path / "pulled")
    assert layout_blobs(tmp_path / "pulled") == layout_blobs(image.layout)


def test_interrupted_multipart_push_resumes(small_parts: Registry, tmp_path: Path) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(30 * MiB,))
    target = f"{small_parts.host}/{new_repository('s3push')}:v1"
    state = tmp_path / "state"
    one_at_a_time = ("-j", "1", "--part-jobs", "1", "--state", state)
    broken = berth_push(image.layout, target, *one_at_a_time, env={FAIL_AFTER_ENV: str(12 * MiB)})
    assert broken.returncode == 6, broken.stderr
    assert "run again to resume" in broken.stderr
    recorded = json.loads(next(state.glob("uploads-*.json")).read_text())
    entry = recorded[image.layers[0].digest]
    assert "/_berth/s3-uploads/" in entry["s3"] and sorted(entry["parts"]) == ["1", "2"]
    resumed = berth_push(image.layout, target, "--state", state)
    assert pushed(resumed) == image.manifest.digest
    assert "resuming at 10.0 MiB" in resumed.stderr
    sent = re.search(r"uploaded ([\d.]+) MiB in", resumed.stderr)
    assert sent is not None and float(sent.group(1)) < 21  # not the whole 30 MiB again
    assert json.loads(next(state.glob("uploads-*.json")).read_text()) == {}
    repository = target.split("/", 1)[1].rsplit(":", 1)[0]
    pull(small_parts, repository, "v1", tmp_path / "pulled")
    assert layout_blobs(tmp_path / "pulled") == layout_blobs(image.layout)


def test_a_corrupt_source_is_refused_and_nothing_linked(limited: Registry, tmp_path: Path) -> None:
    """The checksum signed into the URL is the manifest's digest; the bytes on disk are not
    those bytes. S3 refuses the PUT (400 BadDigest), as the local server's S3 front does, so
    `berth push` exits 3 naming the corrupt source and nothing is linked. (The registry's own
    verification of what reached storage is tested in tests/extensions, bypassing S3.)"""
    image = write_image(tmp_path / "src", "v1", layer_sizes=(6 * MiB,))
    layer = image.layers[0]
    path = image.layout / "blobs" / "sha256" / layer.digest.split(":")[1]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    repository = new_repository("s3push")
    result = berth_push(image.layout, f"{limited.host}/{repository}:v1", "--upload", "s3")
    assert result.returncode == 3, result.stderr
    assert "S3 refused the bytes (the source is corrupt)" in result.stderr
    head = limited.request("HEAD", f"/v2/{repository}/blobs/{layer.digest}")
    assert head.status == 404
    manifest = limited.request("HEAD", f"/v2/{repository}/manifests/v1")
    assert manifest.status == 404


URL_TTL = 3  # not the default: the URLs must carry the TTL the server was given


@pytest.fixture(scope="module")
def short_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """`berth serve` whose direct-upload URLs live three seconds."""
    directory = tmp_path_factory.mktemp("berth-serve-short-urls")
    log = directory / "berth-serve.log"
    env = {"BERTH_AUTH": "off", "BERTH_UPLOAD_URL_TTL": str(URL_TTL)}
    with log.open("wb") as stderr, spawn(stderr=stderr, env=env) as server:
        yield Registry(server, log)


def signed_as_of(upload: dict[str, Any], moment: datetime) -> str:
    """The same PUT as `upload` (its bucket, key and signed checksum), signed by botocore with
    the server's credentials as of `moment` instead of now."""
    import botocore.auth
    import botocore.session
    from botocore.config import Config

    from berth.localserver.stack import FAKE_CREDENTIALS, REGION

    url = urllib.parse.urlsplit(str(upload["url"]))
    prefix, bucket, key = url.path.split("/", 3)[1:]
    assert prefix == "_s3", url
    client: Any = botocore.session.get_session().create_client(
        "s3",
        region_name=REGION,
        endpoint_url=f"{url.scheme}://{url.netloc}/_s3",
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    params = {
        "Bucket": bucket,
        "Key": urllib.parse.unquote(key),
        "ChecksumSHA256": upload["headers"]["x-amz-checksum-sha256"],
        "ChecksumAlgorithm": "SHA256",
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.auth, "get_current_datetime", lambda: moment)
        signed: str = client.generate_presigned_url("put_object", Params=params, ExpiresIn=URL_TTL)
    return signed


def test_an_expired_url_is_refused_and_the_session_gives_a_fresh_one(
    short_urls: Registry,
) -> None:
    """The local server's S3 front checks a presigned URL's expiry as S3 does (moto does
    not); the session outlives its URLs, and asking for it again signs new ones. No waiting:
    the expired URL is the session's own PUT signed as of two hours ago (where exactly a TTL
    ends is tests/localserver/test_presigned.py's, on an injected clock)."""
    data = b"direct upload " * 1000
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    repository = new_repository("s3push")
    body = json.dumps({"digest": digest, "size": len(data)}).encode()
    started = short_urls.request("POST", f"/v2/{repository}/_berth/s3-uploads", body=body)
    assert started.status == 202, started.body
    session = started.json()

    def put(where: str, upload: dict[str, Any]) -> tuple[int, bytes]:
        url = urllib.parse.urlsplit(where)
        connection = http.client.HTTPConnection(url.netloc, timeout=60)
        try:
            headers = dict(upload["headers"])
            connection.request("PUT", f"{url.path}?{url.query}", body=data, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def signed_at(url: str) -> str:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert query["X-Amz-Expires"] == [str(URL_TTL)], url
        return query["X-Amz-Date"][0]

    first = session["upload"]
    expired = signed_as_of(first, datetime.now(UTC) - timedelta(hours=2))
    assert urllib.parse.urlsplit(expired).path == urllib.parse.urlsplit(first["url"]).path
    status, answer = put(expired, first)
    assert status == 403 and b"Request has expired" in answer, (status, answer)
    assert short_urls.request("HEAD", f"/v2/{repository}/blobs/{digest}").status == 404
    fresh = short_urls.request("GET", session["location"])
    assert fresh.status == 200
    again = fresh.json()["upload"]
    assert signed_at(again["url"]) >= signed_at(first["url"]), "signed when asked, not before"
    assert put(again["url"], again)[0] == 200
    done = short_urls.request("POST", session["location"])
    assert done.status == 201, done.body
    assert short_urls.blob(repository, digest) == data

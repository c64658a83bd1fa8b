"""Malformed requests at every endpoint (issue 11, "Done means"): names, references, digests,
ranges, query strings and JSON bodies (deep, huge, wrong types) that no endpoint may accept.

Every answer must be a 4xx with an OCI error body (HEAD: no body), never a 5xx, and the
registry must be exactly as before: the same DynamoDB items and the same S3 objects. The
registry holds a pushed image, an open upload session with bytes in it and an open direct
upload session, so a request that wrongly got through would have something to change.

Deterministic and bounded for CI: `derandomize=True` and a fixed `max_examples` per family.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chalicelib.api.audit import MAX_PRINCIPAL
from chalicelib.api.http import MAX_JSON_BODY
from chalicelib.api.s3_uploads import MAX_DOCUMENT_BYTES
from chalicelib.oci.manifest import MAX_MANIFEST_BYTES
from tests.api import fuzz_inputs as bad
from tests.api.helpers import (
    OCI_MANIFEST,
    SPEC_CODES,
    assert_ok,
    digest_of,
    patch_upload,
    push_image,
    start_upload,
)

EXAMPLES = 30


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def target(self) -> str:
        # Quote only what would break the URL; the test client decodes it again.
        path = quote(self.path, safe="/:@!$&'()*+,;=~")
        return f"{path}?{urlencode(self.query)}" if self.query else path


@dataclass(frozen=True)
class World:
    """What the registry holds while the fuzzing runs."""

    repo: str
    tag: str
    manifest: bytes
    manifest_digest: str
    blob_digest: str
    upload: str  # path of an open upload session holding 3 bytes
    direct_upload: str  # id of an open s3-uploads session


Family = Callable[[World], st.SearchStrategy[Call]]


@pytest.fixture
def world(client: Any, repo: str) -> World:
    pushed = push_image(client, repo, "v1")
    upload = start_upload(client, repo)
    assert_ok(patch_upload(client, upload, b"abc"), 202)
    opened = client.http.post(
        f"/v2/{repo}/_berth/s3-uploads",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"digest": digest_of(b"direct"), "size": 6}).encode(),
    )
    assert_ok(opened, 202)
    return World(
        repo=repo,
        tag="v1",
        manifest=pushed.body,
        manifest_digest=digest_of(pushed.body),
        blob_digest=digest_of(pushed.blobs[-1]),
        upload=upload,
        direct_upload=json.loads(opened.body)["id"],
    )


def _state(aws: dict[str, str]) -> tuple[list[str], list[tuple[str, int, str]]]:
    """Every DynamoDB item and every S3 object (key, size, ETag) of the registry."""
    import boto3

    items: list[str] = []
    for page in (
        boto3.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=aws["TableName"], ConsistentRead=True)
    ):
        items.extend(json.dumps(item, sort_keys=True, default=repr) for item in page["Items"])
    objects: list[tuple[str, int, str]] = []
    for page in (
        boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=aws["BucketName"])
    ):
        objects.extend((o["Key"], o["Size"], o["ETag"]) for o in page.get("Contents", []))
    return sorted(items), sorted(objects)


def _assert_refused(call: Call, response: Any) -> None:
    status = response.status_code
    shown = f"{call.method} {call.target()[:200]} -> {status}: {response.body[:300]!r}"
    assert 400 <= status < 500, shown
    if call.method == "HEAD":
        assert response.body == b"", shown
        return
    document = json.loads(response.body)
    errors = document["errors"]
    assert errors and all(set(e) >= {"code", "message"} for e in errors), shown
    assert {e["code"] for e in errors} <= SPEC_CODES | {"TAG_INVALID"}, shown


# --------------------------------------------------------------------------- families

NO_PARAMETERS: st.SearchStrategy[dict[str, str]] = st.just({})
NO_BODY = st.just(b"")


def _with(
    method: str | st.SearchStrategy[str],
    path: st.SearchStrategy[str],
    *,
    query: st.SearchStrategy[dict[str, str]] = NO_PARAMETERS,
    headers: st.SearchStrategy[dict[str, str]] = NO_PARAMETERS,
    body: st.SearchStrategy[bytes] = NO_BODY,
) -> st.SearchStrategy[Call]:
    methods = st.just(method) if isinstance(method, str) else method
    return st.builds(Call, methods, path, query, headers, body)


def _noisy(query: st.SearchStrategy[dict[str, str]]) -> st.SearchStrategy[dict[str, str]]:
    """A query with the malformed parameter, plus any other parameters at random."""
    return st.tuples(bad.query_noise, query).map(lambda q: {**q[0], **q[1]})


def _json_headers() -> st.SearchStrategy[dict[str, str]]:
    return st.sampled_from([{"Content-Type": "application/json"}, {}])


def base(w: World) -> st.SearchStrategy[Call]:
    return _with(st.sampled_from(["PUT", "POST", "PATCH", "DELETE"]), st.just("/v2/"))


def catalog(w: World) -> st.SearchStrategy[Call]:
    return st.one_of(
        _with("GET", st.just("/v2/_catalog"), query=_noisy(bad.bad_page_sizes.map(_n))),
        _with(st.sampled_from(["PUT", "POST", "DELETE"]), st.just("/v2/_catalog")),
    )


def _n(value: str) -> dict[str, str]:
    return {"n": value}


def tags(w: World) -> st.SearchStrategy[Call]:
    return st.one_of(
        _with("GET", bad.bad_names.map(lambda n: f"/v2/{n}/tags/list"), query=bad.query_noise),
        _with("GET", st.just(f"/v2/{w.repo}/tags/list"), query=_noisy(bad.bad_page_sizes.map(_n))),
        _with(st.sampled_from(["HEAD", "PUT", "DELETE"]), st.just(f"/v2/{w.repo}/tags/list")),
    )


def manifests(w: World) -> st.SearchStrategy[Call]:
    read = st.sampled_from(["GET", "HEAD", "DELETE"])
    references = st.one_of(bad.bad_references, bad.unknown_digests, st.just("never-pushed"))
    pushes = st.one_of(
        # A valid manifest to a malformed name or reference.
        bad.bad_names.map(lambda n: f"/v2/{n}/manifests/v2"),
        bad.bad_references.map(lambda r: f"/v2/{w.repo}/manifests/{r}"),
    )
    manifest_bodies = st.one_of(
        bad.malformed_json(MAX_MANIFEST_BYTES),
        bad.object_with("schemaVersion", bad.wrong_type(int)),
        bad.object_with("config", bad.wrong_type(dict), schemaVersion=2),
        _broken_layer(w),
    )
    return st.one_of(
        _with(read, st.tuples(bad.bad_names, references).map(lambda t: _manifest(*t))),
        _with(read, references.map(lambda r: _manifest(w.repo, r))),
        _with(
            "PUT", pushes, headers=st.just({"Content-Type": OCI_MANIFEST}), body=st.just(w.manifest)
        ),
        _with(
            "PUT",
            st.just(f"/v2/{w.repo}/manifests/fuzz"),
            headers=st.just({"Content-Type": OCI_MANIFEST}),
            body=manifest_bodies,
        ),
        _with(
            "PUT",
            st.just(f"/v2/{w.repo}/manifests/{w.manifest_digest}"),
            query=bad.bad_tags.map(lambda t: {"tag": t}),
            headers=st.just({"Content-Type": OCI_MANIFEST}),
            body=st.just(w.manifest),
        ),
        _with(st.sampled_from(["POST", "PATCH"]), st.just(_manifest(w.repo, w.tag))),
    )


def _manifest(name: str, reference: str) -> str:
    return f"/v2/{name}/manifests/{reference}"


def _broken_layer(w: World) -> st.SearchStrategy[bytes]:
    """The pushed manifest with one field of its first layer given a wrong type."""
    document = json.loads(w.manifest)

    def broken(key_value: tuple[str, Any]) -> bytes:
        key, value = key_value
        layer = {**document["layers"][0], key: value}
        return json.dumps({**document, "layers": [layer]}).encode()

    fields = st.one_of(
        st.tuples(st.just("urls"), bad.wrong_type(list)),
        st.tuples(st.just("size"), bad.wrong_type(int)),
        st.tuples(st.just("digest"), bad.wrong_type(str)),
        st.tuples(st.just("annotations"), bad.wrong_type(dict, type(None))),
        st.tuples(st.just("data"), bad.wrong_type(str, type(None))),
        st.tuples(st.just("platform"), bad.wrong_type(dict, type(None))),
    )
    return fields.map(broken)


def blobs(w: World) -> st.SearchStrategy[Call]:
    method = st.sampled_from(["GET", "HEAD", "DELETE"])
    digests = st.one_of(bad.bad_digests, bad.unknown_digests)
    ranges = st.one_of(st.just({}), bad.any_ranges.map(lambda r: {"Range": r}))
    return st.one_of(
        _with(method, st.tuples(bad.bad_names, digests).map(lambda t: _blob(*t)), headers=ranges),
        _with(method, digests.map(lambda d: _blob(w.repo, d)), headers=ranges),
        _with(st.sampled_from(["PUT", "POST", "PATCH"]), st.just(_blob(w.repo, w.blob_digest))),
    )


def _blob(name: str, digest: str) -> str:
    return f"/v2/{name}/blobs/{digest}"


def uploads(w: World) -> st.SearchStrategy[Call]:
    start = f"/v2/{w.repo}/blobs/uploads/"
    data = st.binary(max_size=64)
    return st.one_of(
        _with(
            "POST", bad.bad_names.map(lambda n: f"/v2/{n}/blobs/uploads/"), query=bad.query_noise
        ),
        _with("POST", st.just(start), query=_noisy(bad.bad_digests.map(lambda d: {"digest": d}))),
        # A monolithic push whose bytes are not the digest's.
        _with(
            "POST",
            st.just(start),
            query=bad.unknown_digests.map(lambda d: {"digest": d}),
            body=data,
        ),
        _with("POST", st.just(start), query=bad.bad_digests.map(lambda d: {"mount": d})),
        _with(
            "POST",
            st.just(start),
            query=bad.bad_names.map(lambda n: {"mount": w.blob_digest, "from": n}),
        ),
        _with(
            "POST",
            st.just(start),
            query=st.text(max_size=10)
            .filter(lambda a: a not in ("", "sha256", "sha512"))
            .map(lambda a: {"digest-algorithm": a}),
        ),
        _with(st.sampled_from(["GET", "PUT", "PATCH", "DELETE"]), st.just(start)),
    )


def upload_session(w: World) -> st.SearchStrategy[Call]:
    method = st.sampled_from(["GET", "PATCH", "PUT", "DELETE"])
    ids = st.one_of(st.text(bad._SEGMENT, min_size=1, max_size=40), st.uuids().map(lambda u: u.hex))
    data = st.binary(min_size=1, max_size=32)
    other_repo = w.upload.replace(w.repo, w.repo + "-other", 1)
    return st.one_of(
        _with(method, ids.map(lambda i: f"/v2/{w.repo}/blobs/uploads/{i}")),
        _with(method, st.just(other_repo), body=data),
        _with(
            "PATCH",
            st.just(w.upload),
            headers=bad.bad_content_ranges.map(lambda r: {"Content-Range": r}),
            body=data,
        ),
        _with(
            "PATCH",
            st.just(w.upload),
            headers=st.integers(0, 10**6).map(lambda n: {"Content-Length": str(n + 100)}),
            body=data,
        ),
        _with(
            "PUT",
            st.just(w.upload),
            query=_noisy(bad.bad_digests.map(lambda d: {"digest": d})),
            headers=st.one_of(
                st.just({}), bad.bad_content_ranges.map(lambda r: {"Content-Range": r})
            ),
            body=st.one_of(st.just(b""), data),
        ),
        _with(
            "PUT",
            st.just(w.upload),
            query=bad.unknown_digests.map(lambda d: {"digest": d}),
            headers=bad.bad_content_ranges.filter(lambda r: r != "").map(
                lambda r: {"Content-Range": r}
            ),
            body=data,
        ),
        _with("POST", st.just(w.upload)),
    )


def referrers(w: World) -> st.SearchStrategy[Call]:
    noise = _noisy(st.fixed_dictionaries({}, optional={"artifactType": st.text(max_size=30)}))
    return st.one_of(
        _with("GET", st.tuples(bad.bad_names, bad.unknown_digests).map(lambda t: _referrers(*t))),
        _with("GET", bad.bad_digests.map(lambda d: _referrers(w.repo, d)), query=noise),
        _with(
            "GET",
            st.just(_referrers(w.repo, w.manifest_digest)),
            query=bad.bad_digests.map(lambda d: {"next": d}),
        ),
        _with(st.sampled_from(["PUT", "DELETE"]), st.just(_referrers(w.repo, w.manifest_digest))),
    )


def _referrers(name: str, digest: str) -> str:
    return f"/v2/{name}/referrers/{digest}"


def history(w: World) -> st.SearchStrategy[Call]:
    at = f"/v2/{w.repo}/_berth"
    return st.one_of(
        _with("GET", bad.bad_names.map(lambda n: f"/v2/{n}/_berth/history/{w.tag}")),
        _with("GET", bad.bad_tags.map(lambda t: f"{at}/history/{t}")),
        _with("GET", st.just(f"{at}/history/{w.tag}"), query=_noisy(bad.bad_page_sizes.map(_n))),
        _with("POST", bad.bad_names.map(lambda n: f"/v2/{n}/_berth/rollback/{w.tag}")),
        _with("POST", bad.bad_tags.map(lambda t: f"{at}/rollback/{t}")),
        _with(
            "POST",
            st.just(f"{at}/rollback/{w.tag}"),
            query=bad.bad_digests.map(lambda d: {"to": d}),
        ),
        _with(st.sampled_from(["PUT", "DELETE"]), st.just(f"{at}/history/{w.tag}")),
        _with(st.sampled_from(["GET", "PUT", "DELETE"]), st.just(f"{at}/rollback/{w.tag}")),
    )


def settings_(w: World) -> st.SearchStrategy[Call]:
    at = f"/v2/{w.repo}/_berth/settings"
    bodies = st.one_of(
        bad.malformed_json(MAX_JSON_BODY),
        bad.object_with("immutableTags", bad.wrong_type(bool, type(None))),
        bad.object_with("immutableTagsExclude", bad.wrong_type(list, type(None))),
        bad.object_with("rollbackWindow", bad.wrong_type(int, type(None))),
        bad.object_with("unknown", bad.json_values),
    )
    return st.one_of(
        _with(
            st.sampled_from(["GET", "PUT"]), bad.bad_names.map(lambda n: f"/v2/{n}/_berth/settings")
        ),
        _with("PUT", st.just(at), headers=_json_headers(), body=bodies),
        _with(st.sampled_from(["POST", "DELETE", "PATCH"]), st.just(at)),
    )


def lifecycle(w: World) -> st.SearchStrategy[Call]:
    at = f"/v2/{w.repo}/_berth/lifecycle"
    bodies = st.one_of(
        bad.malformed_json(MAX_JSON_BODY),
        bad.object_with("rules", bad.wrong_type(list, type(None))),
        bad.object_with("rules", st.lists(bad.wrong_type(dict), min_size=1, max_size=3)),
        bad.object_with("unknown", bad.json_values),
    )
    return st.one_of(
        _with(
            st.sampled_from(["GET", "PUT", "POST"]),
            bad.bad_names.map(lambda n: f"/v2/{n}/_berth/lifecycle"),
        ),
        _with("PUT", st.just(at), headers=_json_headers(), body=bodies),
        _with(st.sampled_from(["DELETE", "PATCH"]), st.just(at)),
        _with(st.sampled_from(["GET", "PUT", "DELETE"]), st.just("/v2/_berth/lifecycle")),
    )


def repositories(w: World) -> st.SearchStrategy[Call]:
    return st.one_of(
        _with("GET", st.just("/v2/_berth/repositories"), query=_noisy(bad.bad_page_sizes.map(_n))),
        _with(st.sampled_from(["PUT", "POST", "DELETE"]), st.just("/v2/_berth/repositories")),
    )


def gc(w: World) -> st.SearchStrategy[Call]:
    # Any POST runs a collection: only the methods it refuses are malformed here.
    return _with(st.sampled_from(["GET", "PUT", "DELETE", "PATCH"]), st.just("/v2/_berth/gc"))


def s3_uploads(w: World) -> st.SearchStrategy[Call]:
    at = f"/v2/{w.repo}/_berth/s3-uploads"
    session = f"{at}/{w.direct_upload}"
    good_digest = digest_of(b"fuzz")
    starts = st.one_of(
        bad.malformed_json(MAX_DOCUMENT_BYTES),
        bad.object_with("digest", bad.wrong_type(str), size=4),
        bad.object_with("digest", bad.bad_digests, size=4),
        bad.object_with("size", bad.wrong_type(int), digest=good_digest),
        bad.object_with("size", st.integers(max_value=-1), digest=good_digest),
    )
    part_lists = st.one_of(
        bad.malformed_json(MAX_DOCUMENT_BYTES),
        bad.object_with("parts", bad.wrong_type(list)),
        bad.object_with("parts", st.just([])),
        bad.object_with("parts", st.lists(bad.wrong_type(dict), min_size=1, max_size=3)),
        bad.object_with(
            "parts",
            st.lists(st.fixed_dictionaries({"partNumber": bad.wrong_type(int)}), min_size=1),
        ),
        bad.object_with(
            "parts",
            st.lists(
                st.fixed_dictionaries(
                    {"partNumber": st.integers(), "checksumSHA256": bad.wrong_type(str)}
                ),
                min_size=1,
                max_size=3,
            ),
        ),
    )
    completions = st.one_of(
        bad.malformed_json(MAX_DOCUMENT_BYTES),
        bad.object_with("parts", bad.wrong_type(list, type(None))),
        bad.object_with("parts", st.lists(bad.wrong_type(dict), min_size=1, max_size=3)),
    )
    ids = st.one_of(st.text(bad._SEGMENT, min_size=1, max_size=40), st.uuids().map(lambda u: u.hex))
    return st.one_of(
        _with(
            st.sampled_from(["GET", "POST"]),
            bad.bad_names.map(lambda n: f"/v2/{n}/_berth/s3-uploads"),
            body=st.just(json.dumps({"digest": good_digest, "size": 4}).encode()),
        ),
        _with("POST", st.just(at), headers=_json_headers(), body=starts),
        _with(st.sampled_from(["GET", "POST", "DELETE"]), ids.map(lambda i: f"{at}/{i}")),
        _with("POST", ids.map(lambda i: f"{at}/{i}/parts"), body=st.just(b'{"parts": []}')),
        _with("POST", st.just(f"{session}/parts"), headers=_json_headers(), body=part_lists),
        _with("POST", st.just(session), headers=_json_headers(), body=completions),
        _with(st.sampled_from(["PUT", "DELETE", "PATCH"]), st.just(at)),
        _with(st.sampled_from(["PUT", "PATCH"]), st.just(session)),
    )


def admin(w: World) -> st.SearchStrategy[Call]:
    at = "/v2/_berth/admin"
    wrong_names = st.sampled_from(["users", "robots", "iam"]).flatmap(
        lambda c: bad.object_with("name", bad.wrong_type(str)).map(lambda b: (c, b))
    )
    return st.one_of(
        _with(
            st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
            st.text(bad._SEGMENT, min_size=1, max_size=12)
            .filter(lambda c: c not in ("users", "robots", "iam", "grants", "public"))
            .map(lambda c: f"{at}/{c}"),
        ),
        _with(
            "POST",
            st.sampled_from(["users", "robots", "iam", "grants", "public"]).map(
                lambda c: f"{at}/{c}"
            ),
            headers=_json_headers(),
            body=bad.malformed_json(MAX_JSON_BODY),
        ),
        st.builds(
            lambda pair: Call("POST", f"{at}/{pair[0]}", body=pair[1]),
            wrong_names,
        ),
        _with(
            "POST",
            st.just(f"{at}/grants"),
            body=bad.object_with(
                "kind", bad.wrong_type(type(None)), name="x", pattern="a/*", level="pull"
            ),
        ),
        _with("DELETE", st.just(f"{at}/grants"), query=bad.query_noise),
        _with("DELETE", st.just(f"{at}/public"), query=bad.query_noise),
        _with(st.sampled_from(["PATCH", "PUT"]), st.just(f"{at}/users")),
    )


def audit(w: World) -> st.SearchStrategy[Call]:
    at = "/v2/_berth/audit"
    return _with(
        st.sampled_from(["GET", "GET", "POST", "DELETE"]),
        st.just(at),
        query=st.one_of(
            st.just({}),
            st.just({"repository": w.repo, "principal": "user:x"}),
            bad.bad_names.map(lambda n: {"repository": n}),
            bad.bad_page_sizes.map(lambda n: {"repository": w.repo, "n": n}),
            st.text(min_size=1, max_size=20).map(
                lambda s: {"repository": w.repo, "since": s + "x"}
            ),
            st.text(min_size=65, max_size=80).map(lambda s: {"repository": w.repo, "last": s}),
            st.sampled_from(["", "\x00", "a" * (MAX_PRINCIPAL + 1)]).map(
                lambda p: {"principal": p}
            ),
        ),
    )


def token(w: World) -> st.SearchStrategy[Call]:
    # Authentication is off in these tests: /token answers 404 UNSUPPORTED to anything.
    return _with(
        st.sampled_from(["GET", "POST"]),
        st.just("/token"),
        query=bad.query_noise,
        body=st.one_of(st.just(b""), bad.not_json, st.binary(max_size=40)),
    )


def unrouted(w: World) -> st.SearchStrategy[Call]:
    """Paths that name no endpoint at all."""
    segments = st.lists(st.text(bad._SEGMENT, min_size=1, max_size=10), min_size=1, max_size=4)
    return _with(
        st.sampled_from(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]),
        segments.map(lambda s: "/v2/" + "/".join(s) + "/_berth"),
    )


FAMILIES: dict[str, Family] = {
    "base": base,
    "catalog": catalog,
    "tags": tags,
    "manifests": manifests,
    "blobs": blobs,
    "uploads": uploads,
    "upload-session": upload_session,
    "referrers": referrers,
    "history-rollback": history,
    "settings": settings_,
    "lifecycle": lifecycle,
    "repositories": repositories,
    "gc": gc,
    "s3-uploads": s3_uploads,
    "admin": admin,
    "audit": audit,
    "token": token,
    "unrouted": unrouted,
}


@pytest.fixture
def snapshot(aws: dict[str, str]) -> Iterator[Callable[[], Any]]:
    yield lambda: _state(aws)


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILIES.keys())
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # No shrinking: a failure already names the one request that broke the rule, and
    # shrinking through HTTP round trips would take minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_malformed_requests_are_refused_and_change_nothing(
    client: Any, world: World, snapshot: Callable[[], Any], family: str, data: st.DataObject
) -> None:
    call = data.draw(FAMILIES[family](world), label="call")
    before = snapshot()
    response = client.http.request(call.method, call.target(), headers=call.headers, body=call.body)
    _assert_refused(call, response)
    assert snapshot() == before, f"{call.method} {call.target()[:200]} changed the registry"

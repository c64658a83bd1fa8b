"""Measurement 1: AWS calls per operation, through `chalice.test.Client` on moto in-process.

Each operation runs twice; the second run (the steady state of a warm Lambda) is judged
against its target, and any extra call made by the first is reported beside it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.apiclient import Answer, ApiClient
from bench.awscalls import Recorder, Tally, recording
from bench.content import OCI_MANIFEST, OCTET, digest_of
from bench.report import Row, Section, verdict

NAME = "aws_calls"
TITLE = "AWS calls per operation (chalice.test.Client, moto in-process)"
STAGE = "bench"


@dataclass(frozen=True, slots=True)
class Target:
    text: str
    met: Callable[[Tally], bool]


def _read_only(tally: Tally) -> bool:
    dynamodb = tally.of("dynamodb")
    return (
        len(dynamodb) <= 1
        and tally.dynamodb_read_calls == len(dynamodb)
        and tally.dynamodb_read_units <= 1
        and not tally.of("s3")
    )


def _one_query(tally: Tally) -> bool:
    return [c.operation for c in tally.calls] == ["Query"]


def _monolithic_push(tally: Tally) -> bool:
    return (
        [c.operation for c in tally.of("s3")] == ["PutObject"]
        # the link, its garbage-collection index entry (storage/gc_refs.py), the repository
        # counters: three items of one TransactWriteItems, one write call
        and tally.dynamodb_write_units <= 3
        and tally.dynamodb_write_calls <= 1
        and not [c for c in tally.calls if c.service not in ("s3", "dynamodb")]
    )


READ_ONE = Target("<=1 DynamoDB read, 0 S3", _read_only)
ONE_QUERY = Target("1 DynamoDB Query, nothing else", _one_query)
PUSH = Target("1 S3 PutObject, 1 DynamoDB write call of <=3 units", _monolithic_push)


Sender = Callable[[], Answer]


@dataclass(frozen=True, slots=True)
class Operation:
    label: str
    expected_status: int
    # Prepares one request outside the counting window (fresh bytes, blobs a manifest needs)
    # and returns what sends it.
    prepare: Callable[[], Sender]
    target: Target | None


@dataclass(frozen=True, slots=True)
class Measured:
    label: str
    status: int
    expected_status: int
    first: Tally
    steady: Tally
    target: Target | None


def _operations(api: ApiClient, repo: str) -> list[Operation]:
    manifest_digest, layer_digest, manifest = api.push_small_image(repo, "v1")
    for tag in ("v2", "v3"):
        api.push_manifest(repo, tag, manifest)
    accept = {"Accept": OCI_MANIFEST}

    def call(method: str, path: str, headers: dict[str, str] | None = None) -> Callable[[], Sender]:
        return lambda: lambda: api.request(method, path, headers)

    def push(into: Callable[[], str]) -> Callable[[], Sender]:
        def prepare() -> Sender:
            data = os.urandom(4096)
            path = f"/v2/{into()}/blobs/uploads/?digest={digest_of(data)}"
            headers = {"Content-Type": OCTET, "Content-Length": str(len(data))}
            return lambda: api.request("POST", path, headers, data)

        return prepare

    def new_repo() -> str:
        return f"bench/new-{uuid.uuid4().hex[:10]}"

    def manifest_put() -> Sender:
        _, _, body = api.push_small_image(repo, "base")  # a fresh image's blobs, not counted
        path = f"/v2/{repo}/manifests/t-{uuid.uuid4().hex[:8]}"
        return lambda: api.request("PUT", path, {"Content-Type": OCI_MANIFEST}, body)

    manifests = f"/v2/{repo}/manifests"
    blobs = f"/v2/{repo}/blobs"
    by_tag = f"{manifests}/v1"
    by_digest = f"{manifests}/{manifest_digest}"
    return [
        Operation("manifest GET by tag", 200, call("GET", by_tag, accept), READ_ONE),
        Operation("manifest HEAD by tag", 200, call("HEAD", by_tag, accept), READ_ONE),
        Operation("manifest GET by digest", 200, call("GET", by_digest, accept), READ_ONE),
        Operation("manifest HEAD by digest", 200, call("HEAD", by_digest, accept), READ_ONE),
        Operation("blob GET (307)", 307, call("GET", f"{blobs}/{layer_digest}"), READ_ONE),
        Operation("blob HEAD", 200, call("HEAD", f"{blobs}/{layer_digest}"), READ_ONE),
        Operation(
            "tags list page (n=2 of 3)", 200, call("GET", f"/v2/{repo}/tags/list?n=2"), ONE_QUERY
        ),
        Operation("tags list (all 3)", 200, call("GET", f"/v2/{repo}/tags/list"), ONE_QUERY),
        Operation("monolithic blob push", 201, push(lambda: repo), PUSH),
        Operation("monolithic blob push, new repo", 201, push(new_repo), PUSH),
        Operation("manifest PUT, new tag (info)", 201, manifest_put, None),
    ]


def _run(recorder: Recorder, operation: Operation) -> Measured:
    tallies: list[Tally] = []
    status = 0
    for _ in range(2):
        send = operation.prepare()
        with recorder.window() as tally:
            answer = send()
        status = answer.status
        tallies.append(tally)
    return Measured(
        operation.label, status, operation.expected_status, tallies[0], tallies[1], operation.target
    )


def _describe(tally: Tally) -> str:
    text = ", ".join(c.describe() for c in tally.calls) or "no AWS call"
    if tally.presigns:
        text += f" (+ presigned locally: {', '.join(tally.presigns)})"
    return text


def _row(measured: Measured) -> Row:
    value = _describe(measured.steady)
    if measured.status != measured.expected_status:
        return Row(
            measured.label,
            f"HTTP {measured.status} (expected {measured.expected_status}); {value}",
            target=measured.target.text if measured.target else "",
            verdict="ERROR",
        )
    if measured.target is None:
        return Row(measured.label, value, target="(no target)")
    return Row(
        measured.label,
        value,
        target=measured.target.text,
        verdict=verdict(measured.target.met(measured.steady)),
    )


def measure(chalice_client: Any) -> Section:
    """Count the calls of each operation against the app behind `chalice_client`."""
    api = ApiClient(chalice_client)
    repo = f"bench/calls-{uuid.uuid4().hex[:10]}"
    with recording() as recorder:
        results = [_run(recorder, op) for op in _operations(api, repo)]
    section = Section(NAME, TITLE)
    for measured in results:
        section.rows.append(_row(measured))
        first_extra = len(measured.first.calls) - len(measured.steady.calls)
        if first_extra > 0:
            section.notes.append(
                f"{measured.label}: the first request in the process made {first_extra} more "
                f"call(s): {_describe(measured.first)}"
            )
    section.data = {
        "operations": [
            {
                "operation": m.label,
                "status": m.status,
                "expected_status": m.expected_status,
                "target": m.target.text if m.target else None,
                "met": (m.target.met(m.steady) if m.target else None)
                if m.status == m.expected_status
                else False,
                "steady": m.steady.summary(),
                "first": m.first.summary(),
            }
            for m in results
        ]
    }
    section.notes.append(
        "values are the calls of the 2nd identical request (warm process); "
        "an item count is shown as [N items] (DynamoDB write/read units)"
    )
    return section


@contextmanager
def in_process_registry(*, token_key: bool = False) -> Iterator[Any]:
    """moto in-process with the stack from infra/berth.yaml and a chalice.test.Client on the
    app. Must run before anything in this process imports chalicelib (settings are cached).
    `token_key`: also the token-signing key, for measurements with auth on."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        import boto3
        from moto import mock_aws

        from berth.infra import (
            apply_ignored_settings,
            create_local_token_key,
            create_stack,
            runtime_environment,
        )
        from berth.motofix import cheap_transactions, indexed_queries, serialise_dynamodb

        # As the local server runs moto: atomic actions, and costs that grow with what a
        # call touches rather than with the table (wall times measure Berth, not moto).
        serialise_dynamodb()
        cheap_transactions()
        indexed_queries()
        with mock_aws():
            outputs = create_stack(boto3.client("cloudformation"), STAGE)
            apply_ignored_settings(boto3.client("dynamodb"), outputs)
            if token_key:
                create_local_token_key(boto3.client("kms"), outputs)
            os.environ.update(runtime_environment(outputs))
            os.environ.setdefault("BERTH_AUTH", "off")  # the registry's own calls, no logins
            from chalice.test import Client

            from app import app
            from chalicelib.config import settings

            if settings().table != outputs["TableName"]:
                raise RuntimeError("chalicelib's settings were read before the bench set them")
            with Client(app) as client:
                yield client
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run() -> Section:
    with in_process_registry() as client:
        return measure(client)

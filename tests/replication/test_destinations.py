"""Destinations as admins write them (chalicelib/replication/destinations.py): credentials
only by reference, under the stage's path; ECR names one segment; https unless local."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.replication.destinations import DestinationError, parse

PATH = "berth/test/replication/"


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "registry", "url": "https://r.example", "username": "u", "password": "p"},
        {"kind": "registry", "url": "https://r.example", "credentials": {"password": "p"}},
        {"kind": "registry", "url": "https://r.example", "credentials": {"ssm": "/elsewhere/x"}},
        {"kind": "registry", "url": "http://r.example"},
        {"kind": "registry", "url": "https://r.example/path"},
        {"kind": "ecr", "account": "12", "region": "us-east-1"},
        {"kind": "ecr", "account": "123456789012", "region": "mars"},
        {"kind": "ecr", "account": "123456789012", "region": "us-east-1", "credentials": {}},
        {"kind": "ftp", "url": "https://r.example"},
        {"kind": "registry", "url": "https://r.example", "prefix": "UPPER/"},
    ],
)
def test_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(DestinationError):
        parse(bad, secret_path=PATH)


def test_references_are_kept_and_nothing_secret() -> None:
    ssm = parse(
        {"kind": "registry", "url": "https://ghcr.io", "credentials": {"ssm": f"/{PATH}gh"}},
        secret_path=PATH,
    )
    arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{PATH}q-AbCdEf"
    secret = parse(
        {"kind": "berth", "url": "https://b.example:8443", "credentials": {"secretsmanager": arn}},
        secret_path=PATH,
    )
    assert ssm.document() == {
        "kind": "registry",
        "url": "https://ghcr.io",
        "credentials": {"ssm": f"/{PATH}gh"},
    }
    assert secret.secret == arn and secret.url == "https://b.example:8443"
    assert parse({"kind": "registry", "url": "http://127.0.0.1:5000"}, allow_http=True).url


names = st.from_regex(r"[a-z0-9]+(/[a-z0-9]+){0,3}", fullmatch=True)


@given(names, st.sampled_from(["", "berth-", "mirror/"]))
def test_ecr_names_are_one_segment_and_registry_names_keep_theirs(name: str, prefix: str) -> None:
    ecr = parse({"kind": "ecr", "account": "123456789012", "region": "eu-west-1", "prefix": prefix})
    assert ecr.repository(name) == prefix + name.replace("/", "-")
    other = parse({"kind": "registry", "url": "https://r.example", "prefix": prefix})
    assert other.repository(name) == prefix + name
    assert json.loads(json.dumps(other.document()))["kind"] == "registry"

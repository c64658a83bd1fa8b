"""A moto server for the deploy rehearsals: `berth deploy` runs child processes (Chalice, the
first admin, the deployed app) that cannot see an in-process `mock_aws`, so every AWS client
of the rehearsal, in this process or a child, reaches the same moto through
`AWS_ENDPOINT_URL`. One server per module, emptied before each test."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from berth.localserver.backend import MotoBackend

ACCOUNT = "123456789012"
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    with MotoBackend.start() as backend:  # berth.motofix applied: Chalice's Swagger imports
        yield backend.url


@pytest.fixture
def session(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A boto3 session on the emptied moto server; children inherit the endpoint."""
    import boto3

    reset = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=30).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield boto3.session.Session(region_name=REGION)

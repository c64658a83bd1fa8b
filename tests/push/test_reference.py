"""REFERENCE parsing and --chunk-size values."""

from __future__ import annotations

import argparse

import pytest

from berth.push.cli import chunk_size
from berth.push.errors import ExitCode, PushError
from berth.push.reference import parse_target

DEFAULT = "http://127.0.0.1:5000"
DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("value", "registry", "repository", "tag", "digest"),
    [
        ("app", DEFAULT, "app", "latest", None),
        ("team/app:v1", DEFAULT, "team/app", "v1", None),
        ("localhost:5000/app:v1", "http://localhost:5000", "app", "v1", None),
        ("127.0.0.1:5000/a/b", "http://127.0.0.1:5000", "a/b", "latest", None),
        ("registry.example.com/a/b:v2", "https://registry.example.com", "a/b", "v2", None),
        (f"example.com:8443/app@{DIGEST}", "https://example.com:8443", "app", None, DIGEST),
        ("http://berth.internal/app:1", "http://berth.internal", "app", "1", None),
    ],
)
def test_targets(
    value: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    target = parse_target(value, DEFAULT)
    assert (target.registry, target.repository, target.tag, target.digest) == (
        registry,
        repository,
        tag,
        digest,
    )


def test_plain_http_option() -> None:
    assert parse_target("example.com/app", DEFAULT, plain_http=True).registry.startswith("http:")


@pytest.mark.parametrize("value", ["App:v1", "app:bad tag", "app@sha256:short", "a//b"])
def test_bad_references_are_usage_errors(value: str) -> None:
    with pytest.raises(PushError) as error:
        parse_target(value, DEFAULT)
    assert error.value.code is ExitCode.USAGE


def test_chunk_sizes() -> None:
    assert chunk_size("4MiB") == 4 * 1024 * 1024
    assert chunk_size("512k") == 512 * 1024
    assert chunk_size("0") == 0
    with pytest.raises(argparse.ArgumentTypeError):
        chunk_size("lots")

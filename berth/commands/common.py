"""What the admin subcommands share: the registry and credential options, the client,
REPO:TAG, output, and exit codes a CI job can act on:

    0  done                      3  refused: bad credentials or no right (401/403)
    1  any other failure         4  not found (404)
    2  bad usage (argparse)      5  already exists (409)
                                 6  registry unreachable
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import urlencode

from berth.client.berth_api import DEFAULT_REGISTRY, RegistryClient, RegistryError, registry_url
from berth.client.credentials import Credentials, find_credentials
from berth.client.registry_address import host_of

EXIT_ERROR = 1
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4
EXIT_CONFLICT = 5
EXIT_UNREACHABLE = 6


def add_registry_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        help=f"registry URL or HOST[:PORT] (default: $BERTH_REGISTRY or {DEFAULT_REGISTRY}; "
        "no scheme: https, http for loopback)",
    )
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer")
    parser.add_argument(
        "--username", help="log in as this user or robot$name (default: $BERTH_USERNAME)"
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (default: $BERTH_PASSWORD)",
    )


def credentials(args: argparse.Namespace) -> Credentials | None:
    """--username/--password-stdin, else what berth.client.credentials finds for the registry's
    host ($BERTH_USERNAME/$BERTH_PASSWORD, podman's auth.json, docker's config and helpers);
    None: anonymous. Read once per command (stdin)."""
    if hasattr(args, "_credentials"):
        cached: Credentials | None = args._credentials
        return cached
    password = None
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    host = host_of(registry_url(registry_of(args)))
    found = find_credentials(host, getattr(args, "username", None), password)
    use_credentials(args, found)
    return found


def use_credentials(args: argparse.Namespace, found: Credentials | None) -> None:
    """Make `found` the command's credentials (`berth login` tries the ones it was given)."""
    args._credentials = found


def client_for(args: argparse.Namespace) -> RegistryClient:
    """The client for `args.registry` (tests replace this to drive the in-process app)."""
    return RegistryClient.for_url(registry_url(registry_of(args)), credentials(args))


def failed(command: str, error: RegistryError) -> int:
    """Say what the registry answered, and the exit code for it."""
    print(f"berth {command}: {error.code}: {error.message}", file=sys.stderr)
    if error.status in (401, 403):
        if error.status == 401:
            print(
                "  (log in: berth login REGISTRY, podman login or docker login; or "
                "--username and --password-stdin, or $BERTH_USERNAME and $BERTH_PASSWORD)",
                file=sys.stderr,
            )
        return EXIT_REFUSED
    return {404: EXIT_NOT_FOUND, 409: EXIT_CONFLICT, 0: EXIT_UNREACHABLE}.get(
        error.status, EXIT_ERROR
    )


class Repository(str):
    """A repository name as typed, `[HOST[:PORT]/]REPO` (the form `berth push` and every other
    client take); `registry` is the host it was prefixed with, which then names the registry."""

    registry: str | None = None


def _with_host(value: str, path: str) -> Repository:
    """`path` (`HOST/REPO` or `REPO`) as a Repository: a first component with '.' or ':', or
    `localhost`, or a URL scheme is a registry host, as for docker, podman and `berth push`."""
    rest = path
    scheme = ""
    for prefix in ("http://", "https://"):
        if rest.startswith(prefix):
            scheme, rest = prefix, rest[len(prefix) :]
    first, slash, remainder = rest.partition("/")
    host = None
    if slash and ("." in first or ":" in first or first == "localhost" or scheme):
        host, rest = scheme + first, remainder
    if not rest or rest.startswith("/") or rest.endswith("/"):
        raise argparse.ArgumentTypeError(f"{value!r} names no repository")
    named = Repository(rest)
    named.registry = host
    return named


def repository(value: str) -> Repository:
    """`[HOST[:PORT]/]REPO` for the commands about a repository."""
    if "@" in value:
        raise argparse.ArgumentTypeError(f"{value!r}: give a repository, not an image")
    _, colon, tag = value.rpartition(":")
    if colon and "/" not in tag:
        raise argparse.ArgumentTypeError(f"{value!r}: give a repository, not REPO:TAG")
    return _with_host(value, value)


def repo_and_tag(value: str) -> tuple[Repository, str]:
    """`[HOST[:PORT]/]REPO:TAG` (names cannot contain ':', so the last one separates the tag)."""
    name, colon, tag = value.rpartition(":")
    if not colon or not name or not tag or "/" in tag:
        raise argparse.ArgumentTypeError(f"{value!r} is not REPO:TAG (or HOST/REPO:TAG)")
    return _with_host(value, name), tag


def image(value: str) -> tuple[Repository, str | None, str | None]:
    """`[HOST/]REPO:TAG` or `[HOST/]REPO@sha256:...` -> (repository, tag, digest)."""
    if "@" in value:
        name, _, digest = value.partition("@")
        if not digest.startswith("sha256:") or len(digest) != 71:
            raise argparse.ArgumentTypeError(f"{value!r}: {digest!r} is not a sha256 digest")
        return _with_host(value, name), None, digest
    named, tag = repo_and_tag(value)
    return named, tag, None


def image_or_latest(value: str) -> tuple[Repository, str]:
    """`[HOST/]REPO[:TAG|@DIGEST]` -> (repository, tag or digest); a bare name means `latest`."""
    _, colon, tag = value.rpartition(":")
    if "@" in value or (colon and "/" not in tag):
        named, tag_found, digest = image(value)
        return named, str(digest or tag_found)
    return repository(value), "latest"


def registry_of(args: argparse.Namespace) -> str | None:
    """The registry a command talks to: the host its reference names (`HOST/REPO:TAG`), else
    --registry (then $BERTH_REGISTRY, then the local default)."""
    for value in vars(args).values():
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, Repository) and part.registry:
                return part.registry
    registry: str | None = getattr(args, "registry", None)
    return registry


def query(params: dict[str, str]) -> str:
    return urlencode(params)


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def table_lines(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    for line in table_lines(header, rows):
        print(line)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")

"""What the admin subcommands share: the registry option, the client, REPO:TAG, output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from berth.registry_client import DEFAULT_REGISTRY, RegistryClient, registry_url


def add_registry_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        help=f"registry URL (default: $BERTH_REGISTRY or {DEFAULT_REGISTRY})",
    )
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer")


def client_for(args: argparse.Namespace) -> RegistryClient:
    """The client for `args.registry` (tests replace this to drive the in-process app)."""
    return RegistryClient.for_url(registry_url(args.registry))


def repo_and_tag(value: str) -> tuple[str, str]:
    """`REPO:TAG` (names cannot contain ':', so the last one separates the tag)."""
    name, colon, tag = value.rpartition(":")
    if not colon or not name or not tag or "/" in tag:
        raise argparse.ArgumentTypeError(f"{value!r} is not REPO:TAG")
    return name, tag


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")

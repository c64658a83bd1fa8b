"""`berth history REPO:TAG` and `berth rollback REPO:TAG [--to DIGEST]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import (
    add_registry_option,
    print_json,
    print_table,
    repo_and_tag,
)


def register(commands: Any) -> None:
    history = commands.add_parser(
        "history",
        help="list the moves of a tag, newest first",
        description="Every move of REPO:TAG (push, delete, rollback) with who and when.",
    )
    history.add_argument("reference", type=repo_and_tag, metavar="REPO:TAG")
    history.add_argument("-n", type=int, default=None, help="at most this many moves")
    history.add_argument(
        "--no-trunc",
        action="store_true",
        help="full digests on a terminal too (a pipe always gets them)",
    )
    add_registry_option(history)
    history.set_defaults(func=_history)

    rollback = commands.add_parser(
        "rollback",
        help="move a tag back one step, or to a digest",
        description="Move REPO:TAG back to where it pointed before its last move (skipping "
        "manifests since deleted), or to --to DIGEST, a manifest of the repository. The "
        "rollback is recorded in the tag's history; rolling back again goes a further step.",
    )
    rollback.add_argument("reference", type=repo_and_tag, metavar="REPO:TAG")
    rollback.add_argument("--to", metavar="DIGEST", help="the manifest to point the tag at")
    add_registry_option(rollback)
    rollback.set_defaults(func=_rollback)


def _history(args: argparse.Namespace) -> int:
    repo, tag = args.reference
    try:
        document = common.client_for(args).history(repo, tag, args.n)
    except RegistryError as error:
        return common.failed("history", error)
    if args.json:
        print_json(document)
        return 0
    print(f"{repo}:{tag} -> {document.get('current') or '(no tag)'}")
    short = not args.no_trunc and sys.stdout.isatty()
    rows = [
        [
            moments.shown(e["at"]),
            e["action"],
            _digest(e["from"], short),
            _digest(e["to"], short),
            e.get("actor") or "-",
        ]
        for e in document["history"]
    ]
    print_table(["AT", "ACTION", "FROM", "TO", "ACTOR"], rows)
    return 0


def _digest(value: str | None, short: bool) -> str:
    """On a terminal, `sha256:` and 12 hex digits (as docker prints image ids): a line then
    fits 100 columns; `berth rollback --to` takes the full digest from `--json` or a pipe."""
    if value is None:
        return "-"
    return value[: len("sha256:") + 12] if short else value


def _rollback(args: argparse.Namespace) -> int:
    repo, tag = args.reference
    try:
        document = common.client_for(args).rollback(repo, tag, args.to)
    except RegistryError as error:
        return common.failed("rollback", error)
    if args.json:
        print_json(document)
    elif not document["moved"]:
        print(f"{repo}:{tag} already points at {document['to']}")
    else:
        for digest in document.get("skipped", []):
            print(f"skipped {digest} (no longer in the repository)")
        print(f"{repo}:{tag} {document['from'] or '(no tag)'} -> {document['to']}")
    return 0

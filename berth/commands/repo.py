"""`berth repo ls`, `berth repo set-immutable REPO [--exclude PATTERN ...] [--off]` and
`berth repo set-rollback-window REPO N`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import (
    add_registry_option,
    human_size,
    print_json,
    print_table,
)


def register(commands: Any) -> None:
    repo = commands.add_parser(
        "repo", help="list repositories and change their settings", description=__doc__
    )
    actions = repo.add_subparsers(dest="repo_command", required=True, metavar="ACTION")
    ls = actions.add_parser(
        "ls",
        help="repositories with size, tags and last push",
        description="Every repository with its size (its distinct blob links, each counted "
        "once, plus its manifests), its tag count and its last push, from counters the "
        "registry keeps (one read per page). --exact recounts every repository instead.",
    )
    ls.add_argument("--exact", action="store_true", help="recount from the stored items")
    add_registry_option(ls)
    ls.set_defaults(func=_ls)

    immutable = actions.add_parser(
        "set-immutable",
        help="make the tags of a repository immutable",
        description="Refuse to move or delete an existing tag of REPO, except tags matching "
        "an --exclude glob (e.g. --exclude latest --exclude 'dev-*'). --off lifts the rule.",
    )
    immutable.add_argument("repo", type=common.repository, metavar="REPO")
    immutable.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN", help="tags that may move"
    )
    immutable.add_argument("--off", action="store_true", help="make every tag mutable again")
    add_registry_option(immutable)
    immutable.set_defaults(func=_set_immutable)

    window = actions.add_parser(
        "set-rollback-window",
        help="how many moves of each tag lifecycle policies keep",
        description="Lifecycle policies never expire a manifest that one of the last N moves "
        "of a tag moved away from, so `berth rollback` can always go back N steps "
        "(default 10; 0 keeps nothing for rollback).",
    )
    window.add_argument("repo", type=common.repository, metavar="REPO")
    window.add_argument("moves", type=int, metavar="N")
    add_registry_option(window)
    window.set_defaults(func=_set_rollback_window)


def _ls(args: argparse.Namespace) -> int:
    try:
        found = common.client_for(args).repositories(exact=args.exact)
    except RegistryError as error:
        return common.failed("repo ls", error)
    if args.json:
        print_json({"repositories": found})
        return 0
    rows = [
        [
            r["name"],
            human_size(int(r["size"])),
            str(r["tags"]),
            str(r["manifests"]),
            moments.shown(r.get("lastPush")),
        ]
        for r in found
    ]
    print_table(["NAME", "SIZE", "TAGS", "MANIFESTS", "LAST PUSH"], rows)
    return 0


def _set_immutable(args: argparse.Namespace) -> int:
    if args.off and args.exclude:
        print("berth repo set-immutable: --off takes no --exclude", file=sys.stderr)
        return 2
    document = {"immutableTags": not args.off, "immutableTagsExclude": args.exclude}
    try:
        stored = common.client_for(args).set_settings(args.repo, document)
    except RegistryError as error:
        return common.failed("repo set-immutable", error)
    if args.json:
        print_json(stored)
    elif stored["immutableTags"]:
        excluded = ", ".join(stored["immutableTagsExclude"]) or "none"
        print(f"{args.repo}: tags are immutable (excluded: {excluded})")
    else:
        print(f"{args.repo}: tags are mutable")
    return 0


def _set_rollback_window(args: argparse.Namespace) -> int:
    client = common.client_for(args)
    try:
        document = client.settings(args.repo)  # PUT replaces the rules: send them back as read
        document["rollbackWindow"] = args.moves
        stored = client.set_settings(args.repo, document)
    except RegistryError as error:
        return common.failed("repo set-rollback-window", error)
    if args.json:
        print_json(stored)
    else:
        print(f"{args.repo}: rollback window {stored['rollbackWindow']} moves of each tag")
    return 0

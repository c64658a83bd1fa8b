"""`berth repo ls`, `berth repo show REPO`, `berth repo set-immutable REPO [--exclude PATTERN]
[--no-exclude PATTERN] [--off]` and `berth repo set-rollback-window REPO N`.

Settings change one thing at a time: set-immutable adds or removes the exclusions named and
keeps the others, and every change says what the setting was before (on stderr)."""

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

    show = actions.add_parser(
        "show",
        help="a repository's settings and lifecycle policy",
        description="What REPO's settings are: immutable tags and their exclusions, the "
        "rollback window, and its lifecycle policy.",
    )
    show.add_argument("repo", type=common.repository, metavar="REPO")
    add_registry_option(show)
    show.set_defaults(func=_show)

    immutable = actions.add_parser(
        "set-immutable",
        help="make the tags of a repository immutable",
        description="Refuse to move or delete an existing tag of REPO, except tags matching "
        "an exclusion glob. --exclude adds one (e.g. --exclude latest --exclude 'dev-*'), "
        "--no-exclude removes one; the other exclusions stay. --off lifts the rule (and "
        "keeps the exclusions for when it is turned on again).",
    )
    immutable.add_argument("repo", type=common.repository, metavar="REPO")
    immutable.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN", help="a tag glob that may move"
    )
    immutable.add_argument(
        "--no-exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="an exclusion to remove: those tags become immutable",
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


def describe(settings: dict[str, Any]) -> str:
    """One line for a repository's settings, as `repo show` and every change print them."""
    excluded = ", ".join(settings.get("immutableTagsExclude") or []) or "none"
    state = f"immutable (excluded: {excluded})" if settings["immutableTags"] else "mutable"
    if not settings["immutableTags"] and settings.get("immutableTagsExclude"):
        state += f" (exclusions kept for later: {excluded})"
    return f"tags are {state}; rollback window {settings['rollbackWindow']} moves"


def _show(args: argparse.Namespace) -> int:
    client = common.client_for(args)
    try:
        settings = client.settings(args.repo)
        policy = client.lifecycle(args.repo)
    except RegistryError as error:
        return common.failed("repo show", error)
    if args.json:
        print_json({"name": str(args.repo), "settings": settings, "lifecycle": policy})
        return 0
    from berth.commands.lifecycle import describe as describe_policy

    print(f"{args.repo}: {describe(settings)}")
    print(f"{args.repo}: lifecycle policy version {policy['version']}")
    for line in describe_policy(policy):
        print(f"  {line}")
    return 0


def _set_immutable(args: argparse.Namespace) -> int:
    if args.off and (args.exclude or args.no_exclude):
        print("berth repo set-immutable: --off takes no --exclude or --no-exclude", file=sys.stderr)
        return 2
    both = set(args.exclude) & set(args.no_exclude)
    if both:
        print(
            f"berth repo set-immutable: {', '.join(sorted(both))}: both --exclude and --no-exclude",
            file=sys.stderr,
        )
        return 2
    client = common.client_for(args)
    try:
        before = client.settings(args.repo)  # PUT replaces the rules: change only what was named
        kept = [p for p in before.get("immutableTagsExclude") or [] if p not in args.no_exclude]
        added = [p for p in dict.fromkeys(args.exclude) if p not in kept]
        document = {
            "immutableTags": not args.off,
            "immutableTagsExclude": kept + added,
            "rollbackWindow": before["rollbackWindow"],
        }
        stored = client.set_settings(args.repo, document)
    except RegistryError as error:
        return common.failed("repo set-immutable", error)
    print(f"berth repo set-immutable: was: {describe(before)}", file=sys.stderr)
    for pattern in args.no_exclude:
        if pattern not in (before.get("immutableTagsExclude") or []):
            print(f"berth repo set-immutable: {pattern} was not excluded", file=sys.stderr)
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
        before = dict(document)
        document["rollbackWindow"] = args.moves
        stored = client.set_settings(args.repo, document)
    except RegistryError as error:
        return common.failed("repo set-rollback-window", error)
    print(f"berth repo set-rollback-window: was: {before['rollbackWindow']} moves", file=sys.stderr)
    if args.json:
        print_json(stored)
    else:
        print(f"{args.repo}: rollback window {stored['rollbackWindow']} moves of each tag")
    return 0

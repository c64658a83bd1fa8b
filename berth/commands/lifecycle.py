"""`berth lifecycle show REPO`, `berth lifecycle set REPO --file policy.json` (or rule flags)
and `berth lifecycle run (REPO | --all) [--dry-run]`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json, table_lines


def register(commands: Any) -> None:
    lifecycle = commands.add_parser(
        "lifecycle",
        help="show, set and run a repository's lifecycle policy",
        description="Lifecycle policies expire images by rule (untagged after N days, keep "
        "the last N matching a tag pattern, not pushed or not pulled for N days). They never "
        "expire a manifest inside the rollback window, a child of a kept index or a referrer "
        "of a kept manifest. See docs/lifecycle.md.",
    )
    actions = lifecycle.add_subparsers(dest="lifecycle_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print a repository's policy")
    show.add_argument("repo", type=common.repository, metavar="REPO")
    add_registry_option(show)
    show.set_defaults(func=_show)

    put = actions.add_parser(
        "set",
        help="replace a repository's policy",
        description="Replace REPO's policy with the JSON document in --file (ECR's rule "
        "format; '-' reads stdin), or with the rules the flags describe. No rules: clear it.",
    )
    put.add_argument("repo", type=common.repository, metavar="REPO")
    put.add_argument("--file", metavar="PATH", help='a policy document ({"rules": [...]})')
    put.add_argument("--untagged-days", type=int, metavar="N", help="expire untagged after N days")
    put.add_argument(
        "--keep-last",
        type=int,
        metavar="N",
        help="keep the newest N images whose tags match --tag-pattern, expire older ones",
    )
    put.add_argument(
        "--tag-pattern", action="append", default=[], metavar="GLOB", help="for --keep-last"
    )
    put.add_argument(
        "--unpulled-days", type=int, metavar="N", help="expire images not pulled for N days"
    )
    add_registry_option(put)
    put.set_defaults(func=_set)

    run = actions.add_parser(
        "run",
        help="apply a policy now (or show what it would delete)",
        description="Apply REPO's policy (or, with --all, every repository's) now. "
        "--dry-run deletes nothing and lists what would go and by which rule.",
    )
    run.add_argument("repo", type=common.repository, metavar="REPO", nargs="?")
    run.add_argument("--all", action="store_true", help="every repository with a policy")
    run.add_argument("--dry-run", action="store_true", help="only report what would be deleted")
    add_registry_option(run)
    run.set_defaults(func=_run)


def _fail(command: str, message: str, status: int = 1) -> int:
    print(f"berth lifecycle {command}: {message}", file=sys.stderr)
    return status


def rules_from_flags(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The policy rules the `set` flags describe, in the order given by their priority."""
    rules: list[dict[str, Any]] = []

    def add(selection: dict[str, Any]) -> None:
        rules.append({"rulePriority": len(rules) + 1, "selection": selection})

    if args.keep_last is not None:
        add(
            {
                "tagStatus": "tagged",
                "tagPatternList": args.tag_pattern,
                "countType": "imageCountMoreThan",
                "countNumber": args.keep_last,
            }
        )
    if args.untagged_days is not None:
        add(
            {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": args.untagged_days,
            }
        )
    if args.unpulled_days is not None:
        add(
            {
                "tagStatus": "any",
                "countType": "sinceImagePulled",
                "countUnit": "days",
                "countNumber": args.unpulled_days,
            }
        )
    return rules


def describe(document: dict[str, Any]) -> list[str]:
    lines = []
    for rule in document.get("rules", []):
        sel = rule["selection"]
        what = sel["tagStatus"]
        if sel.get("tagPatternList"):
            what += " " + ", ".join(sel["tagPatternList"])
        how = {
            "imageCountMoreThan": f"keep the newest {sel['countNumber']}",
            "sinceImagePushed": f"expire pushed more than {sel['countNumber']} days ago",
            "sinceImagePulled": f"expire not pulled for {sel['countNumber']} days",
        }[sel["countType"]]
        note = f"  ({rule['description']})" if rule.get("description") else ""
        lines.append(f"rule {rule['rulePriority']}: {what}: {how}{note}")
    return lines or ["no rules: nothing expires"]


def _show(args: argparse.Namespace) -> int:
    try:
        document = common.client_for(args).lifecycle(args.repo)
    except RegistryError as error:
        return common.failed("lifecycle show", error)
    if args.json:
        print_json(document)
    else:
        print(f"{args.repo}: policy version {document['version']}")
        print("\n".join(describe(document)))
    return 0


# The registry's bound on a rule's count (chalicelib/lifecycle/document.py's MAX_COUNT).
MAX_COUNT = 100_000


def flag_mistake(args: argparse.Namespace) -> str | None:
    """A rule flag out of range, said in the flag's words: the registry's refusal names the
    JSON field of a rule the user never wrote, so it is said second."""
    for flag, value, what in (
        ("--untagged-days", args.untagged_days, "days"),
        ("--unpulled-days", args.unpulled_days, "days"),
        ("--keep-last", args.keep_last, "images"),
    ):
        if value is not None and not 1 <= value <= MAX_COUNT:
            return f"{flag} must be from 1 to {MAX_COUNT} {what} (no rule: leave the flag out)"
    return None


def _set(args: argparse.Namespace) -> int:
    flagged = rules_from_flags(args)
    if args.file and flagged:
        return _fail("set", "give --file or rule flags, not both", 2)
    if args.keep_last is None and args.tag_pattern:
        return _fail("set", "--tag-pattern goes with --keep-last", 2)
    if args.file:
        try:
            text = sys.stdin.read() if args.file == "-" else open(args.file).read()  # noqa: SIM115
            document = json.loads(text)
        except (OSError, ValueError) as error:
            return _fail("set", f"cannot read {args.file}: {error}", 2)
    else:
        document = {"rules": flagged}
    try:
        stored = common.client_for(args).set_lifecycle(args.repo, document)
    except RegistryError as error:
        mistake = flag_mistake(args) if flagged and error.status == 400 else None
        if mistake is not None:  # the registry names fields of a document the user never wrote
            print(f"berth lifecycle set: {mistake}", file=sys.stderr)
            print(f"  (the registry: {error.code}: {error.message})", file=sys.stderr)
            return common.EXIT_ERROR
        return common.failed("lifecycle set", error)
    if args.json:
        print_json(stored)
    else:
        print(f"{args.repo}: policy version {stored['version']}")
        print("\n".join(describe(stored)))
    return 0


def summary(document: dict[str, Any]) -> list[str]:
    """One repository's run: every expiration with its rule, then what was rescued."""
    verb = "would delete" if document["dryRun"] else "deleted"
    name = document["name"]
    if document["dryRun"]:
        gone = [e["digest"] for e in document["expire"]]
    else:
        gone = list(document["deleted"])
    lines = [f"{name}: {verb} {len(gone)} of {document['manifests']} manifests"]
    rows = [
        [e["digest"], ", ".join(e["tags"]) or "-", e["rule"]]
        for e in document["expire"]
        if e["digest"] in set(gone)
    ]
    rows += [[k["digest"], "-", f"kept: {k['why']}"] for k in document["kept"]]
    rows += [[s["digest"], "-", f"not deleted: {s['why']}"] for s in document["skipped"]]
    if rows:
        lines += table_lines(["DIGEST", "TAGS", "WHY"], rows)
    links = document.get("unlink", [])  # absent from servers before unlinking existed
    if links or not document.get("unlinkComplete", True):
        unverb = "would unlink" if document["dryRun"] else "unlinked"
        line = f"{name}: {unverb} {len(links)} blob links ({document.get('unlinkBytes', 0)} bytes)"
        if not document.get("unlinkComplete", True):
            line += "; more are left for the next run"
        lines.append(line)
    return lines


def _run(args: argparse.Namespace) -> int:
    if bool(args.repo) == bool(args.all):
        return _fail("run", "name one REPO, or --all", 2)
    try:
        document = common.client_for(args).run_lifecycle(args.repo, dry_run=args.dry_run)
    except RegistryError as error:
        return common.failed("lifecycle run", error)
    if args.json:
        print_json(document)
        return 0
    runs = document["repositories"] if args.all else [document]
    for entry in runs:
        print("\n".join(summary(entry)))
    if args.all:
        if not runs:
            print("no repository has a lifecycle policy")
        if not document.get("complete", True):
            print("stopped early: run it again to finish")
    return 0

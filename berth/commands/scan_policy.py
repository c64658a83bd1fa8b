"""`berth scan policy show|set|allow|disallow|off REPO ...`: a repository's scan pull policy
(refuse pulls of images with findings at or above a severity, or not scanned yet; an
allow-list of advisory ids, each until a date). Repository admins change it; every change
prints the policy before (on stderr) and after, and the registry audits it.

Each change reads the policy and writes it back with one thing changed, so `allow` keeps the
threshold and `set` keeps the allow-list."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json

SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNKNOWN", "none"]
COMMAND = "scan policy"


def register(commands: Any) -> None:
    policy = commands.add_parser(
        "scan-policy",
        help="a repository's scan pull policy (also spelled `berth scan policy`)",
        description=__doc__,
        prog="berth scan policy",
    )
    actions = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print the policy")
    _repo(show)
    show.set_defaults(func=_show)

    setting = actions.add_parser(
        "set",
        help="set the severity threshold and whether unscanned images are refused",
        description="Refuse pulls of images with a finding at or above --severity (none: no "
        "threshold; UNKNOWN: every finding), and, with --refuse-unscanned, of images without "
        "a completed scan. What is not given stays as it was. Requests whose credentials carry "
        "push on the repository (a pipeline's reads during its push) are not refused; a pull "
        "with a pull-only token is, whoever asks (an admin's `skopeo inspect` too).",
    )
    _repo(setting)
    setting.add_argument(
        "--severity",
        type=_severity,
        default=argparse.SUPPRESS,  # absent: keep the threshold; `none`: remove it
        metavar="LEVEL",
        help="/".join(SEVERITIES),
    )
    unscanned = setting.add_mutually_exclusive_group()
    unscanned.add_argument("--refuse-unscanned", action="store_true", default=None)
    unscanned.add_argument("--allow-unscanned", dest="refuse_unscanned", action="store_false")
    setting.set_defaults(func=_set)

    allow = actions.add_parser(
        "allow",
        help="let advisories through until a date",
        description="Findings of each ADVISORY (its id as `berth scan` shows it) no longer "
        "refuse a pull until the end of --until (UTC); from the next day on the entry is "
        "ignored. A refused pull's message names every advisory it was refused for, ready to "
        "paste here.",
    )
    _repo(allow)
    allow.add_argument("advisories", metavar="ADVISORY", nargs="+")
    allow.add_argument("--until", type=_date, required=True, metavar="YYYY-MM-DD")
    allow.add_argument("--reason", default="", help="why (kept with the entry, audited)")
    allow.set_defaults(func=_allow)

    disallow = actions.add_parser("disallow", help="remove allow-list entries")
    _repo(disallow)
    disallow.add_argument("advisories", metavar="ADVISORY", nargs="+")
    disallow.set_defaults(func=_disallow)

    off = actions.add_parser("off", help="refuse nothing (the allow-list is kept)")
    _repo(off)
    off.set_defaults(func=_off)


def argv_alias(argv: list[str]) -> list[str]:
    """`berth scan policy ...` is the `scan-policy` command (`berth scan` takes an image, so
    the two cannot share one parser); an image named `policy` is `berth scan policy:latest`."""
    if argv[:2] == ["scan", "policy"]:
        return ["scan-policy", *argv[2:]]
    return argv


def _repo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", type=common.repository, metavar="REPO")
    add_registry_option(parser)


def _severity(value: str) -> str | None:
    if value.lower() == "none":
        return None
    if value.upper() not in SEVERITIES:
        raise argparse.ArgumentTypeError(f"{value!r}: one of {', '.join(SEVERITIES)}")
    return value.upper()


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: a date, YYYY-MM-DD") from None


def describe(policy: dict[str, Any], today: date | None = None) -> list[str]:
    """The policy as a person reads it, one line per rule or entry."""
    today = today or date.today()
    rules = []
    if policy.get("severity"):
        rules.append(f"refuses findings at or above {policy['severity']}")
    if policy.get("refuseUnscanned"):
        rules.append("refuses images without a completed scan")
    lines = ["; ".join(rules) if rules else "off: refuses nothing"]
    for entry in policy.get("allow") or []:
        expired = " (expired)" if date.fromisoformat(entry["until"]) < today else ""
        by = f" by {entry['by']}" if entry.get("by") else ""
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        lines.append(f"  allows {entry['id']} until {entry['until']}{expired}{by}{reason}")
    return lines


def _print(args: argparse.Namespace, policy: dict[str, Any]) -> None:
    if args.json:
        print_json(policy)
        return
    for line in describe(policy):
        print(f"{args.repo}: {line}")


def _show(args: argparse.Namespace) -> int:
    try:
        policy = common.client_for(args).scan_policy(args.repo)
    except RegistryError as error:
        return common.failed(COMMAND, error)
    _print(args, policy)
    return 0


def _change(args: argparse.Namespace, edit: Any) -> int:
    client = common.client_for(args)
    try:
        before = client.scan_policy(args.repo)
        document = {k: before[k] for k in ("severity", "refuseUnscanned", "allow")}
        edit(document)
        after = client.scan_policy(args.repo, document)
    except RegistryError as error:
        return common.failed(COMMAND, error)
    for line in describe(before):
        print(f"{args.repo}: was: {line}", file=sys.stderr)
    _print(args, after)
    return 0


def _set(args: argparse.Namespace) -> int:
    def edit(document: dict[str, Any]) -> None:
        if hasattr(args, "severity"):
            document["severity"] = args.severity
        if args.refuse_unscanned is not None:
            document["refuseUnscanned"] = args.refuse_unscanned

    return _change(args, edit)


def _allow(args: argparse.Namespace) -> int:
    def edit(document: dict[str, Any]) -> None:
        named = list(dict.fromkeys(args.advisories))
        kept = [e for e in document["allow"] if e["id"] not in named]
        entries = []
        for advisory in named:
            entry = {"id": advisory, "until": args.until.isoformat()}
            if args.reason:
                entry["reason"] = args.reason
            entries.append(entry)
        document["allow"] = [*kept, *entries]

    return _change(args, edit)


def _disallow(args: argparse.Namespace) -> int:
    def edit(document: dict[str, Any]) -> None:
        document["allow"] = [e for e in document["allow"] if e["id"] not in args.advisories]

    return _change(args, edit)


def _off(args: argparse.Namespace) -> int:
    def edit(document: dict[str, Any]) -> None:
        document["severity"] = None
        document["refuseUnscanned"] = False

    return _change(args, edit)

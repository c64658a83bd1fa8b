"""`berth audit (--repo R | --principal P | --all) [--since AGE|ISO] [-n N] [--json]`: the audit
log, newest first: pushes, deletes, tag moves, expiries, settings and policy changes, lifecycle
and GC runs, permission changes, logins and denied requests. --all: the whole registry's.

--principal takes any spelling a command prints: `robot$ci` or `robot:ci`, `alice` or
`user:alice`, `iam:<arn>`, `system:lifecycle`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import add_registry_option, print_json, print_table
from berth.commands.principals import subject


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="who did what, when, from where", description=__doc__)
    which = audit.add_mutually_exclusive_group(required=True)
    which.add_argument("--repo", type=common.repository, help="events of this repository")
    which.add_argument(
        "--principal", type=subject, help="events by (or about) this principal (robot$ci, alice)"
    )
    which.add_argument("--all", action="store_true", help="every event of the registry")
    audit.add_argument(
        "--since",
        metavar="AGE|TIME",
        help="only events this recent (90m, 1h, 7d, 2w) or at or after this ISO 8601 time",
    )
    audit.add_argument("-n", "--limit", type=int, default=100, help="at most this many (100)")
    add_registry_option(audit)
    audit.set_defaults(func=_audit)


def _what(event: dict[str, Any]) -> str:
    parts = []
    if event.get("digest"):
        parts.append(str(event["digest"])[:19])
    for move in event.get("tags") or []:
        parts.append(f"{move['tag']}:{(move['from'] or '-')[:19]}->{(move['to'] or '-')[:19]}")
    detail = event.get("detail") or {}
    if event.get("subject"):
        parts.append(str(event["subject"]))
    if detail.get("grants"):
        parts.append(",".join(f"{g['pattern']}={g['level']}" for g in detail["grants"]))
    if detail.get("path"):
        parts.append(f"{detail.get('method')} {detail['path']}")
    if detail.get("reason"):
        parts.append(str(detail["reason"]))
    if detail.get("lifecycle"):
        parts.append(str(detail["lifecycle"]))
    if detail.get("changed"):
        parts.append("changed " + ",".join(detail["changed"]))
    if event.get("count", 1) > 1:
        parts.append(f"x{event['count']}")
    return " ".join(parts) or "-"


def _audit(args: argparse.Namespace) -> int:
    if args.since is not None:
        try:
            args.since = moments.since(args.since, moments.wall_clock)
        except ValueError as error:
            print(f"berth audit: --since {error}", file=sys.stderr)
            return common.EXIT_ERROR
    try:
        events = common.client_for(args).audit(
            repository=args.repo,
            principal=args.principal,
            everything=args.all,
            since=args.since,
            page=min(max(args.limit, 1), 1000),
            limit=args.limit,
        )
    except RegistryError as error:
        return common.failed("audit", error)
    if args.json:
        print_json({"events": events})
        return 0
    if not events:
        print(f"berth audit: no events{_of(args)}", file=sys.stderr)
        return 0
    rows = [
        [
            moments.shown(e["at"]),
            e["action"],
            e["outcome"],
            e["who"],
            e.get("repository") or "-",
            _what(e),
            e.get("sourceIp") or "-",
        ]
        for e in events
    ]
    print_table(["AT", "ACTION", "OUTCOME", "WHO", "REPOSITORY", "WHAT", "FROM"], rows)
    return 0


def _of(args: argparse.Namespace) -> str:
    about = f" of {args.repo}" if args.repo else f" by or about {args.principal}"
    if args.all:
        about = ""
    return about + (f" since {args.since}" if args.since else "")

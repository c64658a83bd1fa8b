"""`berth audit --repo R | --principal P [--since ISO] [-n N] [--json]`: the audit log, newest
first: pushes, deletes, tag moves, permission changes, logins and denied requests.

--principal takes a subject as recorded: `user:alice`, `robot:ci`, `iam:<arn>`."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json, print_table


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="who did what, when, from where", description=__doc__)
    which = audit.add_mutually_exclusive_group(required=True)
    which.add_argument("--repo", help="events of this repository")
    which.add_argument("--principal", help="events by (or about) this principal")
    audit.add_argument("--since", help="only events at or after this ISO 8601 time")
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
    if event.get("count", 1) > 1:
        parts.append(f"x{event['count']}")
    return " ".join(parts) or "-"


def _audit(args: argparse.Namespace) -> int:
    try:
        events = common.client_for(args).audit(
            repository=args.repo,
            principal=args.principal,
            since=args.since,
            page=min(max(args.limit, 1), 1000),
            limit=args.limit,
        )
    except RegistryError as error:
        return common.failed("audit", error)
    if args.json:
        print_json({"events": events})
        return 0
    rows = [
        [
            e["at"][:19] + "Z",
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

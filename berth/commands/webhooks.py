"""`berth webhook add|ls|show|rm|test|deliveries|redeliver`: tell other systems what changed.

Each change (a push, a tag move, a delete, a rollback, an expiry, a referrer) is POSTed to
the webhooks whose repository patterns and kinds match, signed as Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature`): docs/automation.md."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments, rule_shape
from berth.commands.common import add_registry_option, print_json, print_table

# The change kinds a webhook may subscribe to (chalicelib/events/change.py KINDS; pinned equal
# by tests/cli/test_webhook_kinds.py).
KINDS = (
    "PUSH",
    "DELETE",
    "TAG",
    "ROLLBACK",
    "EXPIRE",
    "REFERRER",
    "SIGNATURE",
    "SCAN",
    "REPLICATION",
)


def register(commands: Any) -> None:
    webhook = commands.add_parser(
        "webhook", help="webhooks: signed HTTP calls on every change", description=__doc__
    )
    actions = webhook.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="call URL on changes; prints the signing secret once")
    add.add_argument("--to", metavar="URL", help="https://... (http:// only on berth serve)")
    add.add_argument("url", metavar="URL", nargs="?", help="the older spelling of --to")
    add.add_argument(
        "--repository",
        dest="repositories",
        action="append",
        metavar="PATTERN",
        help="a repository, team/* or * (repeatable; default *)",
    )
    add.add_argument(
        "--event",
        dest="events",
        action="append",
        choices=[k.lower() for k in KINDS],
        help="a kind of change (repeatable; default: all)",
    )
    add.add_argument(
        "--format", choices=("berth", "cloudevents"), default="berth", help="body format"
    )
    add.add_argument("--authorization", help="a static Authorization header to send")
    add.add_argument(
        "--allow-network",
        dest="allow_networks",
        action="append",
        metavar="CIDR",
        help="a private network this webhook may reach (repeatable)",
    )
    add.add_argument("--description")
    add.set_defaults(func=_add)
    for verb, text, func in (
        ("show", "one webhook", _show),
        ("rm", "remove a webhook", _rm),
        ("test", "send a signed ping now and show the answer", _test),
        ("disable", "pause deliveries (changes meanwhile are not sent later)", _disable),
        ("enable", "resume deliveries", _enable),
    ):
        parser = actions.add_parser(verb, help=text)
        parser.add_argument("id", metavar="ID")
        parser.set_defaults(func=func)
    deliveries = actions.add_parser("deliveries", help="the last attempts, newest first")
    deliveries.add_argument("id", metavar="ID")
    deliveries.add_argument("-n", type=int, default=20, help="how many (at most 100)")
    deliveries.set_defaults(func=_deliveries)
    redeliver = actions.add_parser("redeliver", help="send an event again")
    redeliver.add_argument("id", metavar="ID")
    which = redeliver.add_mutually_exclusive_group(required=True)
    which.add_argument("--event", help="the event id (from `deliveries`)")
    which.add_argument(
        "--dead-letters",
        action="store_true",
        help="everything whose retries ran out (after fixing the receiver)",
    )
    redeliver.set_defaults(func=_redeliver)
    ls = actions.add_parser("ls", help="every webhook")
    ls.set_defaults(func=_ls)
    for parser in (
        add,
        ls,
        deliveries,
        redeliver,
        *[actions.choices[v] for v in ("show", "rm", "test", "disable", "enable")],
    ):
        add_registry_option(parser)


def _call(args: argparse.Namespace, method: str, path: str = "", body: Any = None) -> Any:
    return common.client_for(args).webhooks(method, path, body)


def _add(args: argparse.Namespace) -> int:
    url = rule_shape.either("webhook add", args.url, args.to, "--to", "URL")
    if url is None:
        return 2
    body: dict[str, Any] = {
        "url": url,
        "repositories": args.repositories or ["*"],
        "format": args.format,
    }
    if args.events:
        body["events"] = [e.upper() for e in args.events]
    for key, value in (
        ("authorization", args.authorization),
        ("allowNetworks", args.allow_networks),
        ("description", args.description),
    ):
        if value:
            body[key] = value
    try:
        answer = _call(args, "POST", "", body)
    except RegistryError as error:
        return common.failed("webhook add", error)
    if args.json:
        print_json(answer)
        return 0
    print(f"webhook {answer['id']} calls {answer['url']} on {', '.join(answer['events'])}")
    print(f"signing secret (shown once; verify webhook-signature with it): {answer['secret']}")
    return 0


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "GET")
    except RegistryError as error:
        return common.failed("webhook ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            h["id"],
            h["url"],
            ",".join(h["repositories"]),
            ",".join(h["events"]),
            h["format"],
            "enabled" if h.get("enabled", True) else "paused",
        ]
        for h in answer["webhooks"]
    ]
    print_table(["ID", "URL", "REPOSITORIES", "EVENTS", "FORMAT", "STATE"], rows)
    return 0


def _switch(args: argparse.Namespace, verb: str) -> int:
    try:
        answer = _call(args, "POST", f"{args.id}/{verb}")
    except RegistryError as error:
        return common.failed(f"webhook {verb}", error)
    if args.json:
        print_json(answer)
    else:
        state = "enabled" if answer.get("enabled", True) else "paused"
        print(f"webhook {args.id} {state}: {answer['url']}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    return _switch(args, "disable")


def _enable(args: argparse.Namespace) -> int:
    return _switch(args, "enable")


def _show(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "GET", args.id)
    except RegistryError as error:
        return common.failed("webhook show", error)
    print_json(answer)
    return 0


def _rm(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "DELETE", args.id)
    except RegistryError as error:
        return common.failed("webhook rm", error)
    if args.json:
        print_json(answer)
    else:
        print(f"webhook {args.id} removed")
    return 0


def _test(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "POST", f"{args.id}/test")
    except RegistryError as error:
        return common.failed("webhook test", error)
    if args.json:
        print_json(answer)
    else:
        status = answer.get("status")
        print(
            f"ping {'delivered' if answer['ok'] else 'failed'}: "
            f"{'HTTP ' + str(status) if status is not None else 'no answer'} "
            f"in {answer['latencyMs']} ms"
            + (f" ({answer['error']})" if answer.get("error") else "")
        )
    return 0 if answer["ok"] else 1


def _deliveries(args: argparse.Namespace) -> int:
    try:
        answer = _call(args, "GET", f"{args.id}/deliveries?n={args.n}")
    except RegistryError as error:
        return common.failed("webhook deliveries", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            moments.shown(d["at"]),
            d["event"],
            d["type"],
            str(d["attempt"]),
            "-" if d["status"] is None else str(d["status"]),
            f"{d['latencyMs']} ms",
            (d.get("error") or "")[:60],
        ]
        for d in answer["deliveries"]
    ]
    print_table(["AT", "EVENT", "TYPE", "ATTEMPT", "STATUS", "LATENCY", "ERROR"], rows)
    return 0


def _redeliver(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"deadLetters": True} if args.dead_letters else {"event": args.event}
    try:
        answer = _call(args, "POST", f"{args.id}/redeliver", body)
    except RegistryError as error:
        return common.failed("webhook redeliver", error)
    if args.json:
        print_json(answer)
    elif args.dead_letters:
        print(f"{answer['moved']} dead-lettered deliveries queued again")
    else:
        print(f"event {answer['queued']} queued again")
    return 0

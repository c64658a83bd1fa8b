"""`berth cache add|ls|rm`: pull-through cache rules. Repositories under PREFIX are filled
from UPSTREAM on first pull and served from Berth afterwards; tags are checked upstream
again after the TTL. Credentials, if the upstream needs them, are named in SSM or Secrets
Manager (under berth/<stage>/cache/), never given here; see docs/cache.md."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, rule_shape
from berth.commands.common import add_registry_option, print_json, print_table


def register(commands: Any) -> None:
    cache = commands.add_parser("cache", help="pull-through cache rules", description=__doc__)
    actions = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="cache UPSTREAM's repositories under PREFIX")
    add.add_argument(
        "--repository", metavar="PREFIX", help="repositories cached, e.g. hub/ (or hub/*)"
    )
    add.add_argument(
        "--from", dest="upstream_flag", metavar="UPSTREAM",
        help="docker.io, ghcr.io, quay.io, or any registry URL",
    )  # fmt: skip
    add.add_argument("prefix", metavar="PREFIX", nargs="?", help="older spelling of --repository")
    add.add_argument("upstream", metavar="UPSTREAM", nargs="?", help="older spelling of --from")
    add.add_argument("--ttl", type=int, default=3600, metavar="SECONDS", help="tag TTL")
    creds = add.add_mutually_exclusive_group()
    creds.add_argument("--ssm", metavar="NAME", help="SecureString holding user:password")
    creds.add_argument("--secret", metavar="ID", help="Secrets Manager secret, the same")
    add.add_argument(
        "--allow-network",
        dest="allow_networks",
        action="append",
        default=[],
        metavar="CIDR",
        help="a private network the upstream may be in (repeatable; public addresses only "
        "otherwise)",
    )
    add.add_argument(
        "--fill-first",
        action="store_true",
        help="store each blob before answering its first pull (for clients that cannot reach "
        "the upstream's storage; slower first pulls)",
    )
    add.set_defaults(func=_add)
    ls = actions.add_parser("ls", help="every cache rule")
    ls.set_defaults(func=_ls)
    rm = actions.add_parser("rm", help="remove the rule for PREFIX (what it cached stays)")
    rm.add_argument("prefix", metavar="PREFIX")
    rm.set_defaults(func=_rm)
    for parser in (add, ls, rm):
        add_registry_option(parser)


def _prefix(value: str) -> str:
    value = value.removesuffix("*")  # `hub/*`, the pattern spelling webhooks and rules use
    return value if value.endswith("/") else value + "/"


def _add(args: argparse.Namespace) -> int:
    if args.repository is not None and args.upstream is None and args.upstream_flag is None:
        args.prefix, args.upstream = None, args.prefix  # `add --repository hub/ docker.io`
    prefix = rule_shape.either("cache add", args.prefix, args.repository, "--repository", "PREFIX")
    if prefix is None:
        return 2
    upstream = rule_shape.either("cache add", args.upstream, args.upstream_flag, "--from", "URL")
    if upstream is None:
        return 2
    body: dict[str, Any] = {
        "prefix": _prefix(prefix),
        "upstream": upstream,
        "ttlSeconds": args.ttl,
    }
    if args.ssm:
        body["credentials"] = {"ssm": args.ssm}
    elif args.secret:
        body["credentials"] = {"secretsmanager": args.secret}
    if args.fill_first:
        body["fillFirst"] = True
    if args.allow_networks:
        body["allowNetworks"] = args.allow_networks
    try:
        answer = common.client_for(args).cache("POST", "", body)
    except RegistryError as error:
        return common.failed("cache add", error)
    if args.json:
        print_json(answer)
    else:
        print(f"cache rule {answer['prefix']}: from {answer['upstream']}")
    return 0


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = common.client_for(args).cache("GET")
    except RegistryError as error:
        return common.failed("cache ls", error)
    if args.json:
        print_json(answer)
        return 0
    rows = [
        [
            r["prefix"],
            r["upstream"],
            str(r["ttlSeconds"]),
            next(iter((r.get("credentials") or {"-": "-"}).values())),
            _options(r),
        ]
        for r in answer["rules"]
    ]
    print_table(["PREFIX", "UPSTREAM", "TTL", "CREDENTIALS", "OPTIONS"], rows)
    return 0


def _options(rule: dict[str, Any]) -> str:
    """fill-first and the allowed networks, as `berth cache add` takes them."""
    found = ["fill-first"] if rule.get("fillFirst") else []
    found += [f"allow {network}" for network in rule.get("allowNetworks") or []]
    return ", ".join(found) or "-"


def _rm(args: argparse.Namespace) -> int:
    prefix = _prefix(args.prefix)
    try:
        common.client_for(args).cache("DELETE", prefix.rstrip("/"))
    except RegistryError as error:
        return common.failed("cache rm", error)
    print(f"cache rule {prefix} removed")
    return 0

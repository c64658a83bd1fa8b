"""`berth public add|rm|ls PATTERN`: repositories anyone may pull without logging in."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json


def register(commands: Any) -> None:
    public = commands.add_parser(
        "public", help="make repositories public or private", description=__doc__
    )
    actions = public.add_subparsers(dest="public_command", required=True, metavar="ACTION")
    for verb, text in (
        ("add", "let anyone pull PATTERN (a repository, team/* or *)"),
        ("rm", "make PATTERN private again"),
    ):
        parser = actions.add_parser(verb, help=text)
        parser.add_argument("pattern", metavar="PATTERN")
        add_registry_option(parser)
        parser.set_defaults(func=_change, verb=verb)
    ls = actions.add_parser("ls", help="the public patterns")
    add_registry_option(ls)
    ls.set_defaults(func=_ls)


def _change(args: argparse.Namespace) -> int:
    client = common.client_for(args)
    try:
        if args.verb == "add":
            answer = client.admin("POST", "public", {"pattern": args.pattern})
        else:
            answer = client.admin("DELETE", "public?" + common.query({"pattern": args.pattern}))
    except RegistryError as error:
        return common.failed(f"public {args.verb}", error)
    if args.json:
        print_json(answer)
    else:
        print(f"{args.pattern} is {'public' if args.verb == 'add' else 'private'}")
    return 0


def _ls(args: argparse.Namespace) -> int:
    try:
        answer = common.client_for(args).admin("GET", "public")
    except RegistryError as error:
        return common.failed("public ls", error)
    if args.json:
        print_json(answer)
    else:
        for pattern in answer["public"]:
            print(pattern)
    return 0

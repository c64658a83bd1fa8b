"""`berth ui login`: sign in to the registry's web pages as your AWS identity.

A browser holds no AWS credentials, so this command makes an IAM login password from yours
(as `berth iam login-password` does), trades it at the registry for a one-time link that
lives two minutes, and opens the link in your browser (or prints it: --no-browser, or when
no browser can be opened). The link asks once more before it signs the browser in, and
works once. Your ARN must match a mapping (`berth iam map`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from berth.client.berth_api import RegistryError
from berth.client.registry_address import registry_url
from berth.commands import common
from berth.commands.common import add_registry_option, print_json


def register(commands: Any) -> None:
    ui = commands.add_parser("ui", help="the registry's web pages", description=__doc__)
    actions = ui.add_subparsers(dest="ui_command", required=True, metavar="ACTION")
    login = actions.add_parser(
        "login", help="open a one-time sign-in link as your AWS identity", description=__doc__
    )
    login.add_argument(
        "--service",
        default=None,
        help="the registry's service name (default: $BERTH_SERVICE, else the one the"
        " registry's challenge names)",
    )
    login.add_argument(
        "--no-browser", action="store_true", help="print the link instead of opening it"
    )
    add_registry_option(login)
    login.set_defaults(func=_login)


def _login(args: argparse.Namespace) -> int:
    from berth.commands.iam import login_password_for

    password = login_password_for(args, "ui login")
    if isinstance(password, int):
        return password
    try:
        answer = common.client_for(args).ui_link(password)
    except RegistryError as error:
        if error.status != 401:
            return common.failed("ui login", error)
        # The generic hint (berth login, podman login) is wrong here: what was refused is the
        # AWS identity, and locally the usual cause is credentials signed for AWS's STS.
        print(f"berth ui login: {error.code}: {error.message}", file=sys.stderr)
        print(
            "  (the registry did not accept your AWS identity: your ARN must match a mapping "
            "(berth iam ls, berth iam map); against berth serve, set AWS_ENDPOINT_URL to the "
            "moto address its start line prints)",
            file=sys.stderr,
        )
        return common.EXIT_REFUSED
    link = registry_url(common.registry_of(args)) + str(answer["link"])
    if args.json:
        print_json({**answer, "link": link})
        return 0
    opened = False
    if not args.no_browser:
        import webbrowser

        opened = webbrowser.open(link)
    seconds = int(answer.get("expiresIn", 0))
    where = "opened in your browser" if opened else "open it in your browser"
    print(f"{link}\n({where}; it signs in once, within {seconds} s)", file=sys.stdout)
    return 0

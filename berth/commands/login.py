"""`berth login REGISTRY` / `berth logout REGISTRY`: keep a login where podman, skopeo, buildah
(and, with --docker, docker) read it, so one login serves every tool. The credentials are tried
against the registry first, as `docker login` does: a typo is said now, not at the next push."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from berth.client.auth_files import containers_auth_file, docker_config_file, erase, store
from berth.client.berth_api import RegistryError, registry_url
from berth.client.credentials import Credentials
from berth.client.registry_address import host_of
from berth.commands import common


def register(commands: Any) -> None:
    login = commands.add_parser(
        "login",
        help="log in to a registry, stored where podman/skopeo/buildah read it",
        description="Check the credentials against REGISTRY, then store them in the containers "
        "auth.json ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json), which "
        "podman, skopeo, buildah and every berth command read.",
    )
    _registry(login)
    login.add_argument(
        "-u", "--username", help="user, or robot$name (also robot:name) (default: asked)"
    )
    login.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (default: asked, not echoed)",
    )
    login.set_defaults(func=_login)
    logout = commands.add_parser(
        "logout", help="forget a registry's login", description="Remove REGISTRY's login."
    )
    _registry(logout)
    logout.set_defaults(func=_logout)


def _registry(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "registry",
        nargs="?",
        metavar="REGISTRY",
        help="HOST[:PORT] or URL (default: $BERTH_REGISTRY or the local default)",
    )
    parser.add_argument(
        "--authfile", type=Path, help="this auth.json instead (as podman's --authfile)"
    )
    parser.add_argument(
        "--docker",
        action="store_true",
        help="also docker's config ($DOCKER_CONFIG/config.json or ~/.docker/config.json)",
    )


def _files(args: argparse.Namespace) -> list[Path]:
    files = [args.authfile or containers_auth_file()]
    return [*files, docker_config_file()] if args.docker else files


def _login(args: argparse.Namespace) -> int:
    url = registry_url(args.registry)
    host = host_of(url)
    try:
        username = args.username or input("Username: ").strip()
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
    except EOFError:
        print("berth login: no username or password given", file=sys.stderr)
        return 2
    if not username or not password:
        print("berth login: a username and a password are needed", file=sys.stderr)
        return 2
    credentials = Credentials(username, password)
    args.registry = url
    common.use_credentials(args, credentials)
    try:
        common.client_for(args).check_login()
    except RegistryError as error:
        return common.failed("login", error)
    for path in _files(args):
        try:
            store(path, host, credentials)
        except OSError as error:
            print(f"berth login: cannot write {path}: {error}", file=sys.stderr)
            return common.EXIT_ERROR
        print(f"Login Succeeded: {host} (saved in {path})")
    return 0


def _logout(args: argparse.Namespace) -> int:
    host = host_of(registry_url(args.registry))
    removed = [path for path in _files(args) if erase(path, host)]
    if not removed:
        print(f"berth logout: not logged in to {host}", file=sys.stderr)
        return common.EXIT_NOT_FOUND
    for path in removed:
        print(f"Removed login credentials for {host} from {path}")
    return 0

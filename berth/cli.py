"""The `berth` command. Subcommands live in their own functions so `push`, `gc` and the rest
can be added beside `serve` without touching it."""

from __future__ import annotations

import argparse
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType


def _serve(args: argparse.Namespace) -> int:
    """Run the local registry until SIGINT/SIGTERM (or stdin EOF with --stop-on-eof)."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    from berth.localserver import StartError, run

    try:
        server = run(
            args.host,
            args.port,
            args.lambda_limits,
            args.stage,
            auth=args.auth,
            public_url=args.public_url,
        )
    except StartError as error:
        print(f"berth serve: {error}", file=sys.stderr)
        return 1
    try:
        print(server.describe(), flush=True)
        if args.stop_on_eof:

            def watch_stdin() -> None:
                # os.read, not sys.stdin: a thread blocked in a buffered read aborts shutdown.
                while os.read(0, 65536):
                    pass
                stop.set()

            threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
        stop.wait()
    finally:
        server.stop()
    return 0


class _CommandParser(argparse.ArgumentParser):
    """argparse leaves a subcommand's unknown options to the top-level parser, which then
    prints `berth`'s own usage (found trying it as a user: `berth scan policy set REPO --block
    CRITICAL` answered with the list of commands). Each parser here refuses what it does not
    know itself, so the usage shown is the command's; subcommands inherit the class."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def _parser() -> argparse.ArgumentParser:
    parser = _CommandParser(prog="berth", description="Berth, a serverless OCI registry")
    parser.add_argument("--version", action="version", version=f"berth {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the registry locally against moto",
        description="Serve the real Lambda handler over HTTP, storing in an in-memory moto.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve.add_argument("--port", type=int, default=5000, help="port (0: any free one)")
    serve.add_argument(
        "--lambda-limits",
        action="store_true",
        help="refuse what AWS would: request bodies over the Lambda payload limit, slow requests",
    )
    serve.add_argument(
        "--public-url",
        help="the URL clients on other machines use (with --host 0.0.0.0); presigned blob "
        "URLs point at it (default: the address bound)",
    )
    serve.add_argument("--stage", default="local", help="stage that names the tables and bucket")
    serve.add_argument(
        "--auth",
        action="store_true",
        help="require logins, as a deployed stage does; the first admin's password is printed once",
    )
    serve.add_argument(
        "--stop-on-eof", action="store_true", help="also stop when stdin closes (for supervisors)"
    )
    serve.set_defaults(func=_serve)
    from berth.commands import register

    register(commands)  # history, rollback, repo
    from berth.deploy import cli as deploy_cli

    deploy_cli.register(commands)  # deploy, destroy
    from berth.deploy import keys

    keys.register(commands)  # keys rotate
    from berth.push import cli as push_cli

    push_cli.register(commands)  # push
    from berth.commands import sign

    sign.register(commands)  # sign
    from berth.proxy import cli as proxy_cli

    proxy_cli.register(commands)  # proxy
    from berth.cost import model as cost

    cost.register(commands)  # cost
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description='Print a completion script: eval "$(berth completion bash)" in ~/.bashrc, '
        'or eval "$(berth completion zsh)" in ~/.zshrc.',
    )
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(func=lambda args: _completion(parser, args.shell))
    return parser


def _completion(parser: argparse.ArgumentParser, shell: str) -> int:
    from berth.completion import script

    sys.stdout.write(script(parser, shell))
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("berth")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what `set -o pipefail` sees of any tool cut short
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C'd program


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand. The one place a command's unexpected failure becomes a message and
    an exit code instead of a traceback: a reader that stops early (`berth audit --json |
    head`) ends the command quietly, as for any Unix tool; a credential helper that cannot run
    is said once; a registry answer no command handled gets its documented exit code; Ctrl-C
    is 130; anything else is one line (BERTH_DEBUG=1 shows the traceback)."""
    from berth.commands.scan_policy import argv_alias

    args = _parser().parse_args(argv_alias(list(sys.argv[1:] if argv is None else argv)))
    func: Callable[[argparse.Namespace], int] = args.func
    from berth.client.berth_api import RegistryError
    from berth.client.credential_helpers import CredentialHelperError

    try:
        status = func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except CredentialHelperError as error:
        print(f"berth {args.command}: {error}", file=sys.stderr)
        return 1
    except RegistryError as error:
        from berth.commands.common import failed

        return failed(args.command, error)
    except KeyboardInterrupt:
        print(f"berth {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if os.environ.get("BERTH_DEBUG"):
            raise
        print(
            f"berth {args.command}: {type(error).__name__}: {error} "
            "(this is a bug in berth; BERTH_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        return 1
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


if __name__ == "__main__":
    sys.exit(main())

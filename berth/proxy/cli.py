"""`berth proxy`: the command a CI job starts in the background before `docker push`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
import threading
from types import FrameType
from typing import Any

from berth.client.registry_address import registry_url
from berth.proxy.send import PART_JOBS, PART_SIZE

MiB = 1024 * 1024

DEFAULT_PORT = 5480

EPILOG = """\
example (a CI job):
  berth proxy --registry https://registry.example.com &
  podman login --tls-verify=false 127.0.0.1:5480 -u "$USER" -p "$PASSWORD"  # the registry's
  podman push --tls-verify=false app:1.0 127.0.0.1:5480/team/app:1.0

The first line on stdout says where it listens, once it does. It stops on SIGTERM/SIGINT.
"""


def _run(args: argparse.Namespace) -> int:
    from berth.proxy.server import StartError, run

    try:
        proxy = run(
            registry_url(args.registry),
            args.host,
            args.port,
            part_size=args.part_size * MiB,
            part_jobs=args.part_jobs,
        )
    except StartError as error:
        print(f"berth proxy: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        print(proxy.describe(), flush=True)
        if args.stop_on_eof:

            def watch_stdin() -> None:
                while os.read(0, 65536):
                    pass
                stop.set()

            threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
        stop.wait()
    finally:
        proxy.stop()
    return 0


def register(commands: Any) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="a local registry front that lets docker/podman/buildah push any layer size",
        description=textwrap.fill(
            "Listen on loopback as a registry for stock clients and forward to REGISTRY with "
            "the clients' own credentials. Blob uploads are streamed straight to S3 as they "
            "arrive, through Berth's s3-uploads extension (parallel parts, checksums), so no "
            "layer passes through the registry's Lambda function and its 6 MB request limit; "
            "everything else (manifests, pulls, tags, tokens) is forwarded as it is.",
            width=79,
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    proxy.add_argument(
        "--registry",
        help="the registry to front (default: $BERTH_REGISTRY, else http://127.0.0.1:5000)",
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    proxy.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    proxy.add_argument(
        "--part-size",
        type=int,
        default=PART_SIZE // MiB,
        metavar="MIB",
        help=f"S3 part size in MiB (default {PART_SIZE // MiB}: layers up to "
        f"{PART_SIZE * 10_000 // 1024**3} GiB, S3's 10,000 parts); memory is about "
        "part size x (part jobs + layers being received)",
    )
    proxy.add_argument(
        "--part-jobs",
        type=int,
        default=PART_JOBS,
        help=f"S3 parts sent at once, for all layers together (default {PART_JOBS})",
    )
    proxy.add_argument(
        "--stop-on-eof", action="store_true", help="also stop when stdin closes (for supervisors)"
    )
    proxy.set_defaults(func=_run)

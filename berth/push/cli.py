"""`berth push SOURCE REFERENCE`: argument parsing, wiring, messages and exit codes."""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

from berth.client.berth_api import registry_url
from berth.client.credential_helpers import CredentialHelperError
from berth.client.credentials import find_credentials
from berth.push.errors import ExitCode, PushError
from berth.push.http import Session
from berth.push.progress import Progress
from berth.push.pusher import Pusher
from berth.push.reference import parse_target
from berth.push.registry import Registry
from berth.push.s3 import S3Uploader, advertised
from berth.push.source import open_source
from berth.push.state import PushState, default_directory
from berth.push.uploader import DEFAULT_CHUNK_SIZE, StandardUploader, Uploader

EPILOG = """\
exit codes:
  0  pushed (the top manifest's digest is printed on stdout)
  1  unexpected failure (a bug: please report the message)
  2  usage: bad arguments or reference, or REFERENCE's digest is not the image's
  3  the source is not a readable OCI layout, oci-archive or docker save tarball, or its
     content does not match its digests
  4  authentication or authorisation refused (401, 403): check credentials and push rights
  5  the registry refused a request (its OCI error code and message are shown)
  6  network: the registry could not be reached or the connection broke; rerun to resume
130  interrupted; rerun to resume

credentials: $BERTH_USERNAME and $BERTH_PASSWORD, else `berth login`/`podman login`'s
auth.json, else ~/.docker/config.json (auths, credHelpers, credsStore).
"""

_SIZE = re.compile(r"^(\d+)\s*([KMG]i?B?)?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def chunk_size(value: str) -> int:
    """`4MiB`, `8M`, `1048576` or `0` (never chunk)."""
    match = _SIZE.match(value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not a size like 4MiB")
    return int(match.group(1)) * _UNITS[(match.group(2) or "")[:1].lower()]


def register(commands: Any) -> None:
    push = commands.add_parser(
        "push",
        help="push an OCI layout, oci-archive or docker save tarball to a registry",
        description=textwrap.fill(
            "Push SOURCE (an OCI layout directory, an oci-archive or a `docker save` "
            "tarball, gzipped or not; PATH:NAME picks one image of several) to REFERENCE "
            "([http[s]://]HOST[:PORT]/REPO[:TAG|@DIGEST]; without a host, --registry's). Blobs the "
            "registry has are skipped, others mounted or uploaded in parallel: straight to S3 when "
            "the registry offers Berth's s3-uploads extension, else in chunks when the registry "
            "asks; an interrupted push resumes when run again.",
            width=79,
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    push.add_argument("source", metavar="SOURCE")
    push.add_argument("reference", metavar="REFERENCE")
    push.add_argument("--registry", help="registry URL for a REFERENCE without a host")
    push.add_argument("--plain-http", action="store_true", help="HTTP, not HTTPS, to the host")
    push.add_argument(
        "--mount-from",
        action="append",
        default=[],
        metavar="REPO",
        help="repository of the same registry to mount blobs from (repeatable)",
    )
    push.add_argument("-j", "--jobs", type=int, default=4, help="blobs in parallel (default 4)")
    push.add_argument(
        "--chunk-size",
        type=chunk_size,
        default=None,
        help="upload in chunks of this size (0: one request per blob; default: when the "
        f"registry advertises OCI-Chunk-Min-Length, chunks of {DEFAULT_CHUNK_SIZE // 1024**2} "
        "MiB or that minimum if larger, else one request per blob)",
    )
    push.add_argument(
        "--format",
        choices=["oci", "docker"],
        default="oci",
        help="manifest format for a docker save tarball (default oci; docker needs gzip layers)",
    )
    push.add_argument(
        "--upload",
        choices=["auto", "s3", "standard"],
        default="auto",
        help="how blobs travel: auto (straight to S3 when the registry advertises Berth's "
        "s3-uploads extension, else the standard API), s3 (the extension or fail), standard",
    )
    push.add_argument(
        "--part-jobs",
        type=int,
        default=4,
        help="parts of one large blob sent to S3 in parallel (default 4)",
    )
    push.add_argument("--state", type=Path, help=f"resume state (default {default_directory()})")
    push.add_argument("-q", "--quiet", action="store_true", help="no progress, errors only")
    push.add_argument(
        "--json",
        action="store_true",
        help="print the outcome as JSON on stdout (reference, digest, blob counts)",
    )
    push.set_defaults(func=run)


# Repositories a token asks pull on for automatic mounts: enough for the places an image's
# layers were pushed to lately, few enough to keep the token request short.
MAX_MOUNT_SOURCES = 10


def mount_sources(args: argparse.Namespace, plan: Any, state: PushState) -> list[str]:
    """--mount-from's repositories, then those this machine pushed the image's blobs to
    before, newest first: with auth on a mount needs pull on its source in the token, so the
    token must ask for every candidate (else the blob is uploaded again)."""
    known = [name for blob in plan.blobs for name in state.known_repositories(blob.digest)]
    automatic = [n for n in dict.fromkeys(known) if n not in args.mount_from]
    return [*args.mount_from, *automatic[:MAX_MOUNT_SOURCES]]


def run(args: argparse.Namespace) -> int:
    cancelled = threading.Event()
    anonymous = False
    try:
        target = parse_target(args.reference, registry_url(args.registry), args.plain_http)
        with open_source(args.source, docker_format=args.format == "docker") as plan:
            host = target.registry.split("://", 1)[1]
            credentials = find_credentials(host)
            anonymous = credentials is None
            session = Session(target.registry, credentials)
            state = PushState(args.state or default_directory(), target.registry, target.repository)
            scopes = [f"repository:{target.repository}:pull,push"]
            scopes += [f"repository:{name}:pull" for name in mount_sources(args, plan, state)]
            session.login(" ".join(scopes))
            registry = Registry(session, target.repository)
            with Progress(sys.stderr, plan.total_bytes, quiet=args.quiet) as progress:
                progress.line(f"pushing {plan.description} to {target}")
                uploader: Uploader = StandardUploader(
                    registry, state, progress, chunk_size=args.chunk_size, cancelled=cancelled
                )
                if args.upload == "s3" or (
                    args.upload == "auto" and advertised(session.base_headers)
                ):
                    uploader = S3Uploader(
                        registry,
                        state,
                        progress,
                        uploader,
                        part_jobs=args.part_jobs,
                        required=args.upload == "s3",
                        cancelled=cancelled,
                    )
                pusher = Pusher(
                    registry,
                    uploader,
                    state,
                    progress,
                    mount_from=args.mount_from,
                    jobs=args.jobs,
                    cancelled=cancelled,
                )
                digest = pusher.push(plan, target)
                done = pusher.outcome
                progress.line(
                    f"{target}: {digest} ({done.uploaded} uploaded, {done.existed} already "
                    f"there, {done.mounted} mounted; {progress.summary()})"
                )
        if args.json:
            outcome = {
                "reference": str(target),
                "digest": digest,
                "uploaded": done.uploaded,
                "existed": done.existed,
                "mounted": done.mounted,
            }
            print(json.dumps(outcome, indent=2), flush=True)
        else:
            print(digest, flush=True)
        return ExitCode.OK
    except CredentialHelperError as error:
        print(f"berth push: {error}", file=sys.stderr)
        return ExitCode.AUTH
    except PushError as error:
        hint = ""
        if error.code is ExitCode.NETWORK:
            hint = " (run again to resume)"
        elif error.code is ExitCode.AUTH and anonymous:
            hint = " (no credentials found: berth login, or $BERTH_USERNAME and $BERTH_PASSWORD)"
        print(f"berth push: {error.message}{hint}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        cancelled.set()
        print("berth push: interrupted (run again to resume)", file=sys.stderr)
        return 130

"""`berth scan REF` (an image's last scan, or a fresh one from the registry's scanner, and its
findings), and `berth vulndb import PATH`
/ `berth vulndb sync` / `berth vulndb status` (the advisory database scans use: loaded from
files where the registry is air-gapped, synced from OSV's exports where it is not)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json
from berth.commands.osv_files import batches, osv_records
from berth.commands.scan_output import sarif, table

# A request's JSON body, under the registry's 5 MB batch limit.
BATCH_BYTES = 4 * 1000 * 1000
# How long `berth scan --rescan` waits for the scanner by default, and how often it looks.
WAIT_SECONDS = 600
POLL_FIRST, POLL_MOST = 1.0, 5.0
# Waiting between looks (a test runs the scan queue here instead).
_sleep = time.sleep


def register(commands: Any) -> None:
    scan = commands.add_parser(
        "scan",
        help="scan an image for known vulnerabilities",
        description="Print the findings of REPO:TAG or REPO@DIGEST, worst first: the image's "
        "last scan (when it ran, against which advisory database), or with --rescan (or when "
        "it was never scanned) a fresh scan by the registry's scanner, waited for.",
    )
    scan.add_argument(
        "reference",
        type=common.image_or_latest,
        metavar="REF",
        help="[HOST/]REPO[:TAG] or [HOST/]REPO@DIGEST (a host names the registry)",
    )
    scan.add_argument(
        "--format", choices=["table", "json", "sarif"], default="table", help="output format"
    )
    when = scan.add_mutually_exclusive_group()
    when.add_argument(
        "--rescan",
        action="store_true",
        help="have the registry's scanner scan the image again and wait for the result",
    )
    when.add_argument(
        "--stored",
        action="store_true",
        help="print the last scan only, even if there is none (never queue a scan)",
    )
    scan.add_argument(
        "--timeout",
        type=float,
        default=WAIT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for a queued scan (default {WAIT_SECONDS})",
    )
    add_registry_option(scan)
    scan.set_defaults(func=_scan)

    vulndb = commands.add_parser(
        "vulndb",
        help="the advisory database scans use",
        description="Load OSV advisories (an all.zip export, a directory or a file) into the "
        "registry, or show what it holds. Needs admin rights on the registry.",
    )
    actions = vulndb.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = actions.add_parser("import", help="load OSV zips, directories or files")
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    load.add_argument(
        "--no-rescan",
        action="store_true",
        help="do not rescan the stored images afterwards (by default every one is rescanned "
        "in the background, and an image whose findings changed emits a Berth Image Scan event)",
    )
    add_registry_option(load)
    load.set_defaults(func=_import)
    sync = actions.add_parser(
        "sync",
        help="copy OSV's exports that changed, rebuild the index, rescan",
        description="Have the registry sync now, as its schedule does in AWS: each "
        "ecosystem's all.zip whose ETag changed is copied from the source bucket into the "
        "registry's bucket and indexed, then every stored image is rescanned. The default "
        "source is OSV's public bucket (osv-vulnerabilities on Google Cloud Storage, which the "
        "registry must be able to reach); --source-bucket with --source s3 names an S3 bucket "
        "the registry reads (a mirror; for `berth serve`, a bucket in its moto).",
    )
    sync.add_argument("--source-bucket", metavar="NAME", help="default: osv-vulnerabilities")
    sync.add_argument("--source", choices=["gcs", "s3"], help="where the bucket is")
    sync.add_argument(
        "--ecosystem",
        action="append",
        metavar="NAME",
        help="an OSV ecosystem to sync (repeatable; default: those the scanner matches)",
    )
    add_registry_option(sync)
    sync.set_defaults(func=_sync)
    status = actions.add_parser("status", help="how many advisories, updated when")
    add_registry_option(status)
    status.set_defaults(func=_status)


def _scan(args: argparse.Namespace) -> int:
    repo, reference = args.reference
    shown = f"{repo}{'@' if reference.startswith('sha256:') else ':'}{reference}"
    client = common.client_for(args)
    try:
        document = client.scan(repo, reference)
        never = document["imageScanStatus"]["status"] == "NOT_SCANNED"
        if args.rescan or (never and not args.stored):
            document = _fresh_scan(client, repo, reference, shown, args.timeout)
            if document is None:
                return common.EXIT_ERROR
    except RegistryError as error:
        return common.failed("scan", error)
    if args.format == "json" or args.json:
        print_json(document)
    elif args.format == "sarif":
        print_json(sarif(shown, document))
    else:
        print("\n".join(table(shown, document)))
    return 0 if document["imageScanStatus"]["status"] == "COMPLETE" else common.EXIT_ERROR


def _fresh_scan(
    client: Any, repo: str, reference: str, shown: str, timeout: float
) -> dict[str, Any] | None:
    """Queue a scan and wait until the stored result is a newer one (COMPLETE or FAILED);
    None (said on stderr) when `timeout` seconds pass first."""
    queued = client.request_scan(repo, reference)
    before = queued.get("scannedAt")
    print(
        f"berth scan: {shown} is queued for the registry's scanner; waiting up to "
        f"{timeout:g} s for the result",
        file=sys.stderr,
    )
    deadline = time.monotonic() + timeout
    pause = POLL_FIRST
    while True:
        document: dict[str, Any] = client.scan(repo, reference)
        if document.get("scannedAt") not in (None, before):
            return document
        left = deadline - time.monotonic()
        if left <= 0:
            print(
                f"berth scan: no result within {timeout:g} s; the scan is still queued (a "
                f"large image takes longer, or the scanner is retrying): `berth scan {shown}` "
                "shows it once it has run",
                file=sys.stderr,
            )
            return None
        _sleep(min(pause, left))
        pause = min(POLL_MOST, pause * 2)


def _import(args: argparse.Namespace) -> int:
    client = common.client_for(args)
    sent = 0
    state: dict[str, Any] = {}
    try:
        for path in args.paths:
            for batch in batches(osv_records(path), BATCH_BYTES):
                state = client.vulndb(batch)
                sent += len(batch)
        if sent and not args.no_rescan:  # once, after the last batch
            state = client.vulndb(rescan=True)
    except RegistryError as error:
        return common.failed("vulndb import", error)
    except (OSError, ValueError) as error:
        print(f"berth vulndb import: {error}", file=sys.stderr)
        return common.EXIT_ERROR
    if args.json:
        print_json(state)
    else:
        print(f"imported {sent} advisories; the database holds {state.get('advisories', 0)}")
        if sent and not args.no_rescan:
            print("images holding a package they name are being rescanned (in the background)")
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        state = common.client_for(args).vulndb()
    except RegistryError as error:
        return common.failed("vulndb status", error)
    if args.json:
        print_json(state)
    elif not state.get("advisories"):
        print("the advisory database is empty: scans find nothing until `berth vulndb import`")
    else:
        print(f"{state['advisories']} advisories, updated {state['updatedAt']}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    document: dict[str, Any] = {}
    if args.source_bucket:
        document["sourceBucket"] = args.source_bucket
    if args.source:
        document["source"] = args.source
    if args.ecosystem:
        document["ecosystems"] = args.ecosystem
    try:
        report = common.client_for(args).vulndb_sync(document)
    except RegistryError as error:
        return common.failed("vulndb sync", error)
    if args.json:
        print_json(report)
        return 0
    copied = ", ".join(report["copied"]) or "nothing"
    print(
        f"copied {copied}; {report['indexKeysWritten']} index objects written, "
        f"{report['indexKeysDeleted']} deleted"
    )
    if report["unchanged"]:
        print(f"unchanged (same ETag): {', '.join(report['unchanged'])}")
    if report["missing"]:
        print(f"not in the source: {', '.join(report['missing'])}")
    for problem in report["problems"]:
        print(f"  {problem}", file=sys.stderr)
    if report["rescan"]:
        version = report["version"]
        print(f"database version {version}: images with a package it changed are being rescanned")
    return 0

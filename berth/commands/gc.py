"""`berth gc [--dry-run] [--full] [--reindex]`: run one online garbage collection on the
registry, print what it reclaimed (or, with --dry-run, what it would)."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import add_registry_option, human_size, print_json


def register(commands: Any) -> None:
    gc = commands.add_parser(
        "gc",
        help="delete blobs and uploads nothing references",
        description="Delete blob objects no repository links (older than the grace period), "
        "abandoned upload staging objects and expired sessions, while pushes go on. Needs "
        "admin rights on the registry.",
    )
    gc.add_argument("--dry-run", action="store_true", help="only report what would be deleted")
    gc.add_argument(
        "--full",
        action="store_true",
        help="scan the whole table and bucket (the safety net; the default reads only what "
        "deletes released, once the reference index is complete)",
    )
    gc.add_argument(
        "--reindex",
        action="store_true",
        help="backfill the reference index of a table written before it (once, after "
        "upgrading; in as many requests as the table needs, each going on where the last "
        "stopped); then collections read only what changed",
    )
    add_registry_option(gc)
    gc.set_defaults(func=_gc)


def summary(report: dict[str, Any]) -> list[str]:
    verb = "would delete" if report["dryRun"] else "deleted"
    blobs, staging = report["blobs"], report["staging"]
    lines = [
        f"blobs: {verb} {blobs['deleted']} ({human_size(int(blobs['bytes']))})",
        f"upload staging objects: {verb} {staging['deleted']} "
        f"({human_size(int(staging['bytes']))})",
        f"upload sessions: {verb} {report['sessions']['deleted']}",
    ]
    waiting = report.get("waiting") or {}
    hours = int(waiting.get("graceSeconds") or 0) / 3600
    if waiting.get("objects"):
        lines.append(
            f"waiting: {waiting['objects']} unreferenced objects "
            f"({human_size(int(waiting['bytes']))}) are younger than the {hours:g} h grace "
            "period (a push may still link them); the first becomes collectable at "
            f"{moments.shown(waiting['collectableAt'])}: run berth gc again after that"
        )
    if waiting.get("recentlyReleased"):
        lines.append(
            f"released in the last {hours:g} h: {waiting['recentlyReleased']} objects (a delete "
            "or an untag let go of them; each is checked for other references once its grace "
            f"period is over, the first at {moments.shown(waiting['collectableAt'])})"
        )
    if blobs.get("spared"):
        lines.append(f"spared: {blobs['spared']} (claimed by pushes during the run)")
    if report.get("busy"):
        lines.append("another collection is running: nothing done")
    elif not report.get("complete", True):
        lines.append("stopped early: run it again to finish")
    return lines


def _reindex(api: Any) -> dict[str, Any]:
    """Each request backfills for the server's request budget and says whether it is done;
    the next one goes on where it stopped, so a table of any size is indexed in turns."""
    total: dict[str, Any] = {"links": 0, "manifests": 0, "entries": 0, "calls": 0}
    while True:
        done = api.gc(reindex=True)
        total["calls"] += 1
        for key in ("links", "manifests", "entries"):
            total[key] += int(done.get(key, 0))
        if done.get("complete", True):
            total["complete"] = True
            return total


def _gc(args: argparse.Namespace) -> int:
    try:
        api = common.client_for(args)
        if args.reindex:
            done = _reindex(api)
            print_json(done) if args.json else print(
                f"indexed {done['links']} links and {done['manifests']} manifests "
                f"({done['entries']} entries, {done['calls']} requests)"
            )
            return 0
        report = api.gc(dry_run=args.dry_run, full=args.full)
    except RegistryError as error:
        return common.failed("gc", error)
    if args.json:
        print_json(report)
    else:
        print("\n".join(summary(report)))
    return 0 if not report.get("busy") else 1

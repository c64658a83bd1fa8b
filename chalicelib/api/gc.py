"""Berth extension: `POST /v2/_berth/gc[?dry-run=1][&full=1]` runs one garbage collection and
answers its report (admin only, registry-wide); `full=1` forces the table scan (the safety
net: chalicelib/gc/__init__.py); `?reindex=1` instead backfills the reference index
(chalicelib/gc/reindex.py) for up to the same budget and answers what it indexed and whether
the backfill is complete (if not, the next call goes on where it stopped). The scheduled
collection (app.py) runs the same code.

Through the API rather than from the client with AWS credentials: `berth gc` then needs only
a registry token with admin rights, and the function's least-privilege role stays the one
principal that deletes blobs. Behind API Gateway a request has 29 s, so the run is given a
budget and reports `complete: false` when it stopped early; the next run finishes the work.
A real run is audited (`gc.run`, what it deleted, by the caller); a dry run changes nothing."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.gc.collect import collect

REQUEST_BUDGET = 20.0


def _flag(request: HttpRequest, name: str) -> bool:
    return (request.arg(name) or "").lower() in ("1", "true", "yes")


def post(request: HttpRequest, _name: str, _argument: str) -> Response:
    if _flag(request, "reindex"):
        return _reindex(request)
    dry_run = _flag(request, "dry-run")
    full = True if _flag(request, "full") else None
    report = collect(dry_run=dry_run, budget=REQUEST_BUDGET, full=full)
    document = report.document()
    if not dry_run:
        from chalicelib.audit import record

        detail: dict[str, Any] = {
            key: document[key]
            for key in ("blobs", "manifests", "staging", "sessions", "complete", "busy")
            if key in document
        }
        record.change(request, "gc.run", detail=detail)
    return json_response(200, document)


def _reindex(request: HttpRequest) -> Response:
    from chalicelib.audit import record
    from chalicelib.gc import reindex

    done = reindex.reindex(budget=REQUEST_BUDGET)  # `complete: false`: call again
    document = {
        "links": done.links,
        "manifests": done.manifests,
        "entries": done.entries,
        "items": done.items,
        "complete": done.complete,
        "resumed": done.resumed,
    }
    record.change(request, "gc.reindex", detail=document)
    return json_response(200, document)
